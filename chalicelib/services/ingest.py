"""S3 "Object Created" events: uploads to the vault, and files laboratories and hospitals drop in the inbox.

Exactly once, whatever the delivery: a replayed, duplicated or out-of-order event never creates a second
document. An upload only moves its document from ``pending`` (a conditional, versioned write); an inbox file
becomes the document whose id is derived from the object's bucket, key and version (a conditional create). A
document submitted through FHIR (ITI-65) is published by its request; the event of its bytes only finishes what is
owed (the patient's notice).

Each accepted document keeps the SHA-1 of its bytes (FHIR ``Attachment.hash``): S3 computes it for an inbox file's
server-side copy; an upload is hashed as the single GET that checks it streams the object (bounded memory).

Nothing dropped is ever lost, and nothing is published on a doubt: a file that cannot be ingested — a key that is
not ``inbox/{finess}/{file name}``, missing or invalid metadata, a flag that is not plainly ``true`` or ``false``,
bad bytes — is moved to quarantine and listed, with its reason, to the establishment that dropped it (the first
segment of the key when it is a FINESS number, empty segments skipped). When no establishment can be read from the
key, the file is kept under ``quarantine/_unknown/`` and an operational log line and metric say so (no personal
data): the operators find it there; no establishment lists it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.access import LIVE, Mode
from chalicelib.domain.audit import Rejection
from chalicelib.domain.authorization_matrix import document_type
from chalicelib.domain.documents import Author, Document, Status, check_file, content_type_from_name, format_of
from chalicelib.domain.identity import Actor, is_finess, is_rpps, nir_problem, normalise_nir
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import UTC
from chalicelib.ports import AccountRepository, Clock, ConcurrentUpdate, ObjectGone, ObjectStore, StoredObject
from chalicelib.services.access import AccessService
from chalicelib.services.notices import Messenger
from chalicelib.services.records import DocumentRepository
from chalicelib.services.versioned import retrying

FOLLOW_UP = "follow_up"  # in Document.extra: the effects still owed after the document was committed
UNKNOWN_OWNER = "_unknown"  # quarantine folder of files whose key names no establishment
FLAG_VALUES = {"true": True, "false": False}


class RetryLater(Exception):
    """The event cannot be handled yet (its document is not visible yet): fail so that it is redelivered."""


class RejectionLog(Protocol):
    def add(self, finess: str, rejection: Rejection) -> bool: ...
    def page(self, finess: str, limit: int, cursor: str | None) -> Page[Rejection]: ...


class AttachmentUploads(Protocol):
    def on_attachment_uploaded(self, key: str, version_id: str | None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Plan:
    """What an inbox file becomes once its key, metadata and bytes pass."""

    ins: str
    type_code: str
    category: str
    title: str
    content_type: str
    author_rpps: str | None
    hidden: bool


def derived_id(bucket: str, key: str, version: str | None, at: dt.datetime) -> str:
    """Time-ordered like other ids, but the same for every delivery of the same object version."""
    digest = hashlib.sha256(f"{bucket}/{key}#{version or ''}".encode()).hexdigest()[:16]
    return f"{int(at.timestamp() * 1000):012x}{digest}"


def inbox_owner(relative_key: str) -> tuple[str | None, str, bool]:
    """(the establishment's FINESS if the key names one, the file name, whether the key is well formed).

    ``{finess}/{name}`` is well formed; an empty segment (``/{finess}/x.pdf``, ``{finess}//x.pdf``) or no file name
    (``{finess}``) is not, but still names its establishment: the first non-empty segment, if it is a FINESS."""
    segments = relative_key.split("/")
    present = [s for s in segments if s]
    owner = present[0] if present and is_finess(present[0]) else None
    name = "/".join(present[1:]) if owner else "/".join(present)
    well_formed = owner is not None and len(segments) >= 2 and all(segments) and segments[0] == owner
    return owner, name, well_formed


def flag(meta: dict[str, str], name: str) -> bool | None:
    """A true/false flag of the metadata: absent is False; anything but a plain true or false is None (doubt)."""
    raw = meta.get(name)
    if raw is None:
        return False
    return FLAG_VALUES.get(raw.strip().lower())


class IngestService:
    def __init__(self, documents: DocumentRepository, store: ObjectStore, accounts: AccountRepository,
                 rejections: RejectionLog, messenger: Messenger, access: AccessService, clock: Clock,
                 documents_bucket: str, inbox_bucket: str, inbox_prefix: str = "inbox/",
                 quarantine_prefix: str = "quarantine/", attachments: Callable[[], AttachmentUploads] | None = None,
                 alert: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.documents = documents
        self.store = store
        self.accounts = accounts
        self.rejections = rejections
        self.messenger = messenger
        self.access = access
        self.clock = clock
        self.documents_bucket = documents_bucket
        self.inbox_bucket = inbox_bucket
        self.inbox_prefix = inbox_prefix
        self.quarantine_prefix = quarantine_prefix
        self.attachments = attachments  # messaging: attachments uploaded through the same presigned path
        self.alert = alert or (lambda message, details: None)

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        detail = event.get("detail") or {}
        bucket = (detail.get("bucket") or {}).get("name", "")
        obj = detail.get("object") or {}
        key, version = obj.get("key", ""), obj.get("version-id")
        if bucket == self.documents_bucket and key.startswith("documents/"):
            return self._uploaded(key, version)
        if bucket == self.documents_bucket and key.startswith("attachments/") and self.attachments is not None:
            return self.attachments().on_attachment_uploaded(key, version)
        if bucket == self.inbox_bucket and key.startswith(self.inbox_prefix):
            return self._dropped(key, version)
        return {"outcome": "ignored"}

    # -- presigned uploads --------------------------------------------------------------------------------------
    def _uploaded(self, key: str, version: str | None) -> dict[str, Any]:
        document_id = key.removeprefix("documents/")

        def step() -> dict[str, Any]:
            doc = self.documents.find(document_id)
            if doc is None:
                if self._gone(key, version):  # a FHIR submission that failed removed the bytes it had written
                    return {"outcome": "gone", "document_id": document_id}
                raise RetryLater(f"document {document_id} not visible yet")
            if doc.status != Status.PENDING:
                self._follow_up(doc)  # a delivery that failed after committing left its notice owed
                # a document submitted through FHIR (ITI-65) was checked and published before its bytes' event came
                return {"outcome": "provided" if doc.source == "fhir" else "duplicate", "document_id": document_id}
            replaced: Document | None = None
            account = self.accounts.get(doc.ins)
            try:
                stored = self.store.read_head(self.documents_bucket, key, version, digest=True)  # head and SHA-1
            except ObjectGone:
                return {"outcome": "gone", "document_id": document_id}
            problem = None if account and account.status.value in LIVE else (
                "no_space", "the patient's space is closed")
            problem = problem or check_file(doc.content_type, stored.size, stored.head, declared_size=doc.size)
            if problem:
                doc.reject(problem[1])
            else:
                doc.make_available(stored.version_id, self.clock.now(), stored.sha1)
                if doc.author.role != "patient":
                    doc.extra[FOLLOW_UP] = ["notice"]
                if doc.replaces:
                    replaced = self.documents.get(doc.ins, doc.replaces)
                    if replaced is None or replaced.status != Status.AVAILABLE or replaced.deleted:
                        replaced = None  # deleted meanwhile: what the patient deleted stays gone
                    else:
                        replaced.supersede(doc.document_id)
            self.documents.save(*(d for d in (doc, replaced) if d is not None))
            self._follow_up(doc)
            return {"outcome": doc.status.value, "document_id": document_id}

        return retrying(step, "the document")

    # -- laboratory and hospital inbox --------------------------------------------------------------------------
    def _dropped(self, key: str, version: str | None) -> dict[str, Any]:
        owner, name, well_formed = inbox_owner(key.removeprefix(self.inbox_prefix))
        try:
            stored = self.store.read_head(self.inbox_bucket, key, version)
        except ObjectGone:
            return {"outcome": "already_handled"}  # moved by an earlier delivery of this event
        key = stored.key
        at = stored.last_modified or self.clock.now()
        at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        meta = {k.lower(): v for k, v in stored.metadata.items()}
        if owner is None:
            reason: tuple[str, str] | None = (
                "invalid_finess", "the folder must be the establishment's FINESS number (9 digits, Luhn key)")
        elif not well_formed:
            reason = ("invalid_key", "the key must be inbox/{finess}/{file name}, with a file name and no empty "
                                     "segment")
        else:
            reason = None
        plan = None
        if reason is None:
            reason, plan = self._inspect(name, stored, meta)
        if reason:
            return self._quarantine(owner, name, key, stored, at, reason)
        assert plan is not None and owner is not None
        document_id = derived_id(self.inbox_bucket, key, stored.version_id, at)
        # the same file dropped again under the same name is the same document, whatever its S3 version
        fingerprint = hashlib.sha256(f"{self.inbox_bucket}/{key}#{stored.etag}".encode()).hexdigest()[:32]
        outcome = "duplicate"
        seen = self.documents.seen(plan.ins, fingerprint)
        if seen:
            earlier = self.documents.get(plan.ins, seen)
            if earlier is not None:
                self._follow_up(earlier)  # an earlier delivery failed after committing: finish its effects
        else:
            # server-side, S3 computing the SHA-1 as it writes the copy: the bytes never pass through the function
            copy_version, sha1 = self.store.copy_with_sha1(self.inbox_bucket, key, stored.version_id,
                                                           self.documents_bucket, f"documents/{document_id}")
            doc = Document(
                document_id=document_id, ins=plan.ins, title=plan.title, type_code=plan.type_code,
                category=plan.category, content_type=plan.content_type, size=stored.size,
                author=Author("establishment", owner, rpps=plan.author_rpps), created_at=at,
                status=Status.AVAILABLE, source="inbox", hidden_from_patient=plan.hidden,
                object_version=copy_version, available_at=self.clock.now(), sha1=sha1,
                extra={"inbox_key": key, FOLLOW_UP: ["log", "notice"]},
            )
            if self.documents.add_once(doc, fingerprint):
                outcome = "available"
                self._follow_up(doc)
        self.store.delete_version(self.inbox_bucket, key, stored.version_id)
        return {"outcome": outcome, "document_id": document_id}

    def _gone(self, key: str, version: str | None) -> bool:
        """Whether the object of an event no longer exists (deleted since: nothing will ever point at it)."""
        try:
            self.store.read_head(self.documents_bucket, key, version)
        except ObjectGone:
            return True
        return False

    def _follow_up(self, doc: Document) -> None:
        """The effects owed once a document is committed: the access-log entry of an inbox file, then the
        patient's ``document_added``. Each stays listed on the document until done, so that a failure or a crash
        in between leaves it to the redelivered event: at least once, never lost."""
        current: Document | None = doc
        while current is not None and current.extra.get(FOLLOW_UP):
            effect = current.extra[FOLLOW_UP][0]
            if effect == "log":
                self.access.record(current.ins, Actor(role="establishment", finess=current.author.id),
                                   "add_document", Mode.NORMAL, current.document_id)
            elif effect == "notice":
                self.messenger.tell(current.ins, "document_added", origin=current.author.role)
            current = retrying(self._crossing_off(current, effect), "the document")

    def _crossing_off(self, doc: Document, effect: str) -> Callable[[], Document | None]:
        """One versioned write that crosses ``effect`` off the document's owed effects (re-read after a loss)."""
        state = {"doc": doc}

        def step() -> Document | None:
            current = state["doc"]
            remaining = [e for e in current.extra.get(FOLLOW_UP, []) if e != effect]
            if remaining:
                current.extra[FOLLOW_UP] = remaining
            else:
                current.extra.pop(FOLLOW_UP, None)
            try:
                self.documents.save(current)
            except ConcurrentUpdate:
                fresh = self.documents.get(current.ins, current.document_id)
                if fresh is None:
                    return None
                state["doc"] = fresh
                raise
            return current

        return step

    def _inspect(self, name: str, stored: StoredObject, meta: dict[str, str]) -> tuple[
            tuple[str, str] | None, Plan | None]:
        """Why the dropped file cannot be ingested, or the plan of its document."""
        raw_ins = meta.get("ins", "")
        if not raw_ins:
            return ("missing_ins", "the metadata 'ins' (the patient's INS) is missing"), None
        if nir_problem(raw_ins):
            return ("invalid_ins", "the metadata 'ins' is not a valid INS"), None
        hidden = flag(meta, "hidden-from-patient")
        if hidden is None:
            return ("invalid_flag", "the metadata 'hidden-from-patient' must be true or false; anything else "
                                    "could publish a result meant to be held back"), None
        ins = normalise_nir(raw_ins)
        account = self.accounts.get(ins)
        if account is None or account.status.value not in LIVE:
            return ("no_space", "the patient has no open space (never created, opposed or closed)"), None
        type_code = meta.get("type-code", "")
        doc_type = document_type(type_code)
        if doc_type is None:
            return ("unknown_type_code", f"the metadata 'type-code' '{type_code[:20]}' is not a published LOINC "
                                         "document type"), None
        author_rpps = meta.get("author-rpps") or None
        if author_rpps and not is_rpps(author_rpps):
            return ("invalid_author_rpps", "the metadata 'author-rpps' is not a valid RPPS number"), None
        content_type = stored.content_type.split(";")[0].strip().lower()
        if format_of(content_type) is None:
            content_type = content_type_from_name(name) or content_type
        problem = check_file(content_type, stored.size, stored.head)
        if problem:
            return problem, None
        title = (meta.get("title") or doc_type.label_fr).strip()[:200]
        return None, Plan(ins, doc_type.code, doc_type.category, title, content_type, author_rpps, hidden)

    def _quarantine(self, owner: str | None, name: str, key: str, stored: StoredObject, at: dt.datetime,
                    reason: tuple[str, str]) -> dict[str, Any]:
        """Keep the file (moved to quarantine, never deleted) and tell the establishment why."""
        rejection_id = derived_id(self.inbox_bucket, key, stored.version_id, at)
        folder = owner or UNKNOWN_OWNER
        target = f"{self.quarantine_prefix}{folder}/{rejection_id}/{name or 'file'}"
        self.store.copy(self.inbox_bucket, key, stored.version_id, self.inbox_bucket, target)
        self.rejections.add(folder, Rejection(
            rejection_id=rejection_id, at=self.clock.now(), received_at=at, key=key, quarantine_key=target,
            reason=reason[0], message=f"This file was not ingested: {reason[1]}. It is kept in quarantine.",
            size=stored.size))
        if owner is None:
            self.alert("inbox file without an establishment kept in quarantine",
                       {"rejection_id": rejection_id, "reason": reason[0]})
        self.store.delete_version(self.inbox_bucket, key, stored.version_id)
        return {"outcome": "quarantined", "reason": reason[0], "rejection_id": rejection_id}
