"""What is kept for accountability, on the audit table:

    LOG#{ins}       the patient's append-only access log, sk a time-ordered id: newest first with cursors
    REJ#{finess}    the inbox files an establishment dropped that could not be ingested, newest first

The access log's filters (CONTRACT §10: by actor, by mode, by period) are each one Query per page: a period is a
range of the time-ordered sort key (its first 12 hex digits are the milliseconds of the access), and an entry also
carries the partition keys of three global secondary indexes with the same sort key — ``log_actor``
(``{ins}#{actor_id}``), ``log_mode`` (``{ins}#{mode}``) and ``log_actor_mode`` (``{ins}#{actor_id}#{mode}``).
Writing an entry costs one write to the table and one to each index (4 instead of 1; an entry is far below 1 KB),
paid once per access; every filtered page is one Query that reads only what it returns, whatever the size of the
log. REJ# items carry none of these attributes: the indexes hold the access log alone.

This repository owns these keys.
"""

from __future__ import annotations

from typing import Any

from chalicelib import resources
from chalicelib.adapters.dynamo import Table, is_conditional_failure
from chalicelib.domain.audit import AccessEntry, AccessLogQuery, Rejection, millis
from chalicelib.domain.identity import Party
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso, parse
from chalicelib.ports import Ids


def log_pk(ins: str) -> str:
    return f"LOG#{ins}"


def rejections_pk(finess: str) -> str:
    return f"REJ#{finess}"


def log_keys(ins: str, entry: AccessEntry) -> dict[str, str]:
    """The partition keys of the access log's filter indexes for this entry."""
    return {"log_actor": f"{ins}#{entry.actor.id}", "log_mode": f"{ins}#{entry.mode}",
            "log_actor_mode": f"{ins}#{entry.actor.id}#{entry.mode}"}


def log_index(ins: str, query: AccessLogQuery) -> tuple[str, str, str] | None:
    """The index that serves a filter by actor and/or mode (None: the log itself)."""
    if query.actor_id and query.mode:
        return resources.LOG_BY_ACTOR_MODE, "log_actor_mode", f"{ins}#{query.actor_id}#{query.mode}"
    if query.actor_id:
        return resources.LOG_BY_ACTOR, "log_actor", f"{ins}#{query.actor_id}"
    if query.mode:
        return resources.LOG_BY_MODE, "log_mode", f"{ins}#{query.mode}"
    return None


def log_period(query: AccessLogQuery) -> tuple[str, str] | None:
    """The sort-key range of a period: ids of the first millisecond of ``since`` to the last of ``until``."""
    if query.since is None and query.until is None:
        return None
    low = f"{millis(query.since):012x}" if query.since else "0"
    high = f"{millis(query.until):012x}~" if query.until else "~"  # "~" sorts after every hex digit
    return low, high


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
                "action": entry.action, "mode": entry.mode, "document_id": entry.document_id, "reason": entry.reason,
                **log_keys(ins, entry)}
        self.table.put(item, condition="attribute_not_exists(pk)")  # append-only: never overwrite

    def page(self, ins: str, limit: int, cursor: str | None,
             query: AccessLogQuery | None = None) -> Page[AccessEntry]:
        """Newest first; ``query`` keeps one actor, one mode and/or a period (one Query per page, see above)."""
        query = query or AccessLogQuery()
        items, next_cursor = self.table.page(log_pk(ins), limit, cursor, index=log_index(ins, query),
                                             sk_between=log_period(query))
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
