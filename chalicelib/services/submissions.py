"""Documents submitted whole, bytes included (FHIR ITI-65 Provide Document Bundle), all or nothing; and the staged
uploads of documents too large to travel inside a request (``POST /fhir/Binary/$upload``).

The same rules as CONTRACT §5's uploads, decided by the same access decision: a caller who may add documents to
the space (``ADD_DOCUMENT``), a visibility flag only for whom may set it (``HIDE_DOCUMENT``), a replacement only of
a document the caller may replace (``REPLACE_DOCUMENT``, available), the published types, formats, 5,000,000
bytes and magic bytes (:mod:`chalicelib.domain.documents`). The same effects: an ``add_document`` entry in the
access log for each document, the patient's ``document_added`` for each document someone else added.

All or nothing, bytes included: every document's bytes are written first, under keys no document points at yet
(``documents/{new id}``: an inline document with S3 checking its SHA-1, a staged one copied inside S3 with S3
computing its SHA-1, compared with the one declared); then every document, and every document it supersedes, in
one DynamoDB transaction. Anything that fails before the transaction commits removes the bytes already written
(their S3 events then find nothing: :class:`chalicelib.services.ingest.IngestService`), and nothing is added.
The documents are published (available) by the transaction itself: their bytes were checked before it. The
patient's notice is owed on each document (``follow_up``) and sent by the S3 event of its bytes, at least once,
never lost — as for any upload.

A staged upload is a presigned PUT under ``staging/{ins}/{uploader}/{id}`` (S3 checks the declared length, type and
SHA-1), named in the Bundle as ``Binary/{id}``: only its uploader can use it, for that patient only, and the
bucket's lifecycle expires what was never submitted after a day.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.authorization_matrix import document_type
from chalicelib.domain.documents import SNIFF_BYTES, Document, Status, check_declaration, check_file
from chalicelib.domain.identity import Actor
from chalicelib.errors import Conflict, DomainError, InvalidInput, NotFound
from chalicelib.observability import logger
from chalicelib.ports import Clock, Ids, ObjectGone, ObjectStore
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.ingest import FOLLOW_UP
from chalicelib.services.records import DocumentRepository, author_of
from chalicelib.services.versioned import retrying

STAGING = "staging/"
STAGED_DAYS = 1  # the bucket's lifecycle expires a staged upload nobody submitted (resources.DOCUMENTS_BUCKET)


class NewContent(Protocol):
    """One document to add with its bytes: inline ``content``, or the id of a ``staged`` upload (FHIR's
    :class:`chalicelib.fhir.provide.NewDocument` is one)."""

    @property
    def title(self) -> str: ...
    @property
    def type_code(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha1(self) -> str: ...
    @property
    def content(self) -> bytes | None: ...
    @property
    def staged(self) -> str | None: ...
    @property
    def replaces(self) -> str | None: ...
    @property
    def hidden_from_patient(self) -> bool: ...


class UploadDeclaration(Protocol):
    """What a staged upload will carry (FHIR's :class:`chalicelib.fhir.payload.UploadRequest` is one)."""

    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha1(self) -> str: ...


@dataclass(frozen=True)
class Provided:
    """A submission accepted: its id (the SubmissionSet's), and its documents in the order they were given."""

    submission_id: str
    documents: list[Document]


@dataclass(frozen=True)
class StagedUpload:
    binary_id: str
    upload_url: str
    upload_headers: dict[str, str]
    expires_at: dt.datetime


def item_error(index: int, error: DomainError, element: str) -> DomainError:
    """``error`` about the ``index``-th document submitted (``element``: content, hash, size, replaces...), for the
    caller to say where it is in what they sent."""
    error.details.update(item=index, element=element)
    return error


class SubmissionService:
    def __init__(self, documents: DocumentRepository, store: ObjectStore, access: AccessService, clock: Clock,
                 ids: Ids, documents_bucket: str, presign_seconds: int) -> None:
        self.documents = documents
        self.store = store
        self.access = access
        self.clock = clock
        self.ids = ids
        self.bucket = documents_bucket
        self.presign_seconds = presign_seconds

    # -- staged uploads -----------------------------------------------------------------------------------------
    def stage(self, actor: Actor, ins: str, upload: UploadDeclaration) -> StagedUpload:
        """A presigned PUT for a document to submit afterwards, decided as adding a document to this space is."""
        self.access.check(actor, Action.ADD_DOCUMENT, ins)
        content_type = check_declaration(upload.content_type, upload.size)
        now = self.clock.now()
        binary_id = self.ids.new(now)
        url, headers = self.store.presign_put(self.bucket, staging_key(ins, actor, binary_id), content_type,
                                              upload.size, upload.sha1)
        return StagedUpload(binary_id, url, headers, now + dt.timedelta(seconds=self.presign_seconds))

    # -- submissions ----------------------------------------------------------------------------------------------
    def provide(self, actor: Actor, ins: str, items: Sequence[NewContent]) -> Provided:
        """Add every document of ``items`` to the space, bytes included, or none of them."""
        grant = self.access.check(actor, Action.ADD_DOCUMENT, ins)
        if any(item.hidden_from_patient for item in items):
            grant.require(action=Action.HIDE_DOCUMENT)  # a visibility flag: authors who announce results, only
        replaced = [item.replaces for item in items if item.replaces]
        for index, item in enumerate(items):
            if item.replaces and replaced.count(item.replaces) > 1:
                raise item_error(index, InvalidInput("Two documents of this submission replace the same document.",
                                                     code="replaced_twice"), "replaces")
        self._replaced(grant, ins, items)  # before any byte is written: a refusal costs nothing
        now = self.clock.now()
        docs = [self._document(actor, ins, index, item, now) for index, item in enumerate(items)]
        written: list[tuple[str, str | None]] = []
        try:
            for index, (doc, item) in enumerate(zip(docs, items, strict=True)):
                doc.object_version = self._write(actor, ins, index, doc, item)
                written.append((doc.object_key, doc.object_version))

            def commit() -> None:
                olds = self._replaced(grant, ins, items)
                for old, index in olds:
                    old.supersede(docs[index].document_id)
                self.documents.add_all(docs, [old for old, _ in olds])

            retrying(commit, "the documents replaced")
        except BaseException:
            for key, version in written:  # nothing points at them: they go, and their S3 events find nothing
                self._forget(key, version)
            raise
        for doc in docs:
            grant.log("add_document", doc.document_id)
        for item in items:
            if item.staged:  # copied into the vault: the staged bytes are not kept twice
                self._forget(staging_key(ins, actor, item.staged), None)
        return Provided(self.ids.new(now), docs)

    def _document(self, actor: Actor, ins: str, index: int, item: NewContent, now: dt.datetime) -> Document:
        kind = document_type(item.type_code)
        if kind is None:
            raise item_error(index, InvalidInput(f"The document type '{item.type_code}' is not in the published "
                                                 "list (GET /document-types).", code="unknown_type_code"), "type")
        try:
            content_type = check_declaration(item.content_type, item.size)
        except InvalidInput as error:
            raise item_error(index, error, "content_type") from error
        return Document(document_id=self.ids.new(now), ins=ins, title=item.title, type_code=kind.code,
                        category=kind.category, content_type=content_type, size=item.size, author=author_of(actor),
                        created_at=now, status=Status.AVAILABLE, source="fhir",
                        hidden_from_patient=item.hidden_from_patient, replaces=item.replaces, available_at=now,
                        sha1=item.sha1, extra={FOLLOW_UP: ["notice"]} if actor.role != "patient" else {})

    def _replaced(self, grant: Grant, ins: str, items: Sequence[NewContent]) -> list[tuple[Document, int]]:
        """The documents the submission replaces, as stored now (with the index of the item replacing each): each
        one the caller may replace, available."""
        out = []
        for index, item in enumerate(items):
            if not item.replaces:
                continue
            old = self.documents.get(ins, item.replaces)
            try:
                if old is None:
                    raise NotFound("No such document.", code="not_found")
                grant.require(old.facts(), Action.REPLACE_DOCUMENT)
                if old.status != Status.AVAILABLE:
                    raise Conflict(f"Only an available document can be replaced (this one is {old.status.value}).",
                                   code="not_replaceable")
            except DomainError as error:
                raise item_error(index, error, "replaces") from error
            out.append((old, index))
        return out

    def _write(self, actor: Actor, ins: str, index: int, doc: Document, item: NewContent) -> str | None:
        """The document's bytes at its key, checked (format, size, magic bytes, SHA-1); their version id."""
        if item.content is not None:
            problem = check_file(doc.content_type, len(item.content), item.content[:SNIFF_BYTES], item.size)
            if problem:
                raise item_error(index, InvalidInput(f"The document's bytes cannot be accepted: {problem[1]}.",
                                                     code=problem[0]), "content")
            if sha1_of(item.content) != item.sha1:
                raise item_error(index, InvalidInput("The declared SHA-1 is not that of the document's bytes.",
                                                     code="hash_mismatch"), "hash")
            return self.store.put(self.bucket, doc.object_key, item.content, doc.content_type, item.sha1)
        assert item.staged is not None
        key = staging_key(ins, actor, item.staged)
        try:
            staged = self.store.read_head(self.bucket, key, None)
        except ObjectGone as error:
            raise item_error(index, InvalidInput(
                f"Binary/{item.staged} is not an upload you made for this patient, or its bytes were never sent, or "
                f"it expired ({STAGED_DAYS} day): ask POST /fhir/Binary/$upload for a new one.",
                code="unknown_upload"), "content") from error
        problem = check_file(doc.content_type, staged.size, staged.head, item.size)
        if problem is None and staged.content_type.split(";")[0].strip().lower() != doc.content_type:
            problem = ("content_type_mismatch", f"the upload was sent as '{staged.content_type}'")
        if problem:
            raise item_error(index, InvalidInput(f"The uploaded bytes cannot be accepted: {problem[1]}.",
                                                 code=problem[0]), "content")
        version, sha1 = self.store.copy_with_sha1(self.bucket, key, None, self.bucket, doc.object_key)
        if sha1 != item.sha1:  # S3 computed it on the copy: the bytes never left S3
            self._forget(doc.object_key, version)
            raise item_error(index, InvalidInput("The declared SHA-1 is not that of the uploaded bytes.",
                                                 code="hash_mismatch"), "hash")
        return version

    def _forget(self, key: str, version: str | None) -> None:
        """Remove bytes no document points at; a failure is told to the operators (the object's last segment, an
        id: never the INS of a staging key) and left to them (a staged upload also expires by lifecycle)."""
        try:
            self.store.delete_version(self.bucket, key, version)
        except Exception:
            logger().exception("bytes no document points at could not be removed",
                               extra={"object": key.rsplit("/", 1)[-1], "prefix": key.split("/", 1)[0]})

    # -- the archive --------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        """Purge: the patient's staged uploads not yet submitted (the documents are the record service's)."""
        return self.store.erase(self.bucket, f"{STAGING}{ins}/")


def staging_key(ins: str, actor: Actor, binary_id: str) -> str:
    """Where a staged upload waits: under its patient (the purge finds it) and its uploader (nobody else uses it)."""
    uploader = hashlib.sha256(f"{actor.role}#{actor.id}".encode()).hexdigest()[:16]
    return f"{STAGING}{ins}/{uploader}/{binary_id}"


def sha1_of(content: bytes) -> str:
    return base64.b64encode(hashlib.sha1(content, usedforsecurity=False).digest()).decode("ascii")
