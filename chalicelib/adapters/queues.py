"""Sending work to the SQS queues of the resource definition: SendMessageBatch, ten messages a call."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

MAX_BATCH = 10  # SQS: at most ten messages per SendMessageBatch


class QueueError(Exception):
    """Some messages could not be sent after retries: the caller fails and is retried itself."""


class SqsQueues:
    def __init__(self, clients: Any, settings: Any) -> None:
        self.clients = clients
        self.settings = settings
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def url(self, logical: str) -> str:
        found = self._urls.get(logical)
        if found is None:
            name = self.settings.queue(logical)
            found = self.clients("sqs").get_queue_url(QueueName=name)["QueueUrl"]
            with self._lock:
                self._urls[logical] = found
        return found

    def send(self, logical: str, bodies: Sequence[dict[str, Any]], delay_seconds: int = 0) -> None:
        """Every body as one message (JSON); only the entries SQS refused are sent again."""
        sqs = self.clients("sqs")
        url = self.url(logical)
        for start in range(0, len(bodies), MAX_BATCH):
            entries = {str(n): json.dumps(body, separators=(",", ":"))
                       for n, body in enumerate(bodies[start:start + MAX_BATCH])}
            for _ in range(4):
                answer = sqs.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": n, "MessageBody": text, "DelaySeconds": delay_seconds} for n, text in entries.items()])
                entries = {f["Id"]: entries[f["Id"]] for f in answer.get("Failed", [])}
                if not entries:
                    break
            if entries:
                raise QueueError(f"{len(entries)} message(s) could not be sent to {logical}")
