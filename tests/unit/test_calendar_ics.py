"""The agenda as iCalendar, read back by an independent parser (vobject) and by icalendar: Paris times declared in
a VTIMEZONE, readable descriptions without identifiers, an alarm per appointment, only reminders still to come,
stable UIDs, RFC 5545 line format."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from chalicelib.adapters.calendar_ics import event_uid, render_agenda

PARIS = ZoneInfo("Europe/Paris")
GENERATED_AT = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
NIR = "180057512345627"
RPPS = "10001234565"

APPOINTMENTS = [
    {
        "appointment_id": "apt-1",
        "title": "Consultation cardiologie",
        "start": "2026-12-01T09:00:00Z",
        "end": "2026-12-01T09:45:00Z",
        "location": "Hôpital Européen Georges-Pompidou, Paris",
        "professional": "Dr Élise Martin",
        "note": "Apporter l'ECG",
        "source": {"role": "patient", "id": NIR},
    },
    {"appointment_id": "apt-2", "title": "Prise de sang", "start": "2027-07-03T07:15:00Z",
     "source": {"role": "professional", "id": RPPS, "profession": "infirmier"}},
]
REMINDERS = [
    {"reminder_id": "dtp-adult:2026-06-15", "label": "Rappel diphtérie, tétanos, polio", "due_on": "2026-06-15",
     "kind": "vaccination", "source": "Calendrier des vaccinations 2025"},
    {"reminder_id": "flu:2026-11-22", "label": "Vaccination contre la grippe", "due_on": "2026-11-22",
     "kind": "vaccination", "source": "Calendrier des vaccinations 2025"},
    {"reminder_id": "cervical-screening:2027-01-10", "label": "Dépistage du cancer du col de l'utérus",
     "due_on": "2027-01-10", "kind": "screening", "source": "Institut national du cancer"},
]


def _render(appointments=APPOINTMENTS, reminders=REMINDERS, generated_at=GENERATED_AT, label="") -> bytes:
    return render_agenda(label, appointments, reminders, generated_at)


def _parsed(ics: bytes):
    return vobject.readOne(ics.decode("utf-8"))


def _events(ics: bytes) -> dict[str, object]:
    return {event.uid.value: event for event in _parsed(ics).vevent_list}


def test_an_independent_parser_reads_the_calendar():
    calendar = _parsed(_render())
    assert calendar.prodid.value == "-//ens//Mon Espace Santé//FR" and calendar.version.value == "2.0"
    assert calendar.contents["x-wr-timezone"][0].value == "Europe/Paris"
    assert calendar.contents["x-wr-calname"][0].value == "Mon espace santé — agenda"
    assert "x-wr-caldesc" not in calendar.contents


def test_appointments_are_paris_times_declared_in_a_vtimezone():
    events = _events(_render())
    winter, summer = events["apt-1@ens.monespacesante.example"], events["apt-2@ens.monespacesante.example"]
    assert winter.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/Paris"]  # vobject: the TZID it resolved
    assert winter.dtstart.value == dt.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    assert winter.dtstart.value.utcoffset() == dt.timedelta(hours=1)
    assert winter.dtend.value == dt.datetime(2026, 12, 1, 10, 45, tzinfo=PARIS)
    assert summer.dtstart.value.utcoffset() == dt.timedelta(hours=2)
    assert summer.dtstart.value.astimezone(dt.UTC) == dt.datetime(2027, 7, 3, 7, 15, tzinfo=dt.UTC)
    assert summer.dtend.value - summer.dtstart.value == dt.timedelta(minutes=30)
    ics = _render()
    assert b"DTSTART;TZID=Europe/Paris:20261201T100000\r\n" in ics
    assert ics.index(b"BEGIN:VTIMEZONE") < ics.index(b"BEGIN:VEVENT")


def test_the_vtimezone_agrees_with_the_time_zone_database_for_decades():
    zone = _parsed(_render()).vtimezone.gettzinfo()
    checked = 0
    for year in range(2026, 2071):
        for month, day in ((1, 15), (3, 20), (3, 31), (4, 2), (7, 14), (10, 24), (10, 31), (11, 2), (12, 25)):
            for hour in (0, 4, 12, 23):
                local = dt.datetime(year, month, day, hour)
                assert zone.utcoffset(local) == local.replace(tzinfo=PARIS).utcoffset(), local
                checked += 1
    assert checked > 1000


def test_descriptions_are_readable_and_carry_no_identifier():
    ics = _render()
    events = _events(ics)
    first = events["apt-1@ens.monespacesante.example"].description.value
    assert first == ("Professionnel : Dr Élise Martin\nLieu : Hôpital Européen Georges-Pompidou, Paris\n"
                     "Note : Apporter l'ECG\nAjouté à Mon espace santé par le patient (ou son représentant).")
    second = events["apt-2@ens.monespacesante.example"].description.value
    assert second == "Ajouté à Mon espace santé par un professionnel de santé (infirmier)."
    for identifier in (NIR, RPPS, "'role'", "{", "patient'"):
        assert identifier.encode() not in ics, identifier


def test_every_appointment_has_an_alarm_the_day_before():
    for event in (e for e in _parsed(_render()).vevent_list if e.uid.value.startswith("apt-")):
        alarm = event.valarm
        assert alarm.action.value == "DISPLAY"
        assert alarm.trigger.value == dt.timedelta(days=-1)
        assert event.summary.value in alarm.description.value and alarm.description.value.startswith("Demain à ")
    assert _events(_render())["apt-1@ens.monespacesante.example"].valarm.description.value == \
        "Demain à 10:00 : Consultation cardiologie"


def test_reminders_are_what_is_coming_not_past_dates():
    events = _events(_render())
    assert "dtp-adult:2026-06-15@ens.monespacesante.example" not in events  # past: left out
    today = events["flu:2026-11-22@ens.monespacesante.example"]  # due today: kept
    coming = events["cervical-screening:2027-01-10@ens.monespacesante.example"]
    assert today.dtstart.value == dt.date(2026, 11, 22) and not isinstance(today.dtstart.value, dt.datetime)
    assert coming.dtstart.value == dt.date(2027, 1, 10) and coming.dtend.value == dt.date(2027, 1, 11)
    assert coming.summary.value == "Rappel : Dépistage du cancer du col de l'utérus"
    assert coming.transp.value == "TRANSPARENT"
    assert coming.categories.value == ["Dépistage"] and today.categories.value == ["Vaccination"]
    assert coming.description.value.startswith("Dépistage recommandé : Dépistage du cancer du col de l'utérus.")
    assert "Source : Institut national du cancer" in coming.description.value
    assert not hasattr(coming, "valarm")


def test_today_is_the_day_in_paris():
    late_evening = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)  # already the 23rd in Paris
    events = _events(_render(generated_at=late_evening))
    assert "flu:2026-11-22@ens.monespacesante.example" not in events


def test_icalendar_reads_it_too_and_uids_are_stable():
    first, second = _render(), _render()
    assert first == second
    later = _render(generated_at=GENERATED_AT + dt.timedelta(hours=1))
    assert set(_events(later)) == set(_events(first))
    assert len(Calendar.from_ical(first).walk("VEVENT")) == 4
    assert event_uid("apt-1") == "apt-1@ens.monespacesante.example"


def test_empty_agenda_is_a_valid_calendar():
    calendar = _parsed(render_agenda("", [], [], GENERATED_AT))
    assert not calendar.contents.get("vevent")


def test_offsets_are_read_and_bad_ends_replaced():
    ics = _render(appointments=[{"appointment_id": "x", "title": "Kiné", "start": "2026-12-01T10:00:00+01:00",
                                 "end": "2026-12-01T09:00:00+01:00"}], reminders=[])
    event = _events(ics)["x@ens.monespacesante.example"]
    assert event.dtstart.value == dt.datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)
    assert event.dtend.value - event.dtstart.value == dt.timedelta(minutes=30)
    assert event.description.value == "Rendez-vous de Mon espace santé."


def test_crlf_line_endings_and_75_octet_folding():
    long_title = "Consultation de suivi pneumologie pédiatrique — Œdème, bilan allergologique complet " * 3
    ics = _render(appointments=[{"appointment_id": "long", "title": long_title, "start": "2026-12-01T09:00:00Z"}])
    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)
    assert all(line.decode("utf-8") for line in lines)  # folding never splits a UTF-8 sequence
    assert _events(ics)["long@ens.monespacesante.example"].summary.value == long_title


@pytest.mark.parametrize("title", ["Vaccin anti-grippe à l'officine", "Ophtalmo — contrôle œil", "Dentiste 🦷", "眼科",
                                   "Bilan; suivi, contrôle\\annuel\nligne 2"])
def test_titles_round_trip(title):
    ics = _render(appointments=[{"appointment_id": "u", "title": title, "start": "2026-12-01T09:00:00Z"}], reminders=[])
    assert _events(ics)["u@ens.monespacesante.example"].summary.value == title


def test_invalid_dates_raise_value_error():
    with pytest.raises(ValueError):
        _render(appointments=[{"appointment_id": "b", "title": "x", "start": "demain"}], reminders=[])
    with pytest.raises(ValueError):
        _render(appointments=[], reminders=[{"reminder_id": "r", "label": "x", "due_on": "2026-13-01",
                                             "kind": "screening"}])
