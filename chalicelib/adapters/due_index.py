"""The sparse ``due`` index of the tables, read page by page, shard by shard: what a fanned-out job's dispatcher
reads (Query only, never Scan; its cost grows with the items due)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib import resources
from chalicelib.adapters.dynamo import Table, values
from chalicelib.domain.timeutil import iso_ms


def due_pk(kind: str, shard: int) -> str:
    """The index's partition key of one shard of one kind of due work (as the repositories write it)."""
    return f"{kind}#{shard}"


class DynamoDueIndex:
    def __init__(self, client: Any, settings: Any) -> None:
        self.client = client
        self.settings = settings

    def page(self, table: str, kind: str, owner: str, shard: int, now: dt.datetime, start: dict[str, Any] | None,
             limit: int) -> tuple[list[str], dict[str, Any] | None]:
        """Up to ``limit`` keys (attribute ``owner``) of the items of ``kind`` due by ``now`` on one shard, and
        where the next page starts (None: the shard is done)."""
        index = Table(self.client, self.settings.table(table))
        items, last = index.query(due_pk(kind, shard), index=resources.DUE_INDEX, pk_name="due_pk",
                                  sk_condition="due_at <= :now", expression_values=values(now=iso_ms(now)),
                                  limit=limit, start=start)
        return [i[owner] for i in items if owner in i], last
