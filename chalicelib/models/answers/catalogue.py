"""Answers of the catalogue and consents (CONTRACT §7)."""

from __future__ import annotations

from typing import Annotated, Any

from chalicelib.domain.catalogue import as_items
from chalicelib.models.answers import KEEP_NULL, Convert, Cursor, Time, answer


def _items(value: Any) -> Any:
    """Grants as the domain holds them (a set of (category, access)) → the listed form."""
    return as_items(frozenset(value)) if isinstance(value, (set, frozenset)) else value


Grants = Annotated[list[dict[str, str]], Convert(_items)]


@answer
class App:
    app_id: str
    name: str
    category: str
    status: str
    data_access: Grants
    description: str | None = None
    publisher: str | None = None


@answer
class AppPage:
    items: list[App]
    next_cursor: Cursor = None


@answer
class Consent:
    app_id: str
    name: Annotated[str | None, KEEP_NULL] = None
    app_status: str
    grants: Grants
    granted_at: Time
    needs_reapproval: bool
    effective_grants: Grants


@answer
class ConsentPage:
    items: list[Consent]
    next_cursor: Cursor = None
