"""The medical profile, vaccinations and self-measurements of a space, and the summary made of them.

Who writes and reads them is the access decision's business (``domain/access.py``); which measurements exist and
their units and ranges, ``domain/measurements.py``. Pure: no AWS, no Chalice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.identity import Party

PROFILE_LISTS = ("allergies", "conditions", "treatments", "hospitalisations", "family_history")


@dataclass(frozen=True)
class MedicalProfile:
    """The profile as the patient wrote it; every list empty and every value None until then."""

    allergies: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    hospitalisations: list[dict[str, Any]] = field(default_factory=list)
    family_history: list[dict[str, Any]] = field(default_factory=list)
    blood_group: str | None = None
    advance_directives: dict[str, Any] | None = None
    organ_donation: bool | None = None
    updated_at: dt.datetime | None = None
    updated_by: Party | None = None

    def content(self) -> dict[str, Any]:
        """The profile's medical content (what a summary shows), without who wrote it when."""
        return {**{name: list(getattr(self, name)) for name in PROFILE_LISTS}, "blood_group": self.blood_group,
                "advance_directives": self.advance_directives, "organ_donation": self.organ_donation}


@dataclass(frozen=True)
class Vaccination:
    vaccination_id: str
    vaccine: str
    date: dt.date
    recorded_by: Party
    recorded_at: dt.datetime
    dose: str | None = None
    lot: str | None = None


@dataclass(frozen=True)
class Measurement:
    """A value in the canonical unit of its LOINC code (``domain/measurements.py``), with who recorded it."""

    measurement_id: str
    code: str
    label: str
    value: float
    unit: str
    effective_at: dt.datetime
    source: Party
    recorded_at: dt.datetime
    device: str | None = None  # the Device that measured it (a connected device, ANS Mesures de santé)


@dataclass(frozen=True)
class Device:
    """A measuring device in a patient's space (ANS Mesures de santé: a PhdDevice), known by one of its identifiers
    (``system``, ``value``: ``urn:oid:...`` and the device's own id), registered once (a conditional create)."""

    device_id: str
    system: str
    value: str
    registered_at: dt.datetime
    registered_by: Party
    manufacturer: str | None = None
    model: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Summary:
    """What the PDF summary shows: identity, profile, vaccinations and, in the patient's own copy only, the latest
    measurement of each code."""

    ins: str
    given_name: str
    family_name: str
    birth_date: dt.date
    sex: str
    generated_at: dt.datetime
    profile: MedicalProfile
    vaccinations: list[Vaccination]
    measurements: list[Measurement]
    professional_copy: bool = False  # a professional's copy: its own title; says measurements are not shared
