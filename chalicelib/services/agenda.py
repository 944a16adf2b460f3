"""The agenda: appointments, the iCalendar export, and vaccination and screening reminders.

Reminders come from the French vaccination calendar and the national screening programmes
(`chalicelib/data/prevention.json`, sources named there). Each space keeps its next reminder in the sparse
``due`` index; the `reminders` job sends the ones due and moves on to the next, each at most once.

Besides the calendar, the job sends one-off reminders (alarms) at their time: an appointment's ``reminder_at``
(``appointment_reminder``; moved or cancelled with its appointment), a recommendation the patient postponed (on the
day given), and a recommendation already overdue when the space opened (once). A recommendation the patient marked
done, or postponed, is not reminded by the calendar; its next occurrence is (when it falls due again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.access import LIVE, Action, AppointmentFacts
from chalicelib.domain.accounts import Account
from chalicelib.domain.agenda import (
    ALARM_LEASE,
    DEFAULT_LENGTH,
    NOT_REMINDED,
    POSTPONE_AT_MOST,
    AgendaExport,
    Alarm,
    Appointment,
    RecommendationStatus,
    Reminder,
    Reminders,
    ReminderState,
    reminder,
    send_time,
)
from chalicelib.domain.identity import Actor, Party, sex_of
from chalicelib.domain.prevention import (
    LOOKBACK_DAYS,
    Recommendation,
    next_occurrence,
    occurrences,
    overdue,
    sources,
)
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso, paris_time
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.ports import AccountRepository, Clock, Ids
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.lifecycle import JobReport
from chalicelib.services.notices import Messenger
from chalicelib.services.versioned import retrying

if TYPE_CHECKING:
    from chalicelib.models.care import AppointmentCreate, AppointmentPatch, ReminderStatusUpdate

EXPORT_LIMIT = 2000  # appointments in one iCalendar export
EXPORT_PAGE = 500


class AgendaRepository(Protocol):
    def add_appointment(self, ins: str, appointment: Appointment) -> None:
        """The appointment and its reminder, at once."""
        ...
    def appointment(self, ins: str, appointment_id: str) -> Appointment | None: ...
    def update_appointment(self, ins: str, before: Appointment, after: Appointment) -> Appointment:
        """Write ``after`` (and its reminder) if ``before`` is what is stored; ConcurrentUpdate otherwise."""
        ...
    def delete_appointment(self, ins: str, appointment: Appointment) -> None:
        """The appointment and its reminder, if unchanged since read; ConcurrentUpdate otherwise."""
        ...
    def appointments(self, ins: str, limit: int, cursor: str | None,
                     start_from: dt.datetime | None = None) -> Page[Appointment]:
        """In chronological order, from ``start_from`` when given."""
        ...
    def statuses(self, ins: str) -> dict[str, RecommendationStatus]: ...
    def put_status(self, ins: str, status: RecommendationStatus) -> None: ...
    def put_alarm(self, alarm: Alarm) -> None: ...
    def delete_alarm(self, ins: str, alarm_id: str) -> None: ...
    def due_alarms(self, ins: str, now: dt.datetime) -> list[Alarm]: ...
    def claim_alarm(self, alarm: Alarm, until: dt.datetime) -> bool:
        """Hold it until ``until`` unless another run (or a change) moved it since it was read."""
        ...
    def finish_alarm(self, alarm: Alarm, until: dt.datetime) -> None:
        """Sent: gone, unless it was moved meanwhile."""
        ...
    def release_alarm(self, alarm: Alarm, until: dt.datetime) -> None:
        """Not sent: due again for the next run."""
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
        _future_reminder(body.reminder_at, now)
        appointment = Appointment(appointment_id=self.ids.new(now), title=body.title, start=body.start,
                                  end=body.end or body.start + DEFAULT_LENGTH, location=body.location,
                                  professional=body.professional, note=body.note, source=Party.of(actor),
                                  created_at=now, reminder_at=body.reminder_at)
        self.agenda.add_appointment(ins, appointment)
        grant.log("add_appointment")
        return replace(appointment, version=1)

    def _appointment(self, grant: Grant, ins: str, appointment_id: str, action: Action) -> Appointment:
        """The appointment if the decision lets the caller ``action`` it: one they cannot see is absent (404)."""
        appointment = self.agenda.appointment(ins, appointment_id)
        if appointment is None:
            raise NotFound("No such appointment.", code="not_found")
        grant.require(action=action, appointment=AppointmentFacts(appointment.source.role, appointment.source.id))
        return appointment

    def update_appointment(self, actor: Actor, ins: str, appointment_id: str, body: AppointmentPatch) -> Appointment:
        """Change what is given; moving the start moves the reminder with it (unless a new one is given)."""
        changes = body.changes()

        def step() -> Appointment:
            grant = self.access.check(actor, Action.UPDATE_APPOINTMENT, ins)
            before = self._appointment(grant, ins, appointment_id, Action.UPDATE_APPOINTMENT)
            now = self.clock.now()
            start = changes.get("start") or before.start
            assert isinstance(start, dt.datetime)
            if "end" in changes and changes["end"] is not None:
                end = changes["end"]
            elif "start" in changes:
                end = start + (before.end - before.start)  # a moved appointment keeps its length
            else:
                end = before.end
            assert isinstance(end, dt.datetime)
            if end <= start:
                raise InvalidInput("The field 'end' must be after 'start'.", code="invalid_period", field="end")
            if "reminder_at" in changes:
                reminder_at = changes["reminder_at"]
                assert reminder_at is None or isinstance(reminder_at, dt.datetime)
                _future_reminder(reminder_at, now)
            else:
                reminder_at = before.reminder_at + (start - before.start) if before.reminder_at else None
                if reminder_at is not None and reminder_at <= now:
                    reminder_at = None  # moved into the past: nothing left to remind
            if reminder_at is not None and reminder_at >= start:
                raise InvalidInput("The field 'reminder_at' must be before 'start'.", code="invalid_reminder_at",
                                   field="reminder_at")
            kept = ("title", "location", "professional", "note")
            fields: dict[str, Any] = {k: v for k, v in changes.items() if k in kept}
            after = replace(before, **fields, start=start, end=end, reminder_at=reminder_at, updated_at=now)
            stored = self.agenda.update_appointment(ins, before, after)
            grant.log("update_appointment")
            return stored

        return retrying(step, "the appointment")

    def cancel_appointment(self, actor: Actor, ins: str, appointment_id: str) -> None:
        """Delete the appointment, and its reminder with it."""

        def step() -> None:
            grant = self.access.check(actor, Action.CANCEL_APPOINTMENT, ins)
            appointment = self._appointment(grant, ins, appointment_id, Action.CANCEL_APPOINTMENT)
            self.agenda.delete_appointment(ins, appointment)
            grant.log("cancel_appointment")

        retrying(step, "the appointment")

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
        statuses = self.agenda.statuses(ins)
        found = occurrences(sex_of(ins), account.birth_date, today - dt.timedelta(days=LOOKBACK_DAYS),
                            today + dt.timedelta(days=horizon_days))
        return [reminder(r, today, sent, statuses.get(r.reminder_id)) for r in found]

    def set_reminder_status(self, actor: Actor, ins: str, reminder_id: str, body: ReminderStatusUpdate) -> Reminder:
        """Planned, done, not done, or postponed to a day (reminded then, once); done and postponed
        recommendations are not reminded by the calendar, the programme's next occurrence is."""
        grant = self.access.check(actor, Action.SET_REMINDER_STATUS, ins)
        account = self.accounts.get(ins)
        found = _occurrence(account, reminder_id)
        if account is None or found is None:
            raise NotFound("No such recommendation for this person (GET /patients/{ins}/reminders lists them).",
                           code="not_found")
        now = self.clock.now()
        until = body.postponed_until
        if until is not None and not now.date() < until <= now.date() + POSTPONE_AT_MOST:
            raise InvalidInput("The field 'postponed_until' must be a day after today, within two years.",
                               code="invalid_postponed_until", field="postponed_until")
        status = RecommendationStatus(reminder_id, body.status, now, Party.of(actor), until)
        self.agenda.put_status(ins, status)
        if until is not None:
            self.agenda.put_alarm(Alarm.for_recommendation(ins, reminder_id, "postponed", send_time(until)))
        else:
            self.agenda.delete_alarm(ins, Alarm.for_recommendation(ins, reminder_id, "postponed", now).alarm_id)
        grant.log("set_reminder_status")
        return reminder(found, now.date(), self.agenda.reminders(ins).sent, status)

    def space_opened(self, ins: str, birth_date: dt.date, now: dt.datetime) -> None:
        """A space opens (or reopens): schedule its reminders from today on, and remind once of what is already
        overdue (a woman of 56 opening her space has her breast screening overdue)."""
        sex = sex_of(ins)
        upcoming = next_occurrence(sex, birth_date, now.date() - dt.timedelta(days=1))
        day = upcoming.due_on if upcoming else None
        self.agenda.schedule_reminder(ins, day, send_time(day) if day else None)
        sent = self.agenda.reminders(ins).sent
        statuses = self.agenda.statuses(ins)
        for late in overdue(sex, birth_date, now.date()):
            if late.reminder_id in sent or _status(statuses, late.reminder_id) in NOT_REMINDED:
                continue
            self.agenda.put_alarm(Alarm.for_recommendation(ins, late.reminder_id, "overdue", now))

    def run(self, now: dt.datetime) -> JobReport:
        """The `reminders` job: every reminder due is sent, once, and the next date is scheduled; every alarm due
        (an appointment's reminder, a postponed or overdue recommendation) is sent, once."""
        report = JobReport("reminders", details={"spaces": 0, "appointment_reminders": 0})
        for ins in dict.fromkeys(self.agenda.due_reminders(now)):
            account = self.accounts.get(ins)
            if account is None or account.status.value not in LIVE:
                self.agenda.schedule_reminder(ins, None, None)  # no space, no reminder (until it reopens)
                for alarm in self.agenda.due_alarms(ins, now):
                    self.agenda.delete_alarm(ins, alarm.alarm_id)
                continue
            report.details["spaces"] += 1
            statuses = self.agenda.statuses(ins)
            for alarm in self.agenda.due_alarms(ins, now):
                if self._fire(account, alarm, statuses, now):
                    report.processed += 1
                    if alarm.kind == "appointment":
                        report.details["appointment_reminders"] += 1
            sex = sex_of(ins)
            day = self.agenda.reminders(ins).next_on
            while day is not None and send_time(day) <= now:
                for due in occurrences(sex, account.birth_date, day, day):
                    if _status(statuses, due.reminder_id) in NOT_REMINDED:
                        continue  # done, or postponed to a day of its own (an alarm)
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
        return report

    def _fire(self, account: Account, alarm: Alarm, statuses: dict[str, RecommendationStatus],
              now: dt.datetime) -> bool:
        """Send one alarm once: claimed (held for ALARM_LEASE), sent, then gone; released if sending fails, so that
        the next run sends it (a run that dies after the claim leaves it to a run after the lease)."""
        until = now + ALARM_LEASE
        if not self.agenda.claim_alarm(alarm, until):
            return False  # another run has it, or it was moved meanwhile
        try:
            sent = self._send_alarm(account, alarm, statuses)
        except Exception:
            self.agenda.release_alarm(alarm, until)
            raise
        self.agenda.finish_alarm(alarm, until)
        return sent

    def _send_alarm(self, account: Account, alarm: Alarm, statuses: dict[str, RecommendationStatus]) -> bool:
        if alarm.kind == "appointment":
            appointment = self.agenda.appointment(account.nir, alarm.ref)
            if appointment is None or appointment.reminder_at != alarm.at:
                return False  # cancelled, or its reminder changed (a new alarm says when)
            self.messenger.tell(account, "appointment_reminder", {
                "appointment_id": appointment.appointment_id, "start": iso(appointment.start),
                "when": paris_time(appointment.start)})
            return True
        status = statuses.get(alarm.ref)
        if alarm.kind == "postponed":
            if status is None or status.status != "postponed" or status.postponed_until is None:
                return False  # no longer postponed: the calendar (or nothing) reminds of it
            self.agenda.claim_reminder(account.nir, alarm.ref)  # sent (again, as postponed): noted
            self.messenger.tell(account, "reminder", {"due_on": status.postponed_until.isoformat()})
            return True
        if _status(statuses, alarm.ref) in NOT_REMINDED or not self.agenda.claim_reminder(account.nir, alarm.ref):
            return False  # done or postponed since; or already reminded (a space reopened)
        try:
            self.messenger.tell(account, "reminder", {"due_on": alarm.ref.rpartition(":")[2]})
        except Exception:
            self.agenda.release_reminder(account.nir, alarm.ref)
            raise
        return True

    # -- the archive ---------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        return self.agenda.erase(ins)


def _status(statuses: dict[str, RecommendationStatus], reminder_id: str) -> str:
    found = statuses.get(reminder_id)
    return found.status if found else "planned"


def _future_reminder(reminder_at: dt.datetime | None, now: dt.datetime) -> None:
    if reminder_at is not None and reminder_at <= now:
        raise InvalidInput("The field 'reminder_at' must be in the future: it is when the reminder is sent.",
                           code="invalid_reminder_at", field="reminder_at")


def _occurrence(account: Account | None, reminder_id: str) -> Recommendation | None:
    """The recommendation ``reminder_id`` names, if it is one of this person's (programme:date of an occurrence)."""
    if account is None:
        return None
    _, _, day = reminder_id.rpartition(":")
    try:
        due = dt.date.fromisoformat(day)
    except ValueError:
        return None
    return next((r for r in occurrences(sex_of(account.nir), account.birth_date, due, due)
                 if r.reminder_id == reminder_id), None)
