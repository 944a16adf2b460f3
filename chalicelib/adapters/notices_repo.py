"""Notification preferences and the notification centre on DynamoDB.

    accounts  NIR#{nir}  PREFERENCES        the person's five switches (absent: all on)
    records   PAT#{ins}  NOTICE#{id}        a notice sent about the space ``ins`` (ids are time-ordered: a reverse
                                            Query lists newest first); ``read_by`` is the set of the NIRs who read
                                            it; TTL ``expires_at`` (the centre keeps a year)

**Why one partition per space, and one Query per space a person manages** (rather than a copy of each notice in
each reader's partition): a notice is written once, whoever manages the space (a national wave sends millions of
notices; a copy per legal representative and carer would multiply those writes); who may read a space's notices
is decided at every listing by the access decision (a child's coming of age or a carer's revocation takes effect
at once, with no copies to chase); erasing a space erases its notices with its partition. A person manages
themselves, their minor children and at most five people they help, so a page costs at most a handful of Queries
of ``limit`` items each, merged newest first; the cursor keeps each space's position. Each reader's read state is
their NIR in ``read_by`` (one UpdateItem; two parents read independently).

This module owns these keys, and erases exactly them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from chalicelib.adapters.accounts_repo import account_pk
from chalicelib.adapters.dynamo import Table, load
from chalicelib.adapters.records_repo import patient_pk
from chalicelib.domain.notices import PREFERENCES, Notification, NotificationPreferences
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.errors import MalformedRequest

PREFERENCES_SK = "PREFERENCES"
NOTICE = "NOTICE#"
RETENTION = dt.timedelta(days=365)  # the centre keeps a year of notices (TTL)
MAX_CURSOR = 4096


def notice_sk(notification_id: str) -> str:
    return f"{NOTICE}{notification_id}"


class DynamoPreferences:
    def __init__(self, client: Any, accounts_table: str) -> None:
        self.table = Table(client, accounts_table)

    def get(self, nir: str) -> NotificationPreferences:
        item = self.table.get(account_pk(nir), PREFERENCES_SK) or {}
        values = {name: bool(item[name]) for name in PREFERENCES if name in item}
        updated = item.get("updated_at")
        return NotificationPreferences(**values, updated_at=parse(updated) if updated else None)

    def put(self, nir: str, preferences: NotificationPreferences) -> None:
        item: dict[str, Any] = {"pk": account_pk(nir), "sk": PREFERENCES_SK, "nir": nir}
        item.update({name: getattr(preferences, name) for name in PREFERENCES})
        if preferences.updated_at:
            item["updated_at"] = iso_ms(preferences.updated_at)
        self.table.put(item)

    def erase(self, nir: str) -> int:
        self.table.delete(account_pk(nir), PREFERENCES_SK)
        return 1


def _item(notification: Notification) -> dict[str, Any]:
    return {"pk": patient_pk(notification.ins), "sk": notice_sk(notification.notification_id),
            "notification_id": notification.notification_id, "ins": notification.ins, "kind": notification.kind,
            "at": iso_ms(notification.at), "channel": notification.channel, "data": notification.data or None,
            "expires_at": int((notification.at + RETENTION).timestamp())}


def _notification(item: dict[str, Any]) -> Notification:
    return Notification(notification_id=item["notification_id"], ins=item["ins"], kind=item["kind"],
                        at=parse(item["at"]), channel=item["channel"],
                        data={str(k): str(v) for k, v in (item.get("data") or {}).items()},
                        read_by=frozenset(item.get("read_by") or ()))


def _bad_cursor(detail: str = "is not a cursor this API returned") -> MalformedRequest:
    return MalformedRequest(f"The 'cursor' parameter {detail}: start again without it.", code="invalid_cursor")


def encode_positions(positions: dict[str, str | None]) -> str:
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_positions(cursor: str, spaces: list[str]) -> dict[str, str | None]:
    """Each space's position (the sort key of the last notice shown; "": none shown yet; None: nothing more),
    checked whole: a cursor
    that names a space the caller does not manage now, or keys outside the centre, is refused (400)."""
    if len(cursor) > MAX_CURSOR:
        raise _bad_cursor()
    try:
        decoded = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise _bad_cursor() from error
    if not isinstance(decoded, dict) or not decoded:
        raise _bad_cursor()
    for ins, position in decoded.items():
        if ins not in spaces:
            raise _bad_cursor("belongs to another listing")
        if position is not None and (not isinstance(position, str) or (position and not position.startswith(NOTICE))):
            raise _bad_cursor()
    return decoded


class DynamoNotificationCentre:
    def __init__(self, client: Any, records_table: str) -> None:
        self.table = Table(client, records_table)

    def record(self, notification: Notification) -> None:
        self.table.put(_item(notification))

    def page(self, spaces: list[str], limit: int, cursor: str | None) -> Page[Notification]:
        positions: dict[str, str | None] = decode_positions(cursor, spaces) if cursor else {s: "" for s in spaces}
        fetched: dict[str, tuple[list[dict[str, Any]], bool]] = {}
        for ins, position in positions.items():
            if position is None:
                continue  # this space has nothing more
            start = {"pk": {"S": patient_pk(ins)}, "sk": {"S": position}} if position else None
            kwargs: dict[str, Any] = {
                "TableName": self.table.name, "ScanIndexForward": False, "Limit": limit, "ConsistentRead": True,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": {":pk": {"S": patient_pk(ins)}, ":prefix": {"S": NOTICE}}}
            if start:
                kwargs["ExclusiveStartKey"] = start
            answer = self.table.client.query(**kwargs)
            fetched[ins] = ([load(i) for i in answer.get("Items", [])], bool(answer.get("LastEvaluatedKey")))
        merged = sorted(((item["sk"], ins, item) for ins, (items, _) in fetched.items() for item in items),
                        key=lambda entry: entry[0], reverse=True)[:limit]
        taken: dict[str, list[str]] = {}
        for sk, ins, _ in merged:
            taken.setdefault(ins, []).append(sk)
        following = dict(positions)
        for ins, (items, more) in fetched.items():
            mine = taken.get(ins, [])
            if len(mine) == len(items) and not more:
                following[ins] = None
            elif mine:
                following[ins] = mine[-1]
        finished = all(position is None for position in following.values())
        return Page([_notification(item) for _, _, item in merged],
                    None if finished else encode_positions(following))

    def find(self, spaces: list[str], notification_id: str) -> Notification | None:
        found = self.table.batch_get((patient_pk(ins), notice_sk(notification_id)) for ins in spaces)
        return _notification(found[0]) if found else None

    def mark_read(self, notification: Notification, reader: str) -> Notification:
        updated = self.table.update(patient_pk(notification.ins), notice_sk(notification.notification_id),
                                    "ADD #read :reader", {"#read": "read_by"}, {":reader": {"SS": [reader]}},
                                    condition="attribute_exists(pk)", returns="ALL_NEW")
        return _notification(updated) if isinstance(updated, dict) else notification

    def erase(self, ins: str) -> int:
        return self.table.erase_prefixes(patient_pk(ins), (NOTICE,))
