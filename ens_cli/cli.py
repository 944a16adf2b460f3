"""`ens`: the operator CLI (CONTRACT §1). Every command prints JSON on stdout; errors go to stderr, exit 1.

It reaches the stack given by ENS_API_PORT and ENS_AWS_PORT, with the local stage's settings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
        "portal_url": settings.portal_origin,
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


#: The claims each role's token carries: (flag, claim) pairs, required then optional (CONTRACT §2).
ROLE_FLAGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "patient": (("--ins",), ()),
    "professional": (("--rpps", "--profession"), ("--samu",)),
    "establishment": (("--finess",), ()),
    "agent": ((), ()),
    "app": (("--app-id", "--ins"), ("--scope",)),
}
FLAG_WORDS = {
    "--ins": "NIR",
    "--rpps": "RPPS",
    "--profession": "PROFESSION",
    "--finess": "FINESS",
    "--app-id": "APP_ID",
    "--scope": "'SCOPES'",
    "--samu": "",
}
WHO = {
    "patient": "a person (also a legal representative acting for a child)",
    "professional": "a health professional (--samu: a SAMU regulating doctor)",
    "establishment": "a hospital, laboratory or pharmacy",
    "agent": "the health-insurance back office",
    "app": "a catalogue app acting for one patient",
}
_APP_ID = re.compile(r"^\S{1,64}$")  # what the API accepts as an app_id claim (it must also match an app)


def _flag_value(args: argparse.Namespace, flag: str) -> Any:
    return getattr(args, flag.removeprefix("--").replace("-", "_"))


def token_claims(args: argparse.Namespace) -> dict[str, Any]:
    """The claims of the token asked for, or SystemExit naming the flag that is missing, invalid or out of place.

    The same rules as the API's (`chalicelib.domain.identity`): a token ``ens token`` signs is one the API accepts.
    """
    from chalicelib.domain import identity

    role = args.role
    required, optional = ROLE_FLAGS[role]
    usage = role_usage(role)
    for flag in FLAG_WORDS:
        given = _flag_value(args, flag)
        if given not in (None, False) and flag not in required + optional:
            raise SystemExit(f"ens token: {flag} does not go with --role {role} (usage: {usage}).")
    for flag in required:
        if _flag_value(args, flag) in (None, ""):
            raise SystemExit(f"ens token: --role {role} needs {flag} {FLAG_WORDS[flag]} (usage: {usage}).")
    claims: dict[str, Any] = {"role": role}
    if "--ins" in required:
        problem = identity.nir_problem(args.ins)
        if problem:
            why = "" if problem.startswith("is not") else f": it {problem}"
            raise SystemExit(f"ens token: --ins is not a valid social-security number (NIR/INS){why}.")
        claims["ins"] = identity.normalise_nir(args.ins)
    if role == "professional":
        if not identity.is_rpps(args.rpps):
            raise SystemExit("ens token: --rpps must be an RPPS number: 11 digits, the last a Luhn check digit.")
        if args.profession not in identity.PROFESSIONS:
            raise SystemExit(f"ens token: --profession must be one of {', '.join(identity.PROFESSIONS)} "
                             f"(not {args.profession!r}).")
        claims.update(rpps=args.rpps, profession=args.profession)
        if args.samu:
            claims["samu"] = True
    if role == "establishment":
        if not identity.is_finess(args.finess):
            raise SystemExit("ens token: --finess must be a FINESS number: 9 digits, the last a Luhn check digit.")
        claims["finess"] = args.finess
    if role == "app":
        if not _APP_ID.match(args.app_id):
            raise SystemExit("ens token: --app-id must be the app's id in the catalogue (1 to 64 characters, no "
                             "spaces).")
        claims["app_id"] = args.app_id
        if args.scope is not None:
            claims["scope"] = _scope(args.scope)
    return claims


def _scope(value: str) -> str:
    """A SMART on FHIR scope claim, checked as the API reads it (`chalicelib.domain.smart`): space-separated, each
    resource scope one ens knows (patient/Observation.write...); other scopes (openid, launch...) pass as they are."""
    from chalicelib.domain import smart
    from chalicelib.errors import InvalidInput

    scopes = value.split()
    if not scopes:
        raise SystemExit("ens token: --scope needs at least one SMART scope, e.g. 'patient/Observation.write'.")
    try:
        smart.scope_claim(" ".join(scopes))
    except InvalidInput as error:
        raise SystemExit(f"ens token: --scope: {error.message}") from error
    return " ".join(scopes)


def role_usage(role: str) -> str:
    required, optional = ROLE_FLAGS[role]
    parts = [f"--role {role}"] + [f"{f} {FLAG_WORDS[f]}".strip() for f in required]
    parts += [f"[{f} {FLAG_WORDS[f]}]".replace(" ]", "]") for f in optional]
    return " ".join(parts)


def cmd_token(args: argparse.Namespace) -> Any:
    claims = token_claims(args)
    settings = _settings()
    if not settings.is_local:
        raise SystemExit("ens token: development tokens exist only in the local stage.")
    from chalicelib.adapters.tokens import TokenService

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


def _roles_help() -> str:
    from chalicelib.domain import identity

    width = max(map(len, ROLE_FLAGS)) + 2
    lines = ["roles, and the flags each token needs:"]
    for role in ROLE_FLAGS:
        flags = role_usage(role).removeprefix(f"--role {role}").strip() or "(no other flag)"
        lines.append(f"  {role.ljust(width)}{flags}")
        lines.append(f"  {''.ljust(width)}  {WHO[role]}")
    lines.append("")
    lines.append("professions (--profession): " + ", ".join(identity.PROFESSIONS))
    return "\n".join(lines)


def _jobs_help() -> str:
    from chalicelib import resources

    width = max(map(len, resources.JOBS)) + 2
    lines = ["jobs (ens job NAME):"]
    lines += [f"  {name.ljust(width)}{schedule.purpose}" for name, schedule in sorted(resources.JOBS.items())]
    return "\n".join(lines)


EXAMPLES = """examples:
  ens info
  ens token --role agent
  ens token --role patient --ins 180057512345627
  ens token --role professional --rpps 10001234565 --profession medecin
  ens token --role establishment --finess 750000002
  ens token --role app --app-id glyco --ins 180057512345627
  ens token --role app --app-id glyco --ins 180057512345627 --scope 'patient/Observation.write'
  ens job opt-out-expiry --now 2027-03-01T00:00:00Z
  ens outbox --to 180057512345627

The stack is the one given by ENS_API_PORT (default 8000) and ENS_AWS_PORT (default 5000), as `make run` uses them."""


def parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="ens", formatter_class=formatter,
        description="Operate a local ens stack. Every command prints JSON on stdout; errors go to stderr (exit 1).",
        epilog="\n\n".join((_roles_help(), _jobs_help(), EXAMPLES)))
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                           help="ens COMMAND --help tells more about each")
    sub.add_parser("info", help="where the stack listens, its region, buckets, tables and jobs",
                   description="Where the stack listens, its region, buckets, tables and jobs (JSON).",
                   ).set_defaults(func=cmd_info)

    t = sub.add_parser("token", help="a bearer token signed with the local development key",
                       formatter_class=formatter, epilog=_roles_help(),
                       description="A bearer token signed with the local development key (local stage only), "
                                   "printed as {\"token\": ...}. A role without the flags it needs, or with an "
                                   "invalid one, is refused and no token is made.")
    t.add_argument("--role", required=True, choices=list(ROLE_FLAGS), help="who the token is for (see below)")
    t.add_argument("--ins", metavar="NIR", help="patient, app: the patient's NIR/INS (15 characters)")
    t.add_argument("--rpps", metavar="RPPS", help="professional: 11 digits, the last a Luhn check digit")
    t.add_argument("--profession", metavar="PROFESSION", help="professional: one of the professions below")
    t.add_argument("--finess", metavar="FINESS", help="establishment: 9 digits, the last a Luhn check digit")
    t.add_argument("--app-id", dest="app_id", metavar="APP_ID", help="app: the app's id in the catalogue")
    t.add_argument("--samu", action="store_true", help="professional: a SAMU regulating doctor")
    t.add_argument("--scope", metavar="'SCOPES'",
                   help="app: SMART on FHIR scopes narrowing what the consent allows, space-separated "
                        "(e.g. 'patient/Observation.write patient/DocumentReference.read'); without it the "
                        "consent alone decides")
    t.add_argument("--ttl", type=int, default=3600, metavar="SECONDS",
                   help="lifetime in seconds (default 3600); negative: already expired (for tests)")
    t.set_defaults(func=cmd_token)

    j = sub.add_parser("job", help="run one scheduled job once, as its schedule would", formatter_class=formatter,
                       epilog=_jobs_help(),
                       description="Run one scheduled job once against the stack, as its schedule would, and print "
                                   "its report {\"job\", \"processed\", ...}: only that JSON on stdout, nothing "
                                   "on stderr but errors.")
    j.add_argument("name", metavar="NAME", help="the job (see below)")
    j.add_argument("--now", metavar="ISO-8601", help="the time that replaces the clock, e.g. 2027-03-01T00:00:00Z")
    j.add_argument("--wait", type=float, default=600, metavar="SECONDS",
                   help="how long to wait for the units a fanned-out run sent (default 600)")
    j.set_defaults(func=cmd_job)

    o = sub.add_parser("outbox", help="notifications sent (local stage), oldest first, one JSON a line",
                       description="The notifications the stack has sent (local stage), oldest first, one JSON "
                                   "object a line: {\"kind\", \"to\", \"channel\", \"at\", \"data\"}.")
    o.add_argument("--to", metavar="NIR", help="only those about this NIR")
    o.set_defaults(func=cmd_outbox)
    return p


def main(argv: list[str] | None = None) -> int:
    # Only errors on stderr: the app's INFO lines (a job's "job finished") would bury them. Forced, not defaulted:
    # a shell (or a test run) that made itself a local-stage process already carries the stack's INFO level.
    os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ.get("ENS_CLI_LOG_LEVEL", "WARNING")
    cli = parser()
    args = cli.parse_args(argv)
    if args.command is None:  # `ens` alone
        cli.print_help()
        return 0
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
