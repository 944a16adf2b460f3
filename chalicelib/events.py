"""Handlers of events that are not API calls."""

from __future__ import annotations

from typing import Any


def handle_object_created(event: dict[str, Any]) -> dict[str, Any]:
    """An S3 "Object Created" event from EventBridge: an upload to the vault or a drop into the inbox."""
    from chalicelib.bootstrap import container

    return container().ingest.handle(event)
