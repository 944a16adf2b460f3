"""Recommended vaccinations and screenings, by age and sex, from the French calendar.

The programmes are data, in ``chalicelib/data/prevention.json``: the general-population part of the "Calendrier des
vaccinations et recommandations vaccinales 2025" (Ministère chargé de la santé) and the three national organised
cancer screening programmes (breast, colorectal, cervical; INCa / Assurance Maladie). Each programme names its
source. This module turns them into dated occurrences for one person: what ``GET /patients/{ins}/reminders`` shows
and what the ``reminders`` job schedules.

Schedule format (see also ``schedule_format`` in the JSON):

- ``ages``: ``[{"years": Y, "months": M}, ...]`` — one occurrence at each age; due on birth date + (12*Y + M) months,
  the day clamped to the end of the month (born on 29 February → 28 February in a non-leap year).
- ``recurring``: ``{"from_age_years", "every_years", "until_age_years" (inclusive or null), "month_day" ("MM-DD" or
  null)}`` — an occurrence at each of the ages from, from + every, ... (up to until); on the birthday, or, with
  ``month_day``, on that day of the calendar year in which the person reaches the age (seasonal campaigns).

Standard library only; the JSON is read on first use, so importing this module is cheap.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import heapq
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "prevention.json"

#: No occurrence is generated past this age: keeps open-ended rules ("every 10 years from 65") finite.
MAX_AGE_YEARS = 120

#: ``due_now`` also shows what falls due within this many days after today.
UPCOMING_DAYS = 30

#: How far back a recommendation still counts as due (what ``GET /reminders`` shows as due, and what is reminded
#: once when a space opens with it overdue).
LOOKBACK_DAYS = 365

KINDS = ("vaccination", "screening")
SEXES = ("M", "F")


@dataclass(frozen=True)
class Recommendation:
    """One dated occurrence of a programme for one person.

    ``reminder_id`` is ``"<programme>:<due_on ISO date>"``: stable between calls and unique per occurrence, so it can
    key stored reminders and agenda entries.
    """

    reminder_id: str
    programme: str
    kind: str
    label: str
    due_on: dt.date
    source: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form, with ``due_on`` as an ISO date."""
        return {
            "reminder_id": self.reminder_id,
            "programme": self.programme,
            "kind": self.kind,
            "label": self.label,
            "due_on": self.due_on.isoformat(),
            "source": self.source,
        }


@dataclass(frozen=True)
class _Recurring:
    from_age_years: int
    every_years: int
    until_age_years: int | None
    month_day: tuple[int, int] | None


@dataclass(frozen=True)
class _Programme:
    id: str
    kind: str
    label: str
    sex: str | None
    ages_months: tuple[int, ...]
    recurring: _Recurring | None
    source: str

    def applies_to(self, sex: str) -> bool:
        return self.sex is None or self.sex == sex


# --- loading -------------------------------------------------------------------------------------------------------


def _int(value: object, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where} must be an integer >= {minimum}, not {value!r}")
    return value


def _parse_month_day(value: object, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where} must be 'MM-DD' or null, not {value!r}")
    try:
        month_text, day_text = value.split("-")
        month, day = int(month_text), int(day_text)
        dt.date(2000, month, day)  # a leap year: accepts every valid month-day
    except ValueError as exc:
        raise ValueError(f"{where} must be 'MM-DD' or null, not {value!r}") from exc
    return month, day


def _parse_programme(raw: dict[str, Any]) -> _Programme:
    pid = raw.get("id")
    if not isinstance(pid, str) or not pid or ":" in pid:
        raise ValueError(f"programme id must be a non-empty string without ':', not {pid!r}")
    where = f"programme {pid!r}"
    if raw.get("kind") not in KINDS:
        raise ValueError(f"{where}: kind must be one of {KINDS}, not {raw.get('kind')!r}")
    if raw.get("sex") not in (*SEXES, None):
        raise ValueError(f"{where}: sex must be 'M', 'F' or null, not {raw.get('sex')!r}")
    for key in ("label", "source"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"{where}: {key} must be a non-empty string")
    schedule = raw.get("schedule")
    if not isinstance(schedule, dict):
        raise ValueError(f"{where}: schedule must be an object")
    ages = []
    for age in schedule.get("ages") or []:
        if not isinstance(age, dict) or not set(age) <= {"years", "months"} or not age:
            raise ValueError(f"{where}: each age must be {{'years': Y, 'months': M}}, not {age!r}")
        ages.append(12 * _int(age.get("years", 0), f"{where} age years") + _int(age.get("months", 0), f"{where} age"))
    recurring = None
    rule = schedule.get("recurring")
    if rule is not None:
        if not isinstance(rule, dict):
            raise ValueError(f"{where}: recurring must be an object or null")
        start = _int(rule.get("from_age_years"), f"{where} from_age_years")
        until = rule.get("until_age_years")
        recurring = _Recurring(
            from_age_years=start,
            every_years=_int(rule.get("every_years"), f"{where} every_years", minimum=1),
            until_age_years=None if until is None else _int(until, f"{where} until_age_years", minimum=start),
            month_day=_parse_month_day(rule.get("month_day"), f"{where} month_day"),
        )
    if not ages and recurring is None:
        raise ValueError(f"{where}: the schedule has neither ages nor a recurring rule")
    return _Programme(
        id=pid,
        kind=raw["kind"],
        label=raw["label"],
        sex=raw.get("sex"),
        ages_months=tuple(sorted(set(ages))),
        recurring=recurring,
        source=raw["source"],
    )


@functools.cache
def _programmes() -> tuple[_Programme, ...]:
    """Read and check the catalogue once; a malformed file fails loudly (ValueError) rather than silently."""
    with DATA_PATH.open(encoding="utf-8") as handle:
        document = json.load(handle)
    programmes = tuple(_parse_programme(raw) for raw in document["programmes"])
    ids = [p.id for p in programmes]
    duplicates = sorted({pid for pid in ids if ids.count(pid) > 1})
    if duplicates:
        raise ValueError(f"duplicate programme ids in {DATA_PATH.name}: {duplicates}")
    return programmes


# --- dates ---------------------------------------------------------------------------------------------------------


def _clamped(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(value: dt.date, months: int) -> dt.date:
    """``value`` plus ``months`` calendar months, the day clamped to the month's end (29 Feb + 12 months → 28 Feb)."""
    years, month_index = divmod(value.month - 1 + months, 12)
    return _clamped(value.year + years, month_index + 1, value.day)


def _dates(programme: _Programme, birth_date: dt.date) -> Iterator[dt.date]:
    """Every due date of ``programme`` for someone born on ``birth_date``, ascending, without duplicates."""

    def at_ages() -> Iterator[dt.date]:
        for months in programme.ages_months:
            if months > 12 * MAX_AGE_YEARS:
                return
            yield add_months(birth_date, months)

    def recurring() -> Iterator[dt.date]:
        rule = programme.recurring
        if rule is None:
            return
        last = MAX_AGE_YEARS if rule.until_age_years is None else min(rule.until_age_years, MAX_AGE_YEARS)
        for age in range(rule.from_age_years, last + 1, rule.every_years):
            if rule.month_day is None:
                yield add_months(birth_date, 12 * age)
            else:
                yield _clamped(birth_date.year + age, *rule.month_day)

    previous = None
    try:
        for due in heapq.merge(at_ages(), recurring()):
            if due != previous:
                yield due
                previous = due
    except (OverflowError, ValueError):  # past year 9999: nothing more to schedule
        return


def _recommendation(programme: _Programme, due: dt.date) -> Recommendation:
    return Recommendation(
        reminder_id=f"{programme.id}:{due.isoformat()}",
        programme=programme.id,
        kind=programme.kind,
        label=programme.label,
        due_on=due,
        source=programme.source,
    )


def _normalise_sex(sex: str) -> str:
    return sex.strip().upper() if isinstance(sex, str) else ""


# --- public --------------------------------------------------------------------------------------------------------


def occurrences(sex: str, birth_date: dt.date, start: dt.date, end: dt.date) -> list[Recommendation]:
    """Every occurrence, for a person of this sex and birth date, due between ``start`` and ``end`` inclusive.

    ``sex`` is ``"M"`` or ``"F"``; programmes reserved to one sex (breast and cervical screening) are left out for the
    other, and for any other value only the programmes for everyone apply. Sorted by due date, then programme id.
    """
    sex = _normalise_sex(sex)
    found: list[Recommendation] = []
    if end < start:
        return found
    for programme in _programmes():
        if not programme.applies_to(sex):
            continue
        for due in _dates(programme, birth_date):
            if due > end:
                break
            if due >= start:
                found.append(_recommendation(programme, due))
    found.sort(key=lambda r: (r.due_on, r.programme))
    return found


def due_now(sex: str, birth_date: dt.date, today: dt.date, lookback_days: int = 365) -> list[Recommendation]:
    """What is currently recommended: due in the last ``lookback_days`` days, today, or within the next 30 days.

    This is the content of ``GET /patients/{ins}/reminders``. Sorted by due date, then programme id.
    """
    if lookback_days < 0:
        raise ValueError("lookback_days must not be negative")
    start = today - dt.timedelta(days=lookback_days)
    return occurrences(sex, birth_date, start, today + dt.timedelta(days=UPCOMING_DAYS))


def overdue(sex: str, birth_date: dt.date, today: dt.date, lookback_days: int = LOOKBACK_DAYS) -> list[Recommendation]:
    """What was due before ``today`` (within ``lookback_days``) and is the latest occurrence of its programme:
    a woman of 56 whose 56th birthday has passed has her breast screening overdue. One per programme; an older
    occurrence followed by a newer one before today is superseded by it."""
    latest: dict[str, Recommendation] = {}
    for found in occurrences(sex, birth_date, today - dt.timedelta(days=lookback_days), today - dt.timedelta(days=1)):
        latest[found.programme] = found  # ascending by date: the last one wins
    return sorted(latest.values(), key=lambda r: (r.due_on, r.programme))


def next_occurrence(sex: str, birth_date: dt.date, after: dt.date) -> Recommendation | None:
    """The first occurrence due strictly after ``after`` (ties broken by programme id), or None if there is none.

    Used by the ``reminders`` job to schedule the next reminder.
    """
    sex = _normalise_sex(sex)
    best: Recommendation | None = None
    for programme in _programmes():
        if not programme.applies_to(sex):
            continue
        for due in _dates(programme, birth_date):
            if due > after:
                candidate = _recommendation(programme, due)
                if best is None or (candidate.due_on, candidate.programme) < (best.due_on, best.programme):
                    best = candidate
                break
    return best


def sources() -> list[str]:
    """The distinct sources cited by the programmes, in catalogue order."""
    return list(dict.fromkeys(programme.source for programme in _programmes()))
