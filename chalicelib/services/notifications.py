"""The patient's own controls over what they are told (CONTRACT §10): notification preferences, and the
notification centre — what was sent to them and about the spaces they manage, newest first, with read state.

Which spaces a person's centre shows is the access decision's (``READ_NOTIFICATIONS``, decided per space with one
batch read of their accounts): their own, and each minor child they represent while the child is a minor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.access import Action
from chalicelib.domain.identity import Actor
from chalicelib.domain.notices import Notification, NotificationPreferences
from chalicelib.domain.results import Page
from chalicelib.errors import NotFound
from chalicelib.ports import AccountRepository, Clock
from chalicelib.services.access import AccessService, Grant
from chalicelib.services.notices import NotificationCentre, PreferencesRepository

if TYPE_CHECKING:
    from chalicelib.models.notifications import PreferencesUpdate


@dataclass(frozen=True)
class NotificationView:
    """A notification as one reader sees it: ``read`` is their own read state."""

    notification: Notification
    read: bool

    @property
    def notification_id(self) -> str:
        return self.notification.notification_id

    @property
    def ins(self) -> str:
        return self.notification.ins

    @property
    def kind(self) -> str:
        return self.notification.kind

    @property
    def subject(self) -> str:
        return self.notification.subject

    @property
    def at(self) -> object:
        return self.notification.at

    @property
    def channel(self) -> str:
        return self.notification.channel

    @property
    def data(self) -> dict[str, str]:
        return self.notification.data


class NotificationService:
    def __init__(self, centre: NotificationCentre, preferences: PreferencesRepository, accounts: AccountRepository,
                 access: AccessService, clock: Clock) -> None:
        self.centre = centre
        self.preferences_repo = preferences
        self.accounts = accounts
        self.access = access
        self.clock = clock

    # -- preferences ---------------------------------------------------------------------------------------------
    def preferences(self, actor: Actor) -> NotificationPreferences:
        self.access.check(actor, Action.READ_NOTIFICATION_PREFERENCES)
        assert actor.ins is not None
        return self.preferences_repo.get(actor.ins)

    def set_preferences(self, actor: Actor, body: PreferencesUpdate) -> NotificationPreferences:
        """The switches given change; those left out keep their value."""
        self.access.check(actor, Action.SET_NOTIFICATION_PREFERENCES)
        assert actor.ins is not None
        updated = self.preferences_repo.get(actor.ins).with_values(body.values(), self.clock.now())
        self.preferences_repo.put(actor.ins, updated)
        return updated

    # -- the centre ----------------------------------------------------------------------------------------------
    def _spaces(self, actor: Actor, action: Action) -> list[str]:
        """The caller's own space, then the spaces they manage that the decision lets them see now."""
        grant: Grant = self.access.check(actor, action, actor.ins)
        assert actor.ins is not None
        managed = self.access.spaces_allowed(grant, self.accounts.dependants(actor.ins))
        return [actor.ins, *[ins for ins in managed if ins != actor.ins]]

    def notifications(self, actor: Actor, limit: int, cursor: str | None) -> Page[NotificationView]:
        spaces = self._spaces(actor, Action.READ_NOTIFICATIONS)
        assert actor.ins is not None
        page = self.centre.page(spaces, limit, cursor)
        return Page([NotificationView(n, n.read_for(actor.ins)) for n in page.items], page.next_cursor)

    def mark_read(self, actor: Actor, notification_id: str) -> NotificationView:
        spaces = self._spaces(actor, Action.MARK_NOTIFICATION_READ)
        assert actor.ins is not None
        found = self.centre.find(spaces, notification_id)
        if found is None:
            raise NotFound("No such notification.", code="not_found")
        return NotificationView(self.centre.mark_read(found, actor.ins), True)

    # -- the archive ---------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        return self.centre.erase(ins) + self.preferences_repo.erase(ins)
