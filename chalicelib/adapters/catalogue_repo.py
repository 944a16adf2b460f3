"""Catalogue apps (catalogue table, one partition ``CATALOGUE``: the catalogue is a few hundred apps, listed by
one Query) and the patients' consents (``CONSENT#{app_id}`` in the patient's accounts partition, so the access
decision reads it in its one BatchGetItem).

``GET /catalogue`` is public and every patient's portal reads it: its pages are kept in the function for
``LISTING_SECONDS``, so that millions of patients make at most one Query per warm Lambda instance and page every
``LISTING_SECONDS`` on that one partition (docs/scale.md), not one each. A change made through this process is seen
at once; one made elsewhere within ``LISTING_SECONDS``. The access decision never reads this cache: an app
suspended is refused on its very next call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.accounts_repo import account_pk
from chalicelib.adapters.dynamo import Table, is_conditional_failure, values
from chalicelib.domain.catalogue import CatalogueApp, Consent, as_items, grants_of
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso, parse
from chalicelib.ports import AlreadyExists, ConcurrentUpdate

CONSENT = "CONSENT#"


def consent_sk(app_id: str) -> str:
    return f"{CONSENT}{app_id}"


def app_key(app_id: str) -> tuple[str, str]:
    return "CATALOGUE", f"APP#{app_id}"


def to_item(app: CatalogueApp) -> dict[str, Any]:
    pk, sk = app_key(app.app_id)
    return {"pk": pk, "sk": sk, "app_id": app.app_id, "name": app.name, "category": app.category,
            "status": app.status, "data_access": as_items(app.data_access), "access_version": app.access_version,
            "description": app.description, "publisher": app.publisher, "version": app.version,
            **app.extra}


def from_item(item: dict[str, Any]) -> CatalogueApp:
    known = {"pk", "sk", "app_id", "name", "category", "status", "data_access", "access_version", "description",
             "publisher", "version"}
    return CatalogueApp(app_id=item["app_id"], name=item["name"], category=item["category"], status=item["status"],
                        data_access=grants_of(item.get("data_access", [])),
                        access_version=int(item.get("access_version", 1)), description=item.get("description"),
                        publisher=item.get("publisher"), version=int(item.get("version", 0)),
                        extra={k: v for k, v in item.items() if k not in known})


LISTING_SECONDS = 30
LISTING_PAGES = 256  # pages kept at most (limit × cursor × status)


class DynamoCatalogue:
    def __init__(self, client: Any, table_name: str, listing_seconds: float = LISTING_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.table = Table(client, table_name)
        self.listing_seconds = listing_seconds
        self.clock = clock
        self._pages: dict[tuple[int, str | None, str | None], tuple[float, list[dict[str, Any]], str | None]] = {}
        self._lock = threading.Lock()

    def _changed(self) -> None:
        with self._lock:
            self._pages.clear()

    def add(self, app: CatalogueApp) -> None:
        self._changed()
        app.version = 1
        try:
            self.table.put(to_item(app), condition="attribute_not_exists(pk)")
        except Exception as error:
            app.version = 0
            if is_conditional_failure(error):
                raise AlreadyExists(app.app_id) from error
            raise

    def get(self, app_id: str) -> CatalogueApp | None:
        item = self.table.get(*app_key(app_id))
        return from_item(item) if item else None

    def get_many(self, app_ids: list[str]) -> dict[str, CatalogueApp]:
        return {i["app_id"]: from_item(i) for i in self.table.batch_get(app_key(a) for a in app_ids)}

    def save(self, app: CatalogueApp) -> None:
        self._changed()
        expected = app.version
        app.version += 1
        try:
            self.table.put(to_item(app), condition="version = :v", expression_values=values(v=expected))
        except Exception as error:
            app.version = expected
            if is_conditional_failure(error):
                raise ConcurrentUpdate(app.app_id) from error
            raise

    def page(self, limit: int, cursor: str | None, status: str | None) -> Page[CatalogueApp]:
        """One page of the listing, from the function's copy while it is fresh."""
        key, now = (limit, cursor, status), self.clock()
        kept = self._pages.get(key)
        if kept is None or kept[0] <= now:
            accept = (lambda i: i["status"] == status) if status else (lambda i: i["status"] != "dereferenced")
            items, next_cursor = self.table.page("CATALOGUE", limit, cursor, sk_prefix="APP#", forward=True,
                                                 accept=accept)
            kept = (now + self.listing_seconds, items, next_cursor)
            with self._lock:
                if len(self._pages) >= LISTING_PAGES:
                    self._pages.clear()
                self._pages[key] = kept
        return Page([from_item(i) for i in kept[1]], kept[2])


def consent_from(item: dict[str, Any]) -> Consent:
    return Consent(app_id=item["app_id"], grants=grants_of(item.get("grants", [])),
                   access_version=int(item.get("access_version", 0)), granted_at=parse(item["granted_at"]),
                   granted_by=item.get("granted_by", ""), granted_for_minor=bool(item.get("granted_for_minor")))


class DynamoConsents:
    """Consents in the patient's accounts partition (``CONSENT#{app_id}``), read by the facts loader too."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def put(self, ins: str, consent: Consent) -> None:
        self.table.put({"pk": account_pk(ins), "sk": consent_sk(consent.app_id), "app_id": consent.app_id,
                        "grants": as_items(consent.grants), "access_version": consent.access_version,
                        "granted_at": iso(consent.granted_at), "granted_by": consent.granted_by,
                        "granted_for_minor": consent.granted_for_minor or None})

    def delete(self, ins: str, app_id: str) -> None:
        self.table.delete(account_pk(ins), consent_sk(app_id))

    def all(self, ins: str) -> list[Consent]:
        return [consent_from(i) for i in self.table.query_all(account_pk(ins), sk_prefix=CONSENT, consistent=True)]
