"""The agenda as iCalendar: parses back, stable UIDs, UTC appointments, all-day reminders, RFC 5545 line format."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from chalicelib.adapters.calendar_ics import event_uid, render_agenda

GENERATED_AT = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)

APPOINTMENTS = [
    {
        "appointment_id": "apt-1",
        "title": "Consultation cardiologie",
        "start": "2026-12-01T09:00:00Z",
        "end": "2026-12-01T09:45:00Z",
        "location": "Hôpital Européen Georges-Pompidou, Paris",
        "professional": "Dr Élise Martin",
        "source": "patient",
    },
    {"appointment_id": "apt-2", "title": "Prise de sang", "start": "2026-12-03T07:15:00Z"},
]
REMINDERS = [
    {
        "reminder_id": "dtp-adult:2026-12-15",
        "label": "Rappel diphtérie, tétanos, polio",
        "due_on": "2026-12-15",
        "kind": "vaccination",
    },
    {
        "reminder_id": "cervical-screening:2027-01-10",
        "label": "Dépistage du cancer du col de l'utérus",
        "due_on": "2027-01-10",
        "kind": "screening",
    },
]


def _render(appointments=APPOINTMENTS, reminders=REMINDERS, generated_at=GENERATED_AT) -> bytes:
    return render_agenda("Jean Dupont", appointments, reminders, generated_at)


def _events(ics: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(ics)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_calendar_properties():
    calendar = Calendar.from_ical(_render())
    assert str(calendar["PRODID"]) == "-//ens//Mon Espace Santé//FR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Mon espace santé — agenda"
    assert str(calendar["X-WR-TIMEZONE"]) == "UTC"
    assert "Jean Dupont" in str(calendar["X-WR-CALDESC"])


def test_one_event_per_appointment_and_reminder():
    calendar = Calendar.from_ical(_render())
    assert len(calendar.walk("VEVENT")) == 4
    assert set(_events(_render())) == {
        "apt-1@ens.monespacesante.example",
        "apt-2@ens.monespacesante.example",
        "dtp-adult:2026-12-15@ens.monespacesante.example",
        "cervical-screening:2027-01-10@ens.monespacesante.example",
    }


def test_empty_agenda_is_a_valid_calendar():
    ics = render_agenda("", [], [], GENERATED_AT)
    calendar = Calendar.from_ical(ics)
    assert calendar.walk("VEVENT") == []
    assert "X-WR-CALDESC" not in calendar


def test_uids_are_stable_across_calls_and_the_document_deterministic():
    first = _render()
    second = _render()
    assert first == second
    later = _render(generated_at=GENERATED_AT + dt.timedelta(hours=1))
    assert set(_events(later)) == set(_events(first))
    assert event_uid("apt-1") == "apt-1@ens.monespacesante.example"


def test_appointment_times_in_utc_and_details():
    event = _events(_render())["apt-1@ens.monespacesante.example"]
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert event.decoded("DTEND") == dt.datetime(2026, 12, 1, 9, 45, tzinfo=dt.UTC)
    assert event.decoded("DTSTAMP") == GENERATED_AT
    assert str(event["SUMMARY"]) == "Consultation cardiologie"
    assert str(event["LOCATION"]) == "Hôpital Européen Georges-Pompidou, Paris"
    assert "Dr Élise Martin" in str(event["DESCRIPTION"])
    ics = _render()
    assert b"DTSTART:20261201T090000Z\r\n" in ics
    assert b"DTEND:20261201T094500Z\r\n" in ics
    assert b"DTSTAMP:20261122T090000Z\r\n" in ics


def test_appointment_without_end_lasts_30_minutes():
    event = _events(_render())["apt-2@ens.monespacesante.example"]
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=30)
    assert "LOCATION" not in event
    assert "DESCRIPTION" not in event


def test_offsets_are_converted_to_utc_and_bad_ends_replaced():
    ics = _render(
        appointments=[
            {
                "appointment_id": "x",
                "title": "Kiné",
                "start": "2026-12-01T10:00:00+01:00",
                "end": "2026-12-01T09:00:00+01:00",
            }
        ],
        reminders=[],
    )
    event = _events(ics)["x@ens.monespacesante.example"]
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert event.decoded("DTEND") == dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def test_reminders_are_all_day_transparent_events():
    events = _events(_render())
    event = events["dtp-adult:2026-12-15@ens.monespacesante.example"]
    assert event.decoded("DTSTART") == dt.date(2026, 12, 15)
    assert not isinstance(event.decoded("DTSTART"), dt.datetime)
    assert event.decoded("DTEND") == dt.date(2026, 12, 16)
    assert str(event["SUMMARY"]) == "Rappel : Rappel diphtérie, tétanos, polio"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert event["CATEGORIES"].cats == ["vaccination"]
    screening = events["cervical-screening:2027-01-10@ens.monespacesante.example"]
    assert screening["CATEGORIES"].cats == ["screening"]
    ics = _render()
    assert b"DTSTART;VALUE=DATE:20261215\r\n" in ics
    assert b"DTEND;VALUE=DATE:20261216\r\n" in ics


def test_crlf_line_endings_and_75_octet_folding():
    long_title = "Consultation de suivi pneumologie pédiatrique — Œdème, bilan allergologique complet " * 3
    ics = _render(appointments=[{"appointment_id": "long", "title": long_title, "start": "2026-12-01T09:00:00Z"}])
    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # the long title was folded
    assert all(line.decode("utf-8") for line in lines)  # folding never splits a UTF-8 sequence
    assert str(_events(ics)["long@ens.monespacesante.example"]["SUMMARY"]) == long_title


@pytest.mark.parametrize("title", ["Vaccin anti-grippe à l'officine", "Ophtalmo — contrôle œil", "Dentiste 🦷", "眼科"])
def test_non_ascii_titles_round_trip(title):
    ics = _render(appointments=[{"appointment_id": "u", "title": title, "start": "2026-12-01T09:00:00Z"}], reminders=[])
    assert str(_events(ics)["u@ens.monespacesante.example"]["SUMMARY"]) == title


def test_special_characters_are_escaped():
    title = "Bilan; suivi, contrôle\\annuel\nligne 2"
    ics = _render(appointments=[{"appointment_id": "s", "title": title, "start": "2026-12-01T09:00:00Z"}], reminders=[])
    assert str(_events(ics)["s@ens.monespacesante.example"]["SUMMARY"]) == title


def test_invalid_dates_raise_value_error():
    with pytest.raises(ValueError):
        _render(appointments=[{"appointment_id": "b", "title": "x", "start": "demain"}], reminders=[])
    with pytest.raises(ValueError):
        _render(
            appointments=[], reminders=[{"reminder_id": "r", "label": "x", "due_on": "2026-13-01", "kind": "screening"}]
        )
