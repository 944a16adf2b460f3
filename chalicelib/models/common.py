"""Shared pydantic types: identifiers validated by the domain's rules, times, errors, and the two bases.

* :class:`Strict` — request bodies: unknown fields refused, validated before a service sees them;
* :class:`Out` — answers: each route's response model reads the service's result by attribute
  (``from_attributes``: a domain entity, a ``Page`` of them, or a small result dataclass) and is at once the
  OpenAPI schema and the serialiser. A field left None is left out of the answer, unless it is declared
  :data:`Nullable` (``next_cursor``, a profile's empty values...). Models are built on first use
  (``defer_build``): a cold start builds only the models its first request needs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from chalicelib.domain import identity
from chalicelib.domain.timeutil import UTC, iso

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200  # a time outside these years is a typing mistake (or an attack)


def _nir(value: str) -> str:
    problem = identity.nir_problem(value)
    if problem:
        raise PydanticCustomError("invalid_nir", "this social-security number (NIR/INS) {problem}",
                                  {"problem": problem, "code": "invalid_nir"})
    return identity.normalise_nir(value)


def _rpps(value: str) -> str:
    if not identity.is_rpps(value):
        raise PydanticCustomError("invalid_rpps", "an RPPS number is 11 digits ending with a Luhn check digit",
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


Nir = Annotated[str, Field(min_length=15, max_length=17, examples=["180057512345602"],
                           description="Social-security number (NIR), also the INS: 15 characters."),
                AfterValidator(_nir)]
Rpps = Annotated[str, Field(pattern=r"^\d{11}$", description="RPPS number: 11 digits, Luhn check digit."),
                 AfterValidator(_rpps)]
UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc), PlainSerializer(iso, return_type=str),
                        Field(description=f"ISO-8601 with its time zone (Z or an offset), between the years "
                                          f"{EARLIEST_YEAR} and {LATEST_YEAR}.")]
Time = Annotated[dt.datetime, PlainSerializer(iso, return_type=str),
                 Field(description="ISO-8601 UTC, e.g. 2026-11-22T09:00:00Z.")]


class _KeepNull:
    """Marks an answer's field that is shown as null rather than left out."""


KEEP_NULL = _KeepNull()
Text = Annotated[str, Field(min_length=1, max_length=200)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so that a misspelt field is never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Out(BaseModel):
    """Answers: read from a service's result by attribute; None fields left out unless :data:`Nullable`."""

    model_config = ConfigDict(extra="ignore", from_attributes=True, defer_build=True)

    @classmethod
    def kept_nulls(cls) -> frozenset[str]:
        kept = _KEPT.get(cls)
        if kept is None:
            kept = _KEPT[cls] = frozenset(name for name, info in cls.model_fields.items()
                                          if KEEP_NULL in info.metadata)
        return kept

    @model_serializer(mode="wrap")
    def _leave_out_nulls(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if not isinstance(data, dict):
            return data
        kept = type(self).kept_nulls()
        return {k: v for k, v in data.items() if v is not None or k in kept}


_KEPT: dict[type[Out], frozenset[str]] = {}
Cursor = Annotated[str | None, KEEP_NULL, Field(description="The next page's cursor; null on the last page.")]


class Error(Out):
    code: str = Field(description="Stable, machine-readable.")
    message: str = Field(description="A sentence a person understands, naming the field at fault.")


PHONE = re.compile(r"^\+[1-9]\d{7,14}$")


def normalise_phone(value: str) -> str:
    """E.164; French national numbers (0X XX XX XX XX) become +33."""
    compact = re.sub(r"[\s.()-]", "", value)
    if re.fullmatch(r"0[1-9]\d{8}", compact):
        compact = "+33" + compact[1:]
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not PHONE.match(compact):
        raise PydanticCustomError("invalid_phone", "a phone number in international form, e.g. +33612345678",
                                  {"code": "invalid_phone"})
    return compact


Phone = Annotated[str, Field(max_length=32), AfterValidator(normalise_phone)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Health(Out):
    status: str


class OpenApiDocument(RootModel[dict[str, Any]]):
    """The OpenAPI document itself (any JSON object)."""

    model_config = ConfigDict(defer_build=True)
