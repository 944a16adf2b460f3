"""Cold start, as Lambda pays it: fresh processes, alternating, medians of ≥ 9 of each.

1. **Import**: importing app.py ÷ importing boto3 and chalice alone (timed inside each process). Target ≤ 1.5.
2. **First request** (what a cold start really costs): a fresh process that imports the app and answers one
   ``GET /me`` (a patient's token, against a running emulator) ÷ a fresh process that imports boto3 and chalice and
   makes the very same DynamoDB reads (the access decision's BatchGetItem, the account, the dependants' Query).
   Both are timed from outside, spawn to exit, interpreter start included. Target ≤ 1.3.

Timings are measured side by side in one run; only the ratios are meaningful.

    .venv/bin/python bench/coldstart.py [--runs 9] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from ens_cli.testdata import make_nir

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROBE = "import time; t = time.perf_counter(); {imports}; print(time.perf_counter() - t)"
BASELINE = "import boto3, chalice"
APP = "import app"
TARGET = 1.5
FIRST_REQUEST_TARGET = 1.3
DEV_KEY = "bench-cold-start-key-0123456789abcdef0123456789"

# The app's side: import it, answer one GET /me as Lambda would call it (an API Gateway proxy event).
APP_REQUEST = """
import json, os
import app
event = {"resource": "/me", "path": "/me", "httpMethod": "GET",
         "headers": {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"], "Accept": "*/*"},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/me", "httpMethod": "GET", "path": "/api/me", "requestId": "cold",
                            "stage": "api", "identity": {"sourceIp": "127.0.0.1"}}}
class Context:
    function_name, function_version, memory_limit_in_mb, aws_request_id = "api_handler", "$LATEST", 512, "cold"
    invoked_function_arn = "arn:aws:lambda:eu-west-3:000000000000:function:ens-local-api_handler"
    log_group_name = log_stream_name = "cold"
    def get_remaining_time_in_millis(self): return 30000
answer = app.app(event, Context())
assert answer["statusCode"] == 200, answer
assert json.loads(answer["body"])["ins"] == os.environ["BENCH_NIR"]
"""

# The baseline: boto3 and chalice, and the same DynamoDB reads made by hand.
BASELINE_REQUEST = """
import os
import boto3, chalice
from botocore.config import Config
client = boto3.client("dynamodb", endpoint_url=os.environ["ENS_AWS_ENDPOINT_URL"],
                      config=Config(region_name="eu-west-3", retries={"max_attempts": 4, "mode": "standard"}))
table, nir = os.environ["BENCH_TABLE"], os.environ["BENCH_NIR"]
pk = {"S": "NIR#" + nir}
answer = client.batch_get_item(RequestItems={table: {"Keys": [{"pk": pk, "sk": {"S": "ACCOUNT"}},
                                                              {"pk": pk, "sk": {"S": "SETTINGS"}}],
                                                     "ConsistentRead": True}})
assert answer["Responses"][table]
assert "Item" in client.get_item(TableName=table, Key={"pk": pk, "sk": {"S": "ACCOUNT"}}, ConsistentRead=True)
client.query(TableName=table, KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
             ExpressionAttributeValues={":pk": pk, ":p": {"S": "DEPENDANT#"}}, ConsistentRead=True)
"""


def once(imports: str) -> float:
    out = subprocess.run([sys.executable, "-B", "-c", PROBE.format(imports=imports)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def compile_bytecode() -> None:
    """Compile the app's bytecode first, as a deployment package ships it (the libraries' is already there): a probe
    that compiled stale sources would time the compiler."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "chalicelib", "app.py"], cwd=ROOT, check=True)


def measure(runs: int) -> dict[str, float]:
    """Median import times (ms) of the two probes, each run in fresh processes, alternating; and the ratio."""
    compile_bytecode()
    probes = {"baseline": BASELINE, "app": APP}
    for imports in probes.values():
        once(imports)  # warm the OS file cache, as a provisioned Lambda image would be
    times: dict[str, list[float]] = {name: [] for name in probes}
    for round_ in range(runs):
        order = list(probes) if round_ % 2 == 0 else list(reversed(probes))
        for name in order:
            times[name].append(once(probes[name]))
    b, a = (statistics.median(times[name]) for name in probes)
    return {"runs": runs, "baseline_ms": round(b * 1000, 1), "app_ms": round(a * 1000, 1), "ratio": round(a / b, 2)}


# -- the first request, against a running emulator --------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulator:
    """moto in server mode on a free loopback port, with every declared resource and one active patient."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.env: dict[str, str] = {}
        self.token = ""
        self.nir = make_nir(1, dt.date(1980, 5, 1))

    def __enter__(self) -> Emulator:
        self.process = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p",
                                         str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):  # noqa: S310 - loopback
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.2)
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ENS_"))},
                    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-3",
                    "ENS_STAGE": "local", "ENS_AWS_ENDPOINT_URL": self.url, "ENS_DEV_SIGNING_KEY": DEV_KEY,
                    "ENS_SECRET_PEPPER": "bench-pepper", "BENCH_NIR": self.nir,
                    "POWERTOOLS_LOG_LEVEL": "INFO", "PYTHONDONTWRITEBYTECODE": "1"}
        self._seed()
        return self

    def _seed(self) -> None:
        saved = dict(os.environ)
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("AWS_", "ENS_"))})
        try:
            from chalicelib import config
            from chalicelib.adapters.accounts_repo import DynamoAccountRepository
            from chalicelib.adapters.aws import Clients
            from chalicelib.adapters.tokens import TokenService
            from chalicelib.domain.accounts import Account, Contact, Status
            from ens_cli.localaws import create_all

            config.reset()
            settings = config.settings()
            clients = Clients(settings)
            create_all(clients, settings)
            now = dt.datetime.now(dt.UTC)
            DynamoAccountRepository(clients("dynamodb"), settings.table("accounts")).add(Account(
                nir=self.nir, given_name="Camille", family_name="Martin", birth_date=dt.date(1980, 5, 1),
                status=Status.ACTIVE, notified_at=now, contact=Contact(email="camille@example.org"),
                activated_at=now, opened_at=now))
            self.token = TokenService(settings).sign({"role": "patient", "ins": self.nir}, 3600)
            self.env.update(BENCH_TOKEN=self.token, BENCH_TABLE=settings.table("accounts"))
        finally:
            os.environ.clear()
            os.environ.update(saved)
            from chalicelib import config

            config.reset()

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def run(self, code: str) -> float:
        """Wall time of a fresh process running ``code``, spawn to exit (stderr: the request's log line)."""
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-B", "-c", code], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"a cold-start probe failed:\n{done.stderr[-2000:]}")
        return elapsed


def first_request(runs: int) -> dict[str, float]:
    """Median wall times (ms) of the two fresh processes, alternating, and their ratio."""
    compile_bytecode()
    with Emulator() as emulator:
        for code in (APP_REQUEST, BASELINE_REQUEST):
            emulator.run(code)  # warm the OS file cache and the emulator
        times: dict[str, list[float]] = {"app": [], "baseline": []}
        for round_ in range(runs):
            order = ["app", "baseline"] if round_ % 2 == 0 else ["baseline", "app"]
            for name in order:
                times[name].append(emulator.run(APP_REQUEST if name == "app" else BASELINE_REQUEST))
    a, b = statistics.median(times["app"]), statistics.median(times["baseline"])
    return {"runs": runs, "app_ms": round(a * 1000, 1), "baseline_ms": round(b * 1000, 1), "ratio": round(a / b, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=("import", "first-request"), default=None)
    args = parser.parse_args()
    runs = max(9, args.runs)
    result: dict[str, Any] = {}
    if args.only in (None, "import"):
        result["import"] = measure(runs)
    if args.only in (None, "first-request"):
        result["first_request"] = first_request(runs)
    if args.json:
        print(json.dumps(result))
        return
    if "import" in result:
        r = result["import"]
        print(f"cold start, import: import app.py {r['app_ms']} ms / import boto3+chalice {r['baseline_ms']} ms "
              f"= {r['ratio']} (median of {r['runs']} fresh processes; target <= {TARGET})")
    if "first_request" in result:
        r = result["first_request"]
        print(f"cold start, first request: import app + GET /me {r['app_ms']} ms / import boto3+chalice + the same "
              f"DynamoDB reads {r['baseline_ms']} ms = {r['ratio']} (median of {r['runs']} alternating fresh "
              f"processes, interpreter start included; target <= {FIRST_REQUEST_TARGET})")


if __name__ == "__main__":
    main()
