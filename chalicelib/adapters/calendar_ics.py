"""The patient's agenda as an iCalendar file (RFC 5545), served by ``GET /patients/{ins}/agenda.ics``.

Appointments become timed events in UTC; prevention reminders (vaccinations, screenings) become all-day, transparent
events. UIDs derive from the stored identifiers, so a calendar client that subscribes to the feed updates events
instead of duplicating them. The ``icalendar`` library is imported inside ``render_agenda`` to keep this module cheap
to import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

PRODID = "-//ens//Mon Espace Santé//FR"
CALENDAR_NAME = "Mon espace santé — agenda"
UID_DOMAIN = "ens.monespacesante.example"
DEFAULT_DURATION = dt.timedelta(minutes=30)

REMINDER_KINDS = {"vaccination": "Vaccination recommandée", "screening": "Dépistage recommandé"}


def event_uid(identifier: Any) -> str:
    """The stable UID of the event for an appointment or reminder id (line breaks, invalid in a UID, removed)."""
    text = "".join(ch for ch in str(identifier) if ch not in "\r\n")
    return f"{text}@{UID_DOMAIN}"


def _utc(value: Any) -> dt.datetime:
    """An ISO-8601 date-time (``Z``, an offset, or none meaning UTC) or a datetime, as an aware UTC datetime."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    parsed = parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
    return parsed.replace(microsecond=0)


def _day(value: Any) -> dt.date:
    """An ISO date (or the date part of an ISO date-time) or a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def render_agenda(
    ins_label: str,
    appointments: list[dict],
    reminders: list[dict],
    generated_at: dt.datetime,
) -> bytes:
    """The agenda as ``text/calendar`` bytes (UTF-8, CRLF line endings, lines folded at 75 octets).

    ``ins_label`` names whose agenda it is (shown in the calendar description, ``X-WR-CALDESC``); pass an empty
    string to leave it out. Appointments come first, then reminders, each in the order given. Raises ``ValueError``
    for a start, end or due date that is not ISO-8601.
    """
    from icalendar import Calendar, Event

    stamp = _utc(generated_at)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", "UTC")
    if ins_label:
        calendar.add("x-wr-caldesc", f"Agenda santé — {ins_label}")

    for appointment in appointments or ():
        start = _utc(appointment["start"])
        end = _utc(appointment["end"]) if appointment.get("end") else start + DEFAULT_DURATION
        if end <= start:  # RFC 5545: DTEND must be later than DTSTART
            end = start + DEFAULT_DURATION
        event = Event()
        event.add("uid", event_uid(appointment["appointment_id"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", str(appointment.get("title") or "Rendez-vous"))
        if appointment.get("location"):
            event.add("location", str(appointment["location"]))
        lines = []
        if appointment.get("professional"):
            lines.append(f"Professionnel : {appointment['professional']}")
        if appointment.get("source"):
            lines.append(f"Source : {appointment['source']}")
        if lines:
            event.add("description", "\n".join(lines))
        calendar.add_component(event)

    for reminder in reminders or ():
        day = _day(reminder["due_on"])
        kind = str(reminder.get("kind") or "")
        event = Event()
        event.add("uid", event_uid(reminder["reminder_id"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", f"Rappel : {reminder.get('label', '')}")
        if kind:
            event.add("categories", [kind])
            if kind in REMINDER_KINDS:
                event.add("description", REMINDER_KINDS[kind])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)

    return calendar.to_ical()
