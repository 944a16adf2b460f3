"""Ingest: S3 "Object Created" events processed per second, sequentially, on one core.

N documents are declared by a patient and their PDFs PUT to the presigned URLs (untimed); the N events the
EventBridge rule queued are then handed one by one to ``app.ingest_object(event, context)``, the function Lambda
runs. Rounds rotate three sides:

* **handler**: the next event through ``app.ingest_object``;
* **raw, as made**: the calls the handler made for the first event, replayed (the document's index lookup and
  consistent read, the account, the ranged GET of the first 4 KB, the versioned write);
* **raw, minimum**: only the calls of the minimum (:mod:`bench.minimums`, "patient's own PDF"): without the
  consistent re-read of the document.

Events per second = N ÷ the handler's total time; the ratios are per-event medians.
"""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import dataclass

from bench.harness import PDF, Harness
from bench.minimums import MINIMUMS
from bench.recorder import Call, prepare, replay
from bench.stats import Paired, rotate, timed

MINIMUM_KEY = ("ingest: vault upload", "patient's own PDF")


@dataclass
class IngestResult:
    events: int
    seconds: float  # the handler's total time over every event
    calls: list[str]
    minimum: list[str]
    paired: Paired

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def minimal(calls: list[Call], minimum: tuple[str, ...]) -> list[Call]:
    """The recorded calls that the minimum keeps, in order (each minimum label takes the first matching call)."""
    wanted = Counter(minimum)
    kept = []
    for call in calls:
        if call.sent and wanted[call.label] > 0:
            wanted[call.label] -= 1
            kept.append(call)
    return kept


def run(h: Harness, events: int) -> IngestResult:
    ins, patient = h.patient()
    h.events()
    tickets = [h.declare(ins, patient) for _ in range(events + 1)]
    for ticket in tickets:
        assert h.put_bytes(ticket, PDF, "application/pdf") == 200
    queued = h.events()
    assert len(queued) == events + 1, len(queued)
    first, rest = queued[0], queued[1:]
    with h.recorder.window(capture=True) as recorded:
        assert h.ingest(first)["outcome"] == "available"
    minimum = MINIMUMS[MINIMUM_KEY].calls
    as_made = prepare(recorded.calls, h.clients)
    least = prepare(minimal(recorded.calls, minimum), h.clients)
    for plan in (as_made, least):
        assert replay(plan) == 0
    gc.collect()
    paired = Paired()
    for round_, event in enumerate(rest):
        for side in rotate(["handler", "as made", "minimum"], round_):
            with h.recorder.window(capture=False) as window:
                if side == "handler":
                    seconds, outcome = timed(lambda event=event: h.ingest(event))  # type: ignore[misc]
                    assert outcome["outcome"] == "available", outcome
                    paired.add("own", seconds - window.aws_seconds)
                else:
                    plan = as_made if side == "as made" else least
                    seconds, errors = timed(lambda plan=plan: replay(plan))  # type: ignore[misc]
                    assert errors == 0
            paired.add(side, seconds)
    return IngestResult(events, sum(paired.sides["handler"]), [c.label for c in recorded.sent], list(minimum),
                        paired)
