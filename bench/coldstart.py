"""Cold start: importing app.py ÷ importing boto3 and chalice alone, median of fresh processes.

A Lambda cold start pays for every module app.py imports. ens keeps pydantic, Powertools, PyJWT and the
domain off that path (they load on first use), so importing the app should cost about what the two libraries
every Chalice function needs cost. Target: ratio ≤ 1.5. Timings are measured side by side, alternating, in
one run; only the ratio is meaningful.

For honesty, a third probe imports app.py *and* the libraries its requests load on first use (boto3, pydantic,
PyJWT, Powertools' logger): what a cold start that also serves a first request pays, at most.

    .venv/bin/python bench/coldstart.py [--runs 9] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import time; t = time.perf_counter(); {imports}; print(time.perf_counter() - t)"
BASELINE = "import boto3, chalice"
APP = "import app"
FIRST_REQUEST = "import app, boto3, pydantic, jwt, aws_lambda_powertools.logging"
TARGET = 1.5


def once(imports: str) -> float:
    out = subprocess.run([sys.executable, "-B", "-c", PROBE.format(imports=imports)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def measure(runs: int) -> dict[str, float]:
    """Median import times (ms) of the three probes, each run in fresh processes, alternating; and the ratios."""
    probes = {"baseline": BASELINE, "app": APP, "first_request": FIRST_REQUEST}
    for imports in probes.values():
        once(imports)  # warm the OS file cache, as a provisioned Lambda image would be
    times: dict[str, list[float]] = {name: [] for name in probes}
    for round_ in range(runs):
        order = list(probes)[round_ % 3:] + list(probes)[:round_ % 3]
        for name in order:
            times[name].append(once(probes[name]))
    b, a, f = (statistics.median(times[name]) for name in probes)
    return {"runs": runs, "baseline_ms": round(b * 1000, 1), "app_ms": round(a * 1000, 1), "ratio": round(a / b, 2),
            "first_request_ms": round(f * 1000, 1), "first_request_ratio": round(f / b, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(max(5, args.runs))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"cold start: import app.py {result['app_ms']} ms / import boto3+chalice {result['baseline_ms']} ms "
              f"= {result['ratio']} (median of {result['runs']} fresh processes; target <= {TARGET})")
        print(f"  with what requests load on first use (boto3, pydantic, PyJWT, Powertools): "
              f"{result['first_request_ms']} ms = {result['first_request_ratio']}")


if __name__ == "__main__":
    main()
