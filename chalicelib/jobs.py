"""Scheduled jobs, run as their schedule would: "now" is the scheduled event's ``time``.

`ens job NAME --now T` builds the same event with ``time`` = T, so a job is tested exactly as it runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.system import FixedClock
from chalicelib.bootstrap import Container, container
from chalicelib.domain.timeutil import parse, utcnow
from chalicelib.observability import count, flush, logger, tracer

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


def run(job: str, event: dict[str, Any]) -> dict[str, Any]:
    now = parse(event["time"]) if event.get("time") else utcnow()
    if job not in RUNNERS:
        raise ValueError(f"unknown job {job!r}")
    services = container().with_clock(FixedClock(now))
    tracer()
    report = RUNNERS[job](services, now).as_dict()
    logger().info("job finished", extra={"job_report": report})
    count(f"Job{''.join(part.title() for part in job.split('-'))}Processed", report["processed"])
    flush()
    return report


def scheduled_event(time_iso: str, rule: str = "local") -> dict[str, Any]:
    """The event EventBridge sends to a scheduled function."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": time_iso, "region": "eu-west-3",
        "resources": [f"arn:aws:events:eu-west-3:000000000000:rule/{rule}"], "detail": {},
    }
