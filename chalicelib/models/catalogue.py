"""Bodies and answers of the catalogue and consents (CONTRACT §7)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from chalicelib.domain.catalogue import as_items
from chalicelib.models.common import KEEP_NULL, Cursor, Out, Strict, Time

DataCategory = Literal["documents", "measurements", "agenda", "profile", "vaccinations"]


class DataAccess(Strict):
    category: DataCategory
    access: Literal["read", "write"]


class AppCreate(Strict):
    app_id: str | None = Field(None, min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$",
                               description="Stable id (lower-case letters, digits, dashes); default from the name.")
    name: str = Field(min_length=1, max_length=120)
    category: str = Field(min_length=1, max_length=60, description="telesante, prevention, retour_domicile, "
                                                                   "orientation_qualite or information_droits.")
    status: Literal["online", "suspended", "dereferenced"] | None = None
    data_access: list[DataAccess] = Field(default_factory=list, max_length=10)
    description: str | None = Field(None, max_length=2000)
    publisher: str | None = Field(None, max_length=200)

    @field_validator("app_id", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class AppChange(Strict):
    status: Literal["online", "suspended", "dereferenced"] | None = None
    data_access: list[DataAccess] | None = Field(None, max_length=10)
    name: str | None = Field(None, min_length=1, max_length=120)


def _items(value: Any) -> Any:
    """Grants as the domain holds them (a set of (category, access)) → the listed form."""
    return as_items(frozenset(value)) if isinstance(value, (set, frozenset)) else value


Grants = Annotated[list[dict[str, str]], BeforeValidator(_items)]


class App(Out):
    app_id: str
    name: str
    category: str
    status: str
    data_access: Grants
    description: str | None = None
    publisher: str | None = None


class AppPage(Out):
    items: list[App]
    next_cursor: Cursor = None


class ConsentRequest(Strict):
    grants: list[DataAccess] = Field(max_length=10)


class Consent(Out):
    app_id: str
    name: Annotated[str | None, KEEP_NULL] = None
    app_status: str
    grants: Grants
    granted_at: Time
    needs_reapproval: bool
    effective_grants: Grants


class ConsentPage(Out):
    items: list[Consent]
    next_cursor: Cursor = None
