"""The agenda of a space: appointments, and the state of its prevention reminders.

Which reminders exist for a person is ``domain/prevention.py``'s business (the French calendar as data); this
module holds what a space keeps: its appointments, the next reminder date and the reminders already sent.
Pure: no AWS, no Chalice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from chalicelib.domain.identity import Party
from chalicelib.domain.prevention import Recommendation
from chalicelib.domain.timeutil import UTC

DEFAULT_LENGTH = dt.timedelta(minutes=30)
SEND_HOUR = 7  # reminders go out on their due date, in the morning (UTC)


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


@dataclass(frozen=True)
class ReminderState:
    """A space's reminders: the next date one falls due (None: nothing scheduled), and those already sent."""

    next_on: dt.date | None = None
    sent: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reminder:
    """A recommendation as the patient sees it: due or upcoming, and whether its notice went out."""

    recommendation: Recommendation
    status: str  # due | upcoming
    notified: bool

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


def reminder(recommendation: Recommendation, today: dt.date, sent: frozenset[str]) -> Reminder:
    return Reminder(recommendation, "due" if recommendation.due_on <= today else "upcoming",
                    recommendation.reminder_id in sent)
