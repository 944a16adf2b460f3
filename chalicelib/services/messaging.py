"""Secure messaging (MSSanté) between professionals or establishments and patients (CONTRACT §6).

Who may do what is the one access decision's (``domain/access.py``: the conversation's participants, its status,
the patient's space and blocks); this service loads the conversation, asks it, and writes:

* a message is written only if the conversation is still open at that instant (a conditional transaction), so a
  reply racing a closure never lands after it;
* attachments are documents of the patient's record the SENDER may see (the one decision, ``Grant.sees``), or new
  files uploaded through a presigned PUT and checked by their S3 event exactly like record uploads. Reading a record
  document through a conversation asks the decision again, for the READER;
* the patient files a received attachment into their record (a server-side copy, a new document of theirs);
* ``new_message`` tells the patient that something arrived, never what: no subject, body or file name, anywhere in a
  notice or a log line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.authorization_matrix import document_type
from chalicelib.domain.documents import Author, Document, Status, check_declaration, check_file
from chalicelib.domain.identity import Actor, Party
from chalicelib.domain.messaging import (
    ATTACHMENT_KEY,
    AVAILABLE,
    CLOSED,
    ID,
    OPEN,
    PENDING,
    REJECTED,
    Attachment,
    Conversation,
    Message,
)
from chalicelib.domain.results import Page
from chalicelib.errors import Busy, Conflict, DomainError, InvalidInput, NotFound
from chalicelib.observability import logger
from chalicelib.ports import Clock, ConcurrentUpdate, Ids, ObjectGone, ObjectStore
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.notices import Messenger
from chalicelib.services.records import DocumentRepository
from chalicelib.services.versioned import retrying

if TYPE_CHECKING:
    from chalicelib.models.messaging import AttachmentFiling, ConversationStart, MessageCreate, NewAttachment


class ConversationRepository(Protocol):
    def start(self, conversation: Conversation, message: Message, attachments: list[Attachment]) -> None: ...
    def get(self, conversation_id: str) -> Conversation | None: ...
    def post(self, conversation: Conversation, message: Message, attachments: list[Attachment]) -> None:
        """Write the message only if the conversation is open (ConcurrentUpdate otherwise)."""
        ...
    def set_status(self, conversation: Conversation, status: str, now: dt.datetime) -> None:
        """Change the status only if it is still ``conversation.status`` (ConcurrentUpdate otherwise)."""
        ...
    def messages(self, conversation_id: str, limit: int, cursor: str | None) -> Page[Message]: ...
    def attachment(self, conversation_id: str, attachment_id: str) -> Attachment | None: ...
    def attachments(self, conversation_id: str, attachment_ids: list[str]) -> dict[str, Attachment]: ...
    def settle(self, attachment: Attachment) -> bool:
        """Write an upload's outcome only if it is still pending; False for a replay."""
        ...
    def claim_filing(self, attachment: Attachment, document_id: str, now: dt.datetime) -> bool: ...
    def release_filing(self, attachment: Attachment, document_id: str) -> None: ...
    def page_for(self, party: Party, limit: int, cursor: str | None) -> Page[Conversation]: ...
    def all_for(self, party: Party) -> list[Conversation]: ...
    def erase(self, conversation: Conversation) -> int:
        """The conversation's partition and every participant's entry for it."""
        ...


# -- results ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UploadSlot:
    attachment_id: str
    title: str
    upload_url: str
    upload_headers: dict[str, str]


@dataclass(frozen=True)
class Posted:
    conversation_id: str
    message_id: str
    attachments: list[Attachment]
    uploads: list[UploadSlot]


@dataclass(frozen=True)
class Thread:
    """A conversation and a page of its messages (oldest first)."""

    conversation: Conversation
    messages: list[Message]
    next_cursor: str | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conversation, name)


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment as its reader sees it, and a download URL when its bytes may be read."""

    attachment_id: str
    kind: str
    conversation_id: str
    message_id: str
    sender: Party
    created_at: dt.datetime
    document_id: str | None = None
    title: str | None = None
    content_type: str | None = None
    size: int | None = None
    status: str | None = None
    rejection: str | None = None
    filed_document_id: str | None = None
    download_url: str | None = None


def _no_attachment() -> NotFound:
    return NotFound("No such attachment.", code="not_found")


def _ref(attachment: Attachment) -> dict[str, Any]:
    """How a message names an attachment (no title for a record document: the reader may not see it)."""
    if attachment.kind == "document":
        return {"attachment_id": attachment.attachment_id, "kind": "document", "document_id": attachment.document_id}
    return {"attachment_id": attachment.attachment_id, "kind": "upload", "title": attachment.title,
            "content_type": attachment.content_type, "size": attachment.size, "status": attachment.status}


class MessagingService:
    def __init__(self, conversations: ConversationRepository, documents: DocumentRepository, store: ObjectStore,
                 access: AccessService, messenger: Messenger, clock: Clock, ids: Ids, documents_bucket: str) -> None:
        self.conversations = conversations
        self.documents = documents
        self.store = store
        self.access = access
        self.messenger = messenger
        self.clock = clock
        self.ids = ids
        self.bucket = documents_bucket

    def _conversation(self, actor: Actor, action: Action, conversation_id: str) -> tuple[Conversation, Grant]:
        """The conversation and the decision on it; to anyone but its participants it does not exist (404)."""
        conversation = self.conversations.get(conversation_id) if ID.match(conversation_id) else None
        grant = self.access.check_conversation(actor, action, conversation)
        assert conversation is not None
        return conversation, grant

    # -- conversations ------------------------------------------------------------------------------------------
    def start(self, actor: Actor, body: ConversationStart) -> Posted:
        """A professional or an establishment writes to a patient (no access to the record comes with it)."""
        self.access.check(actor, Action.START_CONVERSATION, body.patient_ins)
        now = self.clock.now()
        conversation = Conversation(self.ids.new(now), body.patient_ins, Party.of(actor), body.subject, now, now)
        message, attachments, grant = self._compose(actor, conversation, body.body, body.attachments, now)
        self.conversations.start(conversation, message, attachments)
        self._tell(conversation.patient_ins)
        return self._posted(message, attachments, grant)

    def listing(self, actor: Actor, limit: int, cursor: str | None) -> Page[Conversation]:
        """The caller's own conversations, newest first; those whose patient's space is closed are gone."""
        grant = self.access.check(actor, Action.LIST_CONVERSATIONS)
        found: list[Conversation] = []
        next_cursor = cursor
        while True:  # fill the page: a conversation left out is never counted, never skipped
            page = self.conversations.page_for(Party.of(actor), limit - len(found), next_cursor)
            found += self.access.visible_conversations(grant, page.items)
            next_cursor = page.next_cursor
            if len(found) >= limit or not next_cursor:
                return Page(found, next_cursor)

    def get(self, actor: Actor, conversation_id: str, limit: int, cursor: str | None) -> Thread:
        """The conversation and a page of its messages, oldest first."""
        conversation, _ = self._conversation(actor, Action.READ_CONVERSATION, conversation_id)
        page = self.conversations.messages(conversation_id, limit, cursor)
        uploads = [a["attachment_id"] for m in page.items for a in m.attachments if a.get("kind") == "upload"]
        current = self.conversations.attachments(conversation_id, uploads) if uploads else {}

        def ref(entry: dict[str, Any]) -> dict[str, Any]:
            found = current.get(entry["attachment_id"])
            return _ref(found) if found else entry

        messages = [dataclasses.replace(m, attachments=[ref(a) for a in m.attachments]) for m in page.items]
        return Thread(conversation, messages, page.next_cursor)

    def post(self, actor: Actor, conversation_id: str, body: MessageCreate) -> Posted:
        """A message in an open conversation, by either participant (the patient replies)."""
        conversation, _ = self._conversation(actor, Action.POST_MESSAGE, conversation_id)
        now = self.clock.now()
        message, attachments, grant = self._compose(actor, conversation, body.body, body.attachments, now)
        try:
            self.conversations.post(conversation, message, attachments)
        except ConcurrentUpdate:
            self._conversation(actor, Action.POST_MESSAGE, conversation_id)  # closed meanwhile: 409
            raise Busy("The conversation changed while the message was written; nothing was written: try again.") \
                from None
        if actor.role != "patient":
            self._tell(conversation.patient_ins)
        return self._posted(message, attachments, grant)

    def _tell(self, ins: str) -> None:
        """``new_message`` once the message is written. Its failure never turns the written message into an error
        answer (the sender would write it again): it is reported, and the message waits in the conversation."""
        try:
            self.messenger.tell(ins, "new_message")
        except Exception:  # any failure of the notifier: the message is written, the notice is not
            logger().exception("new_message notice not sent")

    def close(self, actor: Actor, conversation_id: str) -> Conversation:
        return self._set_status(actor, conversation_id, CLOSED)

    def reopen(self, actor: Actor, conversation_id: str) -> Conversation:
        return self._set_status(actor, conversation_id, OPEN)

    def _set_status(self, actor: Actor, conversation_id: str, status: str) -> Conversation:
        """The starter closes or reopens (idempotent: closing a closed conversation answers its status)."""

        def step() -> Conversation:
            conversation, _ = self._conversation(actor, Action.CLOSE_CONVERSATION, conversation_id)
            if conversation.status != status:
                self.conversations.set_status(conversation, status, self.clock.now())
            return conversation

        return retrying(step, "the conversation")

    # -- attachments ------------------------------------------------------------------------------------------------
    def _compose(self, actor: Actor, conversation: Conversation, text: str, items: Sequence[str | NewAttachment],
                 now: dt.datetime) -> tuple[Message, list[Attachment], Grant | None]:
        """The message and its attachments, checked before anything is written (with the sender's grant on the
        record when record documents are attached)."""
        message_id = self.ids.new(now)
        sender = Party.of(actor)
        attachments: list[Attachment] = []
        shared: set[str] = set()
        sender_grant: Grant | bool | None = None  # the sender's decision on the record, asked once
        for index, item in enumerate(items):
            attachment_id = self.ids.new(now)
            if isinstance(item, str):
                if item in shared:
                    continue
                shared.add(item)
                if sender_grant is None:
                    sender_grant = self._record_grant(actor, conversation.patient_ins)
                doc = self._shareable(sender_grant, conversation.patient_ins, item, index)
                attachments.append(Attachment(attachment_id, conversation.conversation_id, message_id, "document",
                                              sender, now, document_id=doc.document_id))
            else:
                try:
                    content_type = check_declaration(item.content_type, item.size)
                except InvalidInput as error:
                    raise InvalidInput(error.message.replace("The field '", f"The field 'attachments.{index}."),
                                       code=error.code, field=f"attachments.{index}") from None
                attachments.append(Attachment(attachment_id, conversation.conversation_id, message_id, "upload",
                                              sender, now, title=item.title, content_type=content_type,
                                              size=item.size, status=PENDING))
        message = Message(message_id, conversation.conversation_id, sender, text, now, [_ref(a) for a in attachments])
        return message, attachments, sender_grant if isinstance(sender_grant, Grant) else None

    def _record_grant(self, actor: Actor, ins: str) -> Grant | bool:
        """The sender's standing on the record (False when the decision refuses them any document)."""
        try:
            return self.access.check(actor, Action.READ_DOCUMENT, ins)
        except DomainError:
            return False

    def _shareable(self, grant: Grant | bool, ins: str, document_id: str, index: int) -> Document:
        """A document of the patient's record that the sender may see; anything else is one and the same answer."""
        doc = self.documents.get(ins, document_id) if isinstance(grant, Grant) else None
        if not isinstance(grant, Grant) or doc is None or not grant.sees(doc.facts()) or not doc.readable:
            raise InvalidInput(f"The field 'attachments.{index}' is not an available document of the patient's "
                               "record that you may see.", code="invalid_attachment", field=f"attachments.{index}")
        return doc

    def _posted(self, message: Message, attachments: list[Attachment], grant: Grant | None) -> Posted:
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
                uploads.append(UploadSlot(attachment.attachment_id, attachment.title or "", url, headers))
        return Posted(message.conversation_id, message.message_id, attachments, uploads)

    def attachment(self, actor: Actor, conversation_id: str, attachment_id: str) -> AttachmentInfo:
        """An attachment's details and, when its bytes may be read, a short-lived download URL.

        A record document is shown only if the decision lets the READER see it now (hidden from the patient,
        masked, deleted, a type the profession may not see: 404, like a missing attachment)."""
        conversation, _ = self._conversation(actor, Action.READ_ATTACHMENT, conversation_id)
        attachment = self._attachment(conversation, attachment_id)
        info = AttachmentInfo(attachment.attachment_id, attachment.kind, conversation_id, attachment.message_id,
                              attachment.sender, attachment.created_at, document_id=attachment.document_id,
                              title=attachment.title, content_type=attachment.content_type, size=attachment.size,
                              status=attachment.status)
        if attachment.kind == "document":
            assert attachment.document_id is not None
            grant = self.access.check(actor, Action.READ_DOCUMENT, conversation.patient_ins)
            doc = self.documents.get(conversation.patient_ins, attachment.document_id)
            if doc is None or not grant.sees(doc.facts()):
                raise _no_attachment()
            url = self.store.presign_get(self.bucket, doc.object_key, doc.object_version, doc.content_type,
                                         doc.filename) if doc.readable else None
            grant.log("read_document", doc.document_id)
            return dataclasses.replace(info, title=doc.title, content_type=doc.content_type, size=doc.size,
                                       status=doc.status.value, download_url=url)
        url = None
        if attachment.status == AVAILABLE:
            assert attachment.content_type is not None
            url = self.store.presign_get(self.bucket, attachment.object_key, attachment.object_version,
                                         attachment.content_type, attachment.filename)
        return dataclasses.replace(
            info, rejection=attachment.rejection if attachment.status == REJECTED else None, download_url=url,
            filed_document_id=attachment.filed_document_id if actor.role == "patient" else None)

    def _attachment(self, conversation: Conversation, attachment_id: str) -> Attachment:
        found = self.conversations.attachment(conversation.conversation_id, attachment_id) \
            if ID.match(attachment_id) else None
        if found is None:
            raise _no_attachment()
        return found

    def file(self, actor: Actor, conversation_id: str, attachment_id: str, body: AttachmentFiling) -> Document:
        """The patient files a file they received into their record: a new, available document of theirs."""
        conversation, _ = self._conversation(actor, Action.FILE_ATTACHMENT, conversation_id)
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
        document_id = self.ids.new(now)
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
        return doc

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
