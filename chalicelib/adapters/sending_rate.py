"""Sending no faster than the allowed rate, across every concurrent worker (docs/scale.md argues the choice).

One counter item per channel and wall-clock second in the ``waves`` table (pk ``RATE#{channel}#{second}``): a
process takes a block of tokens with one conditional ``ADD`` (atomic on the server: no read, no lost update),
and sends at most that many notices within that second. The counter never passes the rate, so neither do the
sends, however many Lambda functions send at once (enrolment units, job units, the API). A block is small
(rate ÷ 20, at most 10) so that idle holders waste little; counters expire after an hour (TTL).

When the second's tokens are gone, a send waits for the next second, within a bound; past it (or when SES itself
answers "Throttling") it raises :class:`~chalicelib.errors.SendLater`: nothing was sent, retry later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.dynamo import Table, values
from chalicelib.domain.accounts import Contact
from chalicelib.domain.notices import Notice, channel_for
from chalicelib.errors import SendLater
from chalicelib.ports import Notifier

THROTTLES = ("Throttling", "ThrottlingException", "TooManyRequestsException", "MaxSendingRateExceeded")


class RateLimiter:
    """At most ``rate`` acquisitions per wall-clock second, shared through one DynamoDB item per second."""

    def __init__(self, client: Any, table_name: str, channel: str, rate: float, max_wait: float = 2.0,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        if rate < 1:
            raise ValueError("a sending rate is at least 1 a second")
        self.table = Table(client, table_name)
        self.channel = channel
        self.rate = int(rate)
        self.block = max(1, min(10, self.rate // 20))
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self._second = -1
        self._tokens = 0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """One send's token, waiting at most ``max_wait`` seconds; SendLater when there is none."""
        deadline = self.clock() + self.max_wait
        with self._lock:
            while True:
                now = self.clock()
                second = int(now)
                if second != self._second:
                    self._second, self._tokens = second, 0
                if self._tokens == 0:
                    self._tokens = self._reserve(second)
                if self._tokens > 0:
                    self._tokens -= 1
                    return
                wait = second + 1 - now
                if now + wait > deadline:
                    raise SendLater("Too many notices are being sent right now; they will be sent shortly.")
                self.sleep(wait)

    def _reserve(self, second: int) -> int:
        for size in dict.fromkeys((self.block, 1)):
            taken = self.table.update(f"RATE#{self.channel}#{second}", "SLOT", "ADD used :n SET expires_at = :exp",
                                      expression_values=values(n=size, cap=self.rate - size, exp=second + 3600),
                                      condition="attribute_not_exists(used) OR used <= :cap")
            if taken:
                return size
        return 0


class RateLimitedNotifier:
    """The notifier, no faster than each channel's rate; SES's own throttling becomes SendLater too."""

    def __init__(self, inner: Notifier, limiters: dict[str, RateLimiter]) -> None:
        self.inner = inner
        self.limiters = limiters

    def send(self, notice: Notice, contact: Contact) -> str:
        limiter = self.limiters.get(channel_for(contact) or "")
        if limiter is not None:
            limiter.acquire()
        try:
            return self.inner.send(notice, contact)
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            if code in THROTTLES:
                raise SendLater(f"The sending service is throttling notices ({error}); retry later.") from error
            raise

    def __getattr__(self, name: str) -> Any:  # the local stage's outbox reader, and anything else of the inner
        return getattr(self.inner, name)
