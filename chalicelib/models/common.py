"""Shared pydantic types: identifiers validated by the domain's rules, errors, pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError

from chalicelib.domain import identity
from chalicelib.domain.timeutil import UTC, iso


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
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Nir = Annotated[str, Field(min_length=15, max_length=17, examples=["180057512345602"],
                           description="Social-security number (NIR), also the INS: 15 characters."),
                AfterValidator(_nir)]
Rpps = Annotated[str, Field(pattern=r"^\d{11}$", description="RPPS number: 11 digits, Luhn check digit."),
                 AfterValidator(_rpps)]
UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc), PlainSerializer(iso, return_type=str),
                        Field(description="ISO-8601; a time without zone is UTC.")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so that a misspelt field is never silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Error(Out):
    code: str = Field(description="Stable, machine-readable.")
    message: str = Field(description="A sentence a person understands, naming the field at fault.")


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
        raise PydanticCustomError("invalid_phone", "a phone number in international form, e.g. +33612345678",
                                  {"code": "invalid_phone"})
    return compact


Phone = Annotated[str, Field(max_length=32), AfterValidator(normalise_phone)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
