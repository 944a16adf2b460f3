"""What is kept for accountability, on the audit table:

    LOG#{ins}       the patient's append-only access log, sk a time-ordered id: newest first with cursors
    REJ#{finess}    the inbox files an establishment dropped that could not be ingested, newest first

This repository owns these keys.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import Table, is_conditional_failure
from chalicelib.domain.audit import AccessEntry, Rejection
from chalicelib.domain.identity import Party
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso, parse
from chalicelib.ports import Ids


def log_pk(ins: str) -> str:
    return f"LOG#{ins}"


def rejections_pk(finess: str) -> str:
    return f"REJ#{finess}"


def _time_key(at: dt.datetime) -> str:
    """The sort-key prefix of the entries made at ``at`` (ids are time-ordered: ``adapters.system.new_id``)."""
    return f"{int(at.timestamp() * 1000):012x}"


def entry_from(item: dict[str, Any]) -> AccessEntry:
    return AccessEntry(at=parse(item["at"]), actor=Party.from_dict(item["actor"]), action=item["action"],
                       mode=item["mode"], document_id=item.get("document_id"), reason=item.get("reason"))


def rejection_from(item: dict[str, Any]) -> Rejection:
    return Rejection(rejection_id=item["rejection_id"], at=parse(item["at"]), received_at=parse(item["received_at"]),
                     key=item["key"], quarantine_key=item["quarantine_key"], reason=item["reason"],
                     message=item["message"], size=int(item["size"]))


class DynamoAccessLog:
    def __init__(self, client: Any, table_name: str, ids: Ids) -> None:
        self.table = Table(client, table_name)
        self.ids = ids

    def append(self, ins: str, entry: AccessEntry) -> None:
        item = {"pk": log_pk(ins), "sk": self.ids.new(entry.at), "at": iso(entry.at), "actor": entry.actor.as_dict(),
                "action": entry.action, "mode": entry.mode, "document_id": entry.document_id, "reason": entry.reason}
        self.table.put(item, condition="attribute_not_exists(pk)")  # append-only: never overwrite

    def page(self, ins: str, limit: int, cursor: str | None, since: dt.datetime | None = None,
             until: dt.datetime | None = None) -> Page[AccessEntry]:
        """Newest first; ``since``/``until``: the entries made in [since, until), a range of the sort key (the ids
        are time-ordered: 12 hex digits of milliseconds first), so the Query reads only those."""
        bounds = (_time_key(since) if since else "0", _time_key(until) if until else "~") if since or until else None
        items, next_cursor = self.table.page(log_pk(ins), limit, cursor, sk_between=bounds)
        return Page([entry_from(i) for i in items], next_cursor)

    def erase(self, ins: str) -> int:
        return self.table.erase_partition(log_pk(ins))


class DynamoRejections:
    """Files an establishment dropped that could not be ingested, newest first."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def add(self, finess: str, rejection: Rejection) -> bool:
        """False when this rejection was already recorded (a replayed event)."""
        try:
            self.table.put({"pk": rejections_pk(finess), "sk": rejection.rejection_id,
                            "rejection_id": rejection.rejection_id, "at": iso(rejection.at),
                            "received_at": iso(rejection.received_at), "key": rejection.key,
                            "quarantine_key": rejection.quarantine_key, "reason": rejection.reason,
                            "message": rejection.message, "size": rejection.size},
                           condition="attribute_not_exists(pk)")
            return True
        except Exception as error:
            if is_conditional_failure(error):
                return False
            raise

    def page(self, finess: str, limit: int, cursor: str | None) -> Page[Rejection]:
        items, next_cursor = self.table.page(rejections_pk(finess), limit, cursor)
        return Page([rejection_from(i) for i in items], next_cursor)
