"""Referencing apps (back office) and the patient's consents to them. App access itself is decided by the one
access decision (`domain/access.py`), which reads the app and the consent among its facts."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.domain.access import Action, is_legal_representative
from chalicelib.domain.catalogue import CatalogueApp, as_items, check_consent, check_service_category, grants_of
from chalicelib.domain.timeutil import iso
from chalicelib.errors import Conflict, NotFound
from chalicelib.ports import AlreadyExists, Clock, ConcurrentUpdate
from chalicelib.services.access import AccessService


def app_view(app: CatalogueApp) -> dict[str, Any]:
    out: dict[str, Any] = {"app_id": app.app_id, "name": app.name, "category": app.category, "status": app.status,
                           "data_access": as_items(app.data_access)}
    if app.description:
        out["description"] = app.description
    if app.publisher:
        out["publisher"] = app.publisher
    return out


def slug(name: str) -> str:
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFD", name.lower()) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:48] or "app"


class CatalogueService:
    def __init__(self, apps: Any, consents: Any, accounts: Any, access: AccessService, clock: Clock) -> None:
        self.apps = apps
        self.consents = consents
        self.accounts = accounts
        self.access = access
        self.clock = clock

    # -- the back office -----------------------------------------------------------------------------------------
    def reference(self, actor: Any, body: Any) -> dict[str, Any]:
        self.access.check(actor, Action.MANAGE_CATALOGUE)
        app = CatalogueApp(app_id=body.app_id or slug(body.name), name=body.name,
                           category=check_service_category(body.category), status=body.status or "online",
                           data_access=grants_of([g.model_dump() for g in body.data_access]),
                           description=body.description, publisher=body.publisher,
                           extra={"referenced_at": iso(self.clock.now())})
        try:
            self.apps.add(app)
        except AlreadyExists:
            raise Conflict(f"An app '{app.app_id}' is already in the catalogue: change it with PATCH.",
                           code="already_referenced") from None
        return app_view(app)

    def change(self, actor: Any, app_id: str, body: Any) -> dict[str, Any]:
        self.access.check(actor, Action.MANAGE_CATALOGUE)
        for _ in range(5):
            app = self.apps.get(app_id)
            if app is None:
                raise NotFound(f"No app '{app_id}' in the catalogue.", code="unknown_app")
            access = grants_of([g.model_dump() for g in body.data_access]) if body.data_access is not None else None
            app.change(status=body.status, data_access=access, name=body.name)
            app.extra["updated_at"] = iso(self.clock.now())
            try:
                self.apps.save(app)
            except ConcurrentUpdate:
                continue
            return app_view(app)
        raise Conflict("The app is being changed by another request; try again.", code="busy")

    def listing(self, limit: int, cursor: str | None, status: str | None) -> dict[str, Any]:
        apps, next_cursor = self.apps.page(limit, cursor, status)
        return {"items": [app_view(a) for a in apps], "next_cursor": next_cursor}

    def get(self, app_id: str) -> dict[str, Any]:
        app = self.apps.get(app_id)
        if app is None:
            raise NotFound(f"No app '{app_id}' in the catalogue.", code="unknown_app")
        return app_view(app)

    # -- the patient's consents ----------------------------------------------------------------------------------
    def grant(self, actor: Any, ins: str, app_id: str, grants: list[Any]) -> dict[str, Any]:
        grant = self.access.check(actor, Action.MANAGE_APP_CONSENTS, ins)
        app = self.apps.get(app_id)
        if app is None:
            raise NotFound(f"No app '{app_id}' in the catalogue.", code="unknown_app")
        wanted = grants_of([g.model_dump() for g in grants])
        check_consent(app, wanted)
        patient = grant.facts.patient
        for_minor = bool(patient and grant.mode.value == "representative"
                         and is_legal_representative(actor.ins, patient, self.clock.now().date()))
        consent = {"app_id": app_id, "grants": as_items(wanted), "access_version": app.access_version,
                   "granted_at": iso(self.clock.now()), "granted_by": actor.ins, "granted_for_minor": for_minor or None}
        self.consents.put(ins, consent)
        return self._view(consent, app, grant)

    def list(self, actor: Any, ins: str) -> dict[str, Any]:
        grant = self.access.check(actor, Action.MANAGE_APP_CONSENTS, ins)
        consents = self.consents.all(ins)
        apps = self.apps.get_many([c["app_id"] for c in consents]) if consents else {}
        return {"items": [self._view(c, apps.get(c["app_id"]), grant) for c in consents], "next_cursor": None}

    def revoke(self, actor: Any, ins: str, app_id: str) -> None:
        """Effective on the very next call: the decision reads the consent at every request."""
        self.access.check(actor, Action.MANAGE_APP_CONSENTS, ins)
        self.consents.delete(ins, app_id)

    def _view(self, consent: dict[str, Any], app: CatalogueApp | None, grant: Any) -> dict[str, Any]:
        from chalicelib.domain.timeutil import age_on

        outdated = app is None or int(consent.get("access_version", 0)) < app.access_version
        patient = grant.facts.patient
        came_of_age = bool(consent.get("granted_for_minor") and patient
                           and age_on(patient.birth_date, self.clock.now().date()) >= 18)
        return {"app_id": consent["app_id"], "name": app.name if app else None,
                "app_status": app.status if app else "dereferenced", "grants": consent["grants"],
                "granted_at": consent["granted_at"], "needs_reapproval": outdated or came_of_age,
                "effective_grants": [] if app is None or app.status != "online" or outdated or came_of_age
                else as_items(grants_of(consent["grants"]) & app.data_access)}
