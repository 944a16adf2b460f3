"""Request overhead: each main API call through the Lambda handler ÷ the raw AWS calls it needs, side by side.

For each call, a warm-up request is recorded with botocore hooks (operation and parameters of every call, in
order, presigned URLs included); then, in alternating order, round after round:

* **handler**: a fresh API Gateway proxy event (built before timing) given to ``app.app(event, context)``, what
  Lambda runs: routing, JWT verification, body parsing (pydantic), the service, the AWS calls, serialisation
  (pydantic, JSON), the structured request log line;
* **raw**: the recorded calls replayed with the same boto3 clients against the same emulator (conditional writes
  without their condition, see :func:`bench.recorder.replayable`; streamed bodies read).

The ratio is median(handler) ÷ median(raw). Where the difference goes is then profiled (cProfile, separately,
never during the timed rounds): JWT verification, body parsing, the log line, the answer's serialisation, the AWS
calls themselves, DynamoDB item (de)serialisation (``TypeSerializer``: the raw side sends ready-made attribute
maps), and the rest (Chalice routing, the domain, the service).
"""

from __future__ import annotations

import cProfile
import gc
import pstats
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.harness import PDF, Harness
from bench.recorder import prepare, replay, substitute
from bench.stats import Paired, rotate, timed

TARGET = 1.3


@dataclass
class Operation:
    name: str
    who: str
    make: Callable[[], tuple[dict[str, Any], str | None]]  # a fresh event and its subject (a new person's NIR)
    expect: int


@dataclass
class Overhead:
    name: str
    who: str
    calls: int
    presigned: int
    handler_ms: float
    raw_ms: float
    ratio: float
    iqr: tuple[float, float]
    replay_errors: int
    mismatched_rounds: int  # rounds where the handler made a different number of calls than recorded
    parts: dict[str, float] = field(default_factory=dict)  # share of the handler's time under cProfile

    @property
    def holds(self) -> bool:
        return self.ratio <= TARGET


def operations(h: Harness) -> list[Operation]:
    """The main calls, with the state each one needs (created here, untimed)."""
    reader_ins, reader = h.patient()
    _, doctor = h.professional()
    assert h.post(f"/patients/{reader_ins}/care-relationship", doctor).status == 201
    documents = [h.upload(reader_ins, doctor) for _ in range(5)]
    assert h.put(f"/patients/{reader_ins}/profile", reader, {"blood_group": "O+", "allergies": ["pénicilline"]}
                 ).status == 200
    writer_ins, writer = h.patient()
    for i in range(5):
        assert h.post("/catalogue", h.agent, {"app_id": f"app-{i}", "name": f"App {i}", "category": "prevention",
                                             "data_access": [{"category": "measurements", "access": "write"}]}
                      ).status == 201
    fhir_docs = f"/fhir/DocumentReference?patient.identifier=urn:oid:1.2.250.1.213.1.4.8|{reader_ins}"
    declared = {"title": "Compte rendu", "type_code": "11488-4", "content_type": "application/pdf", "size": len(PDF)}
    minute = iter(range(10**6))

    def measurement() -> dict[str, Any]:
        # each one newer than the last: the LATEST# copy is replaced, never a failed condition
        m = next(minute)
        at = f"2026-11-{1 + m // 1440:02d}T{m // 60 % 24:02d}:{m % 60:02d}:00Z"
        return h.event("POST", f"/patients/{writer_ins}/measurements", writer,
                       {"code": "29463-7", "value": 64.2, "unit": "kg", "effective_at": at})

    def opt_out() -> tuple[dict[str, Any], str]:
        row = h.enrol()
        return h.event("POST", "/opt-out", None, {"nir": row["nir"], "code": h.latest_code(row["nir"])}), row["nir"]

    def activation() -> tuple[dict[str, Any], str]:
        row = h.enrol()
        return h.event("POST", "/activation", None, h.activation_body(row)), row["nir"]

    def enrolment() -> tuple[dict[str, Any], str]:
        from bench.harness import person

        row = person()
        return h.event("POST", "/enrolments", h.agent, {"beneficiaries": [row]}), row["nir"]

    def same(build: Callable[[], dict[str, Any]]) -> Callable[[], tuple[dict[str, Any], None]]:
        return lambda: (build(), None)

    return [
        Operation("GET /me", "patient", same(lambda: h.event("GET", "/me", reader)), 200),
        Operation("POST /patients/{ins}/documents", "patient declares an upload",
                  same(lambda: h.event("POST", f"/patients/{writer_ins}/documents", writer, declared)), 201),
        Operation("GET /patients/{ins}/documents", "professional, 5 documents (logged)",
                  same(lambda: h.event("GET", f"/patients/{reader_ins}/documents", doctor)), 200),
        Operation("GET /fhir/DocumentReference", "professional, 5 documents (logged), _total=none",
                  same(lambda: h.event("GET", f"{fhir_docs}&_total=none", doctor,
                                       headers={"Accept": "application/fhir+json"})), 200),
        Operation("GET /fhir/DocumentReference", "professional, 2 of 5 documents (logged), with total",
                  same(lambda: h.event("GET", f"{fhir_docs}&_count=2", doctor,
                                       headers={"Accept": "application/fhir+json"})), 200),
        Operation("GET /patients/{ins}/documents/{document_id}", "professional (logged)",
                  same(lambda: h.event("GET", f"/patients/{reader_ins}/documents/{documents[0]}", doctor)), 200),
        Operation("POST /opt-out", "online, with the code (a new person each time)", opt_out, 200),
        Operation("POST /activation", "NIR, card serial and code (a new person each time)", activation, 200),
        Operation("POST /enrolments", "agent, 1 new person", enrolment, 200),
        Operation("GET /patients/{ins}/profile", "professional (logged)",
                  same(lambda: h.event("GET", f"/patients/{reader_ins}/profile", doctor)), 200),
        Operation("POST /patients/{ins}/measurements", "patient", same(measurement), 201),
        Operation("GET /catalogue", "anonymous, 5 apps", same(lambda: h.event("GET", "/catalogue")), 200),
    ]


def measure(h: Harness, op: Operation, rounds: int) -> Overhead:
    def invoke(event: dict[str, Any]) -> None:
        reply = h.invoke(event)
        if reply.status != op.expect:
            raise AssertionError(f"{op.name}: expected {op.expect}, got {reply.status}: {reply.body!r:.300}")

    for _ in range(3):
        invoke(op.make()[0])
    event, recorded_subject = op.make()
    with h.recorder.window(capture=True) as recorded:
        invoke(event)
    plan = prepare(recorded.calls, h.clients)

    def plan_for_new_subject() -> list[Any]:
        """The recorded calls about a person in the same state as the recorded one was."""
        if recorded_subject is None:
            return plan
        _, subject = op.make()
        assert subject is not None
        return prepare(substitute(recorded.calls, recorded_subject, subject), h.clients)

    replay_errors = replay(plan_for_new_subject())
    gc.collect()
    paired = Paired()
    mismatched = 0
    for round_ in range(rounds):
        event, _ = op.make()
        raw_plan = plan_for_new_subject()
        for side in rotate(["handler", "raw"], round_):
            with h.recorder.window(capture=False) as window:
                if side == "handler":
                    seconds, _ = timed(lambda event=event: invoke(event))  # type: ignore[misc]
                else:
                    seconds, errors = timed(lambda raw_plan=raw_plan: replay(raw_plan))  # type: ignore[misc]
                    replay_errors += errors
            paired.add(side, seconds)
            if side == "handler" and window.count != len(recorded.sent):
                mismatched += 1
    return Overhead(op.name, op.who, len(recorded.sent), len(recorded.presigned), paired.median("handler") * 1000,
                    paired.median("raw") * 1000, paired.ratio("handler", "raw"), paired.spread("handler", "raw"),
                    replay_errors, mismatched, breakdown(h, op))


# -- where the time goes ---------------------------------------------------------------------------------------------
PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    # part → (file suffix, function) whose inclusive time it is; none of these nests inside another
    "AWS calls": (("botocore/client.py", "_api_call"), ("botocore/signers.py", "generate_presigned_url")),
    "JWT": (("chalicelib/api/http.py", "authenticate"),),
    "body parsing": (("chalicelib/api/http.py", "parse_body"),),
    "answer (pydantic dump, JSON)": (("chalicelib/api/http.py", "_serialise"),
                                     ("chalicelib/api/http.py", "_json_response")),
    "request log": (("chalicelib/api/http.py", "_log_request"), ("chalicelib/observability.py", "flush")),
    "item (de)serialisation": (("chalicelib/adapters/dynamo.py", "dump"), ("chalicelib/adapters/dynamo.py", "load"),
                               ("chalicelib/adapters/dynamo.py", "values")),
}


def breakdown(h: Harness, op: Operation, runs: int = 15) -> dict[str, float]:
    """Share of the handler's time in each part, under cProfile (indicative: the profiler slows Python code more
    than C code). "other" is Chalice's routing and event handling, the service and the domain."""
    profiler = cProfile.Profile()
    whole = 0.0
    for _ in range(runs):
        event, _ = op.make()
        profiler.enable()
        seconds, _ = timed(lambda event=event: h.invoke(event))  # type: ignore[misc]
        profiler.disable()
        whole += seconds
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def inclusive(wanted: tuple[tuple[str, str], ...]) -> float:
        total = 0.0
        for (filename, _, function), (_, _, _, cumulative, _) in stats.items():
            if any(filename.replace("\\", "/").endswith(suffix) and function == name for suffix, name in wanted):
                total += cumulative
        return total

    if whole <= 0:
        return {}
    parts = {name: inclusive(wanted) / whole for name, wanted in PARTS.items()}
    parts["other"] = max(0.0, 1.0 - sum(parts.values()))
    return parts


def run(h: Harness, rounds: int) -> list[Overhead]:
    return [measure(h, op, rounds) for op in operations(h)]
