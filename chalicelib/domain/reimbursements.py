"""Reimbursement data from the health insurance (R1111-26 puts it in the space): lines loaded by the back office,
read by the patient (or a legal representative) alone. Pure: no AWS, no Chalice."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Reimbursement:
    reimbursement_id: str
    date: dt.date
    act: str
    amount_paid: float
    amount_reimbursed: float
    recorded_at: dt.datetime
    currency: str = "EUR"
    reference: str | None = None


@dataclass(frozen=True)
class LineResult:
    """How one line of a batch went: recorded, duplicate (sent before) or invalid (with why)."""

    index: int
    ins: str
    status: str  # recorded | duplicate | invalid
    reimbursement_id: str | None = None
    reason: str | None = None


def line_id(ins: str, reference: str | None, date: dt.date, act: str, amount_paid: Decimal,
            amount_reimbursed: Decimal) -> str:
    """The same line sent twice is the same item: the insurer's reference if any, else the line's content."""
    basis = reference or f"{date}|{act}|{amount_paid}|{amount_reimbursed}"
    return hashlib.sha256(f"{ins}|{basis}".encode()).hexdigest()[:20]
