"""S3 "Object Created" events: uploads to the vault, and files laboratories and hospitals drop in the inbox.

Exactly once, whatever the delivery: a replayed, duplicated or out-of-order event never creates a second
document. An upload only moves its document from ``pending`` (a conditional, versioned write); an inbox file
becomes the document whose id is derived from the object's bucket, key and version (a conditional create).
Nothing dropped is ever lost: a file that cannot be ingested is moved to quarantine and listed, with its
reason, to the establishment that sent it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Protocol

from chalicelib.domain.access import LIVE, Mode
from chalicelib.domain.documents import Author, Document, Status, check_file, content_type_from_name, format_of
from chalicelib.domain.identity import Actor, is_finess, is_rpps, nir_problem, normalise_nir
from chalicelib.domain.timeutil import UTC, iso
from chalicelib.ports import AccountRepository, Clock, ConcurrentUpdate, ObjectGone
from chalicelib.services.records import DocumentRepository

MAX_RETRIES = 5
FOLLOW_UP = "follow_up"  # in Document.extra: the effects still owed after the document was committed

class RetryLater(Exception):
    """The event cannot be handled yet (its document is not visible yet): fail so that it is redelivered."""


class RejectionLog(Protocol):
    def add(self, finess: str, rejection_id: str, entry: dict[str, Any]) -> bool: ...


def derived_id(bucket: str, key: str, version: str | None, at: dt.datetime) -> str:
    """Time-ordered like other ids, but the same for every delivery of the same object version."""
    digest = hashlib.sha256(f"{bucket}/{key}#{version or ''}".encode()).hexdigest()[:16]
    return f"{int(at.timestamp() * 1000):012x}{digest}"


class IngestService:
    def __init__(self, documents: DocumentRepository, store: Any, accounts: AccountRepository,
                 rejections: RejectionLog, messenger: Any, access: Any, clock: Clock, documents_bucket: str,
                 inbox_bucket: str, inbox_prefix: str = "inbox/", quarantine_prefix: str = "quarantine/",
                 attachments: Any = None) -> None:
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

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        detail = event.get("detail") or {}
        bucket = (detail.get("bucket") or {}).get("name", "")
        obj = detail.get("object") or {}
        key, version = obj.get("key", ""), obj.get("version-id")
        if bucket == self.documents_bucket and key.startswith("documents/"):
            return self._uploaded(key, version)
        if bucket == self.documents_bucket and key.startswith("attachments/") and self.attachments is not None:
            return self.attachments.on_attachment_uploaded(key, version)
        if bucket == self.inbox_bucket and key.startswith(self.inbox_prefix):
            return self._dropped(key, version)
        return {"outcome": "ignored"}

    # -- presigned uploads --------------------------------------------------------------------------------------
    def _uploaded(self, key: str, version: str | None) -> dict[str, Any]:
        document_id = key.removeprefix("documents/")
        for _ in range(MAX_RETRIES):
            doc = self.documents.find(document_id)
            if doc is None:
                raise RetryLater(f"document {document_id} not visible yet")
            if doc.status != Status.PENDING:
                self._follow_up(doc)  # a delivery that failed after committing left its notice owed
                return {"outcome": "duplicate", "document_id": document_id}
            replaced: Document | None = None
            account = self.accounts.get(doc.ins)
            try:
                stored = self.store.read_head(self.documents_bucket, key, version)
            except ObjectGone:
                return {"outcome": "gone", "document_id": document_id}
            problem = None if account and account.status.value in LIVE else (
                "no_space", "the patient's space is closed")
            problem = problem or check_file(doc.content_type, stored.size, stored.head, declared_size=doc.size)
            if problem:
                doc.reject(problem[1])
            else:
                doc.make_available(stored.version_id, self.clock.now())
                if doc.author.role != "patient":
                    doc.extra[FOLLOW_UP] = ["notice"]
                if doc.replaces:
                    replaced = self.documents.get(doc.ins, doc.replaces)
                    if replaced is not None and replaced.status == Status.AVAILABLE:
                        replaced.supersede(doc.document_id)
                    else:
                        replaced = None
            try:
                self.documents.save(*(d for d in (doc, replaced) if d is not None))
            except ConcurrentUpdate:
                continue
            self._follow_up(doc)
            return {"outcome": doc.status.value, "document_id": document_id}
        raise RetryLater(f"document {document_id} kept changing")

    # -- laboratory and hospital inbox --------------------------------------------------------------------------
    def _dropped(self, key: str, version: str | None) -> dict[str, Any]:
        parts = key.removeprefix(self.inbox_prefix).split("/", 1)
        finess, name = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        try:
            stored = self.store.read_head(self.inbox_bucket, key, version)
        except ObjectGone:
            return {"outcome": "already_handled"}  # moved by an earlier delivery of this event
        key = stored.key
        at = stored.last_modified or self.clock.now()
        at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        meta = {k.lower(): v for k, v in stored.metadata.items()}
        reason, plan = self._inspect(finess, name, stored, meta)
        if reason:
            return self._quarantine(finess, name, key, stored, at, reason)
        assert plan is not None
        document_id = derived_id(self.inbox_bucket, key, stored.version_id, at)
        ins = plan["ins"]
        # the same file dropped again under the same name is the same document, whatever its S3 version
        fingerprint = hashlib.sha256(f"{self.inbox_bucket}/{key}#{stored.etag}".encode()).hexdigest()[:32]
        outcome = "duplicate"
        seen = self.documents.seen(ins, fingerprint)
        if seen:
            earlier = self.documents.get(ins, seen)
            if earlier is not None:
                self._follow_up(earlier)  # an earlier delivery failed after committing: finish its effects
        else:
            copy_version = self.store.copy(self.inbox_bucket, key, stored.version_id, self.documents_bucket,
                                           f"documents/{document_id}")
            doc = Document(
                document_id=document_id, ins=ins, title=plan["title"], type_code=plan["type_code"],
                category=plan["category"], content_type=plan["content_type"], size=stored.size,
                author=Author("establishment", finess, rpps=plan.get("author_rpps")), created_at=at,
                status=Status.AVAILABLE, source="inbox", hidden_from_patient=plan["hidden"],
                object_version=copy_version, available_at=self.clock.now(),
                extra={"inbox_key": key, FOLLOW_UP: ["log", "notice"]},
            )
            if self.documents.add_once(doc, fingerprint):
                outcome = "available"
                self._follow_up(doc)
        self.store.delete_version(self.inbox_bucket, key, stored.version_id)
        return {"outcome": outcome, "document_id": document_id}

    def _follow_up(self, doc: Document) -> None:
        """The effects owed once a document is committed: the access-log entry of an inbox file, then the
        patient's ``document_added``. Each stays listed on the document until done, so that a failure or a crash
        in between leaves it to the redelivered event: at least once, never lost."""
        while doc.extra.get(FOLLOW_UP):
            effect = doc.extra[FOLLOW_UP][0]
            if effect == "log":
                self.access.record(doc.ins, Actor(role="establishment", finess=doc.author.id), "add_document",
                                   Mode.NORMAL, doc.document_id)
            elif effect == "notice":
                self.messenger.tell(doc.ins, "document_added")
            for _ in range(MAX_RETRIES):
                remaining = [e for e in doc.extra.get(FOLLOW_UP, []) if e != effect]
                if remaining:
                    doc.extra[FOLLOW_UP] = remaining
                else:
                    doc.extra.pop(FOLLOW_UP, None)
                try:
                    self.documents.save(doc)
                    break
                except ConcurrentUpdate:
                    fresh = self.documents.get(doc.ins, doc.document_id)
                    if fresh is None:
                        return
                    doc = fresh
            else:
                raise RetryLater(f"document {doc.document_id} kept changing")

    def _inspect(self, finess: str, name: str, stored: Any, meta: dict[str, str]) -> tuple[
            tuple[str, str] | None, dict[str, Any] | None]:
        """Why the dropped file cannot be ingested, or the plan of its document."""
        from chalicelib.domain.authorization_matrix import document_type

        if not is_finess(finess):
            return ("invalid_finess", "the folder must be the establishment's FINESS number (9 digits, Luhn key)"), None
        raw_ins = meta.get("ins", "")
        if not raw_ins:
            return ("missing_ins", "the metadata 'ins' (the patient's INS) is missing"), None
        if nir_problem(raw_ins):
            return ("invalid_ins", "the metadata 'ins' is not a valid INS"), None
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
        hidden = meta.get("hidden-from-patient", "").strip().lower() == "true"
        return None, {"ins": ins, "type_code": doc_type.code, "category": doc_type.category, "title": title,
                      "content_type": content_type, "author_rpps": author_rpps, "hidden": hidden}

    def _quarantine(self, finess: str, name: str, key: str, stored: Any, at: dt.datetime,
                    reason: tuple[str, str]) -> dict[str, Any]:
        """Keep the file (moved to quarantine, never deleted) and tell the establishment why."""
        rejection_id = derived_id(self.inbox_bucket, key, stored.version_id, at)
        owner = finess if is_finess(finess) else "_unknown"
        target = f"{self.quarantine_prefix}{owner}/{rejection_id}/{name}"
        self.store.copy(self.inbox_bucket, key, stored.version_id, self.inbox_bucket, target)
        self.rejections.add(owner, rejection_id, {
            "at": iso(self.clock.now()), "received_at": iso(at), "key": key, "quarantine_key": target,
            "reason": reason[0], "message": f"This file was not ingested: {reason[1]}. It is kept in quarantine.",
            "size": stored.size,
        })
        self.store.delete_version(self.inbox_bucket, key, stored.version_id)
        return {"outcome": "quarantined", "reason": reason[0], "rejection_id": rejection_id}
