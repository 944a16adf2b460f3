"""Who may read a patient's record: care relationships, the patient's authorisations and blocks, the attending
doctor, emergency settings and emergency access ("bris de glace"), and the access log shown to the patient."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.timeutil import iso
from chalicelib.errors import Conflict
from chalicelib.ports import Clock
from chalicelib.services.access import AccessService

EMERGENCY_MAX = dt.timedelta(hours=24)  # an emergency access is temporary (CONTRACT §5)


class SharingRepository(Protocol):
    def put_relation(self, ins: str, rpps: str, status: str, via: str, now: dt.datetime,
                     profession: str | None = None) -> dict[str, Any]: ...
    def relation(self, ins: str, rpps: str) -> dict[str, Any] | None: ...
    def relations_page(self, ins: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]: ...
    def settings(self, ins: str) -> dict[str, Any]: ...
    def update_settings(self, ins: str, **fields: Any) -> dict[str, Any]: ...
    def put_emergency(self, ins: str, rpps: str, until: dt.datetime, reason: str, now: dt.datetime,
                      samu: bool) -> None: ...


class SharingService:
    def __init__(self, sharing: SharingRepository, access: AccessService, access_log: Any, rejections: Any,
                 messenger: Any, clock: Clock) -> None:
        self.sharing = sharing
        self.access = access
        self.access_log = access_log
        self.rejections = rejections
        self.messenger = messenger
        self.clock = clock

    def declare_care(self, actor: Any, ins: str) -> dict[str, Any]:
        """A professional declares that the patient agreed, during care, to their reading the record."""
        grant = self.access.check(actor, Action.DECLARE_CARE, ins)
        relation = self.sharing.put_relation(ins, actor.rpps, "authorized", "care_relationship", self.clock.now(),
                                             actor.profession)
        grant.log("declare_care")
        return relation

    def set_professional(self, actor: Any, ins: str, rpps: str, status: str) -> dict[str, Any]:
        self.access.check(actor, Action.MANAGE_SHARING, ins)
        return self.sharing.put_relation(ins, rpps, status, "patient", self.clock.now())

    def professionals(self, actor: Any, ins: str, limit: int, cursor: str | None) -> dict[str, Any]:
        self.access.check(actor, Action.READ_SHARING, ins)
        items, next_cursor = self.sharing.relations_page(ins, limit, cursor)
        attending = self.sharing.settings(ins).get("attending_doctor")
        for item in items:
            item["attending_doctor"] = item["rpps"] == attending
        return {"items": items, "next_cursor": next_cursor}

    def set_attending_doctor(self, actor: Any, ins: str, rpps: str) -> dict[str, Any]:
        """Name the attending doctor (médecin traitant): authorised, and sees masked documents."""
        self.access.check(actor, Action.MANAGE_SHARING, ins)
        if (self.sharing.relation(ins, rpps) or {}).get("status") == "blocked":
            raise Conflict("This professional is blocked: unblock them before naming them attending doctor.",
                           code="blocked")
        now = self.clock.now()
        self.sharing.put_relation(ins, rpps, "authorized", "attending_doctor", now, "medecin")
        self.sharing.update_settings(ins, attending_doctor=rpps, attending_doctor_since=iso(now))
        return {"rpps": rpps, "since": iso(now)}

    def attending_doctor(self, actor: Any, ins: str) -> dict[str, Any]:
        self.access.check(actor, Action.READ_SHARING, ins)
        settings = self.sharing.settings(ins)
        return {"rpps": settings.get("attending_doctor"), "since": settings.get("attending_doctor_since")}

    def emergency_settings(self, actor: Any, ins: str) -> dict[str, Any]:
        from chalicelib.adapters.access_repo import emergency_settings

        self.access.check(actor, Action.READ_SHARING, ins)
        current = emergency_settings(self.sharing.settings(ins))
        return {"samu": current.samu, "other_professionals": current.other_professionals,
                "masked_documents": current.masked_documents}

    def set_emergency_settings(self, actor: Any, ins: str, changes: dict[str, bool | None]) -> dict[str, Any]:
        from chalicelib.adapters.access_repo import emergency_settings

        self.access.check(actor, Action.MANAGE_SHARING, ins)
        current = emergency_settings(self.sharing.settings(ins))
        updated = {"samu": current.samu, "other_professionals": current.other_professionals,
                   "masked_documents": current.masked_documents}
        updated.update({k: v for k, v in changes.items() if v is not None})
        self.sharing.update_settings(ins, emergency=updated)
        return updated

    def emergency_access(self, actor: Any, ins: str, reason: str, hours: float | None) -> dict[str, Any]:
        """"Bris de glace": a temporary access without authorisation, always reported to the patient."""
        grant = self.access.check(actor, Action.EMERGENCY_ACCESS, ins)
        now = self.clock.now()
        duration = min(EMERGENCY_MAX, dt.timedelta(hours=hours)) if hours else EMERGENCY_MAX
        until = now + duration
        self.sharing.put_emergency(ins, actor.rpps, until, reason, now, actor.samu)
        self.access.record(ins, actor, "emergency_access", grant.mode, None, reason=reason)
        self.messenger.tell(ins, "emergency_access", {"at": iso(now)})
        return {"status": "granted", "mode": "emergency", "granted_at": iso(now), "expires_at": iso(until)}

    def access_history(self, actor: Any, ins: str, limit: int, cursor: str | None) -> dict[str, Any]:
        self.access.check(actor, Action.READ_ACCESS_LOG, ins)
        items, next_cursor = self.access_log.page(ins, limit, cursor)
        return {"items": items, "next_cursor": next_cursor}

    def rejections_of(self, actor: Any, finess: str, limit: int, cursor: str | None) -> dict[str, Any]:
        from chalicelib.errors import Forbidden

        self.access.check(actor, Action.READ_REJECTIONS)
        if actor.finess != finess:
            raise Forbidden("An establishment sees only its own rejected files.", code="forbidden")
        items, next_cursor = self.rejections.page(finess, limit, cursor)
        return {"items": items, "next_cursor": next_cursor}
