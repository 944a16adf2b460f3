"""Data export (portability, GDPR art. 20; CONTRACT §10): ``POST /patients/{ins}/exports`` queues a unit and
answers 202; the unit builds one ZIP streamed to S3 (multipart upload, bounded memory: each document's object is
streamed into the archive, never held); ``GET .../exports/{id}`` answers its status and, once ready, a short-lived
presigned download URL; ``export_ready`` tells the person; the file is erased after :data:`EXPORT_VALIDITY`.

**What the ZIP holds** is decided by the access decision, as every read is: the export reads the space through the
services the routes use, with the requester's own identity (decided again when the unit runs: a legal
representative whose child came of age meanwhile gets a failed export, not the child's data). So a patient gets
what they see (documents hidden from them until announced stay out); a legal representative what representatives
see (the child's conversations are the child's: not in a representative's export).

**The time limit.** An export is many small steps (one member of the ZIP each: a JSON file, a document's file).
Before each, the unit looks at the time its invocation has left; when it runs low, it stops at that member's
boundary, saves a checkpoint (the archive's state: the upload's parts, the ZIP's directory so far and the bytes
not yet uploaded, with the position in the space) and sends the export to its queue again: the next unit resumes
from the checkpoint. An export of any size completes, one unit of at most a few minutes after another; a unit that
fails is retried from the last checkpoint; after its last attempt the export is marked failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from chalicelib.domain.access import Action
from chalicelib.domain.accounts import Account
from chalicelib.domain.audit import AccessEntry
from chalicelib.domain.care import Measurement, MedicalProfile, Vaccination
from chalicelib.domain.documents import Document
from chalicelib.domain.exports import EXPORT_VALIDITY, FILES, SECTIONS, Export, document_path
from chalicelib.domain.identity import Actor, Party
from chalicelib.domain.messaging import Conversation, Message
from chalicelib.domain.reimbursements import Reimbursement
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso
from chalicelib.errors import Busy, DomainError, Gone, NotFound
from chalicelib.observability import logger
from chalicelib.ports import AccountRepository, Clock, Ids, ObjectStore
from chalicelib.services.access import AccessService
from chalicelib.services.notices import Messenger
from chalicelib.services.versioned import retrying
from chalicelib.services.waves import Busy as Held

if TYPE_CHECKING:
    from chalicelib.domain.agenda import Appointment
    from chalicelib.domain.catalogue import ConsentView
    from chalicelib.services.agenda import AgendaService
    from chalicelib.services.care import CareService
    from chalicelib.services.catalogue import CatalogueService
    from chalicelib.services.messaging import MessagingService
    from chalicelib.services.records import RecordService
    from chalicelib.services.reimbursements import ReimbursementService
    from chalicelib.services.sharing import SharingService

T = TypeVar("T")
QUEUE = "export-units"
PAGE = 100  # items a listing reads at a time


class ExportRepository(Protocol):
    def add(self, export: Export) -> None: ...
    def get(self, ins: str, export_id: str) -> Export | None: ...
    def save(self, export: Export) -> None:
        """Versioned: ConcurrentUpdate if it changed since read."""
        ...
    def latest(self, ins: str) -> Export | None: ...
    def all_for(self, ins: str) -> list[Export]: ...
    def erase(self, ins: str) -> int: ...


class Archive(Protocol):
    """One ZIP being written to object storage, member by member, resumable at a member's boundary."""

    @property
    def progress(self) -> dict[str, Any] | None:
        """The position saved with the checkpoint it resumed from (None: a new archive)."""
        ...

    def add(self, name: str, chunks: Iterable[bytes], modified: dt.datetime, compress: bool) -> None: ...
    def checkpoint(self, progress: dict[str, Any]) -> None:
        """Save everything needed to resume after the last member added, with ``progress``."""
        ...
    def finish(self) -> int:
        """Write the ZIP's directory, complete the upload; the archive's size."""
        ...
    def abort(self) -> None: ...


class ArchiveStore(Protocol):
    def open(self, export_id: str, size_hint: Callable[[], int]) -> Archive:
        """The export's archive: resumed from its checkpoint when there is one, else a new one (``size_hint``: the
        documents' total size, asked only for a new one: it sets the upload's part size)."""
        ...
    def download_url(self, export_id: str, filename: str) -> str: ...
    def erase(self, export_id: str) -> int: ...


class Queues(Protocol):
    def send(self, logical: str, bodies: Sequence[dict[str, Any]], delay_seconds: int = 0) -> None: ...


class Budget(Protocol):
    def low(self) -> bool:
        """Whether the invocation should stop now (little time left)."""
        ...


class ExportRenderer(Protocol):
    def readme(self, export: Export, content: SpaceContent) -> bytes: ...
    def json_value(self, section: str, value: Any) -> Iterator[bytes]: ...
    def json_items(self, section: str, items: Iterable[Any]) -> Iterator[bytes]: ...
    def fhir_bundle(self, content: SpaceContent) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class SpaceServices:
    """The services the export reads the space through (each asks the decision, as its routes do)."""

    records: RecordService
    care: CareService
    agenda: AgendaService
    messaging: MessagingService
    reimbursements: ReimbursementService
    catalogue: CatalogueService
    sharing: SharingService


@dataclass(frozen=True)
class ConversationExport:
    conversation: Conversation
    messages: list[Message]


@dataclass(frozen=True)
class DocumentEntry:
    """A document as the export holds it: its metadata, and where its file is in the ZIP (None: no file, e.g. an
    upload never completed)."""

    document: Document
    path: str | None


@dataclass(frozen=True)
class SpaceContent:
    """Everything of the space the requester may see, each listing read on demand, page by page."""

    account: Account
    by_representative: bool
    generated_at: dt.datetime
    profile: Callable[[], MedicalProfile | None]
    vaccinations: Callable[[], Iterator[Vaccination]]
    measurements: Callable[[], Iterator[Measurement]]
    appointments: Callable[[], Iterator[Appointment]]
    conversations: Callable[[], Iterator[ConversationExport]]
    reimbursements: Callable[[], Iterator[Reimbursement]]
    consents: Callable[[], Iterator[ConsentView]]
    access_log: Callable[[], Iterator[AccessEntry]]
    documents: Callable[[], Iterator[DocumentEntry]]


@dataclass(frozen=True)
class ExportView:
    """``GET .../exports/{id}``: the status and, when ready, where to download it until when."""

    export_id: str
    status: str
    requested_at: dt.datetime
    download_url: str | None = None
    expires_at: dt.datetime | None = None
    size: int | None = None
    failure: str | None = None


@dataclass
class UnitReport:
    outcome: str  # ready | continued | failed | skipped
    members: int = 0
    details: dict[str, Any] = field(default_factory=dict)


def pages(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a listing, page after page (a cursor is followed, never an offset)."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        cursor = page.next_cursor
        if not cursor:
            return


class ExportService:
    def __init__(self, exports: ExportRepository, archives: ArchiveStore, queues: Queues, store: ObjectStore,
                 renderer: ExportRenderer, accounts: AccountRepository, access: AccessService, messenger: Messenger,
                 clock: Clock, ids: Ids, documents_bucket: str, services: Callable[[], SpaceServices]) -> None:
        self.exports = exports
        self.archives = archives
        self.queues = queues
        self.store = store
        self.renderer = renderer
        self.accounts = accounts
        self.access = access
        self.messenger = messenger
        self.clock = clock
        self.ids = ids
        self.documents_bucket = documents_bucket
        self.services = services

    # -- the routes ------------------------------------------------------------------------------------------------
    def request(self, actor: Actor, ins: str) -> Export:
        """Queue an export of the space (one at a time: while one is being built, it is the answer)."""
        self.access.check(actor, Action.REQUEST_EXPORT, ins)
        now = self.clock.now()
        current = self.exports.latest(ins)
        if current is not None and current.status == "running" and not current.stale(now) \
                and current.requested_by == Party.of(actor):
            return current
        export = Export(self.ids.new(now), ins, Party.of(actor), now)
        self.exports.add(export)
        self.queues.send(QUEUE, [{"ins": ins, "export_id": export.export_id}])
        return export

    def status(self, actor: Actor, ins: str, export_id: str) -> ExportView:
        self.access.check(actor, Action.READ_EXPORT, ins)
        export = self.exports.get(ins, export_id)
        if export is None:
            raise NotFound("No such export.", code="not_found")
        now = self.clock.now()
        if export.stale(now):
            export.fail("The export did not complete: ask for a new one.")
        if export.status == "ready":
            if export.expired(now):
                raise Gone("This export has expired and its file was erased: ask for a new one.",
                           code="export_expired")
            url = self.archives.download_url(export.export_id, export.filename)
            return ExportView(export.export_id, "ready", export.requested_at, url, export.expires_at, export.size)
        return ExportView(export.export_id, export.status, export.requested_at, failure=export.failure)

    # -- the unit --------------------------------------------------------------------------------------------------
    def run(self, message: dict[str, Any], budget: Budget, last_attempt: bool) -> UnitReport:
        """Build (or continue) one export; on a failure of its last attempt, mark it failed (never left running)."""
        ins, export_id = str(message["ins"]), str(message["export_id"])
        now = self.clock.now()

        def claim() -> Export | None:
            current = self.exports.get(ins, export_id)
            if current is None or not current.claim(now):
                return None
            self.exports.save(current)
            return current

        export = retrying(claim, "the export")
        if export is None:
            current = self.exports.get(ins, export_id)
            if current is not None and current.status == "running":  # a duplicate delivery: once the lease ends
                held = (current.claimed_until or now) - now
                raise Held("the export", retry_after=max(5, int(held.total_seconds()) + 1))
            return UnitReport("skipped")  # done, failed, or gone
        try:
            return self._build(export, budget)
        except DomainError as refused:
            if isinstance(refused, Busy):  # versioned writes that kept losing: as any failure, retried
                return self._failed(export, refused, last_attempt)
            # the decision refuses the requester now: nothing of the space goes out
            self._fail(export, refused.message)
            return UnitReport("failed", details={"reason": refused.code})
        except Exception as error:
            return self._failed(export, error, last_attempt)

    def _failed(self, export: Export, error: Exception, last_attempt: bool) -> UnitReport:
        """A unit that failed: retried from the last checkpoint (the error goes up to the queue), or, on its last
        attempt, the export fails."""
        if not last_attempt:
            self._release(export)
            raise error
        logger().error("export failed for good", extra={"export_id": export.export_id,
                                                        "error": type(error).__name__})
        self._fail(export, "The export could not be built: ask for a new one.")
        return UnitReport("failed")

    def _release(self, export: Export) -> None:
        """A failed unit lets go of its export, so that its retry need not wait for the lease to end."""
        def step() -> None:
            current = self.exports.get(export.ins, export.export_id)
            if current is not None and current.status == "running":
                current.claimed_until = None
                self.exports.save(current)

        try:
            retrying(step, "the export")
        except Exception:  # the lease ends by itself
            logger().warning("export not released", extra={"export_id": export.export_id})

    def _build(self, export: Export, budget: Budget) -> UnitReport:
        requester = Actor("patient", ins=export.requested_by.id)
        grant = self.access.check(requester, Action.REQUEST_EXPORT, export.ins)
        account = self.accounts.get(export.ins)
        if account is None:
            raise NotFound("No space exists for this person.", code="unknown_person")
        content = self._content(requester, account, export, grant.by_patient and requester.ins != export.ins)
        archive = self.archives.open(export.export_id, lambda: sum(e.document.size for e in content.documents()))
        position = archive.progress or {"section": 0}
        added = 0
        for index in range(int(position["section"]), len(SECTIONS)):
            section = SECTIONS[index]
            if section != "documents":
                if added and budget.low():  # a unit always adds one member at least: progress
                    return self._hand_over(export, archive, {"section": index}, added)
                archive.add(FILES[section], self._member(section, export, content), content.generated_at,
                            compress=True)
                added += 1
                continue
            resumed = index == int(position["section"])
            cursor: str | None = position.get("cursor") if resumed else None
            after: str | None = position.get("after") if resumed else None
            while True:  # the files, page by page; newest first, so what is done has an id at or above "after"
                page = self._documents_page(requester, export.ins, cursor)
                for entry in self._snapshot(page.items, export):
                    doc = entry.document
                    if entry.path is None or (after is not None and doc.document_id >= after):
                        continue
                    if added and budget.low():  # a unit always adds one member at least: progress
                        return self._hand_over(export, archive, {"section": index, "cursor": cursor,
                                                                 "after": after}, added)
                    archive.add(entry.path, self.store.stream(self.documents_bucket, doc.object_key,
                                                              doc.object_version), doc.created_at, compress=False)
                    after = doc.document_id
                    added += 1
                cursor, after = page.next_cursor, None
                if not cursor:
                    break
        size = archive.finish()
        now = self.clock.now()

        def complete() -> Export:
            current = self.exports.get(export.ins, export.export_id)
            assert current is not None
            current.complete(now, size)
            self.exports.save(current)
            return current

        done = retrying(complete, "the export")
        assert done.expires_at is not None
        self.messenger.tell(export.ins, "export_ready", {"export_id": done.export_id,
                                                         "expires_at": iso(done.expires_at)})
        return UnitReport("ready", added, {"size": size})

    def _documents_page(self, actor: Actor, ins: str, cursor: str | None) -> Page[Document]:
        return self.services().records.listing(actor, ins, PAGE, cursor)

    @staticmethod
    def _snapshot(documents: Iterable[Document], export: Export) -> Iterator[DocumentEntry]:
        """The documents as of the request (one added while the export is built waits for the next export), each
        with its file's place in the ZIP when it has bytes."""
        for doc in documents:
            if doc.created_at <= export.requested_at:
                yield DocumentEntry(doc, document_path(doc.document_id, doc.created_at, doc.filename)
                                    if doc.readable else None)

    def _hand_over(self, export: Export, archive: Archive, progress: dict[str, Any], added: int) -> UnitReport:
        """Near the time limit: save where the archive is, and send the export to the next unit."""
        archive.checkpoint(progress)

        def count() -> None:
            current = self.exports.get(export.ins, export.export_id)
            if current is not None:
                current.units += 1
                current.claimed_until = None  # the next unit takes it at once
                self.exports.save(current)

        retrying(count, "the export")
        self.queues.send(QUEUE, [{"ins": export.ins, "export_id": export.export_id}])
        return UnitReport("continued", added, {"next": progress})

    def _fail(self, export: Export, reason: str) -> None:
        def step() -> None:
            current = self.exports.get(export.ins, export.export_id)
            if current is not None and current.status == "running":
                current.fail(reason)
                self.exports.save(current)

        retrying(step, "the export")
        try:
            self.archives.open(export.export_id, lambda: 0).abort()
        except Exception:  # nothing to abort, or storage down: the lifecycle rule erases what is left
            logger().warning("export archive not aborted", extra={"export_id": export.export_id})

    # -- what the space holds, as the requester may see it ----------------------------------------------------------
    def _content(self, actor: Actor, account: Account, export: Export, by_representative: bool) -> SpaceContent:
        s = self.services()
        ins = account.nir

        def conversations() -> Iterator[ConversationExport]:
            if by_representative:
                return  # a child's conversations are the child's (the decision's rule for conversations)
            for conversation in pages(lambda c: s.messaging.listing(actor, PAGE, c)):
                messages: list[Message] = []
                cursor: str | None = None
                while True:
                    thread = s.messaging.get(actor, conversation.conversation_id, PAGE, cursor)
                    messages += thread.messages
                    cursor = thread.next_cursor
                    if not cursor:
                        break
                yield ConversationExport(conversation, messages)

        def documents() -> Iterator[DocumentEntry]:
            yield from self._snapshot(pages(lambda c: s.records.listing(actor, ins, PAGE, c)), export)

        def profile() -> MedicalProfile | None:
            try:
                return s.care.profile(actor, ins)
            except NotFound:
                return None

        return SpaceContent(
            account=account, by_representative=by_representative, generated_at=self.clock.now(),
            profile=profile,
            vaccinations=lambda: pages(lambda c: s.care.vaccinations(actor, ins, PAGE, c)),
            measurements=lambda: pages(lambda c: s.care.measurements(actor, ins, PAGE, c)),
            appointments=lambda: pages(lambda c: s.agenda.appointments(actor, ins, PAGE, c)),
            conversations=conversations,
            reimbursements=lambda: pages(lambda c: s.reimbursements.listing(actor, ins, PAGE, c)),
            consents=lambda: pages(lambda c: s.catalogue.consents_of(actor, ins)),
            access_log=lambda: pages(lambda c: s.sharing.access_history(actor, ins, PAGE, c)),
            documents=documents)

    def _member(self, section: str, export: Export, content: SpaceContent) -> Iterator[bytes]:
        if section == "readme":
            return iter([self.renderer.readme(export, content)])
        if section == "identity":
            return self.renderer.json_value(section, content.account)
        if section == "profile":
            return self.renderer.json_value(section, content.profile())
        if section == "fhir":
            return self.renderer.fhir_bundle(content)
        listing: dict[str, Callable[[], Iterator[Any]]] = {
            "vaccinations": content.vaccinations, "measurements": content.measurements,
            "appointments": content.appointments, "conversations": content.conversations,
            "reimbursements": content.reimbursements, "consents": content.consents,
            "access_log": content.access_log, "documents_index": content.documents}
        return self.renderer.json_items(section, listing[section]())

    # -- the archive -----------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        """Every export's file and checkpoint, then their records."""
        erased = sum(self.archives.erase(export.export_id) for export in self.exports.all_for(ins))
        return erased + self.exports.erase(ins)


__all__ = ["EXPORT_VALIDITY", "ExportService", "ExportView", "SpaceContent", "SpaceServices"]
