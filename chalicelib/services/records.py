"""The shared medical record: uploads, listing, reading, masking, hiding, deleting.

Every call starts with the access decision (`AccessService.check`), and every document is shown, changed or named
(``replaces``) only if the same decision says so for that document (`Grant.sees`, `Grant.require`): a document the
caller cannot see answers exactly like one that does not exist. Accesses by someone other than the patient are
logged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.authorization_matrix import document_type, normalise_category
from chalicelib.domain.documents import Author, Document, Status, check_declaration
from chalicelib.domain.identity import Actor
from chalicelib.domain.results import Downloadable, Page
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.ports import Clock, Ids, ObjectStore
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.versioned import retrying

if TYPE_CHECKING:
    from chalicelib.models.records import DocumentCreate, DocumentPatch


FOREIGN_SPACE = ("forbidden", "wrong_patient")  # refusal codes that mean "a space you do not act for"


class DocumentRepository(Protocol):
    def add(self, doc: Document) -> None: ...
    def add_once(self, doc: Document, fingerprint: str) -> bool: ...
    def seen(self, ins: str, fingerprint: str) -> str | None:
        """The id of the document an inbox file with this fingerprint already became, if any."""
        ...
    def get(self, ins: str, document_id: str) -> Document | None: ...
    def find(self, document_id: str) -> Document | None: ...
    def save(self, *docs: Document) -> None: ...
    def page(self, ins: str, limit: int, cursor: str | None, accept: Callable[[Document], bool],
             category: str | None = None, type_code: str | None = None) -> Page[Document]: ...
    def add_all(self, docs: Sequence[Document], superseded: Sequence[Document] = ()) -> None:
        """Create ``docs`` and save ``superseded`` (versioned) in one transaction; ConcurrentUpdate otherwise."""
        ...
    def count(self, ins: str, accept: Callable[[Document], bool]) -> int:
        """How many undeleted documents pass ``accept``, which sees what the decision and the search filters read
        (facts, type, category, status, flags, dates), never the title, format or size."""
        ...
    def all_for(self, ins: str) -> list[Document]: ...
    def erase(self, ins: str) -> int:
        """Every document of the patient (and the inbox markers), nothing else of the space."""
        ...


class DocumentChange(Protocol):
    """A change of a document's visibility or life, however it was asked (FHIR's JSON Patch): None keeps a flag."""

    @property
    def masked(self) -> bool | None: ...
    @property
    def hidden_from_patient(self) -> bool | None: ...
    @property
    def delete(self) -> bool: ...


@dataclass(frozen=True)
class DocumentSearch:
    """A page of the documents the caller may see that match a search, and how many match in all (None when not
    asked for and not known for free)."""

    items: list[Document]
    next_cursor: str | None
    total: int | None


@dataclass(frozen=True)
class UploadTicket:
    document_id: str
    status: str
    upload_url: str
    upload_headers: dict[str, str]


def author_of(actor: Actor) -> Author:
    return Author(actor.role, actor.id, actor.profession)


class RecordService:
    def __init__(self, documents: DocumentRepository, store: ObjectStore, access: AccessService, clock: Clock,
                 ids: Ids, documents_bucket: str) -> None:
        self.documents = documents
        self.store = store
        self.access = access
        self.clock = clock
        self.ids = ids
        self.bucket = documents_bucket

    # -- writing ------------------------------------------------------------------------------------------------
    def start_upload(self, actor: Actor, ins: str, body: DocumentCreate) -> UploadTicket:
        """Declare a document and get a presigned PUT for its bytes; the S3 event then checks and publishes it."""
        grant = self.access.check(actor, Action.ADD_DOCUMENT, ins)
        if body.hidden_from_patient:
            grant.require(action=Action.HIDE_DOCUMENT)  # a visibility flag: authors who announce results, only
        if body.hidden_from_representatives:
            grant.require(action=Action.HIDE_FROM_REPRESENTATIVES)  # a minor's secret: its author, never an app
        doc_type = document_type(body.type_code)
        if doc_type is None:
            raise InvalidInput(f"The field 'type_code' '{body.type_code}' is not in the published list of document "
                               "types (GET /document-types).", code="unknown_type_code", field="type_code")
        content_type = check_declaration(body.content_type, body.size)
        if body.replaces:
            old = self._visible(grant, ins, body.replaces, Action.REPLACE_DOCUMENT)
            if old.status != Status.AVAILABLE:
                raise Conflict("Only an available document can be replaced (this one is "
                               f"{old.status.value}).", code="not_replaceable")
        now = self.clock.now()
        doc = Document(document_id=self.ids.new(now), ins=ins, title=body.title, type_code=doc_type.code,
                       category=doc_type.category, content_type=content_type, size=body.size,
                       author=author_of(actor), created_at=now, hidden_from_patient=bool(body.hidden_from_patient),
                       hidden_from_representatives=bool(body.hidden_from_representatives), replaces=body.replaces)
        self.documents.add(doc)
        url, headers = self.store.presign_put(self.bucket, doc.object_key, content_type, body.size)
        grant.log("add_document", doc.document_id)
        return UploadTicket(doc.document_id, doc.status.value, url, headers)

    def update(self, actor: Actor, ins: str, document_id: str, patch: DocumentPatch) -> Document:
        """The patient masks or unmasks; the author hides from the patient, or from the legal representatives and
        carers (a minor's secret), or lifts it."""
        if patch.masked is None and patch.hidden_from_patient is None and patch.hidden_from_representatives is None:
            raise InvalidInput("Give 'masked' (patient), 'hidden_from_patient' or 'hidden_from_representatives' "
                               "(author).", code="missing_field")

        def step() -> Document:
            grant = self.access.check(actor, Action.UPDATE_DOCUMENT, ins)
            doc = self._visible(grant, ins, document_id)
            self._flag(grant, doc, patch.masked, patch.hidden_from_patient, patch.hidden_from_representatives)
            return doc

        return retrying(step, "the document")

    def _flag(self, grant: Grant, doc: Document, masked: bool | None, hidden: bool | None,
              hidden_from_representatives: bool | None = None) -> None:
        """Mask or unmask (the patient), hide or show (the author: from the patient, or from the legal
        representatives and carers), each decided on its own, then save and log."""
        if masked is not None:
            grant.require(doc.facts(), Action.MASK_DOCUMENT)
            doc.masked = masked
        if hidden is not None:
            grant.require(doc.facts(), Action.HIDE_DOCUMENT)
            doc.hidden_from_patient = hidden
        if hidden_from_representatives is not None:
            grant.require(doc.facts(), Action.HIDE_FROM_REPRESENTATIVES)
            doc.hidden_from_representatives = hidden_from_representatives
        self.documents.save(doc)
        grant.log("update_document", doc.document_id)

    def amend(self, actor: Actor, document_id: str, change: Callable[[Document], DocumentChange]) -> Document:
        """A document known by its id alone (FHIR's ``PATCH DocumentReference/{id}``): ``change`` reads the document
        the caller may change into what is asked — masking, hiding, deletion — each then decided and done exactly
        as :meth:`update` and :meth:`delete` do it. ``change`` sees the document only once the decision let the
        caller change it: one it cannot see is absent (404), whatever the patch would test."""
        located = self.documents.find(document_id)
        if located is None:
            raise NotFound("No such document.", code="not_found")
        ins = located.ins

        def step() -> Document:
            grant = self._check_by_id(actor, Action.UPDATE_DOCUMENT, ins)
            doc = self._visible(grant, ins, document_id)
            wanted = change(doc)
            if wanted.delete:
                grant.require(doc.facts(), Action.DELETE_DOCUMENT)
                self._delete(grant, doc)
            elif wanted.masked is not None or wanted.hidden_from_patient is not None:
                self._flag(grant, doc, wanted.masked, wanted.hidden_from_patient)
            return doc

        return retrying(step, "the document")

    def delete(self, actor: Actor, ins: str, document_id: str) -> None:
        """Logical deletion by the author or the patient: gone from every list, kept in the archive."""

        def step() -> None:
            grant = self.access.check(actor, Action.DELETE_DOCUMENT, ins)
            self._delete(grant, self._visible(grant, ins, document_id))

        retrying(step, "the document")

    def _delete(self, grant: Grant, doc: Document) -> None:
        doc.delete(f"{grant.actor.role}#{grant.actor.id}", self.clock.now())
        self.documents.save(doc)
        grant.log("delete_document", doc.document_id)

    # -- reading ------------------------------------------------------------------------------------------------
    def listing(self, actor: Actor, ins: str, limit: int, cursor: str | None, category: str | None = None,
             type_code: str | None = None) -> Page[Document]:
        grant = self.access.check(actor, Action.LIST_DOCUMENTS, ins)
        wanted = None
        if category:
            wanted = normalise_category(category)
            if wanted is None:
                raise InvalidInput(f"The parameter 'category' '{category}' is not a known category "
                                   "(GET /document-types lists them).", code="unknown_category", field="category")
        page = self.documents.page(ins, limit, cursor, lambda d: grant.sees(d.facts()), category=wanted,
                                   type_code=type_code)
        grant.log("list_documents")
        return page

    def search(self, actor: Actor, ins: str, limit: int, cursor: str | None, matches: Callable[[Document], bool],
               total: bool = True, before: int = 0) -> DocumentSearch:
        """The listing with the filters of a search (FHIR ITI-67: status, types, categories, dates, labels):
        exactly the documents :meth:`listing` shows, decided one by one as it decides them, with the same entry in
        the access log and the same AWS calls. ``total``: how many match in all, by a count pass over the patient's
        documents (:meth:`DocumentRepository.count`) when it is not known for free — on the last page it is the
        ``before`` matches of the pages before plus this page's."""
        grant = self.access.check(actor, Action.LIST_DOCUMENTS, ins)

        def accept(doc: Document) -> bool:
            return matches(doc) and grant.sees(doc.facts())

        page = self.documents.page(ins, limit, cursor, accept)
        if page.next_cursor is None:
            count: int | None = before + len(page.items)
        else:
            count = self.documents.count(ins, accept) if total else None
        grant.log("list_documents")
        return DocumentSearch(page.items, page.next_cursor, count)

    def get(self, actor: Actor, ins: str, document_id: str) -> Downloadable[Document]:
        grant = self.access.check(actor, Action.READ_DOCUMENT, ins)
        return self._read(grant, self._visible(grant, ins, document_id))

    def get_by_id(self, actor: Actor, document_id: str) -> Downloadable[Document]:
        """:meth:`get` for a document known by its id alone (FHIR ``DocumentReference/{id}``, ``Binary/{id}``): the
        same decision, the same access-log entry; an id the caller may not see is absent, like an unknown one."""
        doc = self.documents.find(document_id)
        if doc is None:
            raise NotFound("No such document.", code="not_found")
        grant = self._check_by_id(actor, Action.READ_DOCUMENT, doc.ins)
        grant.require(doc.facts())
        return self._read(grant, doc)

    def _check_by_id(self, actor: Actor, action: Action, ins: str) -> Grant:
        """The decision on the space of a document the caller named by its id alone: a space the caller does not
        act for at all (someone else's, another patient's app) answers as an unknown id would, so that an id tells
        nobody it exists; the other refusals are REST's (not authorised, blocked, consent required)."""
        try:
            return self.access.check(actor, action, ins)
        except Forbidden as error:
            if error.code in FOREIGN_SPACE:
                raise NotFound("No such document.", code="not_found") from error
            raise

    def _read(self, grant: Grant, doc: Document) -> Downloadable[Document]:
        url = self.download_url(doc) if doc.readable else None
        grant.log("read_document", doc.document_id)
        return Downloadable(doc, url)

    def download_url(self, doc: Document) -> str:
        return self.store.presign_get(self.bucket, doc.object_key, doc.object_version, doc.content_type,
                                      doc.filename)

    def _visible(self, grant: Grant, ins: str, document_id: str, action: Action | None = None) -> Document:
        """The document ``document_id`` if the decision lets the caller do ``action`` on it (default: the granted
        one): one it cannot see is absent (404), one it sees but may not change is 403 (``not_author``)."""
        doc = self.documents.get(ins, document_id)
        if doc is None:
            raise NotFound("No such document.", code="not_found")
        grant.require(doc.facts(), action)
        return doc

    # -- the archive --------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        """Purge: every version of every document's object, then the documents themselves."""
        erased = sum(self.store.erase(self.bucket, d.object_key) for d in self.documents.all_for(ins))
        return erased + self.documents.erase(ins)
