"""Answers of the shared medical record and its sharing (CONTRACT §5)."""

from __future__ import annotations

from typing import Annotated, Literal

from chalicelib.models.answers import KEEP_NULL, Cursor, Describe, Time, answer


@answer
class UploadTicket:
    document_id: str
    status: str
    upload_url: Annotated[str, Describe("Presigned, short-lived: PUT the bytes here with upload_headers.")]
    upload_headers: dict[str, str]


@answer
class Person:
    role: str
    id: str
    profession: str | None = None
    rpps: str | None = None


@answer
class DocumentView:
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
    hidden_from_representatives: Annotated[bool, Describe(
        "A minor's secret (Code de la santé publique L1111-5): never shown to legal representatives or carers.")]
    content_type: str
    size: int
    source: str
    superseded_by: str | None = None
    replaces: str | None = None
    rejection: str | None = None


@answer
class DocumentDetail(DocumentView):
    download_url: Annotated[str | None, Describe("Presigned GET, short-lived (available documents).")] = None


@answer
class DocumentPage:
    items: list[DocumentView]
    next_cursor: Cursor = None


@answer
class DocumentType:
    code: str
    label: str
    label_en: str
    category: str
    category_label: str
    professions: Annotated[list[str], Describe("Professions the authorisation matrix lets see this type.")]


@answer
class DocumentTypes:
    items: list[DocumentType]
    categories: dict[str, str]
    source: str
    matrix_source: str


@answer
class Relation:
    rpps: str
    status: str
    via: str
    since: Time
    profession: str | None = None
    attending_doctor: bool | None = None


@answer
class RelationPage:
    items: list[Relation]
    next_cursor: Cursor = None


@answer
class AttendingDoctorView:
    rpps: Annotated[str | None, KEEP_NULL] = None
    since: Annotated[Time | None, KEEP_NULL] = None


@answer
class EmergencySettingsView:
    samu: bool
    other_professionals: bool
    masked_documents: bool


@answer
class EmergencyAccessGrant:
    status: str
    mode: str
    granted_at: Time
    expires_at: Time


@answer
class AccessEntry:
    at: Time
    actor: Person
    action: str
    mode: Literal["normal", "emergency", "app"]
    document_id: str | None = None
    reason: str | None = None


@answer
class AccessLogPage:
    items: list[AccessEntry]
    next_cursor: Cursor = None


@answer
class Rejection:
    rejection_id: str
    at: Time
    received_at: Time
    key: str
    quarantine_key: str
    reason: str
    message: str
    size: int


@answer
class RejectionPage:
    items: list[Rejection]
    next_cursor: Cursor = None
