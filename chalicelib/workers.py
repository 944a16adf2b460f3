"""Handlers of the functions that national waves run on (CONTRACT §8), thin like the routes: parse the event,
call one service, log opaque ids only.

* ``batch_uploaded``: the S3 "Object Created" event of an enrolment file (EventBridge), which starts its split;
* ``batch_control``, ``enrolment_unit``, ``job_unit``: SQS event sources. Each record is one message; Powertools'
  BatchProcessor reports the failed ones (``batchItemFailures``) so that only they are retried, then
  dead-lettered by the queue's redrive policy. A message whose unit or batch another attempt holds is made
  visible again once that hold may have ended, rather than after the queue's whole visibility timeout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib import resources

RESERVE_SECONDS = 30  # an invocation stops cleanly when less than this remains


class LambdaBudget:
    """The time an invocation has left, from its Lambda context (no context: no limit)."""

    def __init__(self, context: Any, reserve_seconds: float = RESERVE_SECONDS) -> None:
        self.context = context
        self.reserve_ms = reserve_seconds * 1000

    def low(self) -> bool:
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        return remaining is not None and remaining() < self.reserve_ms


def handle_batch_uploaded(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from urllib.parse import unquote_plus

    from chalicelib.bootstrap import container
    from chalicelib.observability import flush, logger, tracer

    tracer()
    obj = event.get("detail", {}).get("object", {})
    outcome = container().batches.uploaded(unquote_plus(obj.get("key", "")), obj.get("version-id"),
                                           int(obj.get("size", 0)), LambdaBudget(context))
    logger().info("enrolment file event", extra={"outcome": outcome})
    flush()
    return {"outcome": outcome}


def _consume(handler: str, event: dict[str, Any], context: Any,
             work: Callable[[dict[str, Any], Any], str]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.bootstrap import container
    from chalicelib.observability import count, flush, logger, tracer
    from chalicelib.services.waves import Attempt, Busy

    tracer()
    consumer = resources.CONSUMER[handler]
    queue = next(q for q in resources.QUEUES if q.logical == consumer.queue)
    outcomes: list[str] = []

    def one(record: Any) -> None:
        received = int(record.attributes.approximate_receive_count or 1)
        attempt = Attempt(f"{record.message_id}:{received}", last=received >= queue.max_receive_count)
        try:
            outcomes.append(work(json.loads(record.body), attempt))
        except Busy as busy:
            outcomes.append("busy")
            _retry_later(container(), consumer.queue, record.receipt_handle, busy.retry_after)
            raise

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    answer = process_partial_response(event=event, record_handler=one, processor=processor, context=context)
    failed = len(answer.get("batchItemFailures", []))
    logger().info("queue batch handled", extra={"handler": handler, "outcomes": outcomes, "failed": failed})
    if failed:
        count(f"{''.join(p.title() for p in handler.split('_'))}Failed", failed)
    flush()
    return dict(answer)


def _retry_later(services: Any, queue: str, receipt_handle: str, seconds: int) -> None:
    """Make a held message visible again once the hold may have ended (never longer than SQS allows)."""
    try:
        services.clients("sqs").change_message_visibility(QueueUrl=services.queues.url(queue),
                                                          ReceiptHandle=receipt_handle,
                                                          VisibilityTimeout=max(5, min(seconds, 43_200)))
    except Exception:  # the queue's own visibility timeout applies instead
        from chalicelib.observability import logger

        logger().warning("message visibility not changed", extra={"queue": queue})


def handle_batch_control(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import container

    budget = LambdaBudget(context)
    return _consume("batch_control", event, context,
                    lambda body, _attempt: container().batches.resume(body["batch_id"], budget))


def handle_enrolment_units(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import container

    return _consume("enrolment_unit", event, context, lambda body, attempt: container().batches.run_unit(
        body, attempt))


def handle_job_units(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.bootstrap import container
    from chalicelib.jobs import step

    return _consume("job_unit", event, context, lambda body, attempt: container().fanout.run_unit(
        body, attempt, step))
