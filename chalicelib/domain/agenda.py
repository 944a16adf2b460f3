"""The agenda of a space: appointments, and the state of its prevention reminders.

Which reminders exist for a person is ``domain/prevention.py``'s business (the French calendar as data); this
module holds what a space keeps: its appointments (with an optional ``reminder_at``), the next reminder date, the
reminders already sent, the status the patient gave each recommendation, and the one-off reminders ("alarms")
the ``reminders`` job sends at their time: an appointment's reminder, a recommendation postponed to a date, a
recommendation already overdue when the space opened.
Pure: no AWS, no Chalice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain.identity import Party
from chalicelib.domain.prevention import Recommendation
from chalicelib.domain.timeutil import UTC

DEFAULT_LENGTH = dt.timedelta(minutes=30)
SEND_HOUR = 7  # reminders go out on their due date, in the morning (UTC)
ALARM_LEASE = dt.timedelta(minutes=15)  # a run sending an alarm holds it this long (> a job's timeout)
POSTPONE_AT_MOST = dt.timedelta(days=2 * 366)  # a recommendation is postponed by two years at most

ReminderStatus = Literal["planned", "done", "not_done", "postponed"]
REMINDER_STATUSES: tuple[str, ...] = ("planned", "done", "not_done", "postponed")
#: Statuses whose recommendation the calendar does not remind of (done; postponed: reminded at its new date).
NOT_REMINDED = frozenset({"done", "postponed"})


@dataclass(frozen=True)
class Appointment:
    appointment_id: str
    title: str
    start: dt.datetime
    end: dt.datetime
    source: Party
    created_at: dt.datetime
    location: str | None = None
    professional: str | None = None
    note: str | None = None
    reminder_at: dt.datetime | None = None  # when the `reminders` job sends `appointment_reminder`
    updated_at: dt.datetime | None = None
    version: int = 0  # optimistic concurrency of changes and cancellations

    def source_is(self, role: str, ident: str) -> bool:
        return (self.source.role, self.source.id) == (role, ident)

    @property
    def alarm_id(self) -> str:
        return f"appointment:{self.appointment_id}"

    def moved(self, start: dt.datetime, end: dt.datetime) -> dt.datetime | None:
        """The reminder of this appointment once moved to ``start``: it keeps its distance to the start."""
        return self.reminder_at + (start - self.start) if self.reminder_at is not None else None


@dataclass(frozen=True)
class Alarm:
    """A one-off reminder the `reminders` job sends at ``at`` (once: it claims it, sends, then deletes it).

    ``kind``: ``appointment`` (``ref`` is the appointment's id), ``postponed`` or ``overdue`` (``ref`` is the
    recommendation's reminder id). ``due_at`` is when the job may take it: ``at``, or the end of a run's lease."""

    alarm_id: str
    ins: str
    kind: Literal["appointment", "postponed", "overdue"]
    ref: str
    at: dt.datetime
    due_at: dt.datetime | None = None

    @property
    def due(self) -> dt.datetime:
        return self.due_at or self.at

    @staticmethod
    def for_appointment(ins: str, appointment: Appointment) -> Alarm | None:
        if appointment.reminder_at is None:
            return None
        return Alarm(appointment.alarm_id, ins, "appointment", appointment.appointment_id, appointment.reminder_at)

    @staticmethod
    def for_recommendation(ins: str, reminder_id: str, kind: Literal["postponed", "overdue"],
                           at: dt.datetime) -> Alarm:
        return Alarm(f"prevention:{reminder_id}", ins, kind, reminder_id, at)


@dataclass(frozen=True)
class RecommendationStatus:
    """Where the patient says a recommendation stands (default: planned, "à planifier")."""

    reminder_id: str
    status: str
    updated_at: dt.datetime
    updated_by: Party
    postponed_until: dt.date | None = None


@dataclass(frozen=True)
class ReminderState:
    """A space's reminders: the next date one falls due (None: nothing scheduled), and those already sent."""

    next_on: dt.date | None = None
    sent: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reminder:
    """A recommendation as the patient sees it: its status (planned, done, not done, postponed), whether it is
    due or upcoming, and whether its notice went out."""

    recommendation: Recommendation
    timing: str  # due | upcoming
    notified: bool
    status: str = "planned"
    postponed_until: dt.date | None = None

    @property
    def reminder_id(self) -> str:
        return self.recommendation.reminder_id

    @property
    def programme(self) -> str:
        return self.recommendation.programme

    @property
    def kind(self) -> str:
        return self.recommendation.kind

    @property
    def label(self) -> str:
        return self.recommendation.label

    @property
    def due_on(self) -> dt.date:
        return self.recommendation.due_on

    @property
    def source(self) -> str:
        return self.recommendation.source


@dataclass(frozen=True)
class Reminders:
    items: list[Reminder]
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AgendaExport:
    """What the iCalendar export holds: the appointments, then the reminders of the coming year."""

    appointments: list[Appointment]
    reminders: list[Reminder]
    generated_at: dt.datetime


def send_time(day: dt.date) -> dt.datetime:
    """When a reminder due on ``day`` is sent."""
    return dt.datetime(day.year, day.month, day.day, SEND_HOUR, tzinfo=UTC)


def reminder(recommendation: Recommendation, today: dt.date, sent: frozenset[str],
             status: RecommendationStatus | None = None) -> Reminder:
    return Reminder(recommendation, "due" if recommendation.due_on <= today else "upcoming",
                    recommendation.reminder_id in sent, status.status if status else "planned",
                    status.postponed_until if status else None)
