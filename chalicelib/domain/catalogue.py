"""The catalogue of referenced apps and the patient's consents (CONTRACT §7).

Décret n° 2021-1047 (art. R1111-29 et seq.): the catalogue admits telehealth, prevention, return-home,
orientation and care-quality, and information-on-rights services, referenced by a commission; financial
services of complementary insurers are excluded. Consent is per app, per data category and per direction, never
beyond what the app's agreement allows; it needs re-approval when the app's access grows or when a minor whose
representative consented comes of age.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.timeutil import age_on
from chalicelib.errors import Conflict, InvalidInput

SERVICE_CATEGORIES = ("telesante", "prevention", "retour_domicile", "orientation_qualite", "information_droits")
DATA_CATEGORIES = ("documents", "measurements", "agenda", "profile", "vaccinations")

# What the decree excludes: financial and complementary-insurance reimbursement services.
_EXCLUDED_WORDS = ("financ", "assuran", "insuran", "mutuel", "complementaire", "remboursement", "reimburse",
                   "credit", "pret", "banque", "bank", "paiement", "payment", "prevoyance")

Grant = tuple[str, str]  # (data category, direction)


def _fold(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", value.lower()) if unicodedata.category(c) != "Mn")


def check_service_category(category: str) -> str:
    folded = _fold(category)
    if any(word in folded for word in _EXCLUDED_WORDS):
        raise InvalidInput(
            f"The field 'category' '{category}' is a financial or insurance-reimbursement service, which the decree "
            "on the catalogue excludes (décret n° 2021-1047).", code="excluded_service", field="category")
    if category not in SERVICE_CATEGORIES:
        raise InvalidInput(f"The field 'category' must be one of {', '.join(SERVICE_CATEGORIES)}.",
                           code="invalid_category", field="category")
    return category


def grants_of(items: Iterable[dict[str, Any] | tuple[str, str]]) -> frozenset[Grant]:
    pairs: list[Grant] = []
    for item in items:
        if isinstance(item, dict):
            pairs.append((str(item["category"]), str(item["access"])))
        else:
            pairs.append((item[0], item[1]))
    return frozenset(pairs)


def as_items(grants: frozenset[Grant]) -> list[dict[str, str]]:
    order = {c: n for n, c in enumerate(DATA_CATEGORIES)}
    return [{"category": c, "access": a} for c, a in sorted(grants, key=lambda g: (order.get(g[0], 99), g[1]))]


@dataclass
class CatalogueApp:
    app_id: str
    name: str
    category: str
    status: str
    data_access: frozenset[Grant]
    access_version: int = 1  # grows when data_access grows: consents given before need re-approval
    description: str | None = None
    publisher: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    def change(self, status: str | None = None, data_access: frozenset[Grant] | None = None,
               name: str | None = None) -> bool:
        """Apply the back office's change. Returns True when consents need re-approval (access grew)."""
        if self.status == "dereferenced" and status not in (None, "dereferenced"):
            raise Conflict("A dereferenced app must be referenced again by the commission.", code="dereferenced")
        if status is not None:
            self.status = status
        if name is not None:
            self.name = name
        grew = False
        if data_access is not None:
            grew = not data_access <= self.data_access
            self.data_access = data_access
            if grew:
                self.access_version += 1
        return grew


def check_consent(app: CatalogueApp, grants: frozenset[Grant]) -> None:
    """A patient grants only what the app's agreement allows, and only to an app that is online."""
    beyond = grants - app.data_access
    if beyond:
        listed = ", ".join(f"{a} {c}" for c, a in sorted(beyond))
        raise InvalidInput(f"The field 'grants' asks for {listed}, beyond what this app's agreement allows.",
                           code="beyond_agreement", field="grants")
    if app.status != "online":
        raise Conflict(f"This app is {app.status}: consent cannot be given now.", code="app_not_online")


@dataclass(frozen=True)
class Consent:
    """What a patient (or a legal representative for a child) let an app reach, per category and direction."""

    app_id: str
    grants: frozenset[Grant]
    access_version: int  # the app's access_version when given: a later growth needs re-approval
    granted_at: dt.datetime
    granted_by: str
    granted_for_minor: bool = False


@dataclass(frozen=True)
class ConsentView:
    """A consent as the patient sees it: what the app may reach now, and whether it needs approving again."""

    app_id: str
    name: str | None
    app_status: str
    grants: frozenset[Grant]
    granted_at: dt.datetime
    needs_reapproval: bool
    effective_grants: frozenset[Grant]


def consent_view(consent: Consent, app: CatalogueApp | None, birth_date: dt.date | None,
                 today: dt.date) -> ConsentView:
    outdated = app is None or consent.access_version < app.access_version
    came_of_age = bool(consent.granted_for_minor and birth_date and age_on(birth_date, today) >= 18)
    effective = frozenset() if app is None or app.status != "online" or outdated or came_of_age \
        else consent.grants & app.data_access
    return ConsentView(app_id=consent.app_id, name=app.name if app else None,
                       app_status=app.status if app else "dereferenced", grants=consent.grants,
                       granted_at=consent.granted_at, needs_reapproval=outdated or came_of_age,
                       effective_grants=effective)
