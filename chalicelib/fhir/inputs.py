"""What the FHIR builders take besides ens's domain entities: small, typed, and free of storage details.

The services adapt their records to these (``from_view`` reads the JSON shape the REST routes already answer,
CONTRACT §5-§6), so that the FHIR layer depends on no repository and no service signature. Standard library only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _time(value: Any) -> dt.datetime:
    from chalicelib.domain.timeutil import parse

    return value if isinstance(value, dt.datetime) else parse(str(value))


@dataclass(frozen=True)
class PartyInput:
    """Who did something: ``role`` patient | professional | establishment | app | carer, ``id`` its identifier
    (INS, RPPS, FINESS, app_id), and for a professional the profession."""

    role: str
    id: str
    profession: str | None = None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> PartyInput:
        return cls(role=str(view["role"]), id=str(view["id"]), profession=view.get("profession"))


@dataclass(frozen=True)
class MeasurementInput:
    """A stored measurement: LOINC ``code``, ``value`` in ``unit`` (canonical UCUM), when it was measured."""

    measurement_id: str
    code: str
    value: float
    unit: str
    effective_at: dt.datetime
    recorded_by: PartyInput | None = None
    device: str | None = None  # the Device's id when a connected device measured it

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> MeasurementInput:
        source = view.get("recorded_by") or view.get("source")
        return cls(measurement_id=str(view.get("measurement_id") or view.get("id")), code=str(view["code"]),
                   value=float(view["value"]), unit=str(view["unit"]), effective_at=_time(view["effective_at"]),
                   recorded_by=PartyInput.from_view(source) if source else None, device=view.get("device"))


@dataclass(frozen=True)
class VaccinationInput:
    vaccination_id: str
    vaccine: str
    date: dt.date
    dose: str | None = None
    lot: str | None = None
    recorded_by: PartyInput | None = None
    recorded_at: dt.datetime | None = None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> VaccinationInput:
        source = view.get("recorded_by")
        return cls(vaccination_id=str(view["vaccination_id"]), vaccine=str(view["vaccine"]),
                   date=_date(view["date"]) or dt.date.min, dose=view.get("dose"), lot=view.get("lot"),
                   recorded_by=PartyInput.from_view(source) if source else None,
                   recorded_at=_time(view["recorded_at"]) if view.get("recorded_at") else None)


@dataclass(frozen=True)
class AllergyInput:
    """One entry of the profile's ``allergies`` list (CONTRACT §6); ``index`` is its place in the list."""

    index: int
    name: str
    since: dt.date | None = None
    until: dt.date | None = None
    severity: str | None = None  # mild | moderate | severe | unknown
    reaction: str | None = None
    note: str | None = None
    recorded_at: dt.datetime | None = None

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> list[AllergyInput]:
        """Every allergy of a profile as the REST route answers it."""
        at = _time(profile["updated_at"]) if profile.get("updated_at") else None
        out = []
        for index, entry in enumerate(profile.get("allergies") or []):
            entry = {"name": entry} if isinstance(entry, str) else entry
            out.append(cls(index=index, name=str(entry["name"]), since=_date(entry.get("since")),
                           until=_date(entry.get("until")), severity=entry.get("severity"),
                           reaction=entry.get("reaction"), note=entry.get("note"), recorded_at=at))
        return out


@dataclass(frozen=True)
class AccessEntryInput:
    """One access-log entry (CONTRACT §5): who, when, what, how (normal | emergency | app)."""

    at: dt.datetime
    actor: PartyInput
    action: str
    mode: str
    document_id: str | None = None
    reason: str | None = None
    entry_id: str | None = None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> AccessEntryInput:
        return cls(at=_time(view["at"]), actor=PartyInput.from_view(view["actor"]), action=str(view["action"]),
                   mode=str(view["mode"]), document_id=view.get("document_id"), reason=view.get("reason"),
                   entry_id=view.get("entry_id"))


@dataclass(frozen=True)
class Page:
    """One page of a search: the items, ``total`` when known, and the opaque cursor of the next page."""

    items: list[Any]
    next_cursor: str | None = None
    total: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
