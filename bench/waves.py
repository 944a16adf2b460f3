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
    queue: str = ""  # the queue its function consumes (the poller's calls on it are not the function's)
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
    phases = [api, Phase("split: `batch_uploaded`", "batch-events"),
              Phase("units: `enrolment_unit`", "enrolment-units"), Phase("report: `batch_control`", "batch-control")]
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
    fanout = Phase("`opt-out-expiry` fanned out: dispatcher + `job_unit`", "job-units")
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
    previous = {k: os.environ.get(k) for k in ("ENS_LOCAL_WORKERS", "ENS_LOCAL_SCHEDULES")}
    # the stack's scheduled jobs stay off: each tick Queries the due index, which moto answers by sorting the
    # whole table (section 4), and would slow the emulator more as the wave fills it
    os.environ.update(ENS_LOCAL_WORKERS=str(workers), ENS_LOCAL_SCHEDULES="off")
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
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    nirs = {p["nir"] for p in people}
    counts = {k: batch[k] for k in ("total", "notified", "duplicate", "invalid")}
    good = [r for r in report if r["status"] == "notified"]
    return WaveRun(workers, rows, seconds, counts, len(report), len({r["nir"] for r in good} & nirs),
                   Counter(sent.get(n, 0) for n in nirs))


# -- the justified minimum, and the report section ------------------------------------------------------------------
POLLER = ("ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "GetQueueAttributes")


def function_calls(phase: Phase) -> Counter[str]:
    """The phase's calls without those of the event source mapping (Lambda's poller receives and deletes the
    messages; locally the drain does it): billed SQS requests, but not calls the function makes."""
    return Counter({k: v for k, v in phase.calls.items() if k.split()[0] not in POLLER
                    and k != f"GetQueueUrl {phase.queue}"})


def row_minimum(r: CallsResult, chunk_rows: int = 50_000) -> list[tuple[str, float, str]]:
    """(calls, per row, why) of the fewest calls an enrolled row needs, everything included."""
    units = r.units
    per_unit = 5  # ranged GET of its rows, the claim, its report part, its completion, the batch read
    return [
        ("PutItem accounts + SendEmail", 2.0, "a conditional create refuses a duplicate without a read; the notice"),
        (f"{per_unit} per unit of {r.unit_rows}", per_unit * units / r.rows,
         "its rows (one ranged GET), the claim that makes a duplicate delivery do nothing, its report part, the "
         "transaction completing it with the counters, the batch read that tells the last unit"),
        ("split: 1 GetObject per 8 MiB, 2 per 10 units", 1 / chunk_rows + 2 * units / 10 / r.rows,
         "the file by ranged GETs; a SendMessageBatch and a checkpoint per ten units"),
        ("report: 1 GetObject per unit, 1 UploadPart per 8 MiB", units / r.rows,
         "the parts, streamed into one multipart upload"),
    ]


def section(r: CallsResult | None, runs: list[WaveRun]) -> str:
    from bench.report import _table

    lines = ["## 6. National waves", ""]
    if r is not None:
        rows: list[list[str]] = []
        total = 0
        for phase in r.phases:
            made = function_calls(phase)
            total += sum(made.values())
            rows.append([phase.name, str(sum(made.values())), f"{sum(made.values()) / r.rows:.3f}",
                         ", ".join(f"{k} ×{v}" for k, v in sorted(made.items()))])
        minimum = sum(per for _, per, _ in row_minimum(r))
        lines += [
            f"**Calls per enrolled row.** A file of {r.rows:,} new people with an email, in units of {r.unit_rows} "
            f"rows ({r.units} units), through the functions Lambda runs, in-process against moto (section 3's "
            "recorder). Counted: the calls each function makes; not counted: the event source mapping's "
            "ReceiveMessage/DeleteMessage (billed, see docs/scale.md) and the local stage's outbox copy.", "",
            _table(["phase", "calls", "per row", "which"], rows), "",
            f"**{total / r.rows:.3f} calls per enrolled row**, beside a justified minimum of **{minimum:.3f}**:", "",
            _table(["minimum", "per row", "why"], [[a, f"{b:.4f}", c] for a, b, c in row_minimum(r)]), "",
            "Above the minimum: one `GetItem accounts` per row — `LifecycleService.enrol` reads the account before "
            "its conditional create, to tell a closed space being re-enrolled from a duplicate (the same excess as "
            "`POST /enrolments`, section 3); a conditional create first, reading only when it fails, saves it.", "",
        ]
        fan, loop = function_calls(r.fanout), function_calls(r.loop)
        lines += [
            f"**Calls per opened space.** `opt-out-expiry` on {r.spaces} due accounts, fanned out ({r.space_units} "
            f"unit(s) of up to 100) and, beside it, as the single loop its schedule still runs, on as many other "
            "accounts:", "",
            _table(["", "calls", "per space", "which"], [
                [r.fanout.name, str(sum(fan.values())), f"{sum(fan.values()) / r.spaces:.2f}",
                 ", ".join(f"{k} ×{v}" for k, v in sorted(fan.items()))],
                [r.loop.name, str(sum(loop.values())), f"{sum(loop.values()) / r.spaces:.2f}",
                 ", ".join(f"{k} ×{v}" for k, v in sorted(loop.items()))]]), "",
            "Justified minimum per space: **4** — the conditional write that opens it and records its notice as "
            "owed (answering the item: no read), the first reminder scheduled, the notice, the write that clears "
            "it — plus, per unit, its claim and completion, and per page of each due shard one Query. The fan-out "
            "adds only that per-unit bookkeeping to the loop's calls. Both make about 8: the read before each "
            "versioned write (3 reads) and the notice's lease (claimed, then settled: 2 writes) — what the second "
            "part of issue #13 makes exactly-once under parallel workers with fewer calls.", "",
        ]
    if runs:
        table = []
        for run in runs:
            table.append([str(run.workers), f"{run.rows:,}", f"{run.seconds:.0f} s", f"{run.per_second:.0f}",
                          f"{run.counts['notified']:,} / {run.counts['duplicate']} / {run.counts['invalid']}",
                          f"{run.report_rows:,}", ", ".join(f"{k}: {v:,}" for k, v in sorted(run.notices.items())),
                          "yes" if run.intact else "**no**"])
        lines += [
            "**A local wave through the file path.** The local stack (`make run`: moto server, the worker draining "
            "the queues into the same functions, the API; its scheduled jobs off, `ENS_LOCAL_SCHEDULES=off`), a file "
            "PUT to its presigned URL, timed from the PUT to `done`, with `ENS_LOCAL_WORKERS` parallel workers per "
            "queue; then every report line, and `ens outbox`: how many people got 0, 1, 2... enrolment notices. "
            "The local notifier is rate-limited at 100 emails a second (`.chalice/config.json`).", "",
            _table(["workers", "rows", "PUT → done", "rows/s", "notified / duplicate / invalid", "report lines",
                    "notices per person", "nothing lost or doubled"], table), "",
        ]
        if len(runs) == 2:
            lines += [f"2 workers ÷ 1: **×{runs[1].per_second / runs[0].per_second:.2f}** rows per second. On this "
                      "machine the emulator (one Python process, moto) serialises every call, so a second worker "
                      "overlaps round trips but no work; on AWS the units run in as many Lambda instances as the "
                      "mapping's maximum concurrency allows, and the SES rate binds (docs/scale.md).", ""]
    return "\n".join(lines)
