"""The interfaces the services depend on. Adapters implement them with AWS; tests with plain Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Protocol

from chalicelib.domain.accounts import Account, Contact, DueKind
from chalicelib.domain.notices import Notice


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SecretGenerator(Protocol):
    def code(self) -> str:
        """A fresh provisional code from a CSPRNG."""
        ...


class ConcurrentUpdate(Exception):
    """The entity changed since it was read: reload and decide again."""


class AlreadyExists(Exception):
    """A conditional create found the key taken."""


class ObjectGone(Exception):
    """The stored object (version) no longer exists: already moved or erased."""


class AccountRepository(Protocol):
    def get(self, nir: str) -> Account | None: ...

    def get_many(self, nirs: Iterable[str]) -> dict[str, Account]: ...

    def add(self, account: Account) -> None:
        """Create; AlreadyExists if the NIR is taken."""
        ...

    def add_with_dependant_link(self, account: Account, representative_nir: str) -> None:
        """Create a child's account and its link in the representative's partition, atomically."""
        ...

    def save(self, account: Account) -> None:
        """Write if nobody wrote since it was read (version check); ConcurrentUpdate otherwise."""
        ...

    def remove(self, account: Account) -> None:
        """Delete an account just created whose notice could not go out (version check)."""
        ...

    def dependants(self, representative_nir: str) -> list[str]: ...

    def due(self, kind: DueKind, now: dt.datetime) -> Iterator[str]:
        """NIRs of the accounts with `kind` due at or before `now` (a Query per shard of the sparse index)."""
        ...

    def erase(self, nir: str) -> int:
        """Delete the person's whole partition (account last). Returns the number of items deleted."""
        ...


class Notifier(Protocol):
    def send(self, notice: Notice, contact: Contact) -> str:
        """Send through the contact's channel; returns the channel used."""
        ...
