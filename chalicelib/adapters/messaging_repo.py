"""Conversations on DynamoDB (the ``messaging`` table: pk/sk strings, no index, no Scan).

* ``CONV#{conversation_id}``: the conversation's partition: ``META`` (subject, participants, status),
  ``MSG#{message_id}`` (messages; ids are time-ordered, so a forward Query reads them oldest first) and
  ``ATT#{attachment_id}`` (attachments; an S3 event finds one from its object key
  ``attachments/{conversation_id}/{attachment_id}`` alone).
* ``PARTY#{role}#{id}``: each participant's list, items ``CONV#{conversation_id}`` (a copy of the conversation's
  summary): a reverse Query lists the caller's conversations newest first.

A conversation and its first message, or a message and its attachments, are written in one transaction whose
condition is the conversation's status: a message never lands in a conversation closed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import Table, dump, is_conditional_failure, key, values
from chalicelib.domain.identity import Party
from chalicelib.domain.messaging import OPEN, PENDING, Attachment, Conversation, Message
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.ports import ConcurrentUpdate

META = "META"


def conversation_pk(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def party_pk(party: Party) -> str:
    return f"PARTY#{party.key}"


def message_sk(message_id: str) -> str:
    return f"MSG#{message_id}"


def attachment_sk(attachment_id: str) -> str:
    return f"ATT#{attachment_id}"


def _t(value: dt.datetime | None) -> str | None:
    return iso_ms(value) if value else None


def _time(value: str | None) -> dt.datetime | None:
    return parse(value) if value else None


def _party(raw: dict[str, Any]) -> Party:
    return Party.from_dict(raw)


def _summary_fields(conversation: Conversation) -> dict[str, Any]:
    return {"conversation_id": conversation.conversation_id, "patient_ins": conversation.patient_ins,
            "starter": conversation.starter.as_dict(), "subject": conversation.subject,
            "status": conversation.status, "created_at": _t(conversation.created_at),
            "last_message_at": _t(conversation.last_message_at), "message_count": conversation.message_count,
            "closed_at": _t(conversation.closed_at)}


def conversation_item(conversation: Conversation) -> dict[str, Any]:
    return {"pk": conversation_pk(conversation.conversation_id), "sk": META, **_summary_fields(conversation)}


def party_item(conversation: Conversation, party: Party) -> dict[str, Any]:
    fields = {k: v for k, v in _summary_fields(conversation).items() if k != "message_count"}
    return {"pk": party_pk(party), "sk": conversation_pk(conversation.conversation_id), **fields}


def conversation_from(item: dict[str, Any]) -> Conversation:
    return Conversation(
        conversation_id=item["conversation_id"], patient_ins=item["patient_ins"], starter=_party(item["starter"]),
        subject=item["subject"], created_at=parse(item["created_at"]), last_message_at=parse(item["last_message_at"]),
        status=item.get("status", OPEN), message_count=int(item.get("message_count", 1)),
        closed_at=_time(item.get("closed_at")))


def message_item(message: Message) -> dict[str, Any]:
    return {"pk": conversation_pk(message.conversation_id), "sk": message_sk(message.message_id),
            "message_id": message.message_id, "sender": message.sender.as_dict(), "body": message.body,
            "sent_at": _t(message.sent_at), "attachments": message.attachments or None}


def message_from(item: dict[str, Any]) -> Message:
    return Message(message_id=item["message_id"], conversation_id=item["pk"].removeprefix("CONV#"),
                   sender=_party(item["sender"]), body=item["body"], sent_at=parse(item["sent_at"]),
                   attachments=list(item.get("attachments") or []))


def attachment_item(attachment: Attachment) -> dict[str, Any]:
    return {
        "pk": conversation_pk(attachment.conversation_id), "sk": attachment_sk(attachment.attachment_id),
        "attachment_id": attachment.attachment_id, "conversation_id": attachment.conversation_id,
        "message_id": attachment.message_id, "kind": attachment.kind, "sender": attachment.sender.as_dict(),
        "created_at": _t(attachment.created_at), "document_id": attachment.document_id, "title": attachment.title,
        "content_type": attachment.content_type, "size": attachment.size, "status": attachment.status,
        "object_version": attachment.object_version, "rejection": attachment.rejection,
        "available_at": _t(attachment.available_at), "filed_document_id": attachment.filed_document_id,
        "filed_at": _t(attachment.filed_at),
    }


def attachment_from(item: dict[str, Any]) -> Attachment:
    return Attachment(
        attachment_id=item["attachment_id"], conversation_id=item["conversation_id"], message_id=item["message_id"],
        kind=item["kind"], sender=_party(item["sender"]), created_at=parse(item["created_at"]),
        document_id=item.get("document_id"), title=item.get("title"), content_type=item.get("content_type"),
        size=int(item["size"]) if item.get("size") is not None else None, status=item.get("status"),
        object_version=item.get("object_version"), rejection=item.get("rejection"),
        available_at=_time(item.get("available_at")), filed_document_id=item.get("filed_document_id"),
        filed_at=_time(item.get("filed_at")))


class DynamoConversations:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    @property
    def client(self) -> Any:
        return self.table.client

    def _put(self, item: dict[str, Any], new: bool = True) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table.name, "Item": dump(item)}
        if new:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": put}

    def _transact(self, operations: list[dict[str, Any]]) -> None:
        try:
            self.client.transact_write_items(TransactItems=operations)
        except Exception as error:
            if is_conditional_failure(error):
                raise ConcurrentUpdate(str(error)) from error
            raise

    # -- writing --------------------------------------------------------------------------------------------------
    def start(self, conversation: Conversation, message: Message, attachments: list[Attachment]) -> None:
        """The conversation, its first message and attachments, and both participants' entries: all or nothing."""
        operations = [self._put(conversation_item(conversation)), self._put(message_item(message))]
        operations += [self._put(attachment_item(a)) for a in attachments]
        operations += [self._put(party_item(conversation, p)) for p in conversation.parties]
        self._transact(operations)

    def post(self, conversation: Conversation, message: Message, attachments: list[Attachment]) -> None:
        """The message only if the conversation is open at this instant (ConcurrentUpdate otherwise)."""
        sent_at = _t(message.sent_at)
        operations: list[dict[str, Any]] = [{"Update": {
            "TableName": self.table.name, "Key": key(conversation_pk(conversation.conversation_id), META),
            "UpdateExpression": "SET last_message_at = :at ADD message_count :one",
            "ConditionExpression": "attribute_exists(pk) AND #status = :open",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values(at=sent_at, one=1, open=OPEN)}}]
        operations.append(self._put(message_item(message)))
        operations += [self._put(attachment_item(a)) for a in attachments]
        operations += [self._touch(conversation, party, "SET last_message_at = :at", values(at=sent_at))
                       for party in conversation.parties]
        self._transact(operations)
        conversation.last_message_at = message.sent_at
        conversation.message_count += 1

    def _touch(self, conversation: Conversation, party: Party, expression: str,
               expression_values: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self.table.name,
            "Key": key(party_pk(party), conversation_pk(conversation.conversation_id)),
            "UpdateExpression": expression, "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": expression_values}
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

    def set_status(self, conversation: Conversation, status: str, now: dt.datetime) -> None:
        """Close or reopen, only if the status is still the one read (and on every participant's entry)."""
        names = {"#status": "status"}
        if status == OPEN:
            expression, vals = "SET #status = :status REMOVE closed_at", values(status=status)
        else:
            expression, vals = "SET #status = :status, closed_at = :at", values(status=status, at=_t(now))
        meta_values = {**vals, **values(current=conversation.status)}
        operations: list[dict[str, Any]] = [{"Update": {
            "TableName": self.table.name, "Key": key(conversation_pk(conversation.conversation_id), META),
            "UpdateExpression": expression, "ConditionExpression": "attribute_exists(pk) AND #status = :current",
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": meta_values}}]
        operations += [self._touch(conversation, party, expression, vals, names) for party in conversation.parties]
        self._transact(operations)
        conversation.status = status
        conversation.closed_at = now if status != OPEN else None

    def settle(self, attachment: Attachment) -> bool:
        """An upload's outcome (available with its object version, or rejected with why), only from pending."""
        item = attachment_item(attachment)
        fields = {k: item[k] for k in ("status", "object_version", "rejection", "available_at") if item[k] is not None}
        names = {f"#{k}": k for k in fields}
        try:
            self.client.update_item(
                TableName=self.table.name, Key=key(item["pk"], item["sk"]),
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
                ConditionExpression="#status = :pending", ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values(**fields), **values(pending=PENDING)})
            return True
        except Exception as error:
            if is_conditional_failure(error):
                return False
            raise

    def claim_filing(self, attachment: Attachment, document_id: str, now: dt.datetime) -> bool:
        """Mark the attachment filed as ``document_id``, unless it already is (two requests: one wins)."""
        try:
            self.client.update_item(
                TableName=self.table.name,
                Key=key(conversation_pk(attachment.conversation_id), attachment_sk(attachment.attachment_id)),
                UpdateExpression="SET filed_document_id = :doc, filed_at = :at",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(filed_document_id)",
                ExpressionAttributeValues=values(doc=document_id, at=_t(now)))
        except Exception as error:
            if is_conditional_failure(error):
                return False
            raise
        attachment.filed_document_id, attachment.filed_at = document_id, now
        return True

    def release_filing(self, attachment: Attachment, document_id: str) -> None:
        """The filing failed: let the patient try again (only the claim this request made is removed)."""
        try:
            self.client.update_item(
                TableName=self.table.name,
                Key=key(conversation_pk(attachment.conversation_id), attachment_sk(attachment.attachment_id)),
                UpdateExpression="REMOVE filed_document_id, filed_at",
                ConditionExpression="filed_document_id = :doc", ExpressionAttributeValues=values(doc=document_id))
        except Exception as error:
            if not is_conditional_failure(error):
                raise
        attachment.filed_document_id = attachment.filed_at = None

    # -- reading --------------------------------------------------------------------------------------------------
    def get(self, conversation_id: str) -> Conversation | None:
        item = self.table.get(conversation_pk(conversation_id), META)
        return conversation_from(item) if item else None

    def messages(self, conversation_id: str, limit: int, cursor: str | None) -> Page[Message]:
        """Oldest first."""
        items, next_cursor = self.table.page(conversation_pk(conversation_id), limit, cursor, sk_prefix="MSG#",
                                             forward=True)
        return Page([message_from(i) for i in items], next_cursor)

    def attachment(self, conversation_id: str, attachment_id: str) -> Attachment | None:
        item = self.table.get(conversation_pk(conversation_id), attachment_sk(attachment_id))
        return attachment_from(item) if item else None

    def attachments(self, conversation_id: str, attachment_ids: list[str]) -> dict[str, Attachment]:
        pk = conversation_pk(conversation_id)
        found = self.table.batch_get((pk, attachment_sk(a)) for a in attachment_ids)
        return {a.attachment_id: a for a in map(attachment_from, found)}

    def page_for(self, party: Party, limit: int, cursor: str | None) -> Page[Conversation]:
        """The participant's conversations, newest first."""
        items, next_cursor = self.table.page(party_pk(party), limit, cursor, sk_prefix="CONV#", forward=False)
        return Page([conversation_from(i) for i in items], next_cursor)

    def all_for(self, party: Party) -> list[Conversation]:
        return [conversation_from(i) for i in self.table.query_all(party_pk(party), sk_prefix="CONV#",
                                                                   consistent=True)]

    # -- the archive ----------------------------------------------------------------------------------------------
    def erase(self, conversation: Conversation) -> int:
        erased = self.table.erase_partition(conversation_pk(conversation.conversation_id))
        return erased + self.table.delete_keys(
            (party_pk(p), conversation_pk(conversation.conversation_id)) for p in conversation.parties)
