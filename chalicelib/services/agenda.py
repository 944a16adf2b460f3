"""The agenda: appointments, the iCalendar export, and vaccination and screening reminders.

Reminders come from the French vaccination calendar and the national screening programmes
(`chalicelib/data/prevention.json`, sources named there). Each space keeps its next reminder in the sparse
``due`` index; the `reminders` job sends the ones due and moves on to the next, each at most once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from chalicelib.domain.access import LIVE, Action
from chalicelib.domain.timeutil import UTC, iso, iso_ms, parse
from chalicelib.ports import AccountRepository, Clock
from chalicelib.services.access import AccessService
from chalicelib.services.care import source_of
from chalicelib.services.lifecycle import JobReport

DEFAULT_LENGTH = dt.timedelta(minutes=30)
SEND_HOUR = 7  # reminders go out on their due date, in the morning (UTC)


class AgendaRepository(Protocol):
    def add(self, ins: str, sk: str, entry: dict[str, Any], once: bool = False) -> bool: ...
    def page(self, ins: str, prefix: str, limit: int, cursor: str | None, newest_first: bool = True,
             filters: dict[str, str] | None = None, start_at: str | None = None) -> tuple[list[dict[str, Any]],
                                                                                         str | None]: ...
    def reminders(self, ins: str) -> dict[str, Any]: ...
    def schedule_reminder(self, ins: str, day: dt.date | None, due_at: dt.datetime | None) -> None: ...
    def advance_reminders(self, ins: str, from_day: dt.date, day: dt.date | None,
                          due_at: dt.datetime | None) -> bool: ...
    def claim_reminder(self, ins: str, reminder_id: str) -> bool: ...
    def release_reminder(self, ins: str, reminder_id: str) -> None: ...
    def due_reminders(self, now: dt.datetime) -> list[str]: ...


def send_time(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, SEND_HOUR, tzinfo=UTC)


class AgendaService:
    def __init__(self, agenda: AgendaRepository, accounts: AccountRepository, access: AccessService, messenger: Any,
                 clock: Clock) -> None:
        self.agenda = agenda
        self.accounts = accounts
        self.access = access
        self.messenger = messenger
        self.clock = clock

    # -- appointments --------------------------------------------------------------------------------------------
    def add_appointment(self, actor: Any, ins: str, body: Any) -> dict[str, Any]:
        from chalicelib.adapters.system import new_id

        grant = self.access.check(actor, Action.WRITE_AGENDA, ins)
        now = self.clock.now()
        end = body.end or body.start + DEFAULT_LENGTH
        entry = {"appointment_id": new_id(now), "title": body.title, "start": iso(body.start), "end": iso(end),
                 "location": body.location, "professional": body.professional, "note": body.note,
                 "source": source_of(grant), "created_at": iso(now)}
        self.agenda.add(ins, f"APPT#{iso_ms(body.start)}#{entry['appointment_id']}", entry)
        grant.log("add_appointment")
        return {k: v for k, v in entry.items() if v is not None}

    def appointments(self, actor: Any, ins: str, limit: int, cursor: str | None,
                     start_from: dt.datetime | None = None) -> dict[str, Any]:
        """In chronological order, from ``start_from`` when given."""
        grant = self.access.check(actor, Action.READ_AGENDA, ins)
        items, next_cursor = self.agenda.page(ins, "APPT#", limit, cursor, newest_first=False,
                                              start_at=iso_ms(start_from) if start_from else None)
        grant.log("list_appointments")
        return {"items": items, "next_cursor": next_cursor}

    def calendar(self, actor: Any, ins: str) -> str:
        """The agenda as iCalendar: appointments and the reminders of the coming year."""
        from chalicelib.adapters.calendar_ics import render_agenda

        grant = self.access.check(actor, Action.READ_AGENDA, ins)
        appointments: list[dict[str, Any]] = []
        cursor = None
        while len(appointments) < 2000:
            page, cursor = self.agenda.page(ins, "APPT#", 500, cursor, newest_first=False)
            appointments += page
            if not cursor:
                break
        reminders = self._recommendations(ins, horizon_days=365) if grant.mode.value != "app" else []
        grant.log("export_agenda")
        return render_agenda("", appointments, reminders, self.clock.now()).decode()

    # -- reminders -----------------------------------------------------------------------------------------------
    def reminders(self, actor: Any, ins: str) -> dict[str, Any]:
        from chalicelib.domain.prevention import sources

        self.access.check(actor, Action.READ_REMINDERS, ins)
        return {"items": self._recommendations(ins, horizon_days=30), "sources": sources()}

    def _recommendations(self, ins: str, horizon_days: int) -> list[dict[str, Any]]:
        from chalicelib.domain.identity import sex_of
        from chalicelib.domain.prevention import occurrences

        account = self.accounts.get(ins)
        if account is None:
            return []
        today = self.clock.now().date()
        sent = set(self.agenda.reminders(ins).get("sent") or [])
        found = occurrences(sex_of(ins), account.birth_date, today - dt.timedelta(days=365),
                            today + dt.timedelta(days=horizon_days))
        return [{"reminder_id": r.reminder_id, "programme": r.programme, "kind": r.kind, "label": r.label,
                 "due_on": r.due_on.isoformat(), "status": "due" if r.due_on <= today else "upcoming",
                 "notified": r.reminder_id in sent, "source": r.source} for r in found]

    def space_opened(self, ins: str, birth_date: dt.date, now: dt.datetime) -> None:
        """A space opens (or reopens): schedule its reminders from today on."""
        from chalicelib.domain.identity import sex_of
        from chalicelib.domain.prevention import next_occurrence

        upcoming = next_occurrence(sex_of(ins), birth_date, now.date() - dt.timedelta(days=1))
        day = upcoming.due_on if upcoming else None
        self.agenda.schedule_reminder(ins, day, send_time(day) if day else None)

    def run(self, now: dt.datetime) -> JobReport:
        """The `reminders` job: every reminder due is sent, once, and the next date is scheduled."""
        from chalicelib.domain.identity import sex_of
        from chalicelib.domain.prevention import next_occurrence, occurrences

        report = JobReport("reminders", details={"spaces": 0})
        for ins in dict.fromkeys(self.agenda.due_reminders(now)):
            account = self.accounts.get(ins)
            if account is None or account.status.value not in LIVE:
                self.agenda.schedule_reminder(ins, None, None)  # no space, no reminder (until it reopens)
                continue
            report.details["spaces"] += 1
            sex = sex_of(ins)
            state = self.agenda.reminders(ins)
            day = dt.date.fromisoformat(state["next_on"]) if state.get("next_on") else None
            while day is not None and send_time(day) <= now:
                for reminder in occurrences(sex, account.birth_date, day, day):
                    if not self.agenda.claim_reminder(ins, reminder.reminder_id):
                        continue  # already sent by another run
                    try:
                        self.messenger.tell(account, "reminder", {"due_on": day.isoformat()})
                    except Exception:
                        self.agenda.release_reminder(ins, reminder.reminder_id)
                        raise
                    report.processed += 1
                following = next_occurrence(sex, account.birth_date, day)
                next_day = following.due_on if following else None
                if not self.agenda.advance_reminders(ins, day, next_day, send_time(next_day) if next_day else None):
                    break  # another run moved on
                day = next_day
        return report


def parse_from(value: str | None) -> dt.datetime | None:
    from chalicelib.errors import InvalidInput

    if not value:
        return None
    try:
        return parse(value)
    except ValueError as error:
        raise InvalidInput("The parameter 'from' must be an ISO-8601 time.", code="invalid_from",
                           field="from") from error
