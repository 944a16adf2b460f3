"""The local stack as `make run` starts it, on free loopback ports, for the reliability harnesses (fuzz, load)
and their tests: start, wait for `GET /health`, talk to it over HTTP and through the `ens` CLI, stop with Ctrl-C.

    with LocalStack() as stack:
        agent = stack.token("agent")
        row, patient = stack.patient()

Everything it sends goes to 127.0.0.1 only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ens_cli.testdata import make_nir

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]










def person(n: int, born: dt.date = dt.date(1980, 5, 1)) -> dict[str, Any]:
    return {"nir": make_nir(born=born), "given_name": "Camille", "family_name": "Martin",
            "birth_date": born.isoformat(), "email": "camille.martin@example.org",
            "vitale_serial": str(random.randint(10**9, 10**10 - 1))}


class LocalStack:
    """`python -m ens_cli.stack` on free ports; its output goes to a log file (never an unread pipe)."""

    def __init__(self, api_port: int | None = None, aws_port: int | None = None) -> None:
        """Free ports by default; given ports attach to a stack already running there (never stopped by us)."""
        self.attached = api_port is not None
        self.api_port, self.aws_port = api_port or free_port(), aws_port or free_port()
        while self.aws_port == self.api_port:
            self.aws_port = free_port()
        self.env = {**os.environ, "ENS_API_PORT": str(self.api_port), "ENS_AWS_PORT": str(self.aws_port),
                    "ENS_PORTAL_PORT": str(free_port())}  # the stack serves the portal too
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE"):
            self.env.pop(name, None)
        self.log = tempfile.NamedTemporaryFile(prefix="ens-stack-", suffix=".log", delete=False)  # noqa: SIM115
        self.process: subprocess.Popen[bytes] | None = None
        self._signer: Any = None
        self._counter = random.randint(0, 999)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def start(self, seconds: float = 180) -> LocalStack:
        if self.attached:
            return self
        self.process = subprocess.Popen([sys.executable, "-u", "-m", "ens_cli.stack"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the stack exited during start:\n" + self.tail())
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as reply:  # noqa: S310 - loopback
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("the stack never answered /health:\n" + self.tail())

    def stop(self) -> None:
        """Ctrl-C to the stack's process group (as a person would), then SIGKILL if it lingers."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    # -- talking to it --------------------------------------------------------------------------------------------
    def http(self, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,  # noqa: S310 - loopback
                                         headers=hdrs)
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 - loopback URL we built
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method: str, path: str, token: str | None = None, body: Any = None,
             expect: int | tuple[int, ...] = (200, 201, 202)) -> Any:
        status, _, raw = self.http(method, path, token, body)
        wanted = (expect,) if isinstance(expect, int) else expect
        if status not in wanted:
            raise AssertionError(f"{method} {path} answered {status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def ens(self, *args: str) -> Any:
        """The operator CLI against this stack; JSON (a list for `outbox`)."""
        out = subprocess.run([str(BIN / "ens"), *args], cwd="/", env=self.env, capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"ens {' '.join(args[:2])} failed: {out.stderr.strip()}")
        rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        return rows if args[0] == "outbox" else rows[0]

    def token(self, role: str, **claims: Any) -> str:
        """A token exactly as `ens token --role ROLE ...` prints it (the CLI itself)."""
        args = ["token", "--role", role]
        for name, value in claims.items():
            if value is True:
                args.append(f"--{name.replace('_', '-')}")
            elif value is not None:
                args += [f"--{name.replace('_', '-')}", str(value)]
        return self.ens(*args)["token"]

    def fast_token(self, role: str, **claims: Any) -> str:
        """The same token as :meth:`token`, signed in this process with the stage's development key (what the
        CLI does) — for harnesses that need hundreds of them."""
        if self._signer is None:
            from chalicelib import config
            from chalicelib.adapters.tokens import TokenService
            from ens_cli.stagecfg import local_process_environment

            saved = dict(os.environ)
            os.environ.update({"ENS_API_PORT": str(self.api_port), "ENS_AWS_PORT": str(self.aws_port)})
            try:
                settings = config.load(local_process_environment())
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self._signer = TokenService(settings)
        return self._signer.sign({"role": role, **{k: v for k, v in claims.items() if v is not None}}, 3600)

    # -- people ---------------------------------------------------------------------------------------------------
    def enrol(self, count: int, agent: str | None = None) -> list[dict[str, Any]]:
        agent = agent or self.fast_token("agent")
        rows = []
        for _ in range(count):
            self._counter += 1
            rows.append(person(self._counter))
        for start in range(0, len(rows), 500):
            results = self.json("POST", "/enrolments", agent, {"beneficiaries": rows[start:start + 500]})["results"]
            bad = [r for r in results if r["status"] != "notified"]
            if bad:
                raise AssertionError(f"enrolment refused: {bad[:3]}")
        return rows

    def codes(self) -> dict[str, str]:
        """The latest provisional code sent to each person (from `ens outbox`)."""
        latest: dict[str, str] = {}
        for row in self.ens("outbox"):
            if row["kind"] in ("enrolment_notice", "activation_code"):
                latest[row["to"]] = row["data"]["code"]
        return latest

    def activate(self, rows: list[dict[str, Any]]) -> list[str]:
        codes = self.codes()
        tokens = []
        for row in rows:
            self.json("POST", "/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                                   "code": codes[row["nir"]]})
            tokens.append(self.fast_token("patient", ins=row["nir"]))
        return tokens

    def patients(self, count: int) -> list[tuple[dict[str, Any], str]]:
        rows = self.enrol(count)
        return list(zip(rows, self.activate(rows), strict=True))

    def upload(self, ins: str, token: str, content: bytes = b"%PDF-1.4\n% ens\n", type_code: str = "11488-4",
               title: str = "Compte rendu") -> str:
        """Declare a document and PUT its bytes to the presigned URL (the worker then makes it available)."""
        ticket = self.json("POST", f"/patients/{ins}/documents", token,
                           {"title": title, "type_code": type_code, "content_type": "application/pdf",
                            "size": len(content)}, expect=201)
        url = ticket["upload_url"]
        if not url.startswith(f"http://{LOOPBACK}:"):
            raise AssertionError(f"upload URL outside the loopback: {url[:40]}")
        request = urllib.request.Request(url, data=content, method="PUT",  # noqa: S310 - loopback, checked above
                                         headers={"Content-Type": "application/pdf",
                                                  **(ticket.get("upload_headers") or {})})
        with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 - loopback, checked above
            if reply.status not in (200, 201, 204):
                raise AssertionError(f"upload PUT answered {reply.status}")
        return ticket["document_id"]

    def wait_available(self, ins: str, token: str, document_ids: set[str], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found, cursor = set(), None
            while True:
                page = self.json("GET", f"/patients/{ins}/documents?limit=100" + (f"&cursor={cursor}" if cursor
                                                                                    else ""), token)
                found |= {d["document_id"] for d in page["items"] if d["status"] == "available"}
                cursor = page["next_cursor"]
                if not cursor:
                    break
            if document_ids <= found:
                return
            time.sleep(0.3)
        raise AssertionError(f"documents never became available: {sorted(document_ids - found)[:3]}")
