"""Result shapes several services answer with: a page of a listing, and an item with its download URL.

The route's response model reads them by attribute (``from_attributes``), like any domain entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """Up to a limit of items, and the opaque cursor of the next page (None on the last one; CONTRACT §3)."""

    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None


@dataclass(frozen=True)
class Downloadable(Generic[T]):
    """An item (a document, an attachment) and, when its bytes may be read now, a short-lived download URL. Every
    attribute of the item reads through."""

    item: T
    download_url: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.item, name)


@dataclass(frozen=True)
class InvalidRow:
    """A row of a batch (an enrolment, a reimbursement line) that breaks a rule: reported on its own row, never
    sinking the batch. ``given`` is the identifier the row gave, when it gave one as text."""

    given: str
    reason: str
