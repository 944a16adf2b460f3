"""Who the patient shares with, in the patient's partition of the accounts table (so that the access decision
reads it in the same BatchGetItem as the account):

    PRO#{rpps}                       a professional's relation: authorised or blocked, how, since when
    SETTINGS                         the attending doctor and the emergency settings
    EMERGENCY#{rpps}                 an emergency access (expiring with a TTL a day after it ends)

This repository owns these keys (the facts loader reads them with :func:`relation_from`, :func:`settings_from`).
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.accounts_repo import account_pk
from chalicelib.adapters.dynamo import Table, values
from chalicelib.domain.access import EmergencySettings
from chalicelib.domain.results import Page
from chalicelib.domain.sharing import AttendingDoctor, EmergencyAccess, Relation, SharingSettings
from chalicelib.domain.timeutil import iso, parse

SETTINGS_SK = "SETTINGS"
RELATION, EMERGENCY = "PRO#", "EMERGENCY#"
TTL_GRACE_SECONDS = 86400


def relation_sk(rpps: str) -> str:
    return f"{RELATION}{rpps}"


def emergency_sk(rpps: str) -> str:
    return f"{EMERGENCY}{rpps}"


def relation_from(item: dict[str, Any]) -> Relation:
    return Relation(rpps=item["rpps"], status=item["status"], via=item["via"], since=parse(item["since"]),
                    profession=item.get("profession"))


def settings_from(item: dict[str, Any] | None) -> SharingSettings:
    item = item or {}
    raw = item.get("emergency") or {}
    since = item.get("attending_doctor_since")
    return SharingSettings(
        attending_doctor=AttendingDoctor(item.get("attending_doctor"), parse(since) if since else None),
        emergency=EmergencySettings(samu=bool(raw.get("samu", True)),
                                    other_professionals=bool(raw.get("other_professionals", True)),
                                    masked_documents=bool(raw.get("masked_documents", True))))


class DynamoSharing:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def put_relation(self, ins: str, relation: Relation) -> Relation:
        """Write the relation; a profession already known is kept when the new relation does not say it."""
        if not relation.profession:
            existing = self.relation(ins, relation.rpps)
            if existing is not None and existing.profession:
                relation = Relation(relation.rpps, relation.status, relation.via, relation.since,
                                    existing.profession)
        self.table.put({"pk": account_pk(ins), "sk": relation_sk(relation.rpps), "rpps": relation.rpps,
                        "status": relation.status, "via": relation.via, "since": iso(relation.since),
                        "profession": relation.profession})
        return relation

    def relation(self, ins: str, rpps: str) -> Relation | None:
        item = self.table.get(account_pk(ins), relation_sk(rpps))
        return relation_from(item) if item else None

    def relations_page(self, ins: str, limit: int, cursor: str | None) -> Page[Relation]:
        items, next_cursor = self.table.page(account_pk(ins), limit, cursor, sk_prefix=RELATION, forward=True)
        return Page([relation_from(i) for i in items], next_cursor)

    def settings(self, ins: str) -> SharingSettings:
        return settings_from(self.table.get(account_pk(ins), SETTINGS_SK))

    def _set(self, ins: str, **fields: Any) -> None:
        """Set some settings fields, keeping the others (one UpdateItem)."""
        expression = "SET " + ", ".join(f"#{k} = :{k}" for k in fields)
        self.table.update(account_pk(ins), SETTINGS_SK, expression, {f"#{k}": k for k in fields}, values(**fields))

    def set_attending_doctor(self, ins: str, doctor: AttendingDoctor) -> None:
        self._set(ins, attending_doctor=doctor.rpps, attending_doctor_since=iso(doctor.since) if doctor.since
                  else None)

    def set_emergency_settings(self, ins: str, settings: EmergencySettings) -> None:
        self._set(ins, emergency={"samu": settings.samu, "other_professionals": settings.other_professionals,
                                  "masked_documents": settings.masked_documents})

    def put_emergency(self, ins: str, access: EmergencyAccess) -> None:
        self.table.put({"pk": account_pk(ins), "sk": emergency_sk(access.rpps), "rpps": access.rpps,
                        "until": iso(access.expires_at), "reason": access.reason, "at": iso(access.granted_at),
                        "samu": access.samu or None,
                        "expires_at": int(access.expires_at.timestamp()) + TTL_GRACE_SECONDS})
