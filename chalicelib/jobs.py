"""Scheduled jobs, run as their schedule would: "now" is the scheduled event's ``time``.

`ens job NAME --now T` builds the same event with ``time`` = T, so a job is tested exactly as it runs.

A job whose schedule says ``fan_out`` (``chalicelib.resources``) only dispatches: its scheduled invocation finds
the due work and sends units to the job queue (``services/fanout.py``); the ``job_unit`` workers run :func:`step`
on each unit. The others still run as one loop in their invocation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from chalicelib import resources
from chalicelib.adapters.agenda_repo import REMINDER_KIND
from chalicelib.adapters.system import FixedClock
from chalicelib.bootstrap import Container, container
from chalicelib.domain.accounts import DueKind
from chalicelib.domain.timeutil import parse, utcnow
from chalicelib.observability import count, flush, logger, tracer
from chalicelib.services.fanout import DueSource, FanOutJob
from chalicelib.workers import LambdaBudget

if TYPE_CHECKING:
    from chalicelib.services.lifecycle import JobReport

# job → how the container runs it at "now"
RUNNERS: dict[str, Callable[[Container, Any], JobReport]] = {
    "opt-out-expiry": lambda c, now: c.lifecycle.run_opt_out_expiry(now),
    "archive-purge": lambda c, now: c.lifecycle.run_archive_purge(now),
    "reminders": lambda c, now: c.reminders.run(now),
}


def fanout_job(job: str) -> FanOutJob:
    """What a job's dispatcher reads: its kinds of due work, in order, and the counters its report shows."""
    jobs = {
        # pending notices first: the spaces a unit opens get their notice within that unit
        "opt-out-expiry": FanOutJob(job, (DueSource("accounts", DueKind.NOTICE.value, "nir"),
                                          DueSource("accounts", DueKind.EXPIRY.value, "nir")), ("notices_sent",)),
        "archive-purge": FanOutJob(job, (DueSource("accounts", DueKind.PURGE.value, "nir"),), ("items_erased",),
                                   unit_size=10),  # a purge erases whole spaces: small units
        "reminders": FanOutJob(job, (DueSource("records", REMINDER_KIND, "ins"),), ("spaces",)),
    }
    return jobs[job]


def run(job: str, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    now = parse(event["time"]) if event.get("time") else utcnow()
    if job not in RUNNERS:
        raise ValueError(f"unknown job {job!r}")
    tracer()
    if resources.JOBS[job].fan_out:
        report = container().fanout.dispatch(fanout_job(job), now, LambdaBudget(context, reserve_seconds=20))
        logger().info("job dispatched", extra={"job_report": report})
        count(f"Job{''.join(part.title() for part in job.split('-'))}Units", report["units"])
        flush()
        return report
    services = container().with_clock(FixedClock(now))
    result = RUNNERS[job](services, now).as_dict()
    logger().info("job finished", extra={"job_report": result})
    count(f"Job{''.join(part.title() for part in job.split('-'))}Processed", result["processed"])
    flush()
    return result


class _UnitOnly:
    """A repository whose due work is exactly one unit's keys; every other call reaches the real repository.

    This is how a unit runs a job's *existing* loop (its public method) on its own items only, with the job's
    conditional writes unchanged. It bridges until each job's service has a per-unit step of its own (the second
    part of issue #13)."""

    def __init__(self, inner: Any, keys: list[str], kinds: set[str]) -> None:
        self._inner = inner
        self._keys = keys
        self._kinds = kinds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def due(self, kind: Any, now: dt.datetime) -> Iterator[str]:  # accounts: expiry, notice, purge
        return iter(self._keys if str(getattr(kind, "value", kind)) in self._kinds else [])

    def due_reminders(self, now: dt.datetime) -> list[str]:  # the agenda's reminders
        return list(self._keys)


def step(job: str, kind: str, keys: list[str], now: dt.datetime) -> dict[str, int]:
    """One unit of a fanned-out job: its service's run, limited to the unit's keys; the report's counters."""
    services = container().with_clock(FixedClock(now))  # a fresh wiring for this unit alone
    if job == "reminders":
        agenda = services.agenda
        agenda.agenda = _UnitOnly(agenda.agenda, keys, {kind})
    else:
        # an expiry unit also sends the notices of the spaces it opens, as the job's loop does
        kinds = {kind, DueKind.NOTICE.value} if kind == DueKind.EXPIRY.value else {kind}
        lifecycle = services.lifecycle
        lifecycle.accounts = _UnitOnly(lifecycle.accounts, keys, kinds)
    counters = RUNNERS[job](services, now).as_dict()
    counters.pop("job", None)
    return {k: int(v) for k, v in counters.items()}


def scheduled_event(time_iso: str, rule: str = "local") -> dict[str, Any]:
    """The event EventBridge sends to a scheduled function."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": time_iso, "region": "eu-west-3",
        "resources": [f"arn:aws:events:eu-west-3:000000000000:rule/{rule}"], "detail": {},
    }
