"""The local stack as `make run` starts it: the supervisor, the emulator, the event worker, the API, the CLI.

One stack for the module, on free ports; it is stopped with SIGINT (Ctrl-C) at the end and every child process
must be gone.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self) -> None:
        self.api_port, self.aws_port = free_port(), free_port()
        self.env = {**os.environ, "ENS_API_PORT": str(self.api_port), "ENS_AWS_PORT": str(self.aws_port)}
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            self.env.pop(name, None)
        self.process = subprocess.Popen([sys.executable, "-u", "-m", "ens_cli.stack"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self.output: list[str] = []

    def wait_ready(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("the stack exited:\n" + self.process.stdout.read())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise AssertionError("the stack never answered /health")

    def http(self, method: str, path: str, token: str | None = None, body=None) -> tuple[int, dict, bytes]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.api_port}{path}", data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def ens(self, *args: str):
        out = subprocess.run([str(BIN / "ens"), *args], cwd="/", env=self.env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        return lines[0] if len(lines) == 1 and args[0] != "outbox" else lines


@pytest.fixture(scope="module")
def stack():
    running = Stack()
    try:
        running.wait_ready()
        yield running
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGINT)
            try:
                running.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(running.process.pid, signal.SIGKILL)


def test_info_token_job_and_outbox(stack):
    info = stack.ens("info")
    assert info["api_url"].endswith(str(stack.api_port)) and info["aws_endpoint_url"].endswith(str(stack.aws_port))
    assert info["region"] == "eu-west-3" and info["inbox_prefix"] == "inbox/"
    agent = stack.ens("token", "--role", "agent")["token"]
    from helpers import person

    row = person()
    status, _, body = stack.http("POST", "/enrolments", agent, {"beneficiaries": [row]})
    assert status == 200 and json.loads(body)["results"][0]["status"] == "notified"
    notices = stack.ens("outbox", "--to", row["nir"])
    assert [n["kind"] for n in notices] == ["enrolment_notice"] and len(notices[0]["data"]["code"]) == 12
    report = stack.ens("job", "opt-out-expiry", "--now", "2099-01-01T00:00:00Z")
    assert report["job"] == "opt-out-expiry" and report["processed"] >= 1
    assert [n["kind"] for n in stack.ens("outbox", "--to", row["nir"])][-1] == "space_created"
    expired = stack.ens("token", "--role", "agent", "--ttl", "-60")["token"]
    assert stack.http("GET", "/me", expired)[0] == 401


def test_an_unknown_path_is_404_and_never_echoes_the_token(stack):
    token = stack.ens("token", "--role", "agent")["token"]
    status, _, body = stack.http("GET", "/no/such/route", token)
    assert status == 404 and set(json.loads(body)) == {"code", "message"} and token.encode() not in body


def test_a_lab_drop_travels_s3_eventbridge_sqs_to_the_ingest_function(stack):
    import boto3
    from helpers import make_finess, person

    agent = stack.ens("token", "--role", "agent")["token"]
    row = person()
    stack.http("POST", "/enrolments", agent, {"beneficiaries": [row]})
    code = stack.ens("outbox", "--to", row["nir"])[-1]["data"]["code"]
    status, _, _ = stack.http("POST", "/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                                          "code": code})
    assert status == 200
    info = stack.ens("info")
    s3 = boto3.client("s3", endpoint_url=info["aws_endpoint_url"], region_name="eu-west-3",
                      aws_access_key_id="lab", aws_secret_access_key="lab")
    s3.put_object(Bucket=info["inbox_bucket"], Key=f"{info['inbox_prefix']}{make_finess()}/result.pdf",
                  Body=b"%PDF-1.4\n% lab\n", Metadata={"ins": row["nir"], "type-code": "11502-2", "title": "NFS"},
                  ContentType="application/pdf")
    patient = stack.ens("token", "--role", "patient", "--ins", row["nir"])["token"]
    for _ in range(60):
        status, _, body = stack.http("GET", f"/patients/{row['nir']}/documents", patient)
        items = json.loads(body)["items"]
        if items:
            break
        time.sleep(0.5)
    assert items and items[0]["type_code"] == "11502-2" and items[0]["status"] == "available"


def test_an_enrolment_file_and_a_fanned_out_job_run_through_the_stacks_queues(stack):
    from helpers import person

    agent = stack.ens("token", "--role", "agent")["token"]
    rows = [person() for _ in range(3)]
    status, _, body = stack.http("POST", "/enrolment-batches", agent, {"rows": 3})
    assert status == 201
    ticket = json.loads(body)
    header = "nir,given_name,family_name,birth_date,email,vitale_serial\n"
    content = header + "".join(f"{r['nir']},Camille,Martin,{r['birth_date']},{r['email']},{r['vitale_serial']}\n"
                               for r in rows)
    put = urllib.request.Request(ticket["upload_url"], data=content.encode(), method="PUT",
                                 headers=ticket["upload_headers"])
    with urllib.request.urlopen(put, timeout=30) as answer:
        assert answer.status == 200
    for _ in range(120):
        batch = json.loads(stack.http("GET", f"/enrolment-batches/{ticket['batch_id']}", agent)[2])
        if batch["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert batch["status"] == "done" and batch["notified"] == 3, batch
    with urllib.request.urlopen(batch["report_url"], timeout=30) as answer:
        report = answer.read().decode().splitlines()
    assert report[0] == "line,nir,status,reason" and [line.split(",")[2] for line in report[1:]] == ["notified"] * 3
    # a fanned-out job: `ens job` returns once the units its run sent are done by the stack's workers
    code = stack.ens("outbox", "--to", rows[0]["nir"])[-1]["data"]["code"]
    status, _, _ = stack.http("POST", "/activation", body={"nir": rows[0]["nir"], "vitale_serial":
                                                          rows[0]["vitale_serial"], "code": code})
    assert status == 200
    report = stack.ens("job", "reminders", "--now", "2099-01-01T00:00:00Z")
    assert report["job"] == "reminders" and report["units"] >= 1 and report["failed_units"] == 0
    assert report["processed"] >= 1 and "reminder" in [n["kind"] for n in stack.ens("outbox", "--to", rows[0]["nir"])]


def test_ctrl_c_stops_every_process(stack):
    children = subprocess.run(["pgrep", "-g", str(os.getpgid(stack.process.pid))], capture_output=True, text=True)
    pids = [int(p) for p in children.stdout.split()]
    assert len(pids) >= 4  # supervisor, emulator, worker, API
    os.killpg(stack.process.pid, signal.SIGINT)
    stack.process.wait(timeout=30)
    time.sleep(1)
    alive = [p for p in pids if os.path.exists(f"/proc/{p}")
             and "zombie" not in Path(f"/proc/{p}/status").read_text().lower()]
    assert alive == []
