"""Fixtures: an in-process AWS (moto) with every declared resource, the app behind chalice.test.Client,
a controllable clock, and tokens signed like the local stage's."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "eu-west-3", "AWS_SESSION_TOKEN": "testing"}.items():
    os.environ[name] = value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("ENS_AWS_ENDPOINT_URL", None)

DEV_KEY = "test-signing-key-0123456789abcdef0123456789"
START = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


class Reply:
    def __init__(self, response: Any) -> None:
        self.status = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.body = response.body

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def __repr__(self) -> str:
        return f"<{self.status} {self.body[:300]!r}>"


class Api:
    """The app as an HTTP client sees it, plus the container behind it."""

    def __init__(self, client: Any, container: Any) -> None:
        self.client = client
        self.container = container
        self.settings = container.settings
        self.clock = container.clock

    def token(self, role: str, ttl: int = 3600, **claims: Any) -> str:
        from chalicelib.adapters.tokens import TokenService

        return TokenService(self.settings).sign({"role": role, **claims}, ttl)

    def call(self, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None, raw: bytes | None = None) -> Reply:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        return Reply(self.client.http.request(method, path, headers=hdrs, body=payload))

    def get(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return self.call("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, token, body if body is not None else {}, **kw)

    def put(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Reply:
        return self.call("PUT", path, token, body if body is not None else {}, **kw)

    def patch(self, path: str, token: str | None = None, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, token, body if body is not None else {}, **kw)

    def delete(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return self.call("DELETE", path, token, **kw)

    # -- shortcuts built from the contract -------------------------------------------------------------------
    @property
    def agent(self) -> str:
        return self.token("agent")

    def outbox(self, to: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.container.notifier.read(to) if kind is None or r["kind"] == kind]

    def latest_code(self, nir: str) -> str:
        rows = [r for r in self.outbox(nir) if r["kind"] in ("enrolment_notice", "activation_code")]
        assert rows, f"no code sent to {nir}"
        return rows[-1]["data"]["code"]

    def enrol(self, **person: Any) -> dict[str, Any]:
        from helpers import person as make_person

        row = make_person(**person)
        reply = self.post("/enrolments", self.agent, {"beneficiaries": [row]})
        assert reply.status == 200, reply
        assert reply.json["results"][0]["status"] == "notified", reply
        return row

    def activate(self, row: dict[str, Any]) -> str:
        reply = self.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                               "code": self.latest_code(row["nir"])})
        assert reply.status == 200, reply
        return self.token("patient", ins=row["nir"])

    def patient(self, **person: Any) -> tuple[dict[str, Any], str]:
        row = self.enrol(**person)
        return row, self.activate(row)

    # -- the record: presigned uploads, inbox drops, and the S3 event chain ----------------------------------------
    def events(self) -> list[dict[str, Any]]:
        """Take every S3 event waiting on the EventBridge rule's queue (what the local stack drains)."""
        sqs = self.container.clients("sqs")
        url = sqs.get_queue_url(QueueName=self.settings.queue("ingest-events"))["QueueUrl"]
        taken: list[dict[str, Any]] = []
        while True:
            answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return taken
            for message in messages:
                taken.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def ingest(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Deliver events to the very function Lambda runs."""
        import app
        from ens_cli.worker import LambdaContext

        return [app.ingest_object(event, LambdaContext("ingest_object")) for event in events]

    def deliver(self) -> list[dict[str, Any]]:
        return self.ingest(self.events())

    def put_bytes(self, ticket: dict[str, Any], content: bytes, content_type: str) -> int:
        import requests

        headers = {"Content-Type": content_type, **(ticket.get("upload_headers") or {})}
        return requests.put(ticket["upload_url"], data=content, headers=headers, timeout=10).status_code

    def upload(self, ins: str, token: str, content: bytes = b"%PDF-1.4\n% test\n", title: str = "Compte rendu",
               type_code: str = "11488-4", content_type: str = "application/pdf", deliver: bool = True,
               **extra: Any) -> str:
        reply = self.post(f"/patients/{ins}/documents", token, {"title": title, "type_code": type_code,
                                                                "content_type": content_type,
                                                                "size": len(content), **extra})
        assert reply.status == 201, reply
        assert self.put_bytes(reply.json, content, content_type) in (200, 201, 204)
        if deliver:
            self.deliver()
        return reply.json["document_id"]

    def drop(self, finess: str, name: str, content: bytes, metadata: dict[str, str],
             content_type: str = "application/pdf", deliver: bool = True) -> None:
        from chalicelib import resources

        key = f"{resources.INBOX_BUCKET.prefixes['inbox']}{finess}/{name}"
        self.container.clients("s3").put_object(Bucket=self.settings.bucket("inbox"), Key=key, Body=content,
                                                Metadata=metadata, ContentType=content_type)
        if deliver:
            self.deliver()

    def professional(self, profession: str = "medecin", **claims: Any) -> tuple[str, str]:
        from helpers import make_rpps

        rpps = make_rpps()
        return rpps, self.token("professional", rpps=rpps, profession=profession, **claims)

    def docs(self, ins: str, token: str, **query: Any) -> list[str]:
        from urllib.parse import urlencode

        reply = self.get(f"/patients/{ins}/documents" + (f"?{urlencode(query)}" if query else ""), token)
        assert reply.status == 200, reply
        return [d["document_id"] for d in reply.json["items"]]

    def run_job(self, name: str, now: dt.datetime | None = None) -> dict[str, Any]:
        """The job's scheduled function, as EventBridge calls it; a fanned-out job's units are then drained into
        their workers and the whole run's report is returned (what `ens job` prints)."""
        import app
        from chalicelib import resources
        from chalicelib.domain.timeutil import iso
        from chalicelib.jobs import fanout_job, scheduled_event
        from ens_cli.worker import LambdaContext

        schedule = resources.JOBS[name]
        event = scheduled_event(iso(now or self.clock.now()), name)
        report = getattr(app, schedule.handler)(event, LambdaContext(schedule.handler))
        if not schedule.fan_out:
            return report
        self.drain()
        final = self.container.fanout.report(fanout_job(name), report["run_id"])
        assert final is not None, f"units of {name} left unfinished: {report}"
        return final

    # -- the queues of national waves, drained as the local stack drains them ----------------------------------------
    def queue_url(self, logical: str) -> str:
        return self.container.clients("sqs").get_queue_url(QueueName=self.settings.queue(logical))["QueueUrl"]

    def drain(self, only: tuple[str, ...] | None = None) -> dict[str, int]:
        """Deliver every waiting S3 batch event and queue message to its function (ens_cli.worker's way), until
        every queue is empty; a failed message is retried at once (then dead-lettered by its redrive policy).
        Returns how many deliveries each function had."""
        import app
        from ens_cli.worker import drain_until_empty

        return drain_until_empty(app, self.container.clients("sqs"), self.settings, only=only, rounds=500)

    def dead_letters(self, logical: str) -> list[dict[str, Any]]:
        sqs = self.container.clients("sqs")
        answer = sqs.receive_message(QueueUrl=self.queue_url(logical), MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


@pytest.fixture
def aws() -> Any:
    """moto in-process with every resource of the resource definition; yields (settings, clients)."""
    from moto import mock_aws

    from chalicelib.adapters.aws import Clients
    from chalicelib.config import Settings
    from ens_cli.localaws import create_all

    with mock_aws():
        settings = Settings(stage="local", aws_endpoint_url=None, dev_signing_key=DEV_KEY,
                            secret_pepper="test-pepper")
        clients = Clients(settings)
        create_all(clients, settings)
        yield settings, clients


@pytest.fixture
def clock() -> Any:
    from chalicelib.adapters.system import FixedClock

    return FixedClock(START)


@pytest.fixture
def api(aws: Any, clock: Any) -> Any:
    from chalice.test import Client

    import app
    from chalicelib import bootstrap

    settings, clients = aws
    container = bootstrap.Container(settings, clients, clock)
    bootstrap.use(container)
    with Client(app.app) as client:
        yield Api(client, container)
    bootstrap.use(None)
