"""Appointments and prevention reminders on DynamoDB, in the patient's records partition ``PAT#{ins}``:

    APPT#{start}#{id}                appointments, by start (the listing: a chronological Query)
    APPTID#{id}                      the same appointment by its id (what PATCH and DELETE read), with its version
    REMINDERS                        the next prevention reminder due, in the sparse ``due`` index, and the
                                     reminders already sent
    PREV#{reminder_id}               the status the patient gave a recommendation (planned, done, postponed...)
    ALARM#{alarm_id}                 a one-off reminder at a time (an appointment's, a postponed or overdue
                                     recommendation's), in the sparse ``due`` index while it waits

An appointment's two items and its alarm change in one transaction, conditional on the version read: a moved
appointment moves its reminder, a cancelled one cancels it. Alarms and the ``REMINDERS`` item share the due index's
kind ``reminder#{shard}`` and carry ``ins``: the job's Query per shard finds the spaces with anything due, then
one Query of the space's ``ALARM#`` items (only those waiting exist) finds what.

This repository owns these keys, and erases exactly them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from chalicelib import resources
from chalicelib.adapters.accounts_repo import due_keys
from chalicelib.adapters.dynamo import Table, dump, is_conditional_failure, key, values
from chalicelib.adapters.records_repo import patient_pk
from chalicelib.domain.agenda import Alarm, Appointment, RecommendationStatus, ReminderState
from chalicelib.domain.identity import Party
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.ports import ConcurrentUpdate

APPOINTMENT = "APPT#"
APPOINTMENT_ID = "APPTID#"
STATUS = "PREV#"
ALARM = "ALARM#"
REMINDERS_SK = "REMINDERS"
REMINDER_KIND = "reminder"
OWNED = (APPOINTMENT, APPOINTMENT_ID, STATUS, ALARM)  # and REMINDERS_SK


def appointment_sk(appointment: Appointment) -> str:
    return f"{APPOINTMENT}{iso_ms(appointment.start)}#{appointment.appointment_id}"


def appointment_item(ins: str, appointment: Appointment, sk: str | None = None) -> dict[str, Any]:
    return {"pk": patient_pk(ins), "sk": sk or appointment_sk(appointment),
            "appointment_id": appointment.appointment_id, "title": appointment.title,
            "start": iso_ms(appointment.start), "end": iso_ms(appointment.end), "location": appointment.location,
            "professional": appointment.professional, "note": appointment.note,
            "source": appointment.source.as_dict(), "created_at": iso_ms(appointment.created_at),
            "reminder_at": iso_ms(appointment.reminder_at) if appointment.reminder_at else None,
            "updated_at": iso_ms(appointment.updated_at) if appointment.updated_at else None,
            "version": appointment.version}


def appointment_from(item: dict[str, Any]) -> Appointment:
    return Appointment(appointment_id=item["appointment_id"], title=item["title"], start=parse(item["start"]),
                       end=parse(item["end"]), location=item.get("location"), professional=item.get("professional"),
                       note=item.get("note"), source=Party.from_dict(item["source"]),
                       created_at=parse(item["created_at"]),
                       reminder_at=parse(item["reminder_at"]) if item.get("reminder_at") else None,
                       updated_at=parse(item["updated_at"]) if item.get("updated_at") else None,
                       version=int(item.get("version", 0)))


def alarm_item(alarm: Alarm) -> dict[str, Any]:
    return {"pk": patient_pk(alarm.ins), "sk": f"{ALARM}{alarm.alarm_id}", "alarm_id": alarm.alarm_id,
            "ins": alarm.ins, "kind": alarm.kind, "ref": alarm.ref, "at": iso_ms(alarm.at),
            **due_keys(REMINDER_KIND, alarm.ins, alarm.due)}


def alarm_from(item: dict[str, Any]) -> Alarm:
    return Alarm(item["alarm_id"], item["ins"], item["kind"], item["ref"], parse(item["at"]),
                 parse(item["due_at"]) if item.get("due_at") else None)


class DynamoAgenda:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    # -- appointments ----------------------------------------------------------------------------------------------
    def _write(self, operations: list[dict[str, Any]], what: str) -> None:
        try:
            self.table.client.transact_write_items(TransactItems=operations)
        except Exception as error:
            if is_conditional_failure(error):
                raise ConcurrentUpdate(what) from error
            raise

    def _put(self, item: dict[str, Any], condition: str | None = None, version: int | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table.name, "Item": dump(item)}
        if condition:
            put["ConditionExpression"] = condition
        if version is not None:
            put["ExpressionAttributeValues"] = values(v=version)
        return {"Put": put}

    def _delete(self, sk: str, ins: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.table.name, "Key": key(patient_pk(ins), sk)}}

    def add_appointment(self, ins: str, appointment: Appointment) -> None:
        """The listing's item, the item by id and the reminder's alarm, in one transaction."""
        appointment_with = replace(appointment, version=1)
        by_id = appointment_item(ins, appointment_with, f"{APPOINTMENT_ID}{appointment.appointment_id}")
        operations = [self._put(appointment_item(ins, appointment_with)), self._put(by_id, "attribute_not_exists(pk)")]
        alarm = Alarm.for_appointment(ins, appointment)
        if alarm is not None:
            operations.append(self._put(alarm_item(alarm)))
        self._write(operations, appointment.appointment_id)

    def appointment(self, ins: str, appointment_id: str) -> Appointment | None:
        item = self.table.get(patient_pk(ins), f"{APPOINTMENT_ID}{appointment_id}")
        return appointment_from(item) if item else None

    def update_appointment(self, ins: str, before: Appointment, after: Appointment) -> Appointment:
        """Write ``after`` if ``before`` is still what is stored (its version); its reminder follows. Returns what
        is stored now; ConcurrentUpdate if someone changed it meanwhile."""
        stored = replace(after, version=before.version + 1)
        operations = [self._put(appointment_item(ins, stored, f"{APPOINTMENT_ID}{before.appointment_id}"),
                                "version = :v", before.version)]
        if appointment_sk(before) != appointment_sk(stored):
            operations.append(self._delete(appointment_sk(before), ins))
        operations.append(self._put(appointment_item(ins, stored)))
        alarm = Alarm.for_appointment(ins, stored)
        if alarm is not None:
            operations.append(self._put(alarm_item(alarm)))
        elif before.reminder_at is not None:
            operations.append(self._delete(f"{ALARM}{before.alarm_id}", ins))
        self._write(operations, before.appointment_id)
        return stored

    def delete_appointment(self, ins: str, appointment: Appointment) -> None:
        """Both items and the reminder, if nobody changed the appointment since it was read."""
        by_id = self._delete(f"{APPOINTMENT_ID}{appointment.appointment_id}", ins)
        by_id["Delete"].update(ConditionExpression="version = :v", ExpressionAttributeValues=values(
            v=appointment.version))
        operations = [by_id, self._delete(appointment_sk(appointment), ins),
                      self._delete(f"{ALARM}{appointment.alarm_id}", ins)]
        self._write(operations, appointment.appointment_id)

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

    # -- recommendations' statuses ---------------------------------------------------------------------------------
    def statuses(self, ins: str) -> dict[str, RecommendationStatus]:
        items = self.table.query_all(patient_pk(ins), sk_prefix=STATUS, consistent=True)
        return {i["reminder_id"]: RecommendationStatus(
            i["reminder_id"], i["status"], parse(i["updated_at"]), Party.from_dict(i["updated_by"]),
            dt.date.fromisoformat(i["postponed_until"]) if i.get("postponed_until") else None) for i in items}

    def put_status(self, ins: str, status: RecommendationStatus) -> None:
        self.table.put({"pk": patient_pk(ins), "sk": f"{STATUS}{status.reminder_id}", "reminder_id": status.reminder_id,
                        "status": status.status, "updated_at": iso_ms(status.updated_at),
                        "updated_by": status.updated_by.as_dict(),
                        "postponed_until": status.postponed_until.isoformat() if status.postponed_until else None})

    # -- alarms: one-off reminders at a time ------------------------------------------------------------------------
    def put_alarm(self, alarm: Alarm) -> None:
        self.table.put(alarm_item(alarm))

    def delete_alarm(self, ins: str, alarm_id: str) -> None:
        self.table.delete(patient_pk(ins), f"{ALARM}{alarm_id}")

    def due_alarms(self, ins: str, now: dt.datetime) -> list[Alarm]:
        """The space's alarms due at ``now`` (only waiting alarms exist: one Query of a few items)."""
        items = self.table.query_all(patient_pk(ins), sk_prefix=ALARM, consistent=True)
        return [alarm for alarm in map(alarm_from, items) if alarm.due <= now]

    def claim_alarm(self, alarm: Alarm, until: dt.datetime) -> bool:
        """Take the alarm for a run until ``until`` (its due time moves there), unless another run (or a change of
        the appointment) moved it since it was read: whoever claims it sends it."""
        keys = due_keys(REMINDER_KIND, alarm.ins, until)
        return bool(self.table.update(
            patient_pk(alarm.ins), f"{ALARM}{alarm.alarm_id}", "SET #dat = :until, #dpk = :dpk",
            {"#dat": "due_at", "#dpk": "due_pk", "#at": "at"},
            values(until=keys["due_at"], dpk=keys["due_pk"], seen=iso_ms(alarm.due), at=iso_ms(alarm.at)),
            condition="#dat = :seen AND #at = :at"))

    def finish_alarm(self, alarm: Alarm, until: dt.datetime) -> None:
        """Sent: delete it, unless it was moved meanwhile (a moved appointment's new reminder stays)."""
        try:
            self.table.client.delete_item(
                TableName=self.table.name, Key=key(patient_pk(alarm.ins), f"{ALARM}{alarm.alarm_id}"),
                ConditionExpression="due_at = :until AND #at = :at", ExpressionAttributeNames={"#at": "at"},
                ExpressionAttributeValues=values(until=iso_ms(until), at=iso_ms(alarm.at)))
        except Exception as error:
            if not is_conditional_failure(error):
                raise

    def release_alarm(self, alarm: Alarm, until: dt.datetime) -> None:
        """Not sent: due again at once, for the next run (never lost)."""
        keys = due_keys(REMINDER_KIND, alarm.ins, alarm.due)
        self.table.update(patient_pk(alarm.ins), f"{ALARM}{alarm.alarm_id}", "SET #dat = :due, #dpk = :dpk",
                          {"#dat": "due_at", "#dpk": "due_pk"},
                          values(due=keys["due_at"], dpk=keys["due_pk"], until=iso_ms(until)),
                          condition="#dat = :until")

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
