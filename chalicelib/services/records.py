"""The shared medical record: uploads, listing, reading, masking, hiding, deleting.

Every call starts with the access decision (`AccessService.check`), and every document is shown, changed or named
(``replaces``) only if the same decision says so for that document (`Grant.sees`, `Grant.require`): a document the
caller cannot see answers exactly like one that does not exist. Accesses by someone other than the patient are
logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.authorization_matrix import document_type, normalise_category
from chalicelib.domain.documents import Author, Document, Status, check_declaration
from chalicelib.domain.identity import Actor
from chalicelib.domain.results import Downloadable, Page
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.ports import Clock, Ids, ObjectStore
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.versioned import retrying

if TYPE_CHECKING:
    from chalicelib.models.records import DocumentCreate, DocumentPatch


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
    def all_for(self, ins: str) -> list[Document]: ...
    def erase(self, ins: str) -> int:
        """Every document of the patient (and the inbox markers), nothing else of the space."""
        ...


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
            if patch.masked is not None:
                grant.require(doc.facts(), Action.MASK_DOCUMENT)
                doc.masked = patch.masked
            if patch.hidden_from_patient is not None:
                grant.require(doc.facts(), Action.HIDE_DOCUMENT)
                doc.hidden_from_patient = patch.hidden_from_patient
            if patch.hidden_from_representatives is not None:
                grant.require(doc.facts(), Action.HIDE_FROM_REPRESENTATIVES)
                doc.hidden_from_representatives = patch.hidden_from_representatives
            self.documents.save(doc)
            grant.log("update_document", document_id)
            return doc

        return retrying(step, "the document")

    def delete(self, actor: Actor, ins: str, document_id: str) -> None:
        """Logical deletion by the author or the patient: gone from every list, kept in the archive."""

        def step() -> None:
            grant = self.access.check(actor, Action.DELETE_DOCUMENT, ins)
            doc = self._visible(grant, ins, document_id)
            doc.delete(f"{actor.role}#{actor.id}", self.clock.now())
            self.documents.save(doc)
            grant.log("delete_document", document_id)

        retrying(step, "the document")

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

    def get(self, actor: Actor, ins: str, document_id: str) -> Downloadable[Document]:
        grant = self.access.check(actor, Action.READ_DOCUMENT, ins)
        doc = self._visible(grant, ins, document_id)
        url = self.download_url(doc) if doc.readable else None
        grant.log("read_document", document_id)
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
