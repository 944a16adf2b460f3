"""Local stand-in for what AWS does around the app's non-API functions, using the app's own handlers:

* the EventBridge rule's target queue is drained into ``app.ingest_object`` — the very function Lambda runs
  for S3 "Object Created" events; a failed event stays on the queue and is retried, then dead-lettered;
* each queue of ``resources.CONSUMERS`` is drained into its function (the export worker), with the SQS event Lambda's
  event source mapping sends and a context whose remaining time is the function's timeout; the messages the
  handler reports failed (``batchItemFailures``) stay on the queue, as with Lambda, and are dead-lettered after
  their last attempt;
* each job of ``resources.SCHEDULES`` is ticked at its local interval with a Scheduled Event, as EventBridge
  Scheduler would.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from typing import Any

from chalicelib import resources


class LambdaContext:
    """The bits of a Lambda context the handlers and Powertools read; ``timeout_seconds``: the remaining time runs
    down from it (None: always 300 s left)."""

    def __init__(self, name: str, timeout_seconds: float | None = None) -> None:
        self.deadline = time.monotonic() + timeout_seconds if timeout_seconds is not None else None
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:000000000000:function:ens-local-{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = "local"
        self.log_group_name = f"/aws/lambda/ens-local-{name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        if self.deadline is None:
            return 300_000
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def sqs_event(messages: list[dict[str, Any]], queue: str) -> dict[str, Any]:
    """The event an SQS event source mapping hands its function for these received messages."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {"ApproximateReceiveCount": (m.get("Attributes") or {}).get("ApproximateReceiveCount", "1"),
                       "SentTimestamp": (m.get("Attributes") or {}).get("SentTimestamp", "0")},
        "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-3:000000000000:{queue}", "awsRegion": "eu-west-3"}
        for m in messages]}


def consume(app_module: Any, sqs: Any, consumer: resources.Consumer, queue_url: str, stop: threading.Event) -> None:
    handler = getattr(app_module, consumer.handler)
    while not stop.is_set():
        try:
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=consumer.batch_size,
                                         WaitTimeSeconds=1, AttributeNames=["All"])
        except Exception as error:
            if stop.is_set():
                return
            log("receive failed", error=type(error).__name__)
            time.sleep(1)
            continue
        messages = answer.get("Messages", [])
        if not messages:
            continue
        try:
            answer = handler(sqs_event(messages, consumer.queue),
                             LambdaContext(consumer.handler, consumer.timeout_seconds))
            failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}
        except Exception as error:
            log("batch failed", handler=consumer.handler, error=type(error).__name__)
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:  # stays on the queue (the handler says when it is seen again)
                log("unit failed, will be retried", handler=consumer.handler)
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def log(message: str, **extra: Any) -> None:
    sys.stdout.write(json.dumps({"worker": message, **extra}) + "\n")
    sys.stdout.flush()


def drain(app_module: Any, sqs: Any, queue_url: str, stop: threading.Event) -> None:
    handler = getattr(app_module, resources.INGEST_RULE.handler)
    context = LambdaContext(resources.INGEST_RULE.handler)
    while not stop.is_set():
        try:
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        except Exception as error:
            if stop.is_set():
                return
            log("receive failed", error=type(error).__name__)
            time.sleep(1)
            continue
        for message in answer.get("Messages", []):
            try:
                handler(json.loads(message["Body"]), context)
            except Exception as error:  # stays on the queue: retried after the visibility timeout, then DLQ
                log("event failed, will be retried", error=type(error).__name__)
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def tick(app_module: Any, stop: threading.Event) -> None:
    from chalicelib.domain.timeutil import iso, utcnow
    from chalicelib.jobs import scheduled_event

    due = {s.job: time.monotonic() + 2 for s in resources.SCHEDULES}
    while not stop.wait(0.5):
        for schedule in resources.SCHEDULES:
            if time.monotonic() < due[schedule.job]:
                continue
            due[schedule.job] = time.monotonic() + schedule.local_interval_seconds
            try:
                handler = getattr(app_module, schedule.handler)
                report = handler(scheduled_event(iso(utcnow()), schedule.job), LambdaContext(schedule.handler))
                if report.get("processed"):
                    log("job ran", **report)
            except Exception as error:
                log("job failed", job=schedule.job, error=type(error).__name__)


def main() -> None:
    import app as app_module
    from chalicelib.bootstrap import container

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    c = container()
    sqs = c.clients("sqs")
    queue_url = sqs.get_queue_url(QueueName=c.settings.queue(resources.INGEST_RULE.local_queue))["QueueUrl"]
    threads = [threading.Thread(target=drain, args=(app_module, sqs, queue_url, stop), daemon=True),
               threading.Thread(target=tick, args=(app_module, stop), daemon=True)]
    for consumer in resources.CONSUMERS:
        url = sqs.get_queue_url(QueueName=c.settings.queue(consumer.queue))["QueueUrl"]
        threads.append(threading.Thread(target=consume, args=(app_module, sqs, consumer, url, stop), daemon=True))
    for thread in threads:
        thread.start()
    log("ready", queue=c.settings.queue(resources.INGEST_RULE.local_queue),
        consumers={k.handler: c.settings.queue(k.queue) for k in resources.CONSUMERS},
        jobs={s.job: s.local_interval_seconds for s in resources.SCHEDULES})
    while not stop.wait(0.5):
        pass
    for thread in threads:
        thread.join(timeout=5)


if __name__ == "__main__":
    main()
