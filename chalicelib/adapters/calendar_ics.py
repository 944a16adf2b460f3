"""The patient's agenda as an iCalendar file (RFC 5545), served by ``GET /patients/{ins}/agenda.ics``.

What a calendar application shows of it (Google, Outlook, Apple, Thunderbird), in French:

- appointments: timed events in the Europe/Paris time zone, declared in a VTIMEZONE, with a readable description
  (the professional seen, the note, who added it) and an alarm the day before;
- prevention reminders (vaccinations, screenings) still to come: all-day, transparent events saying what is
  recommended and by which programme. A date already past is left out: a calendar is for what is coming.

Nothing in it identifies the person beyond what they wrote themselves: no NIR/INS, no RPPS, no internal id in a
description (a synced calendar ends up in third-party clouds). UIDs derive from the stored opaque identifiers, so
a client that subscribes to the feed updates events instead of duplicating them. The ``icalendar`` library is
imported inside ``render_agenda`` to keep this module cheap to import.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

PRODID = "-//ens//Mon Espace Santé//FR"
CALENDAR_NAME = "Mon espace santé — agenda"
UID_DOMAIN = "ens.monespacesante.example"
DEFAULT_DURATION = dt.timedelta(minutes=30)
TIMEZONE = "Europe/Paris"
ALARM_BEFORE = dt.timedelta(days=1)

REMINDER_KINDS = {"vaccination": "Vaccination recommandée", "screening": "Dépistage recommandé"}
REMINDER_CATEGORIES = {"vaccination": "Vaccination", "screening": "Dépistage"}
APPOINTMENT_CATEGORY = "Rendez-vous de santé"

#: Who added an appointment, in words (never their identifier).
ADDED_BY = {
    "patient": "le patient (ou son représentant)",
    "professional": "un professionnel de santé",
    "establishment": "un établissement de santé",
    "app": "une application connectée à l'espace santé",
}
PROFESSIONS = {
    "medecin": "médecin",
    "pharmacien": "pharmacien",
    "infirmier": "infirmier",
    "chirurgien-dentiste": "chirurgien-dentiste",
    "sage-femme": "sage-femme",
    "masseur-kinesitherapeute": "masseur-kinésithérapeute",
}


def event_uid(identifier: Any) -> str:
    """The stable UID of the event for an appointment or reminder id (line breaks, invalid in a UID, removed)."""
    text = "".join(ch for ch in str(identifier) if ch not in "\r\n")
    return f"{text}@{UID_DOMAIN}"


@functools.cache
def _paris() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(TIMEZONE)


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


def added_by(source: Any) -> str:
    """Who added an appointment, as a reader understands it: a role and a profession, never an identifier."""
    if not isinstance(source, dict):
        return ""
    who = ADDED_BY.get(str(source.get("role") or ""), "")
    profession = PROFESSIONS.get(str(source.get("profession") or ""))
    if who and profession and source.get("role") == "professional":
        who = f"{who} ({profession})"
    return who


def appointment_description(appointment: dict[str, Any]) -> str:
    """The readable description of an appointment's event."""
    lines = []
    if appointment.get("professional"):
        lines.append(f"Professionnel : {appointment['professional']}")
    if appointment.get("location"):
        lines.append(f"Lieu : {appointment['location']}")
    if appointment.get("note"):
        lines.append(f"Note : {appointment['note']}")
    who = added_by(appointment.get("source"))
    lines.append(f"Ajouté à Mon espace santé par {who}." if who else "Rendez-vous de Mon espace santé.")
    return "\n".join(lines)


def reminder_description(reminder: dict[str, Any]) -> str:
    """The readable description of a prevention reminder's event."""
    kind = str(reminder.get("kind") or "")
    lines = [f"{REMINDER_KINDS.get(kind, 'Recommandation de prévention')} : {reminder.get('label', '')}."]
    lines.append("Parlez-en à votre médecin, votre pharmacien, votre infirmier ou votre sage-femme.")
    if reminder.get("source"):
        lines.append(f"Source : {reminder['source']}")
    return "\n".join(lines)


def render_agenda(
    ins_label: str,
    appointments: list[dict],
    reminders: list[dict],
    generated_at: dt.datetime,
) -> bytes:
    """The agenda as ``text/calendar`` bytes (UTF-8, CRLF line endings, lines folded at 75 octets).

    ``ins_label`` names whose agenda it is (shown in the calendar description, ``X-WR-CALDESC``); pass an empty
    string to leave it out (the service does: a name or an INS has no place in a third-party calendar).
    Appointments come first, then the reminders due from today (Paris) on, each in the order given. Raises
    ``ValueError`` for a start, end or due date that is not ISO-8601.
    """
    from icalendar import Alarm, Calendar, Event

    stamp = _utc(generated_at)
    today = stamp.astimezone(_paris()).date()
    paris = _paris()

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", TIMEZONE)
    if ins_label:
        calendar.add("x-wr-caldesc", f"Agenda santé — {ins_label}")
    calendar.add_component(paris_timezone())  # before the events that use it

    for appointment in appointments or ():
        start = _utc(appointment["start"])
        end = _utc(appointment["end"]) if appointment.get("end") else start + DEFAULT_DURATION
        if end <= start:  # RFC 5545: DTEND must be later than DTSTART
            end = start + DEFAULT_DURATION
        title = str(appointment.get("title") or "Rendez-vous")
        event = Event()
        event.add("uid", event_uid(appointment["appointment_id"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", start.astimezone(paris))
        event.add("dtend", end.astimezone(paris))
        event.add("summary", title)
        if appointment.get("location"):
            event.add("location", str(appointment["location"]))
        event.add("description", appointment_description(appointment))
        event.add("categories", [APPOINTMENT_CATEGORY])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -ALARM_BEFORE)
        when = start.astimezone(paris).strftime("%H:%M")
        alarm.add("description", f"Demain à {when} : {title}")
        event.add_component(alarm)
        calendar.add_component(event)

    for reminder in reminders or ():
        day = _day(reminder["due_on"])
        if day < today:
            continue  # already past: GET /reminders lists it; a calendar shows what is coming
        kind = str(reminder.get("kind") or "")
        event = Event()
        event.add("uid", event_uid(reminder["reminder_id"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", f"Rappel : {reminder.get('label', '')}")
        event.add("description", reminder_description(reminder))
        if kind:
            event.add("categories", [REMINDER_CATEGORIES.get(kind, kind)])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)

    return calendar.to_ical()


def paris_timezone() -> Any:
    """The VTIMEZONE of Europe/Paris: CET, and CEST from the last Sunday of March (02:00) to the last Sunday of
    October (03:00), the European Union's rule since 1996 (directive 2000/84/EC) — one definition valid for every
    coming year, as calendar applications write it."""
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

    zone = Timezone()
    zone.add("tzid", TIMEZONE)
    zone.add("x-lic-location", TIMEZONE)
    for kind, name, before, after, onset, month in (
        (TimezoneDaylight, "CEST", 1, 2, dt.datetime(1996, 3, 31, 2, 0), 3),
        (TimezoneStandard, "CET", 2, 1, dt.datetime(1996, 10, 27, 3, 0), 10),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("tzoffsetfrom", dt.timedelta(hours=before))
        part.add("tzoffsetto", dt.timedelta(hours=after))
        part.add("dtstart", onset)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        zone.add_component(part)
    return zone
