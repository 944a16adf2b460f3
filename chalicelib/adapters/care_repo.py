"""The rest of a space on DynamoDB, in the patient's records partition ``PAT#{ins}``:

    PROFILE                          the medical profile (one item)
    VAC#{date}#{id}                  vaccinations, by date
    MEAS#{effective_at}#{id}         measurements, by time;  LATEST#{code}: the latest of each code
    APPT#{start}#{id}                appointments, by start
    REIMB#{date}#{id}                reimbursement lines, by date (id derived from the line: a resent line is
                                     the same item)
    REMINDERS                        the next prevention reminder due, in the sparse ``due`` index, and the
                                     reminders already sent

Every listing is one Query on the partition with a key prefix; cursors, never offsets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.accounts_repo import due_keys
from chalicelib.adapters.dynamo import Table, is_conditional_failure, values
from chalicelib.adapters.records_repo import patient_pk
from chalicelib.domain.timeutil import iso_ms

REMINDERS_SK = "REMINDERS"
REMINDER_KIND = "reminder"


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "due_pk", "due_at")}


class DynamoCare:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    # -- profile ---------------------------------------------------------------------------------------------------
    def profile(self, ins: str) -> dict[str, Any] | None:
        item = self.table.get(patient_pk(ins), "PROFILE")
        return _public(item) if item else None

    def put_profile(self, ins: str, profile: dict[str, Any]) -> None:
        self.table.put({"pk": patient_pk(ins), "sk": "PROFILE", **profile})

    # -- entries: vaccinations, measurements, appointments, reimbursements -----------------------------------------
    def add(self, ins: str, sk: str, entry: dict[str, Any], once: bool = False) -> bool:
        """Write an entry; with ``once``, only if absent (False when it already exists)."""
        try:
            self.table.put({"pk": patient_pk(ins), "sk": sk, **entry},
                           condition="attribute_not_exists(pk)" if once else None)
            return True
        except Exception as error:
            if once and is_conditional_failure(error):
                return False
            raise

    def page(self, ins: str, prefix: str, limit: int, cursor: str | None, newest_first: bool = True,
             filters: dict[str, str] | None = None, start_at: str | None = None) -> tuple[list[dict[str, Any]],
                                                                                         str | None]:
        """One page of entries whose key starts with ``prefix``; ``filters`` match attributes exactly;
        ``start_at`` (ascending listings) skips keys before it."""
        expression = " AND ".join(f"#{k} = :{k}" for k in (filters or {})) or None
        accept = (lambda item: item["sk"] >= prefix + start_at) if start_at else None
        items, next_cursor = self.table.page(
            patient_pk(ins), limit, cursor, sk_prefix=prefix, forward=not newest_first,
            filter_expression=expression, filter_values=values(**filters) if filters else None,
            names={f"#{k}": k for k in filters} if filters else None, accept=accept)
        return [_public(i) for i in items], next_cursor

    def all(self, ins: str, prefix: str, limit: int = 1000) -> list[dict[str, Any]]:
        items, _ = self.page(ins, prefix, limit, None, newest_first=True)
        return items

    def keep_latest(self, ins: str, code: str, measurement: dict[str, Any]) -> None:
        """``LATEST#{code}`` follows the most recent measurement of that code (an older one arriving late never
        replaces it)."""
        try:
            self.table.put({"pk": patient_pk(ins), "sk": f"LATEST#{code}", **measurement},
                           condition="attribute_not_exists(pk) OR effective_at < :at",
                           expression_values=values(at=measurement["effective_at"]))
        except Exception as error:
            if not is_conditional_failure(error):
                raise

    def latest(self, ins: str) -> list[dict[str, Any]]:
        return [_public(i) for i in self.table.query_all(patient_pk(ins), sk_prefix="LATEST#")]

    # -- reminders -------------------------------------------------------------------------------------------------
    def reminders(self, ins: str) -> dict[str, Any]:
        return self.table.get(patient_pk(ins), REMINDERS_SK) or {}

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
        from chalicelib import resources

        found: list[str] = []
        for shard in range(resources.DUE_SHARDS):
            for item in self.table.query_all(f"{REMINDER_KIND}#{shard}", index=resources.DUE_INDEX,
                                             pk_name="due_pk", sk_condition="due_at <= :now",
                                             expression_values=values(now=iso_ms(now))):
                found.append(item["ins"])
        return found
