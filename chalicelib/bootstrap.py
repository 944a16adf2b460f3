"""The composition root: builds services from adapters, once per process, on first use.

Handlers call these accessors; tests replace the whole container with :func:`use`.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from chalicelib import config


class Container:
    """Everything a process needs, built lazily from its settings."""

    def __init__(self, settings: config.Settings | None = None, clients: Any = None, clock: Any = None) -> None:
        self.settings = settings or config.settings()
        if clients is None:
            from chalicelib.adapters.aws import Clients

            clients = Clients(self.settings)
        self.clients = clients
        if clock is None:
            from chalicelib.adapters.system import SystemClock

            clock = SystemClock()
        self.clock = clock

    def with_clock(self, clock: Any) -> Container:
        """The same wiring with another clock (a scheduled event's time)."""
        return Container(self.settings, self.clients, clock)

    @cached_property
    def tokens(self) -> Any:
        from chalicelib.adapters.tokens import TokenService

        return TokenService(self.settings)

    @cached_property
    def accounts(self) -> Any:
        from chalicelib.adapters.accounts_repo import DynamoAccountRepository

        return DynamoAccountRepository(self.clients("dynamodb"), self.settings.table("accounts"))

    @cached_property
    def notifier(self) -> Any:
        from chalicelib.adapters.notifier import AwsNotifier, RecordingNotifier

        notifier = AwsNotifier(self.clients, self.settings.queue("postal-letters"))
        if self.settings.is_local:
            return RecordingNotifier(notifier, self.clients("dynamodb"), self.settings.table("outbox"), self.clock)
        return notifier

    @cached_property
    def access_log(self) -> Any:
        from chalicelib.adapters.audit_repo import DynamoAccessLog

        return DynamoAccessLog(self.clients("dynamodb"), self.settings.table("audit"))

    @cached_property
    def access(self) -> Any:
        from chalicelib.adapters.access_repo import DynamoAccessFacts
        from chalicelib.services.access import AccessService

        facts = DynamoAccessFacts(self.clients("dynamodb"), self.settings.table("accounts"),
                                  self.settings.table("catalogue"))
        return AccessService(facts, self.access_log, self.clock)

    @cached_property
    def erasers(self) -> list[Any]:
        """Every capability that keeps a person's data, for the archive purge."""
        return [self.access_log]

    @cached_property
    def lifecycle(self) -> Any:
        from chalicelib.adapters.system import CsprngSecrets
        from chalicelib.services.lifecycle import LifecycleService

        return LifecycleService(self.accounts, self.notifier, self.clock, CsprngSecrets(),
                                self.settings.secret_pepper, self.erasers)


_container: Container | None = None
_lock = threading.Lock()


def container() -> Container:
    global _container
    if _container is None:
        with _lock:
            if _container is None:
                _container = Container()
    return _container


def use(replacement: Container | None) -> None:
    """Install a container (tests), or None to rebuild from the environment on next use."""
    global _container
    _container = replacement
