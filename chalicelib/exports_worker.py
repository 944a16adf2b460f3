"""The export worker's handler (an SQS event source, batch size 1): thin like the routes — parse the record, call
the export service, log opaque ids only. Powertools' BatchProcessor reports a failed record
(``batchItemFailures``): it is made visible again a minute later (the export resumes from its last checkpoint,
the failed unit having released its hold) and dead-lettered after its last attempt, which marks the export failed
first. A record whose export
another unit holds (a duplicate delivery) is made visible again once that unit's lease may have ended."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import resources

RESERVE_SECONDS = 60  # a unit hands over when less than this remains (far more than one member takes)
RETRY_SECONDS = 60  # a failed unit is tried again this soon (from its checkpoint), not after the whole visibility
HANDLER = "export_space"


class LambdaBudget:
    """The time an invocation has left, from its Lambda context (no context: no limit)."""

    def __init__(self, context: Any, reserve_seconds: float = RESERVE_SECONDS) -> None:
        self.context = context
        self.reserve_ms = reserve_seconds * 1000

    def low(self) -> bool:
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        return remaining is not None and remaining() < self.reserve_ms


def handle_export_units(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.bootstrap import container
    from chalicelib.errors import Busy
    from chalicelib.observability import count, flush, logger, tracer

    tracer()
    consumer = resources.CONSUMER[HANDLER]
    queue = next(q for q in resources.QUEUES if q.logical == consumer.queue)
    outcomes: list[str] = []

    def one(record: Any) -> None:
        received = int(record.attributes.approximate_receive_count or 1)
        try:
            report = container().exports.run(json.loads(record.body), LambdaBudget(context),
                                             last_attempt=received >= queue.max_receive_count)
        except Busy:  # another unit holds the export: once its lease may have ended
            outcomes.append("busy")
            _retry_later(container(), consumer.queue, record.receipt_handle, consumer.timeout_seconds + 60)
            raise
        except Exception:
            _retry_later(container(), consumer.queue, record.receipt_handle, RETRY_SECONDS)
            raise
        outcomes.append(report.outcome)
        count(f"Export{report.outcome.title()}")

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    answer: dict[str, Any] = dict(process_partial_response(event=event, record_handler=one, processor=processor,
                                                           context=context))
    failed = len(answer["batchItemFailures"])
    logger().info("export units handled", extra={"outcomes": outcomes, "failed": failed})
    if failed:
        count("ExportSpaceFailed", failed)
    flush()
    return {**answer, "outcomes": outcomes}


def _retry_later(services: Any, queue: str, receipt_handle: str, seconds: int) -> None:
    """Make a held message visible again once the hold may have ended (never longer than SQS allows)."""
    try:
        sqs = services.clients("sqs")
        url = sqs.get_queue_url(QueueName=services.settings.queue(queue))["QueueUrl"]
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt_handle,
                                      VisibilityTimeout=max(5, min(seconds, 43_200)))
    except Exception:  # the queue's own visibility timeout applies instead
        from chalicelib.observability import logger

        logger().warning("message visibility not changed", extra={"queue": queue})
