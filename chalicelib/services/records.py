"""The shared medical record: uploads, listing, reading, masking, hiding, deleting.

Every call starts with the access decision (`AccessService.check`), and every document is shown only if the
same decision says so for that document (`Grant.sees`). Accesses by someone other than the patient are logged.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.access import Action, Mode
from chalicelib.domain.documents import Author, Document, Status, check_declaration
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.ports import Clock, ConcurrentUpdate
from chalicelib.services.access import AccessService, Grant

MAX_RETRIES = 5


class DocumentRepository(Protocol):
    def add(self, doc: Document) -> None: ...
    def add_once(self, doc: Document, fingerprint: str) -> bool: ...
    def seen(self, ins: str, fingerprint: str) -> str | None:
        """The id of the document an inbox file with this fingerprint already became, if any."""
        ...
    def get(self, ins: str, document_id: str) -> Document | None: ...
    def find(self, document_id: str) -> Document | None: ...
    def save(self, *docs: Document) -> None: ...
    def page(self, ins: str, limit: int, cursor: str | None, accept: Any, category: str | None = None,
             type_code: str | None = None) -> tuple[list[Document], str | None]: ...
    def all_for(self, ins: str) -> list[Document]: ...
    def erase(self, ins: str) -> int: ...


class ObjectStore(Protocol):
    def presign_put(self, bucket: str, key: str, content_type: str, size: int) -> tuple[str, dict[str, str]]: ...
    def presign_get(self, bucket: str, key: str, version_id: str | None, content_type: str, filename: str) -> str: ...
    def erase(self, bucket: str, prefix: str) -> int: ...


def author_of(grant: Grant) -> Author:
    actor = grant.actor
    if actor.role == "patient":
        return Author("patient", actor.ins)
    return Author(actor.role, actor.id, getattr(actor, "profession", None))


def view(doc: Document) -> dict[str, Any]:
    """A document as listed (CONTRACT §5). Never the storage details."""
    from chalicelib.domain.authorization_matrix import categories
    from chalicelib.domain.timeutil import iso

    out: dict[str, Any] = {
        "document_id": doc.document_id, "title": doc.title, "type_code": doc.type_code, "category": doc.category,
        "category_label": categories().get(doc.category, doc.category), "status": doc.status.value,
        "author": doc.author.as_dict(), "created_at": iso(doc.created_at), "masked": doc.masked,
        "hidden_from_patient": doc.hidden_from_patient, "content_type": doc.content_type, "size": doc.size,
        "source": doc.source,
    }
    if doc.superseded_by:
        out["superseded_by"] = doc.superseded_by
    if doc.replaces:
        out["replaces"] = doc.replaces
    if doc.status == Status.REJECTED and doc.rejection:
        out["rejection"] = doc.rejection
    return out


def filename_for(doc: Document) -> str:
    from chalicelib.domain.documents import FORMATS

    extension = FORMATS.get(doc.content_type, ("bin", ("bin",)))[1][0]
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in doc.title).strip() or "document"
    return f"{safe[:80]}.{extension}"


class RecordService:
    def __init__(self, documents: DocumentRepository, store: ObjectStore, access: AccessService, clock: Clock,
                 documents_bucket: str) -> None:
        self.documents = documents
        self.store = store
        self.access = access
        self.clock = clock
        self.bucket = documents_bucket

    # -- writing ------------------------------------------------------------------------------------------------
    def start_upload(self, actor: Any, ins: str, body: Any) -> dict[str, Any]:
        """Declare a document and get a presigned PUT for its bytes; the S3 event then checks and publishes it."""
        from chalicelib.adapters.system import new_id
        from chalicelib.domain.authorization_matrix import document_type

        grant = self.access.check(actor, Action.ADD_DOCUMENT, ins)
        doc_type = document_type(body.type_code)
        if doc_type is None:
            raise InvalidInput(f"The field 'type_code' '{body.type_code}' is not in the published list of document "
                               "types (GET /document-types).", code="unknown_type_code", field="type_code")
        content_type = check_declaration(body.content_type, body.size)
        if body.hidden_from_patient and grant.mode in (Mode.SELF, Mode.REPRESENTATIVE):
            raise InvalidInput("The field 'hidden_from_patient' is for professionals announcing a result; a patient "
                               "cannot hide a document from themselves.", code="not_allowed",
                               field="hidden_from_patient")
        author = author_of(grant)
        if body.replaces:
            old = self._visible(grant, ins, body.replaces)
            if not (old.author.role == author.role and old.author.id == author.id):
                raise Forbidden("Only the author of a document may replace it.", code="not_author")
            if old.status != Status.AVAILABLE:
                raise Conflict("Only an available document can be replaced (this one is "
                               f"{old.status.value}).", code="not_replaceable")
        now = self.clock.now()
        doc = Document(document_id=new_id(now), ins=ins, title=body.title, type_code=doc_type.code,
                       category=doc_type.category, content_type=content_type, size=body.size, author=author,
                       created_at=now, hidden_from_patient=bool(body.hidden_from_patient), replaces=body.replaces)
        self.documents.add(doc)
        url, headers = self.store.presign_put(self.bucket, doc.object_key, content_type, body.size)
        grant.log("add_document", doc.document_id)
        return {"document_id": doc.document_id, "status": doc.status.value, "upload_url": url,
                "upload_headers": headers}

    def update(self, actor: Any, ins: str, document_id: str, masked: bool | None,
               hidden_from_patient: bool | None) -> dict[str, Any]:
        """The patient masks or unmasks; the author hides from the patient or lifts it."""
        if masked is None and hidden_from_patient is None:
            raise InvalidInput("Give 'masked' (patient) or 'hidden_from_patient' (author).", code="missing_field")
        for _ in range(MAX_RETRIES):
            grant = self.access.check(actor, Action.READ_DOCUMENT, ins)
            doc = self._visible(grant, ins, document_id)
            if masked is not None:
                grant.require(doc.facts(), Action.MASK_DOCUMENT)
                doc.masked = masked
            if hidden_from_patient is not None:
                grant.require(doc.facts(), Action.HIDE_DOCUMENT)
                doc.hidden_from_patient = hidden_from_patient
            try:
                self.documents.save(doc)
            except ConcurrentUpdate:
                continue
            grant.log("update_document", document_id)
            return view(doc)
        raise Conflict("The document is being changed by another request; try again.", code="busy")

    def delete(self, actor: Any, ins: str, document_id: str) -> None:
        """Logical deletion by the author or the patient: gone from every list, kept in the archive."""
        for _ in range(MAX_RETRIES):
            grant = self.access.check(actor, Action.READ_DOCUMENT, ins)
            doc = self._visible(grant, ins, document_id)
            grant.require(doc.facts(), Action.DELETE_DOCUMENT)
            doc.delete(f"{actor.role}#{actor.id}", self.clock.now())
            try:
                self.documents.save(doc)
            except ConcurrentUpdate:
                continue
            grant.log("delete_document", document_id)
            return
        raise Conflict("The document is being changed by another request; try again.", code="busy")

    # -- reading ------------------------------------------------------------------------------------------------
    def list(self, actor: Any, ins: str, limit: int, cursor: str | None, category: str | None = None,
             type_code: str | None = None) -> dict[str, Any]:
        from chalicelib.domain.authorization_matrix import normalise_category

        grant = self.access.check(actor, Action.LIST_DOCUMENTS, ins)
        wanted = None
        if category:
            wanted = normalise_category(category)
            if wanted is None:
                raise InvalidInput(f"The parameter 'category' '{category}' is not a known category "
                                   "(GET /document-types lists them).", code="unknown_category", field="category")
        docs, next_cursor = self.documents.page(ins, limit, cursor, lambda d: grant.sees(d.facts()),
                                                category=wanted, type_code=type_code)
        grant.log("list_documents")
        return {"items": [view(d) for d in docs], "next_cursor": next_cursor}

    def get(self, actor: Any, ins: str, document_id: str) -> dict[str, Any]:
        grant = self.access.check(actor, Action.READ_DOCUMENT, ins)
        doc = self._visible(grant, ins, document_id)
        out = view(doc)
        if doc.status in (Status.AVAILABLE, Status.SUPERSEDED):
            out["download_url"] = self.store.presign_get(self.bucket, doc.object_key, doc.object_version,
                                                         doc.content_type, filename_for(doc))
        grant.log("read_document", document_id)
        return out

    def _visible(self, grant: Grant, ins: str, document_id: str) -> Document:
        doc = self.documents.get(ins, document_id)
        if doc is None or not grant.sees(doc.facts()):
            raise NotFound("No such document.", code="not_found")
        return doc

    # -- the archive --------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        """Purge: every version of every document's object, then the patient's whole records partition."""
        erased = sum(self.store.erase(self.bucket, d.object_key) for d in self.documents.all_for(ins))
        return erased + self.documents.erase(ins)
