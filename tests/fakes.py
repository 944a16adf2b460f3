"""In-memory adapters with the same contracts as the AWS ones: fast service tests without AWS."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Iterable, Iterator

from chalicelib.domain.accounts import Account, Contact, DueKind
from chalicelib.domain.notices import Notice, channel_for
from chalicelib.ports import AlreadyExists, ConcurrentUpdate


class FakeAccounts:
    def __init__(self) -> None:
        self.items: dict[str, Account] = {}
        self.links: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    def get(self, nir: str) -> Account | None:
        with self.lock:
            account = self.items.get(nir)
            return copy.deepcopy(account) if account else None

    def get_many(self, nirs: Iterable[str]) -> dict[str, Account]:
        return {n: a for n in nirs if (a := self.get(n))}

    def add(self, account: Account) -> None:
        with self.lock:
            if account.nir in self.items:
                raise AlreadyExists(account.nir)
            account.version = 1
            self.items[account.nir] = copy.deepcopy(account)

    def add_with_dependant_link(self, account: Account, representative_nir: str) -> None:
        self.add(account)
        self.links.setdefault(representative_nir, set()).add(account.nir)

    def save(self, account: Account) -> None:
        with self.lock:
            stored = self.items.get(account.nir)
            if stored is None or stored.version != account.version:
                raise ConcurrentUpdate(account.nir)
            account.version += 1
            self.items[account.nir] = copy.deepcopy(account)

    def remove(self, account: Account) -> None:
        with self.lock:
            self.items.pop(account.nir, None)

    def dependants(self, representative_nir: str) -> list[str]:
        return sorted(self.links.get(representative_nir, set()))

    def due(self, kind: DueKind, now: dt.datetime) -> Iterator[str]:
        with self.lock:
            due = [a.nir for a in self.items.values() if (d := a.due()) and d[0] == kind and d[1] <= now]
        yield from due

    def erase(self, nir: str) -> int:
        with self.lock:
            return 1 if self.items.pop(nir, None) else 0


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[Notice, str]] = []
        self.fail = False

    def send(self, notice: Notice, contact: Contact) -> str:
        if self.fail:
            raise RuntimeError("mail service down")
        channel = channel_for(contact)
        assert channel, "no channel"
        self.sent.append((notice, channel))
        return channel

    def to(self, nir: str, kind: str | None = None) -> list[Notice]:
        return [n for n, _ in self.sent if n.to == nir and (kind is None or n.kind == kind)]


class SequenceSecrets:
    """Predictable provisional codes."""

    def __init__(self) -> None:
        self.count = 0

    def code(self) -> str:
        self.count += 1
        return f"CODE{self.count:08d}"
