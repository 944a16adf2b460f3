"""Shared pydantic types: identifiers validated by the domain's rules, errors, pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError

from chalicelib.domain import identity
from chalicelib.domain.timeutil import UTC, iso


def _nir(value: str) -> str:
    problem = identity.nir_problem(value)
    if problem:
        why = "" if problem.startswith("is not") else f": it {problem}"
        raise PydanticCustomError("invalid_nir", "is not a valid social-security number (NIR/INS){why}",
                                  {"why": why, "code": "invalid_nir"})
    return identity.normalise_nir(value)


def _rpps(value: str) -> str:
    if not identity.is_rpps(value):
        raise PydanticCustomError("invalid_rpps", "must be an RPPS number: 11 digits, the last a check digit",
                                  {"code": "invalid_rpps"})
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The NIR's and the RPPS's shapes are checked by their validators (one sentence for every way to get them wrong);
# the schema still documents them.
Nir = Annotated[str, Field(examples=["180057512345602"], json_schema_extra={"minLength": 15, "maxLength": 17},
                           description="Social-security number (NIR), also the INS: 15 characters."),
                AfterValidator(_nir)]
Rpps = Annotated[str, Field(json_schema_extra={"pattern": r"^\d{11}$"},
                            description="RPPS number: 11 digits, Luhn check digit."),
                 AfterValidator(_rpps)]
UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc), PlainSerializer(iso, return_type=str),
                        Field(description="ISO-8601; a time without zone is UTC.")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so that a misspelt field is never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    #: What the body is, in error sentences ("'titel' is not a field of an appointment").
    noun: ClassVar[str] = "this request"


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FieldError(Out):
    field: str = Field(description="The field at fault, as a dotted path into the body (beneficiaries.0.nir).")
    code: str = Field(description="Stable, machine-readable.")
    message: str = Field(description="A sentence a person understands, naming the field.")


class Error(Out):
    code: str = Field(description="Stable, machine-readable (the first problem's, when there are several).")
    message: str = Field(description="Sentences a person understands, naming every field at fault.")
    errors: list[FieldError] | None = Field(None, description="422: one entry per field at fault, in order.")


class Page(Out):
    items: list[Any]
    next_cursor: str | None = None


def page_of(model: type[BaseModel]) -> type[BaseModel]:
    """A list page whose items are ``model``."""
    from pydantic import create_model

    return create_model(f"{model.__name__}Page", __base__=Out, items=(list[model], ...),  # type: ignore[valid-type]
                        next_cursor=(str | None, None))


PHONE = re.compile(r"^\+[1-9]\d{7,14}$")


def normalise_phone(value: str) -> str:
    """E.164; French national numbers (0X XX XX XX XX) become +33."""
    compact = re.sub(r"[\s.()-]", "", value)
    if re.fullmatch(r"0[1-9]\d{8}", compact):
        compact = "+33" + compact[1:]
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not PHONE.match(compact):
        raise PydanticCustomError("invalid_phone", "must be a phone number, for example +33612345678",
                                  {"code": "invalid_phone"})
    return compact


Phone = Annotated[str, Field(max_length=32), AfterValidator(normalise_phone)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
