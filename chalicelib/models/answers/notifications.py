"""Answers of the notification preferences and the notification centre (CONTRACT §10)."""

from __future__ import annotations

from typing import Annotated

from chalicelib.models.answers import Cursor, Describe, Time, answer


@answer
class Preferences:
    message: bool
    document: bool
    appointment: bool
    synchronised_service: bool
    prevention: bool
    required: Annotated[list[str], Describe("Notices always sent, whatever the preferences (the law requires them).")]
    updated_at: Time | None = None


@answer
class NotificationItem:
    notification_id: str
    ins: Annotated[str, Describe("The space it was about: the caller's, or one they manage.")]
    kind: str
    subject: str
    at: Time
    channel: str
    read: Annotated[bool, Describe("Whether the caller marked it read (each reader has their own read state).")]
    data: Annotated[dict[str, str], Describe("What the notice said besides its text (never a code, never medical "
                                             "content).")]


@answer
class NotificationPage:
    items: list[NotificationItem]
    next_cursor: Cursor = None
