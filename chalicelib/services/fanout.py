"""Fanned-out jobs (CONTRACT §8): the scheduled invocation only *finds* due work; workers *do* it, unit by unit.

``dispatch`` reads the sparse due index shard by shard, page by page (Query only), cuts the keys it finds into
units of ``unit_size`` and sends them to the job queue ten at a time; near its time limit it stops cleanly and
leaves the rest due, for the next run to find (the index only holds what is still to do, so nothing is skipped
and nothing needs a cursor across runs). ``run_unit`` does one unit with the job's own per-item step, whose
conditional writes make a duplicated or retried unit harmless; the unit is completed once, with the run's
counters, in one transaction. ``report`` sums a run once every unit it sent has finished (what ``ens job`` waits
for).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.timeutil import iso, parse
from chalicelib.domain.waves import Run, UnitState
from chalicelib.ports import Clock, Ids
from chalicelib.services.waves import Attempt, Budget, Busy, Queues

JOB_QUEUE = "job-units"
SEND_GROUP = 10


@dataclass(frozen=True)
class DueSource:
    """One kind of due work: items of ``table`` whose due index key is ``kind``, identified by ``owner``."""

    table: str  # logical table name
    kind: str
    owner: str  # the attribute holding the key a step takes (a NIR, an INS)


@dataclass(frozen=True)
class FanOutJob:
    name: str
    sources: tuple[DueSource, ...]  # in the order they are dispatched
    details: tuple[str, ...] = ()  # counters the job's report always shows (0 when nothing was due)
    unit_size: int = 100


# (job, kind, keys, now) -> counters, "processed" among them: the job's own work on one unit's items
Step = Callable[[str, str, list[str], dt.datetime], dict[str, int]]


class DueIndex(Protocol):
    def page(self, table: str, kind: str, owner: str, shard: int, now: dt.datetime, start: dict[str, Any] | None,
             limit: int) -> tuple[list[str], dict[str, Any] | None]: ...


class FanOut:
    def __init__(self, ledger: Any, queues: Queues, due: DueIndex, clock: Clock, ids: Ids, *, shards: int,
                 lease_seconds: int, page_size: int = 500) -> None:
        self.ledger = ledger
        self.queues = queues
        self.due = due
        self.clock = clock
        self.shards = shards
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.page_size = page_size
        self.ids = ids.new

    def dispatch(self, job: FanOutJob, now: dt.datetime, budget: Budget) -> dict[str, Any]:
        """One scheduled run: every item due by ``now`` (or as many as the time allows) sent in units."""
        run_id = self.ids(self.clock.now())
        self.ledger.start_run(run_id, job.name, now, self.clock.now())
        waiting: list[dict[str, Any]] = []  # units not sent yet
        units = items = 0
        stopped = False

        def cut(source: DueSource, keys: list[str], force: bool) -> None:
            """Units of ``unit_size`` keys (the last of a source may be shorter), sent ten at a time."""
            nonlocal units
            while len(keys) >= job.unit_size or (force and keys):
                waiting.append({"run_id": run_id, "unit": units, "job": job.name, "kind": source.kind,
                                "keys": keys[:job.unit_size], "now": iso(now)})
                del keys[:job.unit_size]
                units += 1
            while waiting and (force or len(waiting) >= SEND_GROUP):
                self.queues.send(JOB_QUEUE, waiting[:SEND_GROUP])
                del waiting[:SEND_GROUP]

        for source in job.sources:
            found: list[str] = []  # keys of this source not yet in a unit (units gather keys across shards)
            for shard in range(self.shards):
                start: dict[str, Any] | None = None
                while not stopped:
                    if budget.low():
                        stopped = True
                        break
                    keys, start = self.due.page(source.table, source.kind, source.owner, shard, now, start,
                                                self.page_size)
                    found += keys
                    items += len(keys)
                    cut(source, found, force=False)
                    if start is None:
                        break
            cut(source, found, force=True)
        self.ledger.run_dispatched(run_id, units, items, stopped)
        return {"job": job.name, "run_id": run_id, "units": units, "items": items, "complete": not stopped}

    def run_unit(self, message: dict[str, Any], attempt: Attempt, step: Step) -> str:
        """The job's step on one unit's keys, once."""
        run_id, number = message["run_id"], int(message["unit"])
        scope = self.ledger.run_scope(run_id)
        now = self.clock.now()
        state, _ = self.ledger.begin_unit(scope, number, attempt.owner, now + self.lease, now,
                                          {"keys": len(message["keys"])})
        if state == UnitState.DONE:
            return "duplicate"
        if state == UnitState.BUSY:
            raise Busy(f"unit {number}", int(self.lease.total_seconds()))
        try:
            counters = step(message["job"], message["kind"], list(message["keys"]), parse(message["now"]))
            done = self.ledger.complete_unit(scope, number, attempt.owner,
                                             {k: int(v) for k, v in counters.items() if v})
        except Exception:
            if attempt.last:
                self.ledger.fail_unit(scope, number, attempt.owner, {})
            else:
                self.ledger.release_unit(scope, number, attempt.owner)
            raise
        return "done" if done else "lost"

    def report(self, job: FanOutJob, run_id: str) -> dict[str, Any] | None:
        """The whole run's report once every unit it sent has finished; None before."""
        run: Run | None = self.ledger.run(run_id)
        if run is None or not run.finished:
            return None
        counters = {name: 0 for name in job.details} | run.counters
        processed = counters.pop("processed", 0)
        return {"job": job.name, "processed": processed, **counters, "units": run.units_total,
                "failed_units": run.units_failed, "complete": run.complete_dispatch, "run_id": run_id}
