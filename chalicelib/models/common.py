"""Shared pydantic types of request bodies: identifiers validated by the domain's rules, times, and
:class:`Strict`, the base of every body (unknown fields refused, validated before a service sees them). Models are
built on first use (``defer_build``). The answers are in ``chalicelib/models/answers``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
)
from pydantic_core import PydanticCustomError

from chalicelib.domain import identity
from chalicelib.domain.timeutil import UTC, iso

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # a time outside these years is a typing mistake (or an attack)


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
    """An aware time within the sane years, in UTC. A time without a zone is refused: "09:00" could be Paris or
    UTC, and guessing would move an appointment by an hour or two without anyone noticing."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("naive_time", "a time must say its time zone: end it with Z (UTC) or an offset "
                                                "such as +01:00", {"code": "invalid_time"})
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError("time_out_of_range", "a time must fall between the years {earliest} and {latest}",
                                  {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR, "code": "invalid_time"})
    return value.astimezone(UTC)


# The NIR's and the RPPS's shapes are checked by their validators (one sentence for every way to get them wrong);
# the schema still documents them.
Nir = Annotated[str, Field(examples=["180057512345602"], json_schema_extra={"minLength": 15, "maxLength": 17},
                           description="Social-security number (NIR), also the INS: 15 characters."),
                AfterValidator(_nir)]
Rpps = Annotated[str, Field(json_schema_extra={"pattern": r"^\d{11}$"},
                            description="RPPS number: 11 digits, Luhn check digit."),
                 AfterValidator(_rpps)]
UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc), PlainSerializer(iso, return_type=str),
                        Field(description=f"ISO-8601 with its time zone (Z or an offset), between the years "
                                          f"{EARLIEST_YEAR} and {LATEST_YEAR}.")]


Text = Annotated[str, Field(min_length=1, max_length=200)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so that a misspelt field is never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)
    #: What the body is, in error sentences ("'titel' is not a field of an appointment").
    noun: ClassVar[str] = "this request"


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

