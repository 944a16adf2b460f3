"""Who the patient shares their record with: professionals authorised or blocked, the attending doctor, emergency
settings and emergency accesses ("bris de glace"). The decision that applies them is ``domain/access.py``.
Pure: no AWS, no Chalice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chalicelib.domain.access import EmergencySettings

EMERGENCY_MAX = dt.timedelta(hours=24)  # an emergency access is temporary (CONTRACT §5)
RELATION_STATUSES = ("authorized", "blocked")

__all__ = ["EMERGENCY_MAX", "AttendingDoctor", "EmergencyAccess", "EmergencySettings", "Relation",
           "SharingSettings"]


@dataclass(frozen=True)
class Relation:
    """A professional's standing with the patient: authorised (care relationship, the patient, attending doctor)
    or blocked."""

    rpps: str
    status: str  # authorized | blocked
    via: str  # care_relationship | patient | attending_doctor
    since: dt.datetime
    profession: str | None = None
    attending_doctor: bool | None = None  # in a listing: whether this is the attending doctor


@dataclass(frozen=True)
class AttendingDoctor:
    rpps: str | None = None
    since: dt.datetime | None = None


@dataclass(frozen=True)
class SharingSettings:
    attending_doctor: AttendingDoctor = field(default_factory=AttendingDoctor)
    emergency: EmergencySettings = field(default_factory=EmergencySettings)


@dataclass(frozen=True)
class EmergencyAccess:
    """A professional's emergency access: granted at ``granted_at``, lasting until ``expires_at`` (24 h at most)."""

    rpps: str
    reason: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    samu: bool = False
    status: str = "granted"
    mode: str = "emergency"

    @classmethod
    def starting(cls, rpps: str, reason: str, now: dt.datetime, hours: float | None, samu: bool) -> EmergencyAccess:
        duration = min(EMERGENCY_MAX, dt.timedelta(hours=hours)) if hours else EMERGENCY_MAX
        return cls(rpps=rpps, reason=reason, granted_at=now, expires_at=now + duration, samu=samu)
