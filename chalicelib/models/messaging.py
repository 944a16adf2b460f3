"""Bodies and answers of the secure messaging (MSSanté) between professionals and patients (CONTRACT §6)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from chalicelib.models.common import Id, Nir, Strict

MAX_ATTACHMENTS = 10


class NewAttachment(Strict):
    """A new file from the sender's device: uploaded through a presigned PUT, checked like record documents."""

    noun: ClassVar[str] = "a new attachment"

    title: str = Field(min_length=1, max_length=200)
    content_type: str = Field(min_length=3, max_length=100,
                              description="application/pdf, text/plain, application/rtf, image/jpeg, image/png or "
                                          "image/tiff.")
    size: int = Field(ge=1, le=5_000_000, description="Exact size in bytes (at most 5,000,000).")


Attachment = Id | NewAttachment
ATTACHMENTS_DESCRIPTION = ("At most 10. Each is either the id of a document of the patient's record that the sender "
                           "may see, or a new file {title, content_type, size} to upload with the returned ticket.")


class ConversationStart(Strict):
    noun: ClassVar[str] = "a new conversation"

    patient_ins: Nir
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS,
                                          description=ATTACHMENTS_DESCRIPTION)


class MessageCreate(Strict):
    noun: ClassVar[str] = "a message"

    body: str = Field(min_length=1, max_length=10_000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS,
                                          description=ATTACHMENTS_DESCRIPTION)


class AttachmentFiling(Strict):
    noun: ClassVar[str] = "the filing of an attachment"

    type_code: str = Field(min_length=3, max_length=20, description="A LOINC document type of GET /document-types.")
    title: str | None = Field(None, min_length=1, max_length=200,
                              description="The document's title (default: the attachment's).")


# -- answers ------------------------------------------------------------------------------------------------------
