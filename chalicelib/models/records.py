"""Bodies and answers of the shared medical record and its sharing (CONTRACT §5)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.models.common import KEEP_NULL, Cursor, Id, Out, Rpps, Strict, Time


class DocumentCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    type_code: str = Field(min_length=3, max_length=20, description="A LOINC document type of GET /document-types.")
    content_type: str = Field(min_length=3, max_length=100,
                              description="application/pdf, text/plain, application/rtf, image/jpeg, image/png or "
                                          "image/tiff.")
    size: int = Field(ge=1, le=5_000_000, description="Exact size in bytes (at most 5,000,000).")
    replaces: Id | None = Field(None, description="The document this one replaces (it becomes superseded).")
    hidden_from_patient: bool = Field(False, description="Author only: hidden from the patient until lifted "
                                                         "(e.g. until a diagnosis is announced).")


class UploadTicket(Out):
    document_id: str
    status: str
    upload_url: str = Field(description="Presigned, short-lived: PUT the bytes here with upload_headers.")
    upload_headers: dict[str, str]


class Person(Out):
    role: str
    id: str
    profession: str | None = None
    rpps: str | None = None


class DocumentView(Out):
    document_id: str
    title: str
    type_code: str
    category: str
    category_label: str
    status: Literal["pending", "available", "rejected", "superseded"]
    author: Person
    created_at: Time
    masked: bool
    hidden_from_patient: bool
    content_type: str
    size: int
    source: str
    superseded_by: str | None = None
    replaces: str | None = None
    rejection: str | None = None


class DocumentDetail(DocumentView):
    download_url: str | None = Field(None, description="Presigned GET, short-lived (available documents).")


class DocumentPage(Out):
    items: list[DocumentView]
    next_cursor: Cursor = None


class DocumentPatch(Strict):
    masked: bool | None = Field(None, description="Patient or legal representative: hide from professionals "
                                                  "(but the author and the attending doctor).")
    hidden_from_patient: bool | None = Field(None, description="The author: hide from the patient, or lift it.")


class DocumentType(Out):
    code: str
    label: str
    label_en: str
    category: str
    category_label: str
    professions: list[str] = Field(description="Professions the authorisation matrix lets see this type.")


class DocumentTypes(Out):
    items: list[DocumentType]
    categories: dict[str, str]
    source: str
    matrix_source: str


class RelationStatus(Strict):
    status: Literal["authorized", "blocked"]


class Relation(Out):
    rpps: str
    status: str
    via: str
    since: Time
    profession: str | None = None
    attending_doctor: bool | None = None


class RelationPage(Out):
    items: list[Relation]
    next_cursor: Cursor = None


class AttendingDoctor(Strict):
    rpps: Rpps


class AttendingDoctorView(Out):
    rpps: Annotated[str | None, KEEP_NULL] = None
    since: Annotated[Time | None, KEEP_NULL] = None


class EmergencySettings(Strict):
    samu: bool | None = Field(None, description="The SAMU regulating doctor may access in an emergency.")
    other_professionals: bool | None = Field(None, description="Other professionals may access in an emergency.")
    masked_documents: bool | None = Field(None, description="Masked documents are shown in an emergency.")


class EmergencySettingsView(Out):
    samu: bool
    other_professionals: bool
    masked_documents: bool


class EmergencyAccessRequest(Strict):
    reason: str = Field(min_length=3, max_length=500, description="Why the record is needed now.")
    duration_hours: float | None = Field(None, gt=0, le=24, description="At most 24 (the default).")


class EmergencyAccessGrant(Out):
    status: str
    mode: str
    granted_at: Time
    expires_at: Time


class AccessEntry(Out):
    at: Time
    actor: Person
    action: str
    mode: Literal["normal", "emergency", "app"]
    document_id: str | None = None
    reason: str | None = None


class AccessLogPage(Out):
    items: list[AccessEntry]
    next_cursor: Cursor = None


class Rejection(Out):
    rejection_id: str
    at: Time
    received_at: Time
    key: str
    quarantine_key: str
    reason: str
    message: str
    size: int


class RejectionPage(Out):
    items: list[Rejection]
    next_cursor: Cursor = None
