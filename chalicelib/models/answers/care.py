"""Answers of the profile, vaccinations, measurements, agenda, reminders and reimbursements (CONTRACT §6)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from chalicelib.models.answers import KEEP_NULL, Cursor, Describe, Time, answer


@answer
class Source:
    role: str
    id: str
    profession: str | None = None


@answer
class ProfileView:
    allergies: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    treatments: list[dict[str, Any]]
    hospitalisations: list[dict[str, Any]]
    family_history: list[dict[str, Any]]
    blood_group: Annotated[str | None, KEEP_NULL] = None
    advance_directives: Annotated[dict[str, Any] | None, KEEP_NULL] = None
    organ_donation: Annotated[bool | None, KEEP_NULL] = None
    updated_at: Time | None = None
    updated_by: Source | None = None


@answer
class Vaccination:
    vaccination_id: str
    vaccine: str
    date: dt.date
    recorded_by: Source
    recorded_at: Time
    dose: str | None = None
    lot: str | None = None


@answer
class VaccinationPage:
    items: list[Vaccination]
    next_cursor: Cursor = None


@answer
class Measurement:
    measurement_id: str
    code: str
    label: str
    value: float
    unit: str
    effective_at: Time
    source: Source
    recorded_at: Time


@answer
class MeasurementPage:
    items: list[Measurement]
    next_cursor: Cursor = None


@answer
class Appointment:
    appointment_id: str
    title: str
    start: Time
    end: Time
    source: Source
    created_at: Time
    location: str | None = None
    professional: str | None = None
    note: str | None = None
    reminder_at: Annotated[Time | None, Describe("When appointment_reminder is sent (ISO-8601 UTC).")] = None
    updated_at: Time | None = None


@answer
class AppointmentPage:
    items: list[Appointment]
    next_cursor: Cursor = None


@answer
class Reminder:
    reminder_id: str
    programme: str
    kind: Literal["vaccination", "screening"]
    label: str
    due_on: dt.date
    status: Annotated[Literal["planned", "done", "not_done", "postponed"],
                      Describe("Where the patient says it stands (planned until they say otherwise).")]
    timing: Annotated[Literal["due", "upcoming"], Describe("Due (on or before today) or upcoming.")]
    notified: bool
    source: str
    postponed_until: dt.date | None = None


@answer
class ReminderList:
    items: list[Reminder]
    sources: list[str]


@answer
class ReimbursementResult:
    index: int
    ins: str
    status: Literal["recorded", "duplicate", "invalid"]
    reimbursement_id: str | None = None
    reason: str | None = None


@answer
class ReimbursementResults:
    results: list[ReimbursementResult]


@answer
class Reimbursement:
    reimbursement_id: str
    date: dt.date
    act: str
    amount_paid: float
    amount_reimbursed: float
    recorded_at: Time
    currency: str = "EUR"
    reference: str | None = None


@answer
class ReimbursementPage:
    items: list[Reimbursement]
    next_cursor: Cursor = None
