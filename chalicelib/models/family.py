"""Bodies of the family routes (CONTRACT §10): inviting a carer or a second legal representative by identity."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from chalicelib.models.common import Nir, Strict


class IdentityInvitation(Strict):
    """Who is invited, as their health insurer knows them: any mismatch answers like an unknown person (404)."""

    noun: ClassVar[str] = "an invitation"

    ins: Nir = Field(description="The invited person's INS (NIR).")
    given_name: str = Field(min_length=1, max_length=100, description="Their given name (the first one is enough).")
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: dt.date


class CarerInvitation(IdentityInvitation):
    noun: ClassVar[str] = "a carer's invitation"


class RepresentativeInvitation(IdentityInvitation):
    noun: ClassVar[str] = "a legal representative's invitation"
