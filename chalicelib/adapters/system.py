"""Clock, ids and secret generators: the sources of non-determinism, behind ports so tests can pin them."""

from __future__ import annotations

import datetime as dt
import secrets

from chalicelib.domain.accounts import CODE_ALPHABET, CODE_LENGTH
from chalicelib.domain.timeutil import UTC


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told: scheduled events (their `time`) and tests."""

    def __init__(self, now: dt.datetime) -> None:
        self.value = now

    def now(self) -> dt.datetime:
        return self.value

    def advance(self, **delta: float) -> None:
        self.value += dt.timedelta(**delta)


class CsprngSecrets:
    """Provisional codes from the operating system's CSPRNG (`secrets`)."""

    def code(self) -> str:
        return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_id(now: dt.datetime) -> str:
    """An opaque, time-ordered id: 12 hex digits of milliseconds then 16 random hex digits.

    Sorting ids sorts by creation time, so "newest first" is a reverse Query on the sort key.
    """
    return f"{int(now.timestamp() * 1000):012x}{secrets.token_hex(8)}"


class RandomIds:
    """The ids port (``chalicelib.ports.Ids``): :func:`new_id`."""

    def new(self, now: dt.datetime) -> str:
        return new_id(now)
