"""The agenda: appointments, the iCalendar export, and vaccination and screening reminders.

Reminders come from the French vaccination calendar and the national screening programmes
(`chalicelib/data/prevention.json`, sources named there). Each space keeps its next reminder in the sparse
``due`` index; the `reminders` job sends the ones due and moves on to the next, each at most once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import LIVE, Action
from chalicelib.domain.agenda import (
    DEFAULT_LENGTH,
    AgendaExport,
    Appointment,
    Reminder,
    Reminders,
    ReminderState,
    reminder,
    send_time,
)
from chalicelib.domain.identity import Actor, Party, sex_of
from chalicelib.domain.prevention import next_occurrence, occurrences, sources
from chalicelib.domain.results import Page
from chalicelib.errors import SendLater
from chalicelib.ports import AccountRepository, Clock, Ids
from chalicelib.services.access import AccessService
from chalicelib.services.lifecycle import JobReport
from chalicelib.services.notices import Messenger

if TYPE_CHECKING:
    from chalicelib.models.care import AppointmentCreate

EXPORT_LIMIT = 2000  # appointments in one iCalendar export
EXPORT_PAGE = 500


class AgendaRepository(Protocol):
    def add_appointment(self, ins: str, appointment: Appointment) -> None: ...
    def appointments(self, ins: str, limit: int, cursor: str | None,
                     start_from: dt.datetime | None = None) -> Page[Appointment]:
        """In chronological order, from ``start_from`` when given."""
        ...
    def reminders(self, ins: str) -> ReminderState: ...
    def schedule_reminder(self, ins: str, day: dt.date | None, due_at: dt.datetime | None) -> None: ...
    def advance_reminders(self, ins: str, from_day: dt.date, day: dt.date | None,
                          due_at: dt.datetime | None) -> bool: ...
    def claim_reminder(self, ins: str, reminder_id: str) -> bool: ...
    def release_reminder(self, ins: str, reminder_id: str) -> None: ...
    def due_reminders(self, now: dt.datetime) -> list[str]: ...
    def erase(self, ins: str) -> int: ...


class CalendarRenderer(Protocol):
    def render(self, agenda: AgendaExport) -> bytes:
        """The agenda as an iCalendar file (RFC 5545)."""
        ...


class AgendaService:
    def __init__(self, agenda: AgendaRepository, accounts: AccountRepository, access: AccessService,
                 messenger: Messenger, clock: Clock, ids: Ids, renderer: CalendarRenderer) -> None:
        self.agenda = agenda
        self.accounts = accounts
        self.access = access
        self.messenger = messenger
        self.clock = clock
        self.ids = ids
        self.renderer = renderer

    # -- appointments --------------------------------------------------------------------------------------------
    def add_appointment(self, actor: Actor, ins: str, body: AppointmentCreate) -> Appointment:
        grant = self.access.check(actor, Action.WRITE_AGENDA, ins)
        now = self.clock.now()
        appointment = Appointment(appointment_id=self.ids.new(now), title=body.title, start=body.start,
                                  end=body.end or body.start + DEFAULT_LENGTH, location=body.location,
                                  professional=body.professional, note=body.note, source=Party.of(actor),
                                  created_at=now)
        self.agenda.add_appointment(ins, appointment)
        grant.log("add_appointment")
        return appointment

    def appointments(self, actor: Actor, ins: str, limit: int, cursor: str | None,
                     start_from: dt.datetime | None = None) -> Page[Appointment]:
        """In chronological order, from ``start_from`` when given."""
        grant = self.access.check(actor, Action.READ_AGENDA, ins)
        page = self.agenda.appointments(ins, limit, cursor, start_from)
        grant.log("list_appointments")
        return page

    def calendar(self, actor: Actor, ins: str) -> bytes:
        """The agenda as iCalendar: appointments and, for the patient, the reminders of the coming year."""
        grant = self.access.check(actor, Action.READ_AGENDA, ins)
        appointments: list[Appointment] = []
        cursor = None
        while len(appointments) < EXPORT_LIMIT:
            page = self.agenda.appointments(ins, EXPORT_PAGE, cursor)
            appointments += page.items
            cursor = page.next_cursor
            if not cursor:
                break
        reminders = self._recommendations(ins, horizon_days=365) if grant.by_patient else []
        grant.log("export_agenda")
        return self.renderer.render(AgendaExport(appointments, reminders, self.clock.now()))

    # -- reminders -----------------------------------------------------------------------------------------------
    def reminders(self, actor: Actor, ins: str) -> Reminders:
        self.access.check(actor, Action.READ_REMINDERS, ins)
        return Reminders(self._recommendations(ins, horizon_days=30), sources())

    def _recommendations(self, ins: str, horizon_days: int) -> list[Reminder]:
        account = self.accounts.get(ins)
        if account is None:
            return []
        today = self.clock.now().date()
        sent = self.agenda.reminders(ins).sent
        found = occurrences(sex_of(ins), account.birth_date, today - dt.timedelta(days=365),
                            today + dt.timedelta(days=horizon_days))
        return [reminder(r, today, sent) for r in found]

    def space_opened(self, ins: str, birth_date: dt.date, now: dt.datetime) -> None:
        """A space opens (or reopens): schedule its reminders from today on."""
        upcoming = next_occurrence(sex_of(ins), birth_date, now.date() - dt.timedelta(days=1))
        day = upcoming.due_on if upcoming else None
        self.agenda.schedule_reminder(ins, day, send_time(day) if day else None)

    def run(self, now: dt.datetime) -> JobReport:
        """The `reminders` job in one process: every reminder due is sent, once, and the next date is scheduled."""
        return self.send_reminders(list(dict.fromkeys(self.agenda.due_reminders(now))), now)

    def send_reminders(self, inses: Sequence[str], now: dt.datetime) -> JobReport:
        """One unit of the `reminders` job: each space's reminders due by ``now``, each claimed before it is sent
        (a retried or duplicated unit sends none twice). Throttled (SendLater): the reminder is released and the
        rest of the unit left due, for the next run."""
        report = JobReport("reminders", details={"spaces": 0, "reminders_deferred": 0})
        for index, ins in enumerate(inses):
            try:
                self._send_due(ins, now, report)
            except SendLater:
                report.details["reminders_deferred"] += len(inses) - index
                break
        return report

    def _send_due(self, ins: str, now: dt.datetime, report: JobReport) -> None:
        account = self.accounts.get(ins)
        if account is None or account.status.value not in LIVE:
            self.agenda.schedule_reminder(ins, None, None)  # no space, no reminder (until it reopens)
            return
        report.details["spaces"] += 1
        sex = sex_of(ins)
        day = self.agenda.reminders(ins).next_on
        while day is not None and send_time(day) <= now:
            for due in occurrences(sex, account.birth_date, day, day):
                if not self.agenda.claim_reminder(ins, due.reminder_id):
                    continue  # already sent by another run
                try:
                    self.messenger.tell(account, "reminder", {"due_on": day.isoformat()})
                except Exception:
                    self.agenda.release_reminder(ins, due.reminder_id)
                    raise
                report.processed += 1
            following = next_occurrence(sex, account.birth_date, day)
            next_day = following.due_on if following else None
            if not self.agenda.advance_reminders(ins, day, next_day, send_time(next_day) if next_day else None):
                break  # another run moved on
            day = next_day

    # -- the archive ---------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        return self.agenda.erase(ins)
