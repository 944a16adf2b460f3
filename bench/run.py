"""Run every benchmark, print the report and write it to ``docs/benchmarks.md``.

    .venv/bin/python -m bench [--quick] [--only coldstart,calls,overhead,ingest,scale,waves] [--no-write]
                              [--wave-rows N]
    .venv/bin/python bench/run.py ...                     (the same)
    make bench

Sections: 1 cold start (``bench/coldstart.py``), 2 request overhead (``bench/overhead.py``), 3 AWS calls per
operation (``bench/scenarios.py``, ``bench/minimums.py``), 4 scale (``bench/scaling.py``), 5 ingest
(``bench/ingestion.py``), 6 national waves (``bench/waves.py``: calls per enrolled row and per opened space, and a
wave through the file path on the local stack with 1 and 2 workers). Everything else runs against moto in-process;
nothing is asserted on time, ever: the report says which targets hold. ``--quick`` (fewer rounds, 10⁴ instead of
10⁵) is for trying the bench out; the figures in ``docs/benchmarks.md`` come from a full run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as a script: bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import ROOT, prepare_environment

SECTIONS = ("coldstart", "calls", "overhead", "ingest", "scale", "waves")
OUTPUT = ROOT / "docs" / "benchmarks.md"


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    memory = "memory unknown"
    try:
        kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
        memory = f"{kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"nproc": str(cores), "cpu": cpu, "memory": memory, "python": platform.python_version(),
            "platform": platform.platform(terse=True), "moto": metadata.version("moto"),
            "boto3": metadata.version("boto3"), "chalice": metadata.version("chalice")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and 10⁴ instead of 10⁵ (a trial run)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections: " + ", ".join(SECTIONS))
    parser.add_argument("--no-write", action="store_true", help="print the report, do not write docs/benchmarks.md")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--wave-rows", type=int, default=None,
                        help="rows of the local wave (default 2×10⁴, --quick 2×10³; 10⁵ takes about 40 min a run)")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if only - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(only - set(SECTIONS)))}")
    large = 10**4 if args.quick else 10**5
    plan = {"coldstart_runs": 9, "overhead_rounds": 10 if args.quick else 40,
            "ingest_events": 50 if args.quick else 300, "listing_rounds": 3 if args.quick else 7,
            "expiry_rounds": 1 if args.quick else 3, "small": (10**3, 10**2), "large": (large, large)}

    prepare_environment()
    from bench import calls, coldstart, ingestion, overhead, scaling
    from bench.harness import Harness
    from bench.report import Results, render
    from bench.scenarios import drive
    from bench.stats import pin_to_one_core

    started = time.perf_counter()
    results = Results(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), machine(),
                      options={"quick": True} if args.quick else {})

    def say(message: str) -> None:
        print(f"[bench {time.perf_counter() - started:5.0f} s] {message}", file=sys.stderr, flush=True)

    if "coldstart" in only:
        say("1. cold start (fresh processes)")
        results.coldstart = coldstart.measure(plan["coldstart_runs"])
        say("1b. cold start: first request (fresh processes against an emulator)")
        results.first_request = coldstart.first_request(plan["coldstart_runs"])
    results.core = pin_to_one_core()
    if only & {"calls", "overhead", "ingest"}:
        with Harness() as h:
            if "calls" in only:
                say("3. AWS calls per operation (every route, event and job)")
                results.rows = calls.compare(drive(h))
                results.uncovered = calls.uncovered(results.rows)
            if "overhead" in only:
                say(f"2. request overhead ({plan['overhead_rounds']} rounds per call)")
                results.overhead = overhead.run(h, plan["overhead_rounds"])
            if "ingest" in only:
                say(f"5. ingest ({plan['ingest_events']} events)")
                results.ingest = ingestion.run(h, plan["ingest_events"])
    if "scale" in only:
        with Harness() as h:
            say(f"4. scale: seeding {plan['small']} and {plan['large']} other items, then measuring "
                "(the large expiry runs take a while in moto)")
            results.scale, results.sets, results.cold_cache = scaling.run(
                h, plan["small"], plan["large"], plan["listing_rounds"], plan["expiry_rounds"])
    if "waves" in only:
        from bench import waves

        with Harness() as h:
            say("6. national waves: calls per enrolled row and per opened space")
            counted = waves.calls(h, rows=500 if args.quick else 1000, spaces=50 if args.quick else 200)
        rows = args.wave_rows or (2_000 if args.quick else 20_000)
        runs = []
        for workers in (1, 2):
            say(f"6. national waves: {rows:,} rows through the file path on the local stack, {workers} worker(s)")
            runs.append(waves.wave(rows, workers, month=workers + 2))
        results.waves = (counted, runs)
    results.seconds = time.perf_counter() - started
    report = render(results)
    print(report)
    if not args.no_write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + "\n", encoding="utf-8")
        say(f"written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
