"""Bodies and answers of the shared medical record and its sharing (CONTRACT §5)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from chalicelib.models.common import Id, Rpps, Strict


class DocumentCreate(Strict):
    noun: ClassVar[str] = "a document"

    title: str = Field(min_length=1, max_length=200)
    type_code: str = Field(min_length=3, max_length=20, description="A LOINC document type of GET /document-types.")
    content_type: str = Field(min_length=3, max_length=100,
                              description="application/pdf, text/plain, application/rtf, image/jpeg, image/png or "
                                          "image/tiff.")
    size: int = Field(ge=1, le=5_000_000, description="Exact size in bytes (at most 5,000,000).")
    replaces: Id | None = Field(None, description="The document this one replaces (it becomes superseded).")
    hidden_from_patient: bool = Field(False, description="Author only: hidden from the patient until lifted "
                                                         "(e.g. until a diagnosis is announced).")
    hidden_from_representatives: bool = Field(
        False, description="Author only, at a minor's request (Code de la santé publique L1111-5): never shown to "
                           "the legal representatives or the carers. Not for apps.")


class DocumentPatch(Strict):
    noun: ClassVar[str] = "a change of a document"

    masked: bool | None = Field(None, description="Patient or legal representative: hide from professionals "
                                                  "(but the author and the attending doctor).")
    hidden_from_patient: bool | None = Field(None, description="The author: hide from the patient, or lift it.")
    hidden_from_representatives: bool | None = Field(
        None, description="The author: keep from the legal representatives and carers (a minor's secret), or lift "
                          "it.")


class RelationStatus(Strict):
    noun: ClassVar[str] = "a professional's status"

    status: Literal["authorized", "blocked"]


class AttendingDoctor(Strict):
    noun: ClassVar[str] = "the attending doctor"

    rpps: Rpps


class EmergencySettings(Strict):
    noun: ClassVar[str] = "the emergency settings"

    samu: bool | None = Field(None, description="The SAMU regulating doctor may access in an emergency.")
    other_professionals: bool | None = Field(None, description="Other professionals may access in an emergency.")
    masked_documents: bool | None = Field(None, description="Masked documents are shown in an emergency.")


class EmergencyAccessRequest(Strict):
    noun: ClassVar[str] = "an emergency access request"

    reason: str = Field(min_length=3, max_length=500, description="Why the record is needed now.")
    duration_hours: float | None = Field(None, gt=0, le=24, description="At most 24 (the default).")

