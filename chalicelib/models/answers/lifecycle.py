"""Answers of the account lifecycle routes (CONTRACT §4)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from chalicelib.models.answers import answer


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
class Me:
    ins: str
    status: str
    given_name: str
    family_name: str
    birth_date: dt.date
    dependants: list[Dependant]
