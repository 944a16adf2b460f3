"""`ens`: the operator CLI (CONTRACT §1). Every command prints JSON on stdout; errors go to stderr, exit 1.

It reaches the stack given by ENS_API_PORT and ENS_AWS_PORT, with the local stage's settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ens_cli.stagecfg import apply_local_environment, ports


def _settings() -> Any:
    apply_local_environment()
    from chalicelib import config

    config.reset()
    return config.settings()


def cmd_info(args: argparse.Namespace) -> Any:
    from chalicelib import resources

    settings = _settings()
    api_port, _ = ports()
    return {
        "api_url": f"http://127.0.0.1:{api_port}",
        "aws_endpoint_url": settings.aws_endpoint_url,
        "region": settings.region,
        "stage": settings.stage,
        "inbox_bucket": settings.bucket("inbox"),
        "inbox_prefix": resources.INBOX_BUCKET.prefixes["inbox"],
        "quarantine_prefix": resources.INBOX_BUCKET.prefixes["quarantine"],
        "documents_bucket": settings.bucket("documents"),
        "batches_bucket": settings.bucket("batches"),
        "queues": {q.logical: settings.queue(q.logical) for q in resources.QUEUES},
        "tables": {t.logical: settings.table(t.logical) for t in resources.TABLES},
        "jobs": sorted(resources.JOBS),
    }


def cmd_token(args: argparse.Namespace) -> Any:
    settings = _settings()
    if not settings.is_local:
        raise SystemExit("ens token: development tokens exist only in the local stage.")
    from chalicelib.adapters.tokens import TokenService

    claims: dict[str, Any] = {"role": args.role}
    for name in ("ins", "rpps", "profession", "finess", "app_id"):
        value = getattr(args, name)
        if value is not None:
            claims[name] = value
    if args.samu:
        claims["samu"] = True
    return {"token": TokenService(settings).sign(claims, args.ttl)}


def cmd_job(args: argparse.Namespace) -> Any:
    from chalicelib import resources

    _settings()
    if args.name not in resources.JOBS:
        raise SystemExit(f"ens job: unknown job {args.name!r}; jobs: {', '.join(sorted(resources.JOBS))}.")
    import app as app_module
    from chalicelib.domain.timeutil import iso, parse, utcnow
    from chalicelib.jobs import scheduled_event
    from ens_cli.worker import LambdaContext

    try:
        now = parse(args.now) if args.now else utcnow()
    except ValueError:
        raise SystemExit(f"ens job: --now {args.now!r} is not an ISO-8601 time.") from None
    schedule = resources.JOBS[args.name]
    handler = getattr(app_module, schedule.handler)
    dispatched = handler(scheduled_event(iso(now), schedule.job), LambdaContext(schedule.handler))
    if not schedule.fan_out:
        return dispatched
    return wait_for_run(args.name, dispatched, args.wait)


def wait_for_run(job: str, dispatched: dict[str, Any], seconds: float) -> dict[str, Any]:
    """A fanned-out job's report once every unit its run sent has finished (the stack's workers do them)."""
    import time

    from chalicelib.bootstrap import container
    from chalicelib.jobs import fanout_job

    deadline = time.monotonic() + seconds
    while True:
        report = container().fanout.report(fanout_job(job), dispatched["run_id"])
        if report is not None:
            return report
        if time.monotonic() > deadline:
            raise SystemExit(f"ens job: units of run {dispatched['run_id']} are still pending after {seconds:.0f} s; "
                             "is the stack (`make run`) draining the job queue?")
        time.sleep(0.3)


def cmd_outbox(args: argparse.Namespace) -> list[dict[str, Any]]:
    settings = _settings()
    if not settings.is_local:
        raise SystemExit("ens outbox: the outbox exists only in the local stage.")
    from chalicelib.adapters.aws import Clients
    from chalicelib.adapters.notifier import RecordingNotifier

    reader = RecordingNotifier(None, Clients(settings)("dynamodb"), settings.table("outbox"), clock=None)
    return reader.read(args.to)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ens", description="Operate a local ens stack (JSON on stdout).")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="where the stack listens and its resources").set_defaults(func=cmd_info)

    t = sub.add_parser("token", help="a bearer token signed with the local development key")
    t.add_argument("--role", required=True, choices=["patient", "professional", "establishment", "agent", "app"])
    t.add_argument("--ins")
    t.add_argument("--rpps")
    t.add_argument("--profession")
    t.add_argument("--finess")
    t.add_argument("--app-id", dest="app_id")
    t.add_argument("--samu", action="store_true")
    t.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds; negative: already expired")
    t.set_defaults(func=cmd_token)

    j = sub.add_parser("job", help="run one scheduled job once, as its schedule would")
    j.add_argument("name")
    j.add_argument("--now", help="ISO-8601 time replacing the clock")
    j.add_argument("--wait", type=float, default=600, help="seconds to wait for a fanned-out run's units")
    j.set_defaults(func=cmd_job)

    o = sub.add_parser("outbox", help="notifications sent (local stage), oldest first, one JSON a line")
    o.add_argument("--to", help="only those about this NIR")
    o.set_defaults(func=cmd_outbox)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result = args.func(args)
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            return 1
        raise
    except Exception as error:
        text = str(error) or type(error).__name__
        if "Could not connect" in text or "Connection refused" in text:
            text = "cannot reach the AWS emulator: is the stack running (`make run`) on ENS_AWS_PORT?"
        print(f"ens {args.command}: {text}", file=sys.stderr)
        return 1
    if isinstance(result, list):
        for row in result:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
