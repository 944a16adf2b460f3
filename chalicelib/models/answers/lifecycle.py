"""Answers of the account lifecycle routes (CONTRACT §4)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from chalicelib.models.answers import Describe, Time, answer


@answer
class EnrolmentResult:
    nir: str
    status: Literal["notified", "duplicate", "invalid"]
    reason: str | None = None


@answer
class EnrolmentResults:
    results: list[EnrolmentResult]


@answer
class StatusReply:
    status: str


@answer
class Dependant:
    ins: str
    given_name: str
    family_name: str
    birth_date: dt.date
    status: str


@answer
class Helped:
    ins: str
    given_name: str
    family_name: str
    birth_date: dt.date
    status: str
    since: Annotated[Time, Describe("When the caller became their carer.")]


@answer
class Me:
    ins: str
    status: str
    given_name: str
    family_name: str
    birth_date: dt.date
    dependants: Annotated[list[Dependant], Describe("The children's spaces the caller manages as a legal "
                                                   "representative (minors only).")]
    helped: Annotated[list[Helped], Describe("The people the caller helps as a carer (aidant).")]
