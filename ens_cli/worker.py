"""Local stand-in for what AWS does around the app's non-API functions, using the app's own handlers:

* each EventBridge rule's target queue is drained into its function (``ingest_object``, ``batch_uploaded``) — the
  very functions Lambda runs for S3 "Object Created" events; a failed event stays on the queue and is retried,
  then dead-lettered;
* each queue of ``resources.CONSUMERS`` is drained into its function as Lambda's event source mapping does: SQS
  events of up to ``batch_size`` records, ``batchItemFailures`` honoured (only the failed messages come back,
  after their visibility timeout, then go to the dead-letter queue), at most ``ENS_LOCAL_WORKERS`` batches at a
  time per queue (and never more than the mapping's maximum concurrency); a message is kept invisible while its
  handler runs;
* each job of ``resources.SCHEDULES`` is ticked at its local interval with a Scheduled Event, as EventBridge
  Scheduler would (unless ``ENS_LOCAL_SCHEDULES=off``: a benchmark of one path, with no job querying the
  emulator meanwhile).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from chalicelib import resources
from ens_cli.localaws import LOCAL_VISIBILITY  # locally a failed message comes back after this many seconds


class LambdaContext:
    """The bits of a Lambda context the handlers and Powertools read; the remaining time counts down."""

    def __init__(self, name: str, timeout_seconds: float = 300) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-3:000000000000:function:ens-local-{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = "local"
        self.log_group_name = f"/aws/lambda/ens-local-{name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def log(message: str, **extra: Any) -> None:
    sys.stdout.write(json.dumps({"worker": message, **extra}) + "\n")
    sys.stdout.flush()


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping gives the function."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
        "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": "eu-west-3"} for m in messages]}


class Heartbeat:
    """Keeps messages invisible while their handler runs (what a long invocation needs locally)."""

    def __init__(self, sqs: Any, queue_url: str, handles: list[str], every: float = LOCAL_VISIBILITY / 3) -> None:
        self.sqs, self.url, self.handles, self.every = sqs, queue_url, handles, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for handle in self.handles:
                with contextlib.suppress(Exception):  # deleted meanwhile, or the emulator is stopping
                    self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=handle,
                                                       VisibilityTimeout=LOCAL_VISIBILITY)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def deliver_batch(app_module: Any, sqs: Any, consumer: resources.Consumer, queue_url: str, queue_arn: str,
                  messages: list[dict[str, Any]]) -> list[str]:
    """One invocation of the consumer's function with these messages; deletes those it did not report as
    failed, and returns the failed message ids (they come back after their visibility timeout)."""
    handler = getattr(app_module, consumer.handler)
    handles = [m["ReceiptHandle"] for m in messages]
    failed: list[str]
    with Heartbeat(sqs, queue_url, handles):
        try:
            answer = handler(sqs_event(messages, queue_arn), LambdaContext(consumer.handler,
                                                                           consumer.timeout_seconds)) or {}
            failed = [f["itemIdentifier"] for f in answer.get("batchItemFailures", [])]
        except Exception as error:  # the whole batch failed: every message comes back
            log("batch failed, will be retried", handler=consumer.handler, error=type(error).__name__)
            failed = [m["MessageId"] for m in messages]
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)])
    return failed


def drain_until_empty(app_module: Any, sqs: Any, settings: Any, only: tuple[str, ...] | None = None,
                      rounds: int = 100_000) -> dict[str, int]:
    """Deliver every waiting enrolment-file event and work-queue message to its function, in this process, until
    every queue is empty (tests and benchmarks). A failed message is made visible again at once, so its retries
    follow each other until the redrive policy dead-letters it. Returns how many invocations each function had."""
    delivered: dict[str, int] = {}
    queues: dict[str, tuple[str, str]] = {}

    def address(logical: str) -> tuple[str, str]:
        if logical not in queues:
            url = sqs.get_queue_url(QueueName=settings.queue(logical))["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            queues[logical] = (url, arn)
        return queues[logical]

    rule = resources.BATCH_RULE
    for _ in range(rounds):
        busy = False
        if only is None or rule.handler in only:
            url, _arn = address(rule.local_queue)
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                busy = True
                getattr(app_module, rule.handler)(json.loads(message["Body"]), LambdaContext(rule.handler, 900))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                delivered[rule.handler] = delivered.get(rule.handler, 0) + 1
        for consumer in resources.CONSUMERS:
            if only is not None and consumer.handler not in only:
                continue
            url, arn = address(consumer.queue)
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=consumer.batch_size,
                                           AttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            busy = True
            delivered[consumer.handler] = delivered.get(consumer.handler, 0) + 1
            failed = deliver_batch(app_module, sqs, consumer, url, arn, messages)
            for message in messages:
                if message["MessageId"] in failed:
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                                  VisibilityTimeout=0)
        if not busy:
            return delivered
    raise RuntimeError(f"queues still busy after {rounds} rounds: {delivered}")


def drain_consumer(app_module: Any, sqs: Any, consumer: resources.Consumer, queue_url: str, queue_arn: str,
                   stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=consumer.batch_size,
                                           WaitTimeSeconds=1, AttributeNames=["All"]).get("Messages", [])
        except Exception as error:
            if stop.is_set():
                return
            log("receive failed", queue=consumer.queue, error=type(error).__name__)
            time.sleep(1)
            continue
        if messages:
            deliver_batch(app_module, sqs, consumer, queue_url, queue_arn, messages)


def drain_rule(app_module: Any, sqs: Any, rule: resources.EventRule, queue_url: str, stop: threading.Event) -> None:
    handler = getattr(app_module, rule.handler)
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
                with Heartbeat(sqs, queue_url, [message["ReceiptHandle"]]):
                    handler(json.loads(message["Body"]), LambdaContext(rule.handler, 900))
            except Exception as error:  # stays on the queue: retried after the visibility timeout, then DLQ
                log("event failed, will be retried", handler=rule.handler, error=type(error).__name__)
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
                if report.get("processed") or report.get("units"):
                    log("job ran", **report)
            except Exception as error:
                log("job failed", job=schedule.job, error=type(error).__name__)


def local_workers() -> int:
    """How many batches each queue's function may run at once locally (ENS_LOCAL_WORKERS, default 2)."""
    try:
        return max(1, int(os.environ.get("ENS_LOCAL_WORKERS", "2")))
    except ValueError:
        return 2


def main() -> None:
    import app as app_module
    from chalicelib.bootstrap import container

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    c = container()
    sqs = c.clients("sqs")
    threads: list[threading.Thread] = []
    for rule in resources.EVENT_RULES:
        url = sqs.get_queue_url(QueueName=c.settings.queue(rule.local_queue))["QueueUrl"]
        threads.append(threading.Thread(target=drain_rule, args=(app_module, sqs, rule, url, stop), daemon=True))
    workers = local_workers()
    for consumer in resources.CONSUMERS:
        url = sqs.get_queue_url(QueueName=c.settings.queue(consumer.queue))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for _ in range(min(workers, consumer.max_concurrency)):
            threads.append(threading.Thread(target=drain_consumer, args=(app_module, sqs, consumer, url, arn, stop),
                                            daemon=True))
    if os.environ.get("ENS_LOCAL_SCHEDULES", "on") != "off":  # off: a benchmark measures one path alone
        threads.append(threading.Thread(target=tick, args=(app_module, stop), daemon=True))
    for thread in threads:
        thread.start()
    log("ready", queues=[c.settings.queue(r.local_queue) for r in resources.EVENT_RULES]
        + [c.settings.queue(q.queue) for q in resources.CONSUMERS], workers_per_queue=workers,
        jobs={s.job: s.local_interval_seconds for s in resources.SCHEDULES})
    while not stop.wait(0.5):
        pass
    for thread in threads:
        thread.join(timeout=5)


if __name__ == "__main__":
    main()
