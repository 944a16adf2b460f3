"""What is kept for accountability: the patient's access log, and the inbox files an establishment sent that could
not be ingested. Pure: no AWS, no Chalice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.identity import Party


@dataclass(frozen=True)
class AccessEntry:
    """An access to a patient's space by someone other than the patient (append-only, shown to the patient)."""

    at: dt.datetime
    actor: Party
    action: str
    mode: str  # normal | emergency | app
    document_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Rejection:
    """A dropped file kept in quarantine, listed to the establishment that dropped it with the reason."""

    rejection_id: str
    at: dt.datetime
    received_at: dt.datetime
    key: str
    quarantine_key: str
    reason: str
    message: str
    size: int
