"""Scheduled jobs, run as their schedule would: "now" is the scheduled event's ``time``.

`ens job NAME --now T` builds the same event with ``time`` = T, so a job is tested exactly as it runs.
"""

from __future__ import annotations

from typing import Any

# job → (service of the container, method taking "now")
RUNNERS: dict[str, tuple[str, str]] = {
    "opt-out-expiry": ("lifecycle", "run_opt_out_expiry"),
    "archive-purge": ("lifecycle", "run_archive_purge"),
    "reminders": ("reminders", "run"),
}


def run(job: str, event: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.adapters.system import FixedClock
    from chalicelib.bootstrap import container
    from chalicelib.domain.timeutil import parse, utcnow
    from chalicelib.observability import logger

    now = parse(event["time"]) if event.get("time") else utcnow()
    services = container().with_clock(FixedClock(now))
    if job not in RUNNERS:
        raise ValueError(f"unknown job {job!r}")
    service, method = RUNNERS[job]
    from chalicelib.observability import count, flush, tracer

    tracer()
    report = getattr(getattr(services, service), method)(now).as_dict()
    logger().info("job finished", extra={"job_report": report})
    count(f"Job{''.join(part.title() for part in job.split('-'))}Processed", report["processed"])
    flush()
    return report


def scheduled_event(time_iso: str, rule: str = "local") -> dict[str, Any]:
    """The event EventBridge sends to a scheduled function."""
    import uuid

    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": time_iso, "region": "eu-west-3",
        "resources": [f"arn:aws:events:eu-west-3:000000000000:rule/{rule}"], "detail": {},
    }
