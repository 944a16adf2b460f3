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
        self.api_port, self.aws_port, self.portal_port = free_port(), free_port(), free_port()
        self.env = {**os.environ, "ENS_API_PORT": str(self.api_port), "ENS_AWS_PORT": str(self.aws_port),
                    "ENS_PORTAL_PORT": str(self.portal_port)}
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
    assert info["portal_url"] == f"http://127.0.0.1:{stack.portal_port}"
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


def test_ens_job_writes_only_its_json_result_and_nothing_on_stderr(stack):
    for name in ("opt-out-expiry", "reminders", "archive-purge"):
        out = subprocess.run([str(BIN / "ens"), "job", name, "--now", "2099-01-01T00:00:00Z"], cwd="/",
                             env=stack.env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and out.stderr == "", out.stderr
        lines = out.stdout.splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["job"] == name


def test_the_stack_serves_the_interactive_api_reference_at_docs(stack):
    status, headers, body = stack.http("GET", "/docs")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in headers["Content-Security-Policy"]  # nothing from outside: works offline
    import re

    for source in re.findall(r'(?:src|href)="([^"]+)"', body.decode()):
        assert source.startswith("/docs/"), source
        status, _, asset = stack.http("GET", source)
        assert status == 200 and asset, source
    status, _, spec = stack.http("GET", "/openapi.json")
    assert status == 200 and json.loads(spec)["openapi"].startswith("3.1")


def test_an_unknown_path_is_404_and_never_echoes_the_token(stack):
    token = stack.ens("token", "--role", "agent")["token"]
    status, _, body = stack.http("GET", "/no/such/route", token)
    assert status == 404 and set(json.loads(body)) == {"code", "message"} and token.encode() not in body
    assert json.loads(body)["message"].startswith("There is nothing at this address")


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


def test_the_portal_is_served_in_french_with_its_security_headers(stack):
    portal = f"http://127.0.0.1:{stack.portal_port}"
    with urllib.request.urlopen(f"{portal}/documents", timeout=10) as reply:  # the single-page fallback
        page, headers = reply.read().decode(), reply.headers
    assert 'lang="fr"' in page
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert f"http://127.0.0.1:{stack.api_port}" in headers["Content-Security-Policy"]  # connect-src: the API
    with urllib.request.urlopen(f"{portal}/config.json", timeout=10) as reply:
        assert json.loads(reply.read())["api_url"] == f"http://127.0.0.1:{stack.api_port}"


def test_the_apis_cors_allows_the_portals_origin_only(stack):
    def preflight(origin: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{stack.api_port}/me", method="OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return dict(reply.headers)

    allowed = preflight(f"http://127.0.0.1:{stack.portal_port}")
    assert allowed["Access-Control-Allow-Origin"] == f"http://127.0.0.1:{stack.portal_port}"
    assert "Authorization" in allowed["Access-Control-Allow-Headers"]
    other = preflight("https://evil.example")
    assert other.get("Access-Control-Allow-Origin") != "https://evil.example"
    status, headers, _ = stack.http("GET", "/health")
    assert headers.get("Access-Control-Allow-Origin") == f"http://127.0.0.1:{stack.portal_port}"


def raw_request(stack, lines: list[bytes]) -> tuple[int, dict, bytes]:
    """Send bytes as they are (what urllib would refuse to send) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", stack.api_port), timeout=30) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
    return int(status_line.split()[1]), headers, body


def test_oversized_headers_are_answered_as_json(stack):
    for lines in ([b"GET /health HTTP/1.1", b"Host: x", b"X-Big: " + b"a" * 70_000],
                  [b"GET /health HTTP/1.1", b"Host: x", *[f"X-{n}: y".encode() for n in range(150)]]):
        status, headers, body = raw_request(stack, lines)
        assert status == 431 and headers["Content-Type"] == "application/json", (status, headers)
        assert json.loads(body)["code"] == "headers_too_large"


def test_a_malformed_inbox_key_reaches_the_establishment_that_dropped_it(stack):
    import boto3
    from helpers import make_finess, make_nir

    info = stack.ens("info")
    s3 = boto3.client("s3", endpoint_url=info["aws_endpoint_url"], region_name="eu-west-3",
                      aws_access_key_id="lab", aws_secret_access_key="lab")
    finess = make_finess()
    s3.put_object(Bucket=info["inbox_bucket"], Key=f"{info['inbox_prefix']}/{finess}/result.pdf",
                  Body=b"%PDF-1.4\n% lab\n", Metadata={"ins": make_nir(), "type-code": "11502-2"},
                  ContentType="application/pdf")
    establishment = stack.ens("token", "--role", "establishment", "--finess", finess)["token"]
    for _ in range(60):
        status, _, body = stack.http("GET", f"/establishments/{finess}/rejections", establishment)
        items = json.loads(body)["items"]
        if items:
            break
        time.sleep(0.5)
    assert status == 200 and [r["reason"] for r in items] == ["invalid_key"]


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
