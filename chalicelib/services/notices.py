"""Sending a notice to the person a space belongs to: one place for the contact rules, the person's preferences and
the notification centre.

Every sender goes through :class:`Messenger`: it finds whom the notice reaches (a child without a contact of their
own is reached through their legal representative), asks the recipient's preferences whether this kind may go
(``domain/notices.py`` decides which kinds a preference governs and which the law requires), sends, and keeps a
copy, without secrets, in the notification centre of the space concerned.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.accounts import Account, Contact
from chalicelib.domain.notices import REQUIRED, Notice, Notification, NotificationPreferences, governing
from chalicelib.domain.results import Page
from chalicelib.observability import logger
from chalicelib.ports import AccountRepository, Clock, Ids, Notifier


class PreferencesRepository(Protocol):
    def get(self, nir: str) -> NotificationPreferences:
        """The person's switches (all on when never set)."""
        ...

    def put(self, nir: str, preferences: NotificationPreferences) -> None: ...

    def erase(self, nir: str) -> int: ...


class NotificationCentre(Protocol):
    def record(self, notification: Notification) -> None:
        """Keep a notice sent about the space ``notification.ins``."""
        ...

    def page(self, spaces: list[str], limit: int, cursor: str | None) -> Page[Notification]:
        """Newest first, across the spaces given (one Query per space and page, merged)."""
        ...

    def find(self, spaces: list[str], notification_id: str) -> Notification | None:
        """The notification of one of these spaces with this id (one batch read)."""
        ...

    def mark_read(self, notification: Notification, reader: str) -> Notification:
        """Add ``reader`` to those who read it (idempotent); the notification as stored now."""
        ...

    def erase(self, ins: str) -> int: ...


class Messenger:
    """``preferences``, ``centre``, ``clock`` and ``ids`` are optional so that a sender wired without them (a unit
    test) still sends; the composition root always gives them."""

    def __init__(self, accounts: AccountRepository, notifier: Notifier,
                 preferences: PreferencesRepository | None = None, centre: NotificationCentre | None = None,
                 clock: Clock | None = None, ids: Ids | None = None) -> None:
        self.accounts = accounts
        self.notifier = notifier
        self.preferences = preferences
        self.centre = centre
        self.clock = clock
        self.ids = ids

    def recipient(self, account: Account) -> Account:
        """Who a notice about ``account``'s space reaches: the person, or, for a child without a contact of their
        own, their legal representative (whose preferences then apply)."""
        if account.contact.is_empty() and account.legal_representative_nir:
            representative = self.accounts.get(account.legal_representative_nir)
            if representative:
                return representative
        return account

    def contact_for(self, account: Account) -> Contact:
        return self.recipient(account).contact

    def deliver(self, account: Account, kind: str, data: dict[str, Any] | None = None,
                origin: str | None = None) -> str | None:
        """Send ``kind`` about ``account``'s space unless its recipient switched that kind off (None then); the
        notifier's errors (no channel, a service down) are raised. ``origin``: the role of whoever caused it."""
        recipient = self.recipient(account)
        if self.preferences is not None and governing(kind, origin) != REQUIRED \
                and not self.preferences.get(recipient.nir).allows(kind, origin):
            return None
        notice = Notice(kind=kind, to=account.nir, data={k: str(v) for k, v in (data or {}).items()})
        channel = self.notifier.send(notice, recipient.contact)
        self._keep(notice, channel)
        return channel

    def tell(self, who: Account | str, kind: str, data: dict[str, Any] | None = None,
             origin: str | None = None) -> str | None:
        """Send ``kind`` to the person (an Account, or a NIR to look up); None if nobody can be reached or the
        recipient switched it off."""
        account = self.accounts.get(who) if isinstance(who, str) else who
        if account is None or self.contact_for(account).is_empty():
            return None
        return self.deliver(account, kind, data, origin)

    def _keep(self, notice: Notice, channel: str) -> None:
        """The centre's copy. The notice has gone: a failure to keep the copy is logged (an operational alarm),
        never raised, so that a sender never sends twice because its copy failed."""
        if self.centre is None or self.clock is None or self.ids is None:
            return
        now = self.clock.now()
        try:
            self.centre.record(Notification(self.ids.new(now), notice.to, notice.kind, now, channel,
                                            Notification.kept(notice.data)))
        except Exception:  # any failure of the store: the notice itself went out
            logger().exception("notification centre copy failed", extra={"kind": notice.kind})
