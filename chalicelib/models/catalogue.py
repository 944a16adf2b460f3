"""Bodies and answers of the catalogue and consents (CONTRACT §7)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from chalicelib.models.common import Strict

DataCategory = Literal["documents", "measurements", "agenda", "profile", "vaccinations"]


class DataAccess(Strict):
    noun: ClassVar[str] = "a data access"

    category: DataCategory
    access: Literal["read", "write"]


class AppCreate(Strict):
    noun: ClassVar[str] = "a catalogue app"

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
    noun: ClassVar[str] = "a change of a catalogue app"

    status: Literal["online", "suspended", "dereferenced"] | None = None
    data_access: list[DataAccess] | None = Field(None, max_length=10)
    name: str | None = Field(None, min_length=1, max_length=120)


class ConsentRequest(Strict):
    noun: ClassVar[str] = "a consent"

    grants: list[DataAccess] = Field(max_length=10)

