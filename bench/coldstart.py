"""Cold start: importing app.py ÷ importing boto3 and chalice alone, median of fresh processes.

A Lambda cold start pays for every module app.py imports. ens keeps pydantic, Powertools, PyJWT and the
domain off that path (they load on first use), so importing the app should cost about what the two libraries
every Chalice function needs cost. Target: ratio ≤ 1.5. Timings are measured side by side, alternating, in
one run; only the ratio is meaningful.

    .venv/bin/python bench/coldstart.py [--runs 9]
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


def once(imports: str) -> float:
    out = subprocess.run([sys.executable, "-B", "-c", PROBE.format(imports=imports)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def measure(runs: int) -> dict[str, float]:
    once(BASELINE), once(APP)  # warm the OS file cache, as a provisioned Lambda image would be
    baseline, application = [], []
    for _ in range(runs):
        baseline.append(once(BASELINE))
        application.append(once(APP))
    b, a = statistics.median(baseline), statistics.median(application)
    return {"runs": runs, "baseline_ms": round(b * 1000, 1), "app_ms": round(a * 1000, 1), "ratio": round(a / b, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(max(5, args.runs))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"cold start: import app.py {result['app_ms']} ms / import boto3+chalice {result['baseline_ms']} ms "
              f"= {result['ratio']} (median of {result['runs']} fresh processes; target <= 1.5)")


if __name__ == "__main__":
    main()
