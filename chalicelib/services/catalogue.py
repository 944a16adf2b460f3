"""Referencing apps (back office) and the patient's consents to them. App access itself is decided by the one
access decision (`domain/access.py`), which reads the app and the consent among its facts."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import Action, Mode
from chalicelib.domain.catalogue import (
    CatalogueApp,
    Consent,
    ConsentView,
    check_consent,
    check_service_category,
    consent_view,
    grants_of,
)
from chalicelib.domain.identity import Actor
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso
from chalicelib.errors import Conflict, NotFound
from chalicelib.ports import AlreadyExists, Clock
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.versioned import retrying

if TYPE_CHECKING:
    from chalicelib.models.catalogue import AppChange, AppCreate, ConsentRequest


class AppRepository(Protocol):
    def add(self, app: CatalogueApp) -> None:
        """Create; AlreadyExists if the id is taken."""
        ...
    def get(self, app_id: str) -> CatalogueApp | None: ...
    def get_many(self, app_ids: list[str]) -> dict[str, CatalogueApp]: ...
    def save(self, app: CatalogueApp) -> None:
        """Versioned write; ConcurrentUpdate if someone wrote since it was read."""
        ...
    def page(self, limit: int, cursor: str | None, status: str | None) -> Page[CatalogueApp]:
        """Apps in this status; without one, every app but the dereferenced."""
        ...


class ConsentRepository(Protocol):
    def put(self, ins: str, consent: Consent) -> None: ...
    def delete(self, ins: str, app_id: str) -> None: ...
    def all(self, ins: str) -> list[Consent]: ...


def slug(name: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFD", name.lower()) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:48] or "app"


def _unknown(app_id: str) -> NotFound:
    return NotFound(f"No app '{app_id}' in the catalogue.", code="unknown_app")


class CatalogueService:
    def __init__(self, apps: AppRepository, consents: ConsentRepository, access: AccessService,
                 clock: Clock) -> None:
        self.apps = apps
        self.consents = consents
        self.access = access
        self.clock = clock

    # -- the back office -----------------------------------------------------------------------------------------
    def reference(self, actor: Actor, body: AppCreate) -> CatalogueApp:
        self.access.check(actor, Action.MANAGE_CATALOGUE)
        app = CatalogueApp(app_id=body.app_id or slug(body.name), name=body.name,
                           category=check_service_category(body.category), status=body.status or "online",
                           data_access=grants_of([(g.category, g.access) for g in body.data_access]),
                           description=body.description, publisher=body.publisher,
                           extra={"referenced_at": iso(self.clock.now())})
        try:
            self.apps.add(app)
        except AlreadyExists:
            raise Conflict(f"An app '{app.app_id}' is already in the catalogue: change it with PATCH.",
                           code="already_referenced") from None
        return app

    def change(self, actor: Actor, app_id: str, body: AppChange) -> CatalogueApp:
        self.access.check(actor, Action.MANAGE_CATALOGUE)
        access = grants_of([(g.category, g.access) for g in body.data_access]) \
            if body.data_access is not None else None

        def step() -> CatalogueApp:
            app = self.apps.get(app_id)
            if app is None:
                raise _unknown(app_id)
            app.change(status=body.status, data_access=access, name=body.name)
            app.extra["updated_at"] = iso(self.clock.now())
            self.apps.save(app)
            return app

        return retrying(step, "the app")

    def apps_page(self, limit: int, cursor: str | None, status: str | None) -> Page[CatalogueApp]:
        return self.apps.page(limit, cursor, status)

    def get(self, app_id: str) -> CatalogueApp:
        app = self.apps.get(app_id)
        if app is None:
            raise _unknown(app_id)
        return app

    # -- the patient's consents ----------------------------------------------------------------------------------
    def grant(self, actor: Actor, ins: str, app_id: str, body: ConsentRequest) -> ConsentView:
        grant = self.access.check(actor, Action.MANAGE_APP_CONSENTS, ins)
        app = self.apps.get(app_id)
        if app is None:
            raise _unknown(app_id)
        wanted = grants_of([(g.category, g.access) for g in body.grants])
        check_consent(app, wanted)
        assert actor.ins is not None
        consent = Consent(app_id=app_id, grants=wanted, access_version=app.access_version,
                          granted_at=self.clock.now(), granted_by=actor.ins,
                          granted_for_minor=grant.mode == Mode.REPRESENTATIVE)
        self.consents.put(ins, consent)
        return self._view(consent, app, grant)

    def consents_of(self, actor: Actor, ins: str) -> Page[ConsentView]:
        grant = self.access.check(actor, Action.MANAGE_APP_CONSENTS, ins)
        consents = self.consents.all(ins)
        apps = self.apps.get_many([c.app_id for c in consents]) if consents else {}
        return Page([self._view(c, apps.get(c.app_id), grant) for c in consents])

    def revoke(self, actor: Actor, ins: str, app_id: str) -> None:
        """Effective on the very next call: the decision reads the consent at every request."""
        self.access.check(actor, Action.MANAGE_APP_CONSENTS, ins)
        self.consents.delete(ins, app_id)

    def _view(self, consent: Consent, app: CatalogueApp | None, grant: Grant) -> ConsentView:
        patient = grant.facts.patient
        return consent_view(consent, app, patient.birth_date if patient else None, self.clock.now().date())
