"""The patient's notification preferences and notification centre (CONTRACT §10)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, paging, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action

bp = Blueprint(__name__)
TAG = "Notifications"
M = "chalicelib.models.notifications:"
A = "chalicelib.models.answers.notifications:"


@route(bp, "/me/notification-preferences", "GET", tag=TAG, action=Action.READ_NOTIFICATION_PREFERENCES,
       response=A + "Preferences", errors=(401, 403),
       summary="The caller's five notification switches (default all true) and the notices always sent.")
def get_preferences(call: Call) -> Any:
    return container().notifications.preferences(call.caller)


@route(bp, "/me/notification-preferences", "PUT", tag=TAG, action=Action.SET_NOTIFICATION_PREFERENCES,
       body=M + "PreferencesUpdate", response=A + "Preferences", errors=(400, 401, 403, 422),
       summary="Switch kinds of notices on or off (those left out keep their value); the law's always go.")
def put_preferences(call: Call) -> Any:
    return container().notifications.set_preferences(call.caller, call.body)


@route(bp, "/me/notifications", "GET", tag=TAG, action=Action.READ_NOTIFICATIONS, response=A + "NotificationPage",
       query=PAGING, errors=(400, 401, 403, 422),
       summary="What was sent to the caller and about the spaces they manage, newest first, with read state.")
def list_notifications(call: Call) -> Any:
    limit, cursor = paging(call)
    return container().notifications.notifications(call.caller, limit, cursor)


@route(bp, "/me/notifications/{notification_id}/read", "POST", tag=TAG, action=Action.MARK_NOTIFICATION_READ,
       response=A + "NotificationItem", errors=(401, 403, 404),
       summary="Mark a notification read (for the caller only).")
def mark_read(call: Call, notification_id: str) -> Any:
    return container().notifications.mark_read(call.caller, notification_id)
