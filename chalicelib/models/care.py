"""Bodies and answers of the medical profile, vaccinations, measurements, agenda, reminders and reimbursements
(CONTRACT §6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain.identity import check_nir
from chalicelib.domain.results import InvalidRow
from chalicelib.errors import InvalidInput
from chalicelib.models.common import Strict, UtcDateTime
from chalicelib.models.problems import validation_message


def _kind(value: Any) -> str:
    from chalicelib.models.problems import kind_of_value

    return kind_of_value(value)


def _entry_from_text(value: Any) -> Any:
    """A profile entry may be given as plain text: "pénicilline" is {"name": "pénicilline"}."""
    return {"name": value} if isinstance(value, str) else value


class ProfileEntry(Strict):
    noun: ClassVar[str] = "a profile entry"

    name: str = Field(min_length=1, max_length=200, description="Allergen, condition, medicine, stay...")
    since: dt.date | None = None
    until: dt.date | None = None
    note: str | None = Field(None, max_length=1000)
    severity: Literal["mild", "moderate", "severe", "unknown"] | None = None
    reaction: str | None = Field(None, max_length=200)
    dose: str | None = Field(None, max_length=200)
    relative: str | None = Field(None, max_length=100, description="Family history: which relative.")

    @model_validator(mode="after")
    def _ordered(self) -> ProfileEntry:
        if self.since and self.until and self.until < self.since:
            raise PydanticCustomError("until_before_since", "must not be before 'since'",
                                      {"code": "invalid_period", "field": "until"})
        return self


Entry = Annotated[ProfileEntry, BeforeValidator(_entry_from_text)]
Entries = Annotated[list[Entry], Field(max_length=200)]


class AdvanceDirectives(Strict):
    noun: ClassVar[str] = "the advance directives"

    written: bool | None = Field(None, description="Whether the person has written advance directives.")
    summary: str | None = Field(None, max_length=5000)
    trusted_person: str | None = Field(None, max_length=200, description="Personne de confiance.")
    location: str | None = Field(None, max_length=500, description="Where the directives are kept.")


def _directives_from_text(value: Any) -> Any:
    return {"summary": value} if isinstance(value, str) else value


class Profile(Strict):
    noun: ClassVar[str] = "the medical profile"

    allergies: Entries = Field(default_factory=list)
    conditions: Entries = Field(default_factory=list)
    treatments: Entries = Field(default_factory=list)
    hospitalisations: Entries = Field(default_factory=list)
    family_history: Entries = Field(default_factory=list)
    blood_group: Literal["A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"] | None = None
    advance_directives: Annotated[AdvanceDirectives | None, BeforeValidator(_directives_from_text)] = None
    organ_donation: bool | None = Field(None, description="False: the person refuses organ donation.")


class VaccinationCreate(Strict):
    noun: ClassVar[str] = "a vaccination"

    vaccine: str = Field(min_length=1, max_length=200)
    date: dt.date
    dose: str | None = Field(None, max_length=50, description="e.g. '1', 'rappel'.")
    lot: str | None = Field(None, max_length=50, description="The batch number.")

    @field_validator("date")
    @classmethod
    def _past(cls, value: dt.date) -> dt.date:
        if value > dt.date.today() + dt.timedelta(days=1):
            raise PydanticCustomError("future_date", "cannot be in the future for a vaccination already given",
                                      {"code": "invalid_date"})
        return value


class MeasurementCreate(Strict):
    noun: ClassVar[str] = "a measurement"

    code: str = Field(min_length=3, max_length=20, description="LOINC: 29463-7 weight (kg), 8302-2 height (cm), "
                                                               "8480-6 systolic, 8462-4 diastolic (mm[Hg]), 2339-0 "
                                                               "glucose (mg/dL), 39156-5 BMI (kg/m2)...")
    value: float
    unit: str = Field(min_length=1, max_length=20)
    effective_at: UtcDateTime

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise PydanticCustomError("not_a_number", "must be a number, not {got}",
                                      {"code": "invalid_value", "got": _kind(value)})
        return value

    @field_validator("effective_at")
    @classmethod
    def _not_future(cls, value: dt.datetime) -> dt.datetime:
        if value > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
            raise PydanticCustomError("future_time", "cannot be in the future: a measurement is taken before it is "
                                                     "recorded",
                                      {"code": "invalid_effective_at"})
        return value


class AppointmentCreate(Strict):
    noun: ClassVar[str] = "an appointment"

    title: str = Field(min_length=1, max_length=200)
    start: UtcDateTime
    end: UtcDateTime | None = None
    location: str | None = Field(None, max_length=300)
    professional: str | None = Field(None, max_length=200, description="Name or RPPS of the professional seen.")
    note: str | None = Field(None, max_length=100, description="A short note (at most 100 characters).")
    reminder_at: UtcDateTime | None = Field(None, description="When to send the appointment_reminder notice "
                                                              "(before 'start', in the future).")

    @model_validator(mode="after")
    def _ordered(self) -> AppointmentCreate:
        if self.end is not None and self.end <= self.start:
            raise PydanticCustomError("end_before_start", "must be after 'start'",
                                      {"code": "invalid_period", "field": "end"})
        if self.reminder_at is not None and self.reminder_at >= self.start:
            raise PydanticCustomError("reminder_after_start", "must be before 'start'",
                                      {"code": "invalid_reminder_at", "field": "reminder_at"})
        return self


class AppointmentPatch(Strict):
    """A change of an appointment: the fields given change, the others stay. ``reminder_at: null`` cancels the
    reminder; moving ``start`` without giving ``reminder_at`` moves the reminder with it."""

    noun: ClassVar[str] = "a change of an appointment"

    title: str | None = Field(None, min_length=1, max_length=200)
    start: UtcDateTime | None = None
    end: UtcDateTime | None = None
    location: str | None = Field(None, max_length=300)
    professional: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=100)
    reminder_at: UtcDateTime | None = Field(None, description="null: no reminder any more.")

    @model_validator(mode="after")
    def _something(self) -> AppointmentPatch:
        if not self.model_fields_set:
            raise PydanticCustomError("nothing_to_change", "is missing: a change gives at least one of 'title', "
                                                           "'start', 'end', 'location', 'professional', 'note' or "
                                                           "'reminder_at'",
                                      {"code": "missing_field", "field": "title"})
        if self.title is None and "title" in self.model_fields_set:
            raise PydanticCustomError("title_required", "cannot be removed: an appointment has a title",
                                      {"code": "invalid_title", "field": "title"})
        if self.start is None and "start" in self.model_fields_set:
            raise PydanticCustomError("start_required", "cannot be removed: an appointment has a start",
                                      {"code": "invalid_start", "field": "start"})
        return self

    def changes(self) -> dict[str, object]:
        """The fields given (None for a field set to null)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class ReminderStatusUpdate(Strict):
    noun: ClassVar[str] = "a recommendation's status"

    status: Literal["planned", "done", "not_done", "postponed"] = Field(
        description="planned (to do), done, not_done, or postponed until 'postponed_until'.")
    postponed_until: dt.date | None = Field(None, description="With 'postponed': the day to be reminded again.")

    @model_validator(mode="after")
    def _coherent(self) -> ReminderStatusUpdate:
        if self.status == "postponed" and self.postponed_until is None:
            raise PydanticCustomError("postponed_without_date", "is required when 'status' is 'postponed'",
                                      {"code": "missing_field", "field": "postponed_until"})
        if self.status != "postponed" and self.postponed_until is not None:
            raise PydanticCustomError("date_without_postponing", "goes only with 'status': 'postponed'",
                                      {"code": "invalid_postponed_until", "field": "postponed_until"})
        return self


class ReimbursementLine(Strict):
    noun: ClassVar[str] = "a reimbursement line"

    ins: str = Field(min_length=15, max_length=17)
    date: dt.date
    act: str = Field(min_length=1, max_length=200, description="The act (label or CCAM/NGAP code).")
    amount_paid: Decimal = Field(ge=0, le=1_000_000, decimal_places=2)
    amount_reimbursed: Decimal = Field(ge=0, le=1_000_000, decimal_places=2)
    reference: str | None = Field(None, max_length=64, description="The insurer's id of the line (deduplication).")

    @model_validator(mode="after")
    def _coherent(self) -> ReimbursementLine:
        if self.amount_reimbursed > self.amount_paid:
            raise PydanticCustomError("over_reimbursed", "cannot be more than 'amount_paid'",
                                      {"code": "invalid_amount", "field": "amount_reimbursed"})
        if self.date > dt.date.today():
            raise PydanticCustomError("future_date", "cannot be in the future", {"code": "invalid_date",
                                                                                  "field": "date"})
        return self


class ReimbursementBatch(Strict):
    noun: ClassVar[str] = "a batch of reimbursements"

    items: list[Any] = Field(min_length=1, max_length=1000, description="Reimbursement lines, validated one by one.")

    def lines(self) -> list[ReimbursementLine | InvalidRow]:
        """Each line validated on its own: a line, or why it is not one (its INS checked like any NIR)."""
        return [_line(index, raw) for index, raw in enumerate(self.items)]


def _line(index: int, raw: Any) -> ReimbursementLine | InvalidRow:
    given = raw.get("ins") if isinstance(raw, dict) else None
    given = given if isinstance(given, str) else ""
    if not isinstance(raw, dict):
        return InvalidRow(given, f"Line {index} must be a JSON object.")
    try:
        line = ReimbursementLine.model_validate(raw)
        return line.model_copy(update={"ins": check_nir(line.ins, field="ins")})
    except ValidationError as error:
        return InvalidRow(given, validation_message(error)[1])
    except InvalidInput as error:
        return InvalidRow(given, error.message)

