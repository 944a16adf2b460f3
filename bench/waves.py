"""6. National waves (issue #13, "Measured" items 1 and 2): AWS calls per enrolled row and per opened space beside
the justified minimum, and a local wave through the file path with 1 and 2 parallel workers.

* **calls** (in-process, moto, ``bench.harness``): a file of ``rows`` rows through the very functions Lambda runs —
  ``batch_uploaded`` (the split), ``enrolment_unit`` (the units), ``batch_control`` (the report) — with the
  recorder counting every AWS call by phase; then ``opt-out-expiry`` opening ``spaces`` due accounts through the
  fan-out (``FanOut.dispatch`` and ``job_unit``), beside the same job's single loop on as many accounts.
* **wave** (the local stack, ``bench.stackrun``): a file of ``wave_rows`` rows PUT to its presigned URL, from the
  PUT to ``done``, with ``ENS_LOCAL_WORKERS`` = 1 then 2; then nothing lost or doubled: the counts, every report
  line, exactly one enrolment notice per person (``ens outbox``).

Nothing is asserted on time: the figures are printed and written to docs/benchmarks.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.harness import Harness, person

LOCAL_ONLY = ("outbox",)  # the local stage's copy of each notice: not deployed, not counted


@dataclass
class Phase:
    name: str
    calls: Counter[str] = field(default_factory=Counter)
    invocations: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class CallsResult:
    rows: int
    unit_rows: int
    units: int
    phases: list[Phase]
    spaces: int
    fanout: Phase
    loop: Phase
    space_units: int

    def per_row(self) -> float:
        return sum(p.total for p in self.phases) / self.rows


@dataclass
class WaveRun:
    workers: int
    rows: int
    seconds: float
    counts: dict[str, int]
    report_rows: int
    report_nirs: int
    notices: Counter[int]  # how many people got 0, 1, 2... enrolment notices

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def intact(self) -> bool:
        return (self.counts.get("notified") == self.rows == self.report_rows == self.report_nirs
                and self.notices == Counter({1: self.rows}))


HEADER = "nir,given_name,family_name,birth_date,email,vitale_serial\n"


def csv_file(people: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    out.write(HEADER)
    writer = csv.writer(out, lineterminator="\n")
    for p in people:
        writer.writerow([p["nir"], p["given_name"], p["family_name"], p["birth_date"], p["email"],
                         p["vitale_serial"]])
    return out.getvalue().encode()


def _labels(window: Any) -> Counter[str]:
    return window.by_label(exclude=LOCAL_ONLY)


def calls(h: Harness, rows: int = 1000, spaces: int = 200) -> CallsResult:
    import app
    from ens_cli.worker import drain_until_empty

    sqs = h.clients("sqs")

    def drain(handler: str, phase: Phase) -> None:
        with h.recorder.window(capture=True) as window:
            phase.invocations += sum(drain_until_empty(app, sqs, h.settings, only=(handler,)).values())
        phase.calls.update(_labels(window))

    people = [person() for _ in range(rows)]
    api = Phase("API: `POST /enrolment-batches`, `GET` once done")
    with h.recorder.window(capture=True) as window:
        ticket = h.post("/enrolment-batches", h.agent, {"rows": rows}).json
    api.calls.update(_labels(window))
    assert h.put_bytes(ticket, csv_file(people), "text/csv") == 200
    phases = [api, Phase("split: `batch_uploaded`"), Phase("units: `enrolment_unit`"),
              Phase("report: `batch_control`")]
    for handler, phase in zip(("batch_uploaded", "enrolment_unit", "batch_control"), phases[1:], strict=True):
        drain(handler, phase)
    with h.recorder.window(capture=True) as window:
        done = h.get(f"/enrolment-batches/{ticket['batch_id']}", h.agent).json
    api.calls.update(_labels(window))
    assert done["status"] == "done" and done["notified"] == rows, done
    unit_rows = h.container.batches.unit_rows

    # opening spaces: the fan-out, then the job's single loop on as many accounts (side by side)
    from chalicelib.jobs import fanout_job

    def due(count: int) -> None:
        late = (h.clock.now() - dt.timedelta(days=43)).isoformat()
        batch = [person(notified_at=late) for _ in range(count)]
        for start in range(0, count, 500):
            results = h.post("/enrolments", h.agent, {"beneficiaries": batch[start:start + 500]}).json["results"]
            assert all(r["status"] == "notified" for r in results)

    due(spaces)
    fanout = Phase("`opt-out-expiry` fanned out: dispatcher + `job_unit`")
    budget = type("NoLimit", (), {"low": lambda self: False})()
    with h.recorder.window(capture=True) as window:
        dispatched = h.container.fanout.dispatch(fanout_job("opt-out-expiry"), h.clock.now(), budget)
    fanout.calls.update(_labels(window))
    drain("job_unit", fanout)
    final = h.container.fanout.report(fanout_job("opt-out-expiry"), dispatched["run_id"])
    assert final and final["processed"] == spaces and final["notices_sent"] == spaces, final
    due(spaces)
    loop = Phase("`opt-out-expiry` as one loop (its schedule today)")
    with h.recorder.window(capture=True) as window:
        report = h.run_job("opt-out-expiry")
    loop.calls.update(_labels(window))
    assert report["processed"] == spaces, report
    return CallsResult(rows, unit_rows, done["units"]["sent"], phases, spaces, fanout, loop, dispatched["units"])


# -- a local wave through the file path --------------------------------------------------------------------------
def wave(rows: int, workers: int, month: int) -> WaveRun:
    import os
    import urllib.request

    from bench.stackrun import LocalStack
    from ens_cli.testdata import make_nir, vitale_serial

    born = dt.date(1960 + workers, month, 1)
    people = [{"nir": make_nir(born=born), "given_name": "Camille", "family_name": "Martin",
               "birth_date": born.isoformat(), "email": "camille.martin@example.org",
               "vitale_serial": vitale_serial()} for _ in range(rows)]
    content = csv_file(people)
    previous = os.environ.get("ENS_LOCAL_WORKERS")
    os.environ["ENS_LOCAL_WORKERS"] = str(workers)
    try:
        with LocalStack() as stack:
            agent = stack.token("agent")
            ticket = stack.json("POST", "/enrolment-batches", agent, {"rows": rows})
            put = urllib.request.Request(ticket["upload_url"], data=content, method="PUT",  # noqa: S310
                                         headers=ticket["upload_headers"])
            started = time.perf_counter()
            with urllib.request.urlopen(put, timeout=600) as answer:  # noqa: S310 - the local emulator
                assert answer.status == 200
            while True:
                batch = stack.json("GET", f"/enrolment-batches/{ticket['batch_id']}", agent)
                if batch["status"] in ("done", "failed"):
                    break
                time.sleep(0.5)
            seconds = time.perf_counter() - started
            assert batch["status"] == "done", batch
            with urllib.request.urlopen(batch["report_url"], timeout=600) as answer:  # noqa: S310
                report = list(csv.DictReader(io.StringIO(answer.read().decode())))
            sent = Counter(n["to"] for n in stack.ens("outbox") if n["kind"] == "enrolment_notice")
    finally:
        if previous is None:
            os.environ.pop("ENS_LOCAL_WORKERS", None)
        else:
            os.environ["ENS_LOCAL_WORKERS"] = previous
    nirs = {p["nir"] for p in people}
    counts = {k: batch[k] for k in ("total", "notified", "duplicate", "invalid")}
    good = [r for r in report if r["status"] == "notified"]
    return WaveRun(workers, rows, seconds, counts, len(report), len({r["nir"] for r in good} & nirs),
                   Counter(sent.get(n, 0) for n in nirs))
