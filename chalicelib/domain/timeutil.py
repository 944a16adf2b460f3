"""UTC time helpers: every time in ens is timezone-aware UTC and written as ISO-8601 with a Z."""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def iso(value: dt.datetime) -> str:
    """ISO-8601 UTC, seconds precision, Z suffix: what clients see."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_ms(value: dt.datetime) -> str:
    """ISO-8601 UTC with milliseconds: sortable, used in keys."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(value: str) -> dt.datetime:
    """Parse ISO-8601; a time without zone is taken as UTC."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def add_months(value: dt.datetime, months: int) -> dt.datetime:
    from dateutil.relativedelta import relativedelta

    return value + relativedelta(months=months)


def add_years(value: dt.datetime, years: int) -> dt.datetime:
    from dateutil.relativedelta import relativedelta

    return value + relativedelta(years=years)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


PARIS_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                "novembre", "décembre")


def paris_time(value: dt.datetime) -> str:
    """A time as a person in France reads it: "3 mars 2027 à 09:00" (Europe/Paris, summer time included)."""
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo("Europe/Paris"))
    return f"{local.day} {PARIS_MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"
