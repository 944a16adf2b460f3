"""Handlers of events that are not API calls."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import container
from chalicelib.observability import count, flush, logger, tracer


def handle_object_created(event: dict[str, Any]) -> dict[str, Any]:
    """An S3 "Object Created" event from EventBridge: an upload to the vault or a drop into the inbox."""
    tracer()
    outcome = container().ingest.handle(event)
    logger().info("object handled", extra={"outcome": outcome.get("outcome"), "reason": outcome.get("reason")})
    count(f"Objects{str(outcome.get('outcome', 'unknown')).title().replace('_', '')}")
    flush()
    return outcome
