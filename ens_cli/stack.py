"""`make run`: the whole ens stack on one machine.

1. moto in server mode on ENS_AWS_PORT (the AWS emulator: DynamoDB, S3, SQS, SNS, SES, EventBridge);
2. every resource of `chalicelib.resources` created in it (`ens_cli.localaws`);
3. the worker: S3 events (S3 → EventBridge → rule → SQS) drained into the app's ingest function, and the
   scheduled jobs ticking;
4. the patient portal (CONTRACT §11), built when its sources changed (`ens_cli.portal_build`) and served on
   ENS_PORTAL_PORT with its security headers (`ens_cli.portal_server`);
5. the API (Chalice's local server) on ENS_API_PORT, whose CORS allows the portal's origin only — started last,
   so `GET /health` answers 200 only when everything above is ready.

Foreground; Ctrl-C (or SIGTERM) stops every child process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ens_cli.stagecfg import ROOT, local_process_environment, portal_port, ports

BIN = Path(sys.executable).parent


def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_http(url: str, seconds: float, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"ens: {what} exited during start (code {process.returncode}).")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback URL we built
                if answer.status < 500:
                    return
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.2)
    raise SystemExit(f"ens: {what} did not answer {url} within {seconds:.0f} s.")


def _wait_line(process: subprocess.Popen, needle: str, seconds: float, what: str) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise SystemExit(f"ens: {what} exited during start (code {process.returncode}).")
            continue
        sys.stdout.write(line)
        if needle in line:
            return
    raise SystemExit(f"ens: {what} was not ready within {seconds:.0f} s.")


def main() -> int:
    api_port, aws_port = ports()
    web_port = portal_port()
    for port, name in ((api_port, "ENS_API_PORT"), (aws_port, "ENS_AWS_PORT"), (web_port, "ENS_PORTAL_PORT")):
        if not _free(port):
            print(f"ens: port {port} ({name}) is already in use; set {name} to a free port.", file=sys.stderr)
            return 2
    env = local_process_environment()
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 8
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

    def on_signal(signum: int, _frame: object) -> None:
        stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        from ens_cli.portal_build import ensure_build

        print("ens: building the patient portal (skipped when nothing changed)...", flush=True)
        ensure_build()
        aws_url = f"http://127.0.0.1:{aws_port}"
        moto = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(aws_port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        children.append(moto)
        _wait_http(f"{aws_url}/moto-api/", 60, moto, "the AWS emulator")

        os.environ.update(env)
        from chalicelib import config
        from chalicelib.adapters.aws import Clients
        from ens_cli.localaws import create_all

        config.reset()
        settings = config.settings()
        names = create_all(Clients(settings), settings)

        worker = subprocess.Popen([sys.executable, "-u", "-m", "ens_cli.worker"], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        children.append(worker)
        _wait_line(worker, '"worker": "ready"', 120, "the event worker")
        _pump(worker)

        api_url = f"http://127.0.0.1:{api_port}"
        portal_url = f"http://127.0.0.1:{web_port}"
        portal = subprocess.Popen([sys.executable, "-u", "-m", "ens_cli.portal_server", "--port", str(web_port),
                                   "--api-url", api_url, "--aws-url", aws_url], env=env, cwd=ROOT)
        children.append(portal)
        _wait_http(f"{portal_url}/config.json", 60, portal, "the patient portal")

        api = subprocess.Popen([sys.executable, "-u", "-m", "ens_cli.api_server", "--port", str(api_port)],
                               env=env, cwd=ROOT)
        children.append(api)
        _wait_http(f"http://127.0.0.1:{api_port}/health", 120, api, "the API")

        print(json.dumps({
            "ens": "ready",
            "api_url": api_url,
            "portal_url": portal_url,
            "aws_endpoint_url": aws_url,
            "region": settings.region,
            "stage": settings.stage,
            **names,
        }, indent=2), flush=True)
        print("ens: Ctrl-C stops the stack.", flush=True)
        while True:
            for child in children:
                if child.poll() is not None:
                    print(f"ens: a process of the stack exited (code {child.returncode}); stopping.",
                          file=sys.stderr)
                    stop()
                    return 1
            time.sleep(0.5)
    finally:
        stop()


def _pump(process: subprocess.Popen) -> None:
    """Keep echoing a child's output without blocking the supervisor."""
    import threading

    def copy() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()

    threading.Thread(target=copy, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
