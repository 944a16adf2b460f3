"""The append-only access log (pk ``LOG#{ins}``, sk time-ordered id), newest first with cursors."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import Table
from chalicelib.adapters.system import new_id
from chalicelib.domain.timeutil import iso


def log_pk(ins: str) -> str:
    return f"LOG#{ins}"


class DynamoAccessLog:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def append(self, ins: str, entry: dict[str, Any]) -> None:
        at = entry["at"]
        item = {"pk": log_pk(ins), "sk": new_id(at), **entry, "at": iso(at)}
        self.table.put(item, condition="attribute_not_exists(pk)")  # append-only: never overwrite

    def page(self, ins: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        items, next_cursor = self.table.page(log_pk(ins), limit, cursor)
        fields = ("at", "actor", "action", "document_id", "mode", "reason")
        return [{k: i[k] for k in fields if k in i} for i in items], next_cursor

    def erase(self, ins: str) -> int:
        return self.table.erase_partition(log_pk(ins))
