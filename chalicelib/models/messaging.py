"""Bodies and answers of the secure messaging (MSSanté) between professionals and patients (CONTRACT §6)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.models.common import KEEP_NULL, Cursor, Id, Nir, Out, Strict, Time

MAX_ATTACHMENTS = 10


class NewAttachment(Strict):
    """A new file from the sender's device: uploaded through a presigned PUT, checked like record documents."""

    title: str = Field(min_length=1, max_length=200)
    content_type: str = Field(min_length=3, max_length=100,
                              description="application/pdf, text/plain, application/rtf, image/jpeg, image/png or "
                                          "image/tiff.")
    size: int = Field(ge=1, le=5_000_000, description="Exact size in bytes (at most 5,000,000).")


Attachment = Id | NewAttachment
ATTACHMENTS_DESCRIPTION = ("At most 10. Each is either the id of a document of the patient's record that the sender "
                           "may see, or a new file {title, content_type, size} to upload with the returned ticket.")


class ConversationStart(Strict):
    patient_ins: Nir
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS,
                                          description=ATTACHMENTS_DESCRIPTION)


class MessageCreate(Strict):
    body: str = Field(min_length=1, max_length=10_000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS,
                                          description=ATTACHMENTS_DESCRIPTION)


class AttachmentFiling(Strict):
    type_code: str = Field(min_length=3, max_length=20, description="A LOINC document type of GET /document-types.")
    title: str | None = Field(None, min_length=1, max_length=200,
                              description="The document's title (default: the attachment's).")


# -- answers ------------------------------------------------------------------------------------------------------
class Participant(Out):
    role: Literal["patient", "professional", "establishment"]
    id: str
    profession: str | None = None


class AttachmentUpload(Out):
    attachment_id: str
    title: str
    upload_url: str = Field(description="Presigned, short-lived: PUT the bytes here with upload_headers.")
    upload_headers: dict[str, str]


class AttachmentRef(Out):
    attachment_id: str
    kind: Literal["document", "upload"] = Field(description="A document of the record, or a new file.")
    document_id: str | None = Field(None, description="kind 'document': the record's document.")
    title: str | None = Field(None, description="kind 'upload': the file's title (a record document's title is "
                                                "given by GET .../attachments/{attachment_id}).")
    content_type: str | None = None
    size: int | None = None
    status: str | None = Field(None, description="kind 'upload': pending, available or rejected.")


class Posted(Out):
    conversation_id: str
    message_id: str
    attachments: list[AttachmentRef]
    uploads: list[AttachmentUpload] = Field(description="One ticket per new file, in the order given.")


class MessageView(Out):
    message_id: str
    sender: Participant
    body: str
    sent_at: Time
    attachments: list[AttachmentRef]


class ConversationSummary(Out):
    conversation_id: str
    subject: str
    status: Literal["open", "closed"]
    patient_ins: str
    starter: Participant
    created_at: Time
    last_message_at: Time


class ConversationPage(Out):
    items: list[ConversationSummary]
    next_cursor: Cursor = None


class ConversationDetail(ConversationSummary):
    closed_at: Annotated[Time | None, KEEP_NULL] = None
    message_count: int
    messages: list[MessageView] = Field(description="Oldest first; ?limit=&cursor= page through them.")
    next_cursor: Annotated[str | None, KEEP_NULL] = Field(None, description="The next page of messages.")


class ConversationStatus(Out):
    conversation_id: str
    status: Literal["open", "closed"]


class AttachmentDetail(AttachmentRef):
    conversation_id: str
    message_id: str
    sender: Participant
    created_at: Time
    rejection: str | None = None
    filed_document_id: str | None = Field(None, description="The patient filed it into their record as this "
                                                            "document.")
    download_url: str | None = Field(None, description="Presigned GET, short-lived (available files).")


class FiledDocument(Out):
    document_id: str
    status: str
    title: str
    type_code: str
    category: str
