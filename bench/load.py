"""A bounded load run of mixed patient and professional traffic against the local stack (loopback only).

Starts the stack on free 127.0.0.1 ports (as `make run` does), seeds patients — each active, followed by a
professional who declared the care relationship and uploaded documents — then runs a fixed number of requests
from a few threads, each request drawn from the mix below, and stops by itself (request count, or the time
limit, whichever comes first). Prints requests, errors (any answer that is not the expected one), throughput and
p50/p95/p99 latency per kind of call.

    .venv/bin/python bench/load.py [--patients 20] [--requests 3000] [--threads 8] [--seconds 120]   (make load)

Exit status 0 only with zero errors. The figures are the local stack's (Chalice's dev server and moto on one
2-core machine), not AWS's: they bound regressions, they do not predict production latency.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stackrun import LOOPBACK, LocalStack

from ens_cli.testdata import make_rpps

PDF = b"%PDF-1.4\n% load test document\n"
# kind → weight in the mix
MIX = {
    "patient GET /me": 15,
    "patient list documents": 20,
    "patient read document": 15,
    "patient GET profile": 10,
    "professional declare care relationship": 5,
    "professional list documents": 15,
    "professional read document": 10,
    "professional upload (declare + PUT)": 10,
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Load:
    def __init__(self, stack: LocalStack, patients: int) -> None:
        self.stack = stack
        self.people: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {k: [] for k in MIX}
        self.errors: list[str] = []
        self.patients = patients

    def seed(self) -> None:
        stack = self.stack
        for row, token in stack.patients(self.patients):
            rpps = make_rpps()
            pro = stack.fast_token("professional", rpps=rpps, profession="medecin")
            stack.json("POST", f"/patients/{row['nir']}/care-relationship", pro, expect=201)
            documents = [stack.upload(row["nir"], pro, PDF, type_code="11502-2", title=f"Biologie {i}")
                         for i in range(2)]
            self.people.append({"ins": row["nir"], "patient": token, "pro": pro, "documents": documents})
        for person in self.people:
            stack.wait_available(person["ins"], person["patient"], set(person["documents"]))

    def request(self, method: str, path: str, token: str, body: Any = None, expect: int = 200) -> Any:
        status, _, raw = self.stack.http(method, path, token, body)
        if status != expect:
            raise AssertionError(f"{method} {path.split('/')[1]} answered {status}: {raw[:120]!r}")
        return json.loads(raw) if raw else None

    def one(self, kind: str, rng: random.Random) -> None:
        person = rng.choice(self.people)
        ins = person["ins"]
        if kind == "patient GET /me":
            self.request("GET", "/me", person["patient"])
        elif kind == "patient list documents":
            self.request("GET", f"/patients/{ins}/documents?limit=20", person["patient"])
        elif kind == "patient read document":
            self.request("GET", f"/patients/{ins}/documents/{rng.choice(person['documents'])}", person["patient"])
        elif kind == "patient GET profile":
            self.request("GET", f"/patients/{ins}/profile", person["patient"])
        elif kind == "professional declare care relationship":
            self.request("POST", f"/patients/{ins}/care-relationship", person["pro"], expect=201)
        elif kind == "professional list documents":
            self.request("GET", f"/patients/{ins}/documents?limit=20", person["pro"])
        elif kind == "professional read document":
            self.request("GET", f"/patients/{ins}/documents/{rng.choice(person['documents'])}", person["pro"])
        elif kind == "professional upload (declare + PUT)":
            ticket = self.request("POST", f"/patients/{ins}/documents", person["pro"],
                                  {"title": "Compte rendu", "type_code": "11488-4",
                                   "content_type": "application/pdf", "size": len(PDF)}, expect=201)
            if not ticket["upload_url"].startswith(f"http://{LOOPBACK}:"):
                raise AssertionError("upload URL outside the loopback")
            put = urllib.request.Request(ticket["upload_url"], data=PDF, method="PUT",  # noqa: S310 - loopback
                                         headers=ticket["upload_headers"])
            with urllib.request.urlopen(put, timeout=60) as reply:  # noqa: S310 - loopback, checked above
                if reply.status != 200:
                    raise AssertionError(f"upload PUT answered {reply.status}")

    def run(self, total: int, threads: int, seconds: float, seed: int = 1) -> dict[str, Any]:
        kinds, weights = list(MIX), list(MIX.values())
        counter = {"left": total}
        deadline = time.monotonic() + seconds

        def worker(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while time.monotonic() < deadline:
                with self.lock:
                    if counter["left"] <= 0:
                        return
                    counter["left"] -= 1
                kind = rng.choices(kinds, weights)[0]
                started = time.perf_counter()
                try:
                    self.one(kind, rng)
                except (AssertionError, OSError, urllib.error.URLError) as error:
                    with self.lock:
                        self.errors.append(f"{kind}: {error}"[:200])
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with self.lock:
                    self.latencies[kind].append(elapsed)

        started = time.monotonic()
        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        wall = time.monotonic() - started
        every = [v for values in self.latencies.values() for v in values]
        done = len(every) + len(self.errors)

        def figures(values: list[float]) -> dict[str, float]:
            return {"count": len(values), "p50_ms": round(percentile(values, 50), 1),
                    "p95_ms": round(percentile(values, 95), 1), "p99_ms": round(percentile(values, 99), 1),
                    "mean_ms": round(statistics.fmean(values), 1) if values else 0.0}

        return {"patients": len(self.people), "threads": threads, "requests": done, "errors": len(self.errors),
                "error_samples": self.errors[:5], "seconds": round(wall, 1),
                "throughput_rps": round(done / wall, 1) if wall else 0.0, "all": figures(every),
                "by_kind": {k: figures(v) for k, v in self.latencies.items()}}


def markdown(result: dict[str, Any]) -> str:
    lines = [f"{result['requests']} requests from {result['threads']} threads over {result['patients']} seeded "
             f"patients in {result['seconds']} s: {result['throughput_rps']} requests/s, "
             f"**{result['errors']} errors**.", "",
             "| call | count | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for kind, f in [*result["by_kind"].items(), ("all", result["all"])]:
        lines.append(f"| {kind} | {f['count']} | {f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=120, help="stop after this long whatever the count")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with LocalStack() as stack:
        print(f"load: stack on {stack.url}; seeding {args.patients} patients...", file=sys.stderr, flush=True)
        load = Load(stack, args.patients)
        load.seed()
        result = load.run(args.requests, args.threads, args.seconds)
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    for sample in result["error_samples"]:
        print(f"error: {sample}", file=sys.stderr)
    return 0 if result["errors"] == 0 and result["requests"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
