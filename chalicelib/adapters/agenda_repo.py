"""Appointments and prevention reminders on DynamoDB, in the patient's records partition ``PAT#{ins}``:

    APPT#{start}#{id}                appointments, by start
    REMINDERS                        the next prevention reminder due, in the sparse ``due`` index, and the
                                     reminders already sent

This repository owns these keys, and erases exactly them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib import resources
from chalicelib.adapters.accounts_repo import due_keys
from chalicelib.adapters.dynamo import Table, values
from chalicelib.adapters.records_repo import patient_pk
from chalicelib.domain.agenda import Appointment, ReminderState
from chalicelib.domain.identity import Party
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse

APPOINTMENT = "APPT#"
REMINDERS_SK = "REMINDERS"
REMINDER_KIND = "reminder"
OWNED = (APPOINTMENT,)  # and REMINDERS_SK


def appointment_sk(appointment: Appointment) -> str:
    return f"{APPOINTMENT}{iso_ms(appointment.start)}#{appointment.appointment_id}"


def appointment_item(ins: str, appointment: Appointment) -> dict[str, Any]:
    return {"pk": patient_pk(ins), "sk": appointment_sk(appointment), "appointment_id": appointment.appointment_id,
            "title": appointment.title, "start": iso_ms(appointment.start), "end": iso_ms(appointment.end),
            "location": appointment.location, "professional": appointment.professional, "note": appointment.note,
            "source": appointment.source.as_dict(), "created_at": iso_ms(appointment.created_at)}


def appointment_from(item: dict[str, Any]) -> Appointment:
    return Appointment(appointment_id=item["appointment_id"], title=item["title"], start=parse(item["start"]),
                       end=parse(item["end"]), location=item.get("location"), professional=item.get("professional"),
                       note=item.get("note"), source=Party.from_dict(item["source"]),
                       created_at=parse(item["created_at"]))


class DynamoAgenda:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    # -- appointments ----------------------------------------------------------------------------------------------
    def add_appointment(self, ins: str, appointment: Appointment) -> None:
        self.table.put(appointment_item(ins, appointment))

    def appointments(self, ins: str, limit: int, cursor: str | None,
                     start_from: dt.datetime | None = None) -> Page[Appointment]:
        """Chronological; ``start_from`` skips the appointments that start before it."""
        first = f"{APPOINTMENT}{iso_ms(start_from)}" if start_from else None
        items, next_cursor = self.table.page(
            patient_pk(ins), limit, cursor, sk_prefix=APPOINTMENT, forward=True,
            accept=(lambda item: item["sk"] >= first) if first else None)
        return Page([appointment_from(i) for i in items], next_cursor)

    # -- reminders -------------------------------------------------------------------------------------------------
    def reminders(self, ins: str) -> ReminderState:
        item = self.table.get(patient_pk(ins), REMINDERS_SK) or {}
        next_on = item.get("next_on")
        return ReminderState(dt.date.fromisoformat(next_on) if next_on else None, frozenset(item.get("sent") or ()))

    def schedule_reminder(self, ins: str, day: dt.date | None, due_at: dt.datetime | None) -> None:
        """Point the space's reminders at ``day`` (or at nothing), keeping the reminders already sent."""
        names = {"#nir": "ins", "#next": "next_on", "#dpk": "due_pk", "#dat": "due_at"}
        if day and due_at:
            keys = due_keys(REMINDER_KIND, ins, due_at)
            self.table.update(patient_pk(ins), REMINDERS_SK, "SET #nir = :ins, #next = :next, #dpk = :dpk, #dat = :dat",
                              names, values(ins=ins, next=day.isoformat(), dpk=keys["due_pk"], dat=keys["due_at"]))
        else:
            self.table.update(patient_pk(ins), REMINDERS_SK, "SET #nir = :ins REMOVE #next, #dpk, #dat", names,
                              values(ins=ins))

    def advance_reminders(self, ins: str, from_day: dt.date, day: dt.date | None, due_at: dt.datetime | None) -> bool:
        """Move from ``from_day`` to the next reminder date, unless another run already did."""
        names = {"#next": "next_on", "#dpk": "due_pk", "#dat": "due_at"}
        if day and due_at:
            keys = due_keys(REMINDER_KIND, ins, due_at)
            return bool(self.table.update(
                patient_pk(ins), REMINDERS_SK, "SET #next = :next, #dpk = :dpk, #dat = :dat", names,
                values(current=from_day.isoformat(), next=day.isoformat(), dpk=keys["due_pk"], dat=keys["due_at"]),
                condition="#next = :current"))
        return bool(self.table.update(patient_pk(ins), REMINDERS_SK, "REMOVE #next, #dpk, #dat", names,
                                      values(current=from_day.isoformat()), condition="#next = :current"))

    def claim_reminder(self, ins: str, reminder_id: str) -> bool:
        """Mark one reminder sent, unless it already was: whoever claims it sends it, once."""
        return bool(self.table.update(patient_pk(ins), REMINDERS_SK, "ADD #sent :one", {"#sent": "sent"},
                                      {":one": {"SS": [reminder_id]}, ":rid": {"S": reminder_id}},
                                      condition="NOT contains(#sent, :rid)"))

    def release_reminder(self, ins: str, reminder_id: str) -> None:
        """A claimed reminder could not be sent: unclaim it so that a later run sends it (not lost)."""
        self.table.update(patient_pk(ins), REMINDERS_SK, "DELETE #sent :one", {"#sent": "sent"},
                          {":one": {"SS": [reminder_id]}})

    def due_reminders(self, now: dt.datetime) -> list[str]:
        """INS of the patients with a reminder due (a Query per shard of the sparse index)."""
        found: list[str] = []
        for shard in range(resources.DUE_SHARDS):
            for item in self.table.query_all(f"{REMINDER_KIND}#{shard}", index=resources.DUE_INDEX,
                                             pk_name="due_pk", sk_condition="due_at <= :now",
                                             expression_values=values(now=iso_ms(now))):
                found.append(item["ins"])
        return found

    # -- the archive -----------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        return self.table.erase_prefixes(patient_pk(ins), OWNED, exact=(REMINDERS_SK,))
