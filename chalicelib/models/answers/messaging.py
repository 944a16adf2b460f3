"""Answers of the secure messaging (CONTRACT §6)."""

from __future__ import annotations

from typing import Annotated, Literal

from chalicelib.models.answers import KEEP_NULL, Cursor, Describe, Time, answer


@answer
class Participant:
    role: Literal["patient", "professional", "establishment"]
    id: str
    profession: str | None = None


@answer
class AttachmentUpload:
    attachment_id: str
    title: str
    upload_url: Annotated[str, Describe("Presigned, short-lived: PUT the bytes here with upload_headers.")]
    upload_headers: dict[str, str]


@answer
class AttachmentRef:
    attachment_id: str
    kind: Annotated[Literal["document", "upload"], Describe("A document of the record, or a new file.")]
    document_id: Annotated[str | None, Describe("kind 'document': the record's document.")] = None
    title: Annotated[str | None, Describe("kind 'upload': the file's title (a record document's title is given by "
                                          "GET .../attachments/{attachment_id}).")] = None
    content_type: str | None = None
    size: int | None = None
    status: Annotated[str | None, Describe("kind 'upload': pending, available or rejected.")] = None


@answer
class Posted:
    conversation_id: str
    message_id: str
    attachments: list[AttachmentRef]
    uploads: Annotated[list[AttachmentUpload], Describe("One ticket per new file, in the order given.")]


@answer
class MessageView:
    message_id: str
    sender: Participant
    body: str
    sent_at: Time
    attachments: list[AttachmentRef]


@answer
class ConversationSummary:
    conversation_id: str
    subject: str
    status: Literal["open", "closed"]
    patient_ins: str
    starter: Participant
    created_at: Time
    last_message_at: Time


@answer
class ConversationPage:
    items: list[ConversationSummary]
    next_cursor: Cursor = None


@answer
class ConversationDetail(ConversationSummary):
    closed_at: Annotated[Time | None, KEEP_NULL] = None
    message_count: int
    messages: Annotated[list[MessageView], Describe("Oldest first; ?limit=&cursor= page through them.")]
    next_cursor: Annotated[str | None, KEEP_NULL, Describe("The next page of messages.")] = None


@answer
class ConversationStatus:
    conversation_id: str
    status: Literal["open", "closed"]


@answer
class AttachmentDetail(AttachmentRef):
    conversation_id: str
    message_id: str
    sender: Participant
    created_at: Time
    rejection: str | None = None
    filed_document_id: Annotated[str | None, Describe("The patient filed it into their record as this "
                                                      "document.")] = None
    download_url: Annotated[str | None, Describe("Presigned GET, short-lived (available files).")] = None


@answer
class FiledDocument:
    document_id: str
    status: str
    title: str
    type_code: str
    category: str
