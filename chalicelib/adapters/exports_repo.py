"""Exports' records on DynamoDB, in the patient's records partition ``PAT#{ins}``:

    EXPORT#{export_id}      one export: its status, who asked and when, its size; TTL ``expires_at`` (a month after
                            its file is gone: the record holds no health data)

Ids are time-ordered: a reverse Query lists the newest first. Saves are versioned conditional writes. This
repository owns these keys, and erases exactly them.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import Table, is_conditional_failure, values
from chalicelib.adapters.records_repo import patient_pk
from chalicelib.domain.exports import Export
from chalicelib.domain.identity import Party
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.ports import AlreadyExists, ConcurrentUpdate

EXPORT = "EXPORT#"


def _item(export: Export) -> dict[str, Any]:
    return {"pk": patient_pk(export.ins), "sk": f"{EXPORT}{export.export_id}", "export_id": export.export_id,
            "ins": export.ins, "requested_by": export.requested_by.as_dict(),
            "requested_at": iso_ms(export.requested_at), "status": export.status,
            "ready_at": iso_ms(export.ready_at) if export.ready_at else None, "size": export.size,
            "failure": export.failure, "units": export.units, "version": export.version,
            "claimed_until": iso_ms(export.claimed_until) if export.claimed_until else None,
            "expires_at": int(export.record_expires_at.timestamp())}


def _export(item: dict[str, Any]) -> Export:
    return Export(export_id=item["export_id"], ins=item["ins"], requested_by=Party.from_dict(item["requested_by"]),
                  requested_at=parse(item["requested_at"]), status=item["status"],
                  ready_at=parse(item["ready_at"]) if item.get("ready_at") else None,
                  size=int(item["size"]) if item.get("size") is not None else None, failure=item.get("failure"),
                  units=int(item.get("units", 0)), version=int(item.get("version", 0)),
                  claimed_until=parse(item["claimed_until"]) if item.get("claimed_until") else None)


class DynamoExports:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def add(self, export: Export) -> None:
        export.version = 1
        try:
            self.table.put(_item(export), condition="attribute_not_exists(pk)")
        except Exception as error:
            export.version = 0
            if is_conditional_failure(error):
                raise AlreadyExists(export.export_id) from error
            raise

    def get(self, ins: str, export_id: str) -> Export | None:
        item = self.table.get(patient_pk(ins), f"{EXPORT}{export_id}")
        return _export(item) if item else None

    def save(self, export: Export) -> None:
        expected = export.version
        export.version = expected + 1
        try:
            self.table.put(_item(export), condition="version = :v", expression_values=values(v=expected))
        except Exception as error:
            export.version = expected
            if is_conditional_failure(error):
                raise ConcurrentUpdate(export.export_id) from error
            raise

    def latest(self, ins: str) -> Export | None:
        items, _ = self.table.query(patient_pk(ins), sk_prefix=EXPORT, forward=False, limit=1, consistent=True)
        return _export(items[0]) if items else None

    def all_for(self, ins: str) -> list[Export]:
        return [_export(i) for i in self.table.query_all(patient_pk(ins), sk_prefix=EXPORT, consistent=True)]

    def erase(self, ins: str) -> int:
        return self.table.erase_prefixes(patient_pk(ins), (EXPORT,))
