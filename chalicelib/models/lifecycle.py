"""Bodies and answers of the account lifecycle routes (CONTRACT §4)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain import identity
from chalicelib.domain.results import InvalidRow
from chalicelib.models.common import Email, Nir, Phone, Strict, UtcDateTime
from chalicelib.models.problems import validation_message

VitaleSerial = Annotated[str, Field(pattern=r"^\d{8,13}$", description="Vitale card serial: 8 to 13 digits.")]
MAX_BATCH = 1000


class Beneficiary(Strict):
    noun: ClassVar[str] = "an enrolment row"

    nir: Nir
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: dt.date
    email: Email | None = None
    phone: Phone | None = None
    postal_address: str | None = Field(None, min_length=5, max_length=500)
    vitale_serial: VitaleSerial | None = None
    notified_at: UtcDateTime | None = Field(None, description="When the notice went out; default now. "
                                                               "Starts the 42-day opt-out window.")
    legal_representative_nir: Nir | None = Field(None, description="Makes that person manage this (child's) space.")

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth(cls, value: dt.date) -> dt.date:
        if value > dt.date.today() or value.year < 1890:
            raise PydanticCustomError("invalid_birth_date", "must be a date in the past, after 1890",
                                      {"code": "invalid_birth_date"})
        return value

    @field_validator("notified_at")
    @classmethod
    def _not_future(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
            raise PydanticCustomError("future_notice", "cannot be in the future: the notice has not gone out yet",
                                      {"code": "invalid_notified_at"})
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Beneficiary:
        problem = identity.nir_birth_problem(self.nir, self.birth_date)
        if problem:
            raise PydanticCustomError("nir_birth_mismatch", "does not agree with 'birth_date': {problem}",
                                      {"problem": problem, "code": "nir_birth_mismatch", "field": "nir"})
        if self.legal_representative_nir == self.nir:
            raise PydanticCustomError("self_representative", "must be another person than 'nir'",
                                      {"code": "invalid_legal_representative", "field": "legal_representative_nir"})
        return self


# A row is a Beneficiary; one that is not stays a plain object so that it is reported on its own row.
Row = Annotated[Beneficiary | Any, Field(union_mode="left_to_right")]


class EnrolmentBatch(Strict):
    noun: ClassVar[str] = "an enrolment batch"

    beneficiaries: list[Row] = Field(
        min_length=1, max_length=MAX_BATCH,
        description="Rows validated one by one: a bad row is reported and never sinks the batch.",
    )

    def rows(self) -> list[Beneficiary | InvalidRow]:
        """Each row as a Beneficiary, or why it is not one (naming the field)."""
        return [validate_row(index, row) for index, row in enumerate(self.beneficiaries)]


def validate_row(index: int, row: Any) -> Beneficiary | InvalidRow:
    """A row as a Beneficiary, or the reason it is invalid (naming the field)."""
    if isinstance(row, Beneficiary):
        return row
    given = row.get("nir") if isinstance(row, dict) else None
    given = given if isinstance(given, str) else ""
    if not isinstance(row, dict):
        return InvalidRow(given, f"row {index} must be a JSON object")
    try:
        return Beneficiary.model_validate(row)
    except ValidationError as error:
        return InvalidRow(given, validation_message(error)[1])


class OptOutRequest(Strict):
    noun: ClassVar[str] = "an opt-out request"

    nir: Nir
    code: str | None = Field(None, min_length=1, max_length=32, description="The provisional code (online).")
    channel: Literal["online", "phone"] | None = Field(
        None, description="'phone': an agent records an objection made by phone (agent token, no code).")


class ActivationRequest(Strict):
    noun: ClassVar[str] = "an activation request"

    nir: Nir
    vitale_serial: VitaleSerial
    code: str = Field(min_length=1, max_length=32)


class CodeRequest(Strict):
    noun: ClassVar[str] = "a request for a new code"

    nir: Nir
    vitale_serial: VitaleSerial


class ClosureRequest(Strict):
    noun: ClassVar[str] = "a closure request"

    delete_requested: bool = Field(False, description="Erase the archive after 3 months instead of 10 years.")
