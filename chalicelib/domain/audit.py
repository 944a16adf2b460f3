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


MODES = ("normal", "emergency", "app")  # an access log entry's mode (a carer's access is "normal", actor "carer")


@dataclass(frozen=True)
class AccessLogQuery:
    """What part of the access log to list (CONTRACT §10): one actor (their RPPS, FINESS, app id or INS), one mode,
    a period (inclusive). Every combination is one Query per page on a designed key (``docs/data-model.md``)."""

    actor_id: str | None = None
    mode: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def matches(self, entry: AccessEntry) -> bool:
        """Whether the entry belongs to this part of the log (times compared to the millisecond, as the log's
        time-ordered keys are)."""
        return ((self.actor_id is None or entry.actor.id == self.actor_id)
                and (self.mode is None or entry.mode == self.mode)
                and (self.since is None or millis(entry.at) >= millis(self.since))
                and (self.until is None or millis(entry.at) <= millis(self.until)))


def millis(value: dt.datetime) -> int:
    """Milliseconds since the epoch: what the log's time-ordered ids begin with (``Ids``)."""
    return int(value.timestamp() * 1000)


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
