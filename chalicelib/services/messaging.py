"""Secure messaging (MSSanté) between professionals or establishments and patients (CONTRACT §6).

Rules:

* only professionals and establishments start a conversation, with a patient whose space is open or active, unless
  the patient blocked that professional (the decision's ``START_CONVERSATION``); it grants no access to the record;
* the two participants alone (the starter and the patient) see a conversation: to anyone else it does not exist;
* both write while the conversation is open (the patient only replies: they cannot start one); the starter closes
  and may reopen it. A message is written only if the conversation is still open at that instant (a conditional
  transaction), so a reply racing a closure never lands after it;
* attachments are documents of the patient's record the SENDER may see (the one decision, ``Grant.sees``), or new
  files uploaded through a presigned PUT and checked by their S3 event exactly like record uploads. Reading a record
  document through a conversation asks the decision again, for the READER;
* the patient files a received attachment into their record (a server-side copy, a new document of theirs);
* ``new_message`` tells the patient that something arrived, never what: no subject, body or file name, anywhere in a
  notice or a log line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.documents import Author, Document, Status, check_declaration, check_file
from chalicelib.domain.messaging import (
    ATTACHMENT_KEY,
    AVAILABLE,
    CLOSED,
    ID,
    OPEN,
    PARTICIPANT_ROLES,
    PENDING,
    REJECTED,
    Attachment,
    Conversation,
    Message,
    Party,
)
from chalicelib.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from chalicelib.ports import Clock, ConcurrentUpdate, ObjectGone
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.records import DocumentRepository

MAX_RETRIES = 5


class ConversationRepository(Protocol):
    def start(self, conversation: Conversation, message: Message, attachments: list[Attachment]) -> None: ...
    def get(self, conversation_id: str) -> Conversation | None: ...
    def post(self, conversation: Conversation, message: Message, attachments: list[Attachment]) -> None:
        """Write the message only if the conversation is open (ConcurrentUpdate otherwise)."""
        ...
    def set_status(self, conversation: Conversation, status: str, now: dt.datetime) -> None:
        """Change the status only if it is still ``conversation.status`` (ConcurrentUpdate otherwise)."""
        ...
    def messages(self, conversation_id: str, limit: int, cursor: str | None) -> tuple[list[Message], str | None]: ...
    def attachment(self, conversation_id: str, attachment_id: str) -> Attachment | None: ...
    def attachments(self, conversation_id: str, attachment_ids: list[str]) -> dict[str, Attachment]: ...
    def settle(self, attachment: Attachment) -> bool:
        """Write an upload's outcome only if it is still pending; False for a replay."""
        ...
    def claim_filing(self, attachment: Attachment, document_id: str, now: dt.datetime) -> bool: ...
    def release_filing(self, attachment: Attachment, document_id: str) -> None: ...
    def page_for(self, party: Party, limit: int, cursor: str | None) -> tuple[list[Conversation], str | None]: ...
    def all_for(self, party: Party) -> list[Conversation]: ...
    def erase(self, conversation: Conversation) -> int:
        """The conversation's partition and every participant's entry for it."""
        ...


class ObjectStore(Protocol):
    def presign_put(self, bucket: str, key: str, content_type: str, size: int) -> tuple[str, dict[str, str]]: ...
    def presign_get(self, bucket: str, key: str, version_id: str | None, content_type: str, filename: str) -> str: ...
    def read_head(self, bucket: str, key: str, version_id: str | None, length: int = 4096) -> Any: ...
    def copy(self, source_bucket: str, source_key: str, version_id: str | None, bucket: str,
             key: str) -> str | None: ...
    def erase(self, bucket: str, prefix: str) -> int: ...


# -- views ----------------------------------------------------------------------------------------------------------
def _iso(value: dt.datetime | None) -> str | None:
    from chalicelib.domain.timeutil import iso

    return iso(value) if value else None


def summary(conversation: Conversation) -> dict[str, Any]:
    return {"conversation_id": conversation.conversation_id, "subject": conversation.subject,
            "status": conversation.status, "patient_ins": conversation.patient_ins,
            "starter": conversation.starter.as_dict(), "created_at": _iso(conversation.created_at),
            "last_message_at": _iso(conversation.last_message_at)}


def filename(title: str, content_type: str) -> str:
    from chalicelib.domain.documents import FORMATS

    extension = FORMATS.get(content_type, ("bin", ("bin",)))[1][0]
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in title).strip() or "piece-jointe"
    return f"{safe[:80]}.{extension}"


def _no_conversation() -> NotFound:
    return NotFound("No such conversation.", code="not_found")


def _no_attachment() -> NotFound:
    return NotFound("No such attachment.", code="not_found")


class MessagingService:
    def __init__(self, conversations: ConversationRepository, documents: DocumentRepository, store: ObjectStore,
                 access: AccessService, messenger: Any, clock: Clock, documents_bucket: str) -> None:
        self.conversations = conversations
        self.documents = documents
        self.store = store
        self.access = access
        self.messenger = messenger
        self.clock = clock
        self.bucket = documents_bucket

    # -- who may ------------------------------------------------------------------------------------------------
    def _caller(self, actor: Any) -> None:
        """A participant's role; a patient's token works only once their account is active."""
        if getattr(actor, "role", None) not in PARTICIPANT_ROLES:
            raise Forbidden("Only patients, professionals and establishments exchange messages.", code="forbidden")
        if actor.role == "patient":
            self.access.check(actor, Action.READ_ME)

    def _conversation(self, actor: Any, conversation_id: str) -> Conversation:
        """The conversation if the caller takes part in it; to anyone else it does not exist (404).

        The starter keeps it only while the decision would let them start it: the patient's space still exists
        (else 404, like the rest of a closed space) and the patient has not blocked them (403)."""
        self._caller(actor)
        conversation = self.conversations.get(conversation_id) if ID.match(conversation_id) else None
        if conversation is None or not conversation.has(actor):
            raise _no_conversation()
        if actor.role != "patient":
            self.access.check(actor, Action.START_CONVERSATION, conversation.patient_ins)
        return conversation

    # -- conversations ------------------------------------------------------------------------------------------
    def start(self, actor: Any, body: Any) -> dict[str, Any]:
        """A professional or an establishment writes to a patient (no access to the record comes with it)."""
        from chalicelib.adapters.system import new_id

        self.access.check(actor, Action.START_CONVERSATION, body.patient_ins)
        now = self.clock.now()
        conversation_id = new_id(now)
        conversation = Conversation(conversation_id, body.patient_ins, Party.of(actor), body.subject, now, now)
        message, attachments, grant = self._compose(actor, conversation, body.body, body.attachments, now)
        self.conversations.start(conversation, message, attachments)
        self._tell(conversation.patient_ins)
        return self._posted(message, attachments, grant)

    def list(self, actor: Any, limit: int, cursor: str | None) -> dict[str, Any]:
        """The caller's own conversations, newest first."""
        self._caller(actor)
        items, next_cursor = self.conversations.page_for(Party.of(actor), limit, cursor)
        return {"items": [summary(c) for c in items], "next_cursor": next_cursor}

    def get(self, actor: Any, conversation_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
        """The conversation and a page of its messages, oldest first."""
        conversation = self._conversation(actor, conversation_id)
        messages, next_cursor = self.conversations.messages(conversation_id, limit, cursor)
        uploads = [a["attachment_id"] for m in messages for a in m.attachments if a.get("kind") == "upload"]
        current = self.conversations.attachments(conversation_id, uploads) if uploads else {}

        def ref(entry: dict[str, Any]) -> dict[str, Any]:
            found = current.get(entry["attachment_id"])
            return found.ref() if found else entry

        out = summary(conversation)
        out.update(closed_at=_iso(conversation.closed_at), message_count=conversation.message_count,
                   messages=[{"message_id": m.message_id, "sender": m.sender.as_dict(), "body": m.body,
                              "sent_at": _iso(m.sent_at), "attachments": [ref(a) for a in m.attachments]}
                             for m in messages],
                   next_cursor=next_cursor)
        return out

    def post(self, actor: Any, conversation_id: str, body: Any) -> dict[str, Any]:
        """A message in an open conversation, by either participant (the patient replies)."""
        conversation = self._conversation(actor, conversation_id)
        conversation.check_may_post()
        now = self.clock.now()
        message, attachments, grant = self._compose(actor, conversation, body.body, body.attachments, now)
        try:
            self.conversations.post(conversation, message, attachments)
        except ConcurrentUpdate:
            current = self.conversations.get(conversation_id)
            if current is None:
                raise _no_conversation() from None
            current.check_may_post()  # closed meanwhile: 409
            raise Conflict("The conversation changed while writing; try again.", code="busy") from None
        if actor.role != "patient":
            self._tell(conversation.patient_ins)
        return self._posted(message, attachments, grant)

    def _tell(self, ins: str) -> None:
        """``new_message`` once the message is written. Its failure never turns the written message into an error
        answer (the sender would write it again): it is logged, and the message waits in the conversation."""
        try:
            self.messenger.tell(ins, "new_message")
        except Exception:
            from chalicelib.observability import logger

            logger().exception("new_message notice not sent")

    def close(self, actor: Any, conversation_id: str) -> dict[str, Any]:
        return self._set_status(actor, conversation_id, CLOSED)

    def reopen(self, actor: Any, conversation_id: str) -> dict[str, Any]:
        return self._set_status(actor, conversation_id, OPEN)

    def _set_status(self, actor: Any, conversation_id: str, status: str) -> dict[str, Any]:
        """The starter closes or reopens (idempotent: closing a closed conversation answers its status)."""
        for _ in range(MAX_RETRIES):
            conversation = self._conversation(actor, conversation_id)
            conversation.check_may_close(actor)
            if conversation.status != status:
                try:
                    self.conversations.set_status(conversation, status, self.clock.now())
                except ConcurrentUpdate:
                    continue
            return {"conversation_id": conversation_id, "status": status}
        raise Conflict("The conversation is being changed by another request; try again.", code="busy")

    # -- attachments ------------------------------------------------------------------------------------------------
    def _compose(self, actor: Any, conversation: Conversation, text: str, items: list[Any],
                 now: dt.datetime) -> tuple[Message, list[Attachment], Grant | None]:
        """The message and its attachments, checked before anything is written (with the sender's grant on the
        record when record documents are attached)."""
        from chalicelib.adapters.system import new_id

        message_id = new_id(now)
        sender = Party.of(actor)
        attachments: list[Attachment] = []
        shared: set[str] = set()
        sender_grant: Grant | bool | None = None  # the sender's decision on the record, asked once
        for index, item in enumerate(items):
            common = {"attachment_id": new_id(now), "conversation_id": conversation.conversation_id,
                      "message_id": message_id, "sender": sender, "created_at": now}
            if isinstance(item, str):
                if item in shared:
                    continue
                shared.add(item)
                if sender_grant is None:
                    sender_grant = self._record_grant(actor, conversation.patient_ins)
                doc = self._shareable(sender_grant, conversation.patient_ins, item, index)
                attachments.append(Attachment(kind="document", document_id=doc.document_id, **common))
            else:
                try:
                    content_type = check_declaration(item.content_type, item.size)
                except InvalidInput as error:
                    raise InvalidInput(error.message.replace("The field '", f"The field 'attachments.{index}."),
                                       code=error.code, field=f"attachments.{index}") from None
                attachments.append(Attachment(kind="upload", title=item.title, content_type=content_type,
                                              size=item.size, status=PENDING, **common))
        message = Message(message_id, conversation.conversation_id, sender, text, now,
                          [a.ref() for a in attachments])
        return message, attachments, sender_grant if isinstance(sender_grant, Grant) else None

    def _record_grant(self, actor: Any, ins: str) -> Grant | bool:
        """The sender's standing on the record (False when the decision refuses them any document)."""
        try:
            return self.access.check(actor, Action.READ_DOCUMENT, ins)
        except DomainError:
            return False

    def _shareable(self, grant: Grant | bool, ins: str, document_id: str, index: int) -> Document:
        """A document of the patient's record that the sender may see; anything else is one and the same answer."""
        doc = self.documents.get(ins, document_id) if isinstance(grant, Grant) else None
        if not isinstance(grant, Grant) or doc is None or not grant.sees(doc.facts()) \
                or doc.status not in (Status.AVAILABLE, Status.SUPERSEDED):
            raise InvalidInput(f"The field 'attachments.{index}' is not an available document of the patient's "
                               "record that you may see.", code="invalid_attachment", field=f"attachments.{index}")
        return doc

    def _posted(self, message: Message, attachments: list[Attachment], grant: Grant | None) -> dict[str, Any]:
        """Once written: the access log of the record documents shared (by someone other than the patient), and
        the answer, with a presigned PUT for each new file."""
        uploads = []
        for attachment in attachments:
            if attachment.kind == "document" and grant is not None:
                grant.log("attach_document", attachment.document_id)
            if attachment.kind == "upload":
                assert attachment.content_type is not None and attachment.size is not None
                url, headers = self.store.presign_put(self.bucket, attachment.object_key, attachment.content_type,
                                                      attachment.size)
                uploads.append({"attachment_id": attachment.attachment_id, "title": attachment.title,
                                "upload_url": url, "upload_headers": headers})
        return {"conversation_id": message.conversation_id, "message_id": message.message_id,
                "attachments": [a.ref() for a in attachments], "uploads": uploads}

    def attachment(self, actor: Any, conversation_id: str, attachment_id: str) -> dict[str, Any]:
        """An attachment's details and, when its bytes may be read, a short-lived download URL.

        A record document is shown only if the decision lets the READER see it now (hidden from the patient,
        masked, deleted, a type the profession may not see: 404, like a missing attachment)."""
        conversation = self._conversation(actor, conversation_id)
        attachment = self._attachment(conversation, attachment_id)
        out: dict[str, Any] = {**attachment.ref(), "conversation_id": conversation_id,
                               "message_id": attachment.message_id, "sender": attachment.sender.as_dict(),
                               "created_at": _iso(attachment.created_at)}
        if attachment.kind == "document":
            from chalicelib.services.records import filename_for

            assert attachment.document_id is not None
            grant = self.access.check(actor, Action.READ_DOCUMENT, conversation.patient_ins)
            doc = self.documents.get(conversation.patient_ins, attachment.document_id)
            if doc is None or not grant.sees(doc.facts()):
                raise _no_attachment()
            out.update(title=doc.title, content_type=doc.content_type, size=doc.size, status=doc.status.value)
            if doc.status in (Status.AVAILABLE, Status.SUPERSEDED):
                out["download_url"] = self.store.presign_get(self.bucket, doc.object_key, doc.object_version,
                                                             doc.content_type, filename_for(doc))
            grant.log("read_document", doc.document_id)
            return out
        if attachment.status == REJECTED:
            out["rejection"] = attachment.rejection
        if attachment.filed_document_id and actor.role == "patient":
            out["filed_document_id"] = attachment.filed_document_id
        if attachment.status == AVAILABLE:
            assert attachment.content_type is not None and attachment.title is not None
            out["download_url"] = self.store.presign_get(self.bucket, attachment.object_key,
                                                         attachment.object_version, attachment.content_type,
                                                         filename(attachment.title, attachment.content_type))
        return out

    def _attachment(self, conversation: Conversation, attachment_id: str) -> Attachment:
        found = self.conversations.attachment(conversation.conversation_id, attachment_id) \
            if ID.match(attachment_id) else None
        if found is None:
            raise _no_attachment()
        return found

    def file(self, actor: Any, conversation_id: str, attachment_id: str, body: Any) -> dict[str, Any]:
        """The patient files a file they received into their record: a new, available document of theirs."""
        from chalicelib.adapters.system import new_id
        from chalicelib.domain.authorization_matrix import document_type

        conversation = self._conversation(actor, conversation_id)
        if actor.role != "patient":
            raise Forbidden("Only the patient files an attachment into their record.", code="forbidden")
        grant = self.access.check(actor, Action.ADD_DOCUMENT, conversation.patient_ins)
        attachment = self._attachment(conversation, attachment_id)
        doc_type = document_type(body.type_code)
        if doc_type is None:
            raise InvalidInput(f"The field 'type_code' '{body.type_code}' is not in the published list of document "
                               "types (GET /document-types).", code="unknown_type_code", field="type_code")
        if attachment.kind == "document":
            raise Conflict("This attachment is already a document of the record.", code="already_in_record")
        if attachment.sender.role == "patient":
            raise Conflict("Only a file you received can be filed into your record.", code="not_received")
        if attachment.status != AVAILABLE:
            raise Conflict(f"This attachment cannot be filed: it is {attachment.status}.", code="not_available")
        if attachment.filed_document_id:
            raise Conflict("This attachment is already filed into your record.", code="already_filed")
        now = self.clock.now()
        document_id = new_id(now)
        if not self.conversations.claim_filing(attachment, document_id, now):
            raise Conflict("This attachment is already filed into your record.", code="already_filed")
        assert attachment.content_type is not None and attachment.size is not None and attachment.title is not None
        try:
            doc = Document(document_id=document_id, ins=conversation.patient_ins, title=body.title or attachment.title,
                           type_code=doc_type.code, category=doc_type.category,
                           content_type=attachment.content_type, size=attachment.size,
                           author=Author("patient", conversation.patient_ins), created_at=now,
                           status=Status.AVAILABLE, source="messaging", available_at=now,
                           extra={"conversation_id": conversation_id, "attachment_id": attachment_id})
            doc.object_version = self.store.copy(self.bucket, attachment.object_key, attachment.object_version,
                                                 self.bucket, doc.object_key)
            self.documents.add(doc)
        except Exception:
            self.conversations.release_filing(attachment, document_id)
            raise
        grant.log("add_document", document_id)
        return {"document_id": document_id, "status": doc.status.value, "title": doc.title,
                "type_code": doc.type_code, "category": doc.category}

    def on_attachment_uploaded(self, key: str, version_id: str | None) -> dict[str, Any]:
        """The S3 event of an attachment's bytes: checked like a record upload; a replay changes nothing."""
        matched = ATTACHMENT_KEY.match(key)
        if not matched:
            return {"outcome": "ignored"}
        conversation_id, attachment_id = matched.groups()
        attachment = self.conversations.attachment(conversation_id, attachment_id)
        if attachment is None:
            # never declared here, or its conversation was erased: keep no stray bytes
            self.store.erase(self.bucket, key)
            return {"outcome": "orphan", "attachment_id": attachment_id}
        if attachment.kind != "upload" or attachment.status != PENDING:
            return {"outcome": "duplicate", "attachment_id": attachment_id}
        try:
            stored = self.store.read_head(self.bucket, key, version_id)
        except ObjectGone:
            return {"outcome": "gone", "attachment_id": attachment_id}
        assert attachment.content_type is not None
        problem = check_file(attachment.content_type, stored.size, stored.head, declared_size=attachment.size)
        if problem:
            attachment.status, attachment.rejection = REJECTED, problem[1]
        else:
            attachment.status, attachment.object_version = AVAILABLE, stored.version_id
            attachment.available_at = self.clock.now()
        if not self.conversations.settle(attachment):
            return {"outcome": "duplicate", "attachment_id": attachment_id}
        return {"outcome": attachment.status, "attachment_id": attachment_id}

    # -- the archive ------------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        """Purge: every conversation of the patient, its attachments' objects, and the starter's entry for it."""
        erased = 0
        for conversation in self.conversations.all_for(Party("patient", ins)):
            erased += self.store.erase(self.bucket, f"attachments/{conversation.conversation_id}/")
            erased += self.conversations.erase(conversation)
        return erased
