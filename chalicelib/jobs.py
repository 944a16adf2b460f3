"""Scheduled jobs, run as their schedule would: "now" is the scheduled event's ``time``.

`ens job NAME --now T` builds the same event with ``time`` = T, so a job is tested exactly as it runs.

A job whose schedule says ``fan_out`` (``chalicelib.resources``: all three) only dispatches: its scheduled
invocation finds the due work, shard by shard and page by page, and sends units to the job queue
(``services/fanout.py``); the ``job_unit`` workers run :func:`step` on each unit, which calls the service's
per-unit step (``UNIT_STEPS``). ``RUNNERS`` runs a whole job in one process (a job not fanned out, and tests).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib import resources
from chalicelib.adapters.agenda_repo import REMINDER_KIND
from chalicelib.adapters.family_repo import OF_AGE_DUE
from chalicelib.adapters.system import FixedClock
from chalicelib.bootstrap import Container, container
from chalicelib.domain.accounts import DueKind
from chalicelib.domain.timeutil import parse, utcnow
from chalicelib.observability import count, flush, logger, tracer
from chalicelib.services.fanout import DueSource, FanOutJob
from chalicelib.workers import LambdaBudget

if TYPE_CHECKING:
    from chalicelib.services.lifecycle import JobReport


def _reminders(services: Container, now: Any) -> JobReport:
    """The daily notices that fall due: prevention reminders, then the ``space_of_age`` notices of those who
    turned 18 (``FamilyService.run_coming_of_age``), in one report."""
    report = services.reminders.run(now)
    of_age = services.family.run_coming_of_age(now)
    report.processed += of_age.processed
    report.details.update({"space_of_age": of_age.processed, "space_of_age_failed": of_age.details["failed"],
                           "carers_ended_at_18": of_age.details["carers_ended"]})
    return report


# job → how the container runs it at "now"
RUNNERS: dict[str, Callable[[Container, Any], JobReport]] = {
    "opt-out-expiry": lambda c, now: c.lifecycle.run_opt_out_expiry(now),
    "archive-purge": lambda c, now: c.lifecycle.run_archive_purge(now),
    "reminders": _reminders,
}


def fanout_job(job: str) -> FanOutJob:
    """What a job's dispatcher reads: its kinds of due work, in order, and the counters its report shows."""
    jobs = {
        # pending notices first: the spaces a unit opens get their notice within that unit
        "opt-out-expiry": FanOutJob(job, (DueSource("accounts", DueKind.NOTICE.value, "nir"),
                                          DueSource("accounts", DueKind.EXPIRY.value, "nir")),
                                    ("notices_sent", "notices_deferred")),
        "archive-purge": FanOutJob(job, (DueSource("accounts", DueKind.PURGE.value, "nir"),), ("items_erased",),
                                   unit_size=10),  # a purge erases whole spaces: small units
        "reminders": FanOutJob(job, (DueSource("records", REMINDER_KIND, "ins"),
                                     DueSource("accounts", OF_AGE_DUE, "ins")),  # the 18th birthdays
                               ("spaces", "space_of_age", "appointment_reminders", "reminders_deferred")),
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


# (job, kind of due work) → the service step that does one unit's keys at "now"
UNIT_STEPS: dict[tuple[str, str], Callable[[Container, list[str], dt.datetime], JobReport]] = {
    ("opt-out-expiry", DueKind.EXPIRY.value): lambda c, keys, now: c.lifecycle.open_spaces(keys, now),
    ("opt-out-expiry", DueKind.NOTICE.value): lambda c, keys, now: c.lifecycle.send_notices(keys, now),
    ("archive-purge", DueKind.PURGE.value): lambda c, keys, now: c.lifecycle.purge_spaces(keys, now),
    ("reminders", REMINDER_KIND): lambda c, keys, now: c.reminders.send_reminders(keys, now),
    ("reminders", OF_AGE_DUE): lambda c, keys, now: _of_age(c.family.come_of_age(keys, now)),
}


def _of_age(report: JobReport) -> JobReport:
    """The family's coming-of-age counters, as the ``reminders`` job reports them."""
    report.job = "reminders"
    report.details = {"space_of_age": report.processed, "space_of_age_failed": report.details["failed"],
                      "carers_ended_at_18": report.details["carers_ended"]}
    return report


def step(job: str, kind: str, keys: list[str], now: dt.datetime) -> dict[str, int]:
    """One unit of a fanned-out job: its service's step on the unit's keys; the report's counters."""
    services = container().with_clock(FixedClock(now))
    counters = UNIT_STEPS[(job, kind)](services, keys, now).as_dict()
    counters.pop("job", None)
    return {k: int(v) for k, v in counters.items()}


def scheduled_event(time_iso: str, rule: str = "local") -> dict[str, Any]:
    """The event EventBridge sends to a scheduled function."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": time_iso, "region": "eu-west-3",
        "resources": [f"arn:aws:events:eu-west-3:000000000000:rule/{rule}"], "detail": {},
    }
