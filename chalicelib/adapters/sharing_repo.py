"""Who the patient shares with, in the patient's partition of the accounts table (so that the access decision
reads it in the same BatchGetItem as the account): ``PRO#{rpps}`` relations, ``SETTINGS`` (attending doctor,
emergency settings), ``EMERGENCY#{rpps}`` emergency accesses (expiring with a TTL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.access_repo import SETTINGS_SK, emergency_settings, emergency_sk, relation_sk
from chalicelib.adapters.accounts_repo import account_pk
from chalicelib.adapters.dynamo import Table, values
from chalicelib.domain.access import EmergencySettings
from chalicelib.domain.timeutil import iso


class DynamoSharing:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def put_relation(self, ins: str, rpps: str, status: str, via: str, now: dt.datetime,
                     profession: str | None = None) -> dict[str, Any]:
        item = {"pk": account_pk(ins), "sk": relation_sk(rpps), "rpps": rpps, "status": status, "via": via,
                "since": iso(now), "profession": profession}
        existing = self.table.get(account_pk(ins), relation_sk(rpps)) or {}
        if not profession and existing.get("profession"):
            item["profession"] = existing["profession"]
        self.table.put(item)
        return {k: v for k, v in item.items() if k not in ("pk", "sk") and v is not None}

    def relation(self, ins: str, rpps: str) -> dict[str, Any] | None:
        return self.table.get(account_pk(ins), relation_sk(rpps))

    def relations_page(self, ins: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        items, next_cursor = self.table.page(account_pk(ins), limit, cursor, sk_prefix="PRO#", forward=True)
        return [{k: v for k, v in i.items() if k not in ("pk", "sk")} for i in items], next_cursor

    def settings(self, ins: str) -> dict[str, Any]:
        return self.table.get(account_pk(ins), SETTINGS_SK) or {}

    def emergency_settings(self, ins: str) -> EmergencySettings:
        return emergency_settings(self.settings(ins))

    def update_settings(self, ins: str, **fields: Any) -> dict[str, Any]:
        """Set some settings fields, keeping the others (one UpdateItem)."""
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in fields)
        updated = self.table.update(account_pk(ins), SETTINGS_SK, expression, {f"#{k}": k for k in fields},
                                    values(**fields), returns="ALL_NEW")
        return updated if isinstance(updated, dict) else {}

    def put_emergency(self, ins: str, rpps: str, until: dt.datetime, reason: str, now: dt.datetime,
                      samu: bool) -> None:
        self.table.put({"pk": account_pk(ins), "sk": emergency_sk(rpps), "rpps": rpps, "until": iso(until),
                        "reason": reason, "at": iso(now), "samu": samu or None,
                        "expires_at": int(until.timestamp()) + 86400})  # TTL cleans up a day after it ends


class DynamoRejections:
    """Files an establishment dropped that could not be ingested (pk ``REJ#{finess}``), newest first."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def add(self, finess: str, rejection_id: str, entry: dict[str, Any]) -> bool:
        """False when this rejection was already recorded (a replayed event)."""
        from chalicelib.adapters.dynamo import is_conditional_failure

        try:
            self.table.put({"pk": f"REJ#{finess}", "sk": rejection_id, "rejection_id": rejection_id, **entry},
                           condition="attribute_not_exists(pk)")
            return True
        except Exception as error:
            if is_conditional_failure(error):
                return False
            raise

    def page(self, finess: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        items, next_cursor = self.table.page(f"REJ#{finess}", limit, cursor)
        return [{k: v for k, v in i.items() if k not in ("pk", "sk")} for i in items], next_cursor
