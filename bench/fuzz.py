"""Schemathesis against the running local stack's `GET /openapi.json`, with valid tokens for every role.

Starts the stack on free loopback ports (as `make run` does), seeds it — an active patient with documents, a
professional with a care relationship, an establishment, a conversation with an attachment, a referenced app the
patient consented to — mints a token per role with `ens token`, then lets Schemathesis generate requests for
every operation of the OpenAPI document, positive and negative data alike:

* the caller is drawn among the operation's roles (`x-roles`), each with its own token; the path `{ins}` is the
  seeded patient's, and the other path parameters are the seeded ids half of the time (generated otherwise);
* every answer is checked: `not_a_server_error`, `status_code_conformance` (the status is declared),
  `content_type_conformance` and `response_schema_conformance` (the body matches the declared schema);
* then hostile inputs on every operation that takes them (:func:`hostile`): bodies nested 400 to 20,000 levels
  deep, times at the calendar's edges or without a zone, forged cursors of every shape: never a 5xx, only declared
  statuses, always ``{code, message}``.

    .venv/bin/python bench/fuzz.py [--examples 40] [--seed 1] [--json]     (make fuzz)

Exit status 0 only when no request got a 5xx and no check failed.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stackrun import LocalStack

from ens_cli.testdata import make_finess, make_rpps

CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_schema_conformance")
# Each generated case carries its own Accept header: a PDF/iCalendar route is asked for what it produces.
PRODUCES = {"/patients/{ins}/summary.pdf": "application/pdf", "/patients/{ins}/agenda.ics": "text/calendar"}


@dataclass
class Seed:
    """What the stack holds before fuzzing, and a token per role."""

    ins: str
    closer_ins: str
    tokens: dict[str, str]
    path: dict[str, str]  # a real value for each path parameter


@dataclass
class Report:
    requests: int = 0
    server_errors: int = 0
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)
    by_operation: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    operations_in_document: int = 0

    def as_dict(self) -> dict[str, Any]:
        generated = [op for op in self.by_operation if not op.startswith("hostile ")]
        return {"requests": self.requests, "operations": len(generated),
                "hostile_requests": sum(n for op, n in self.by_operation.items() if op.startswith("hostile ")),
                "operations_in_document": self.operations_in_document, "server_errors": self.server_errors,
                "check_failures": len(self.failures), "seconds": round(self.seconds, 1),
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "failures": list(self.failures.values())}


def seed(stack: LocalStack) -> Seed:
    """An active patient with documents, a conversation and a pending carer's invitation (to a third person); a
    second one whose space the fuzzer may close."""
    (row, patient), (closer_row, closer), (carer_row, _) = stack.patients(3)
    ins = row["nir"]
    rpps, finess = make_rpps(), make_finess()
    professional = stack.token("professional", rpps=rpps, profession="medecin")
    establishment = stack.token("establishment", finess=finess)
    agent = stack.token("agent")
    stack.json("POST", f"/patients/{ins}/care-relationship", professional, expect=201)
    document_id = stack.upload(ins, professional, type_code="11502-2", title="Biologie")
    own_id = stack.upload(ins, patient, title="Mon compte rendu")
    stack.wait_available(ins, patient, {document_id, own_id})
    stack.json("POST", "/catalogue", agent, {"app_id": "fuzz-glyco", "name": "Glyco fuzz", "category": "prevention",
                                             "data_access": [{"category": c, "access": a}
                                                             for c in ("documents", "measurements", "agenda",
                                                                       "profile", "vaccinations")
                                                             for a in ("read", "write")]}, expect=201)
    stack.json("PUT", f"/patients/{ins}/app-consents/fuzz-glyco", patient,
               {"grants": [{"category": "measurements", "access": "read"},
                           {"category": "documents", "access": "read"}]})
    app = stack.token("app", app_id="fuzz-glyco", ins=ins)
    posted = stack.json("POST", "/conversations", professional,
                        {"patient_ins": ins, "subject": "Résultats", "body": "Bonjour",
                         "attachments": [document_id, {"title": "Ordonnance", "content_type": "application/pdf",
                                                       "size": 16}]}, expect=201)
    invited = stack.json("POST", f"/patients/{ins}/carers", patient,  # a pending carer's invitation
                         {k: carer_row[k] for k in ("given_name", "family_name", "birth_date")}
                         | {"ins": carer_row["nir"]}, expect=201)
    batch = stack.json("POST", "/enrolment-batches", agent, {"rows": 1}, expect=201)  # awaiting its upload
    tokens = {"patient": patient, "professional": professional, "establishment": establishment, "agent": agent,
              "app": app, "closer": closer}
    path = {"ins": ins, "document_id": document_id, "conversation_id": posted["conversation_id"],
            "attachment_id": posted["attachments"][1]["attachment_id"], "app_id": "fuzz-glyco",
            "rpps": make_rpps(), "finess": finess, "batch_id": batch["batch_id"], "carer_ins": carer_row["nir"],
            "invitation_id": invited["invitation_id"], "binary_id": document_id}
    return Seed(ins=ins, closer_ins=closer_row["nir"], tokens=tokens, path=path)


class _Ids(dict[str, str]):
    """The seed's ids; a path parameter the seed has none for gets a well-formed id that names nothing (404)."""

    def __missing__(self, key: str) -> str:
        return "01a234bf000000000000000000"


def roles_of(operation: dict[str, Any]) -> list[str | None]:
    """Who calls an operation: its declared roles that we hold a token for; no one for public routes."""
    security = operation.get("security")
    if security == []:
        return [None]
    roles = [r for r in operation.get("x-roles", []) if r in ("patient", "professional", "establishment", "agent",
                                                               "app")]
    if security == [{}, {"bearer": []}]:
        return [None, *roles]
    return roles or ["patient"]


def run(base_url: str, seed_data: Seed, examples: int, negative_examples: int, seed_value: int = 1,
        report: Report | None = None, progress: bool = False, also: tuple[str, ...] = ()) -> Report:
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.specs.openapi import checks as openapi_checks
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    checks += [getattr(openapi_checks, name) for name in also]
    report = report or Report()
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    raw = requests.get(f"{base_url}/openapi.json", timeout=30).json()
    report.operations_in_document = sum(len(methods) for methods in raw["paths"].values())
    session = requests.Session()
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        path, method = operation.path, operation.method.lower()
        declared = raw["paths"][path][method]
        roles = roles_of(declared)
        fixed_ins = seed_data.closer_ins if path == "/me/closure" else seed_data.ins
        params = [p for p in ("ins", "document_id", "conversation_id", "attachment_id", "app_id", "rpps", "finess",
                              "batch_id", "carer_ins", "invitation_id", "binary_id") if "{" + p + "}" in path]
        real = {p: (fixed_ins if p == "ins" else seed_data.path[p]) for p in params}
        only_ins = {p: v for p, v in real.items() if p == "ins"}
        label = f"{method.upper()} {path}"

        def strategy(mode: Any, operation: Any = operation, real: dict[str, str] = real,
                     only_ins: dict[str, str] = only_ins) -> Any:
            options = [operation.as_strategy(generation_mode=mode, path_parameters=real or None)]
            if len(real) > len(only_ins):
                options.append(operation.as_strategy(generation_mode=mode, path_parameters=only_ins or None))
            return st.one_of(options)

        def exercise(role: str | None, case: Any, path: str = path, label: str = label) -> None:
            headers = {}
            if role is not None:
                token = seed_data.tokens["closer" if path == "/me/closure" else role]
                headers["Authorization"] = f"Bearer {token}"
            if path in PRODUCES:
                headers["Accept"] = PRODUCES[path]
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
            report.requests += 1
            report.by_status[response.status_code] += 1
            report.by_operation[label] += 1
            if response.status_code >= 500:
                report.server_errors += 1
            try:
                case.validate_response(response, checks=checks, headers=headers,
                                       transport_kwargs={"base_url": base_url, "headers": headers})
            except FailureGroup as group:
                for failure in group.exceptions:
                    key = (label, type(failure).__name__, str(getattr(failure, "title", ""))[:120])
                    if key not in report.failures:
                        report.failures[key] = {
                            "operation": label, "check": type(failure).__name__, "title": getattr(failure, "title", ""),
                            "status": response.status_code, "message": str(getattr(failure, "message", ""))[:600],
                            "request": {"path": case.formatted_path, "query": case.query, "body": _short(case.body),
                                        "role": role},
                            "response": response.text[:300],
                        }

        for mode, count in ((GenerationMode.POSITIVE, examples), (GenerationMode.NEGATIVE, negative_examples)):
            if count <= 0:
                continue
            try:
                mode_strategy = strategy(mode)
            except Exception as error:  # an operation without negative data to generate
                report.failures.setdefault((label, "generation", mode.value), {
                    "operation": label, "check": "generation", "title": f"{mode.value}: {error}"[:200]})
                continue

            @hypothesis_seed(seed_value)
            @settings(max_examples=count, deadline=None, database=None, derandomize=False, print_blob=False,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(role=st.sampled_from(roles), case=mode_strategy)
            def fuzz(role: str | None, case: Any) -> None:
                exercise(role, case)

            try:
                fuzz()
            except Unsatisfiable:
                if mode == GenerationMode.POSITIVE:
                    raise
                # nothing of this operation can be made invalid (no parameters, no body): no negative case
            except Exception as error:  # generation trouble is reported, never hidden
                report.failures.setdefault((label, "harness", mode.value), {
                    "operation": label, "check": "harness", "title": f"{mode.value}: {type(error).__name__}: "
                                                                    f"{str(error)[:300]}"})
        if progress:
            print(f"  {label}: {report.by_operation[label]} requests", file=sys.stderr, flush=True)
    report.seconds += time.monotonic() - started
    return report


# -- hostile inputs: the classes of issue #10.8, on every operation -------------------------------------------------
EXTREME_TIMES = ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "1899-12-31T23:59:59Z", "2026-12-03T09:00:00",
                 "2026-02-30T09:00:00Z")


def _forged_cursors(ins: str) -> list[str]:
    import base64

    def encode(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    pk = f"PAT#{ins}"
    shapes: list[Any] = [{"pk": {"S": pk}, "sk": {"N": "1"}}, {"pk": {"S": pk}}, {"pk": {"S": pk}, "sk": {"X": "a"}},
                         {"pk": {"S": "NIR#" + ins}, "sk": {"S": "PRO#1"}}, {"pk": {"S": pk}, "sk": {"S": "ZZZ#"}},
                         {"pk": {"S": pk}, "sk": {"S": "DOC#1"}, "x": {"S": "1"}}, [], "x", None, 12]
    return [encode(v) for v in shapes] + ["%%%", "e30", "a" * 4000]


def _time_fields(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The date-time fields of a request body's schema (one level, references followed)."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[1], {})
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        options = [prop, *prop.get("anyOf", [])]
        if any(o.get("format") == "date-time" for o in options):
            found.append(name)
    return found


def hostile(base_url: str, seed_data: Seed, report: Report | None = None) -> Report:
    """Deeply nested bodies, times at the calendar's edges or without a zone, forged cursors of every shape, on
    every operation that takes them, with a token of a role allowed to call it: never a 5xx, only declared
    statuses, always ``{code, message}``."""
    import requests

    report = report or Report()
    document = requests.get(f"{base_url}/openapi.json", timeout=30).json()
    components = document["components"]["schemas"]
    session = requests.Session()
    started = time.monotonic()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            roles = [r for r in roles_of(operation) if r is not None] or [None]
            role = roles[0]
            url = base_url + path.format_map(_Ids({**seed_data.path, "ins": seed_data.closer_ins
                                                   if path == "/me/closure" else seed_data.ins}))
            headers = {"Content-Type": "application/json"}
            if role is not None:
                headers["Authorization"] = f"Bearer {seed_data.tokens[role]}"
            label = f"{method.upper()} {path}"
            attempts: list[tuple[str, dict[str, Any]]] = []
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                for depth in (400, 1000, 20_000):
                    attempts.append((f"nesting {depth}", {"data": '{"a": ' + "[" * depth + "]" * depth + "}"}))
                for field in _time_fields(body, components):
                    for value in EXTREME_TIMES:
                        attempts.append((f"{field}={value}", {"json": {field: value, "title": "x", "start": value,
                                                                       "code": "29463-7", "value": 70, "unit": "kg"}}))
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            if "cursor" in names:
                for forged in _forged_cursors(seed_data.ins):
                    attempts.append(("cursor", {"params": {"cursor": forged}}))
            if "from" in names:
                for value in EXTREME_TIMES:
                    attempts.append(("from", {"params": {"from": value}}))
            for what, kwargs in attempts:
                response = session.request(method.upper(), url, headers=headers, timeout=60, **kwargs)
                report.requests += 1
                report.by_status[response.status_code] += 1
                report.by_operation[f"hostile {label}"] += 1
                problem = None
                if response.status_code >= 500:
                    report.server_errors += 1
                    problem = "5xx"
                elif str(response.status_code) not in operation["responses"]:
                    problem = "undeclared status"
                elif response.status_code >= 400:
                    try:
                        data = response.json()
                    except ValueError:
                        data = {}
                    shape = set(data) if isinstance(data, dict) else set()
                    if path.startswith("/fhir"):  # under /fhir every error is an OperationOutcome (CONTRACT §9)
                        if not isinstance(data, dict) or data.get("resourceType") != "OperationOutcome":
                            problem = "not an OperationOutcome"
                    elif not {"code", "message"} <= shape:
                        problem = "not {code, message}"
                if problem:
                    report.failures.setdefault((label, "hostile", what), {
                        "operation": label, "check": "hostile", "title": f"{what}: {problem}",
                        "status": response.status_code, "response": response.text[:300]})
    report.seconds += time.monotonic() - started
    return report


def _short(value: Any) -> Any:
    text = json.dumps(value, default=str, ensure_ascii=False) if value is not None else None
    return text[:300] if text else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40, help="positive examples per operation")
    parser.add_argument("--negative", type=int, default=None, help="negative examples per operation "
                                                                   "(default: half of --examples)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument("--also", default="", help="more Schemathesis checks, comma-separated (exploration), "
                                                   "e.g. negative_data_rejection,missing_required_header")
    parser.add_argument("--attach", nargs=2, type=int, metavar=("API_PORT", "AWS_PORT"),
                        help="use a stack already running on these ports instead of starting one")
    args = parser.parse_args()
    negative = args.negative if args.negative is not None else args.examples // 2
    with LocalStack(*(args.attach or (None, None))) as stack:
        print(f"fuzz: stack on {stack.url}; seeding...", file=sys.stderr, flush=True)
        data = seed(stack)
        report = run(stack.url, data, args.examples, negative, args.seed, progress=not args.json,
                     also=tuple(filter(None, args.also.split(","))))
        hostile(stack.url, data, report)
    summary = report.as_dict()
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        for failure in summary["failures"]:
            print(f"FAIL {failure['operation']}: {failure['check']}: {failure.get('title')} "
                  f"[{failure.get('status')}] {failure.get('message', '')[:300]}\n     request {failure.get('request')}"
                  f"\n     response {failure.get('response', '')[:200]}")
        print(f"fuzz: {summary['requests']} requests over {summary['operations']} operations in "
              f"{summary['seconds']} s; 5xx: {summary['server_errors']}; check failures: "
              f"{summary['check_failures']}; statuses {summary['by_status']}")
    return 0 if summary["server_errors"] == 0 and summary["check_failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
