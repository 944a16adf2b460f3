"""The app in-process against moto, as the handler tests run it, plus what the benchmarks need around it.

* moto in-process (``moto.mock_aws``) with every resource of ``chalicelib.resources`` (``ens_cli.localaws``);
* the app behind its Lambda entry points: API calls are API Gateway proxy events given to ``app.app(event,
  context)`` (what Lambda runs; events are built before any timing), S3 events go to ``app.ingest_object`` and
  scheduled events to the job functions;
* a :class:`~bench.recorder.Recorder` on every boto3 client of the container;
* the request log line is formatted as in Lambda, then written to ``/dev/null`` (the bench prints tables).

Why moto in-process rather than a moto server: it is what the handler tests use, both sides of every ratio go
through the very same botocore pipeline and emulator, and no socket or second process adds noise on a shared
2-core machine. It is also the strictest setting: with no network latency, the app's own work is the largest
possible share of each call (against real DynamoDB, a few milliseconds per call would dilute it).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ens_cli.testdata import make_nir, make_rpps

ROOT = Path(__file__).resolve().parent.parent
DEV_KEY = "bench-signing-key-0123456789abcdef0123456789"
START = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% ens bench\n" + b"0" * 200 + b"\n%%EOF\n"


def prepare_environment() -> None:
    """Fake credentials, no endpoint (moto intercepts botocore in-process), the project on ``sys.path``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-west-3", "AWS_SESSION_TOKEN": "testing"}.items():
        os.environ[name] = value
    for name in ("AWS_ENDPOINT_URL", "ENS_AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)


# -- identifiers ------------------------------------------------------------------------------------------------------
_serial = itertools.count(1)










def person(born: dt.date = dt.date(1980, 5, 1), sex: int = 1, **extra: Any) -> dict[str, Any]:
    row = {"nir": make_nir(sex, born), "given_name": "Camille", "family_name": "Martin",
           "birth_date": born.isoformat(), "email": "camille.martin@example.org",
           "vitale_serial": str(random.randint(10**9, 10**10 - 1))}
    row.update(extra)
    return {k: v for k, v in row.items() if v is not None}


_devnull: Any = None


def _sink() -> Any:
    """Where the request log lines go: formatted (and redacted) as in Lambda, then dropped. Open for the process's
    life, as the logger it serves."""
    global _devnull
    if _devnull is None:
        _devnull = open(os.devnull, "w")  # noqa: SIM115
    return _devnull


# -- the app behind its entry points ----------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def json(self) -> Any:
        return json.loads(self.body or "null")


class Harness:
    """moto, every declared resource, a container installed with a fixed clock, and the app's handlers."""

    def __init__(self) -> None:
        prepare_environment()
        self._stack = ExitStack()

    def __enter__(self) -> Harness:
        from moto import mock_aws

        from bench.recorder import Recorder
        from chalicelib import bootstrap, resources
        from chalicelib.adapters.aws import Clients
        from chalicelib.adapters.system import FixedClock
        from chalicelib.config import Settings
        from ens_cli.localaws import create_all

        self._stack.enter_context(mock_aws())
        self.settings = Settings(stage="local", aws_endpoint_url=None, dev_signing_key=DEV_KEY,
                                 secret_pepper="bench-pepper")
        self.clients = Clients(self.settings)
        create_all(self.clients, self.settings)
        names = {self.settings.table(t.logical): t.logical for t in resources.TABLES}
        names |= {self.settings.bucket(b.logical): b.logical for b in resources.BUCKETS}
        names |= {self.settings.queue(q.logical): q.logical for q in resources.QUEUES}
        self.recorder = Recorder(names)
        self.recorder.install(self.clients)
        self.clock = FixedClock(START)
        self.container = bootstrap.Container(self.settings, self.clients, self.clock)
        bootstrap.use(self.container)
        self._stack.callback(bootstrap.use, None)
        self._app_setup()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _app_setup(self) -> None:
        from chalice.local import LambdaEventConverter, RouteMatcher

        import app
        from chalicelib import observability
        from ens_cli.worker import LambdaContext

        self.app = app
        self.converter = LambdaEventConverter(RouteMatcher(list(app.app.routes)), app.app.api.binary_types)
        self.context = LambdaContext("api_handler")
        # GET /catalogue measured as a function whose copy of the listing is stale: every request reads (the copy,
        # kept 30 s, is what holds a wave: tests/handlers/test_catalogue_cache.py counts its one Query)
        self.container.catalogue.apps.listing_seconds = 0
        # the work queues' URLs, resolved once per process as a warm function has them (never inside a window)
        from chalicelib import resources

        for logical in {c.queue for c in resources.CONSUMERS}:
            self.container.queues.url(logical)
        for handler in observability.logger().handlers:
            if handler.stream is not _sink():
                handler.setStream(_sink())

    def use(self, container: Any) -> None:
        """Install another container (another set of tables, or the same wiring with another clock)."""
        from chalicelib import bootstrap

        bootstrap.use(container)

    # -- API Gateway proxy events ----------------------------------------------------------------------------------
    def event(self, method: str, path: str, token: str | None = None, body: Any = None,
              headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The API Gateway (REST, proxy) event Lambda would receive for this request."""
        hdrs = {"Content-Type": "application/json", "Accept": "*/*", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        raw = json.dumps(body).encode() if body is not None else None
        event = self.converter.create_lambda_event(method=method, path=path, headers=hdrs, body=raw)
        if isinstance(event.get("body"), bytes):
            event["body"] = event["body"].decode()
        event["requestContext"].update(requestId=f"bench-{next(_serial)}", stage="api")
        return event

    def invoke(self, event: dict[str, Any]) -> Reply:
        answer = self.app.app(event, self.context)
        return Reply(answer["statusCode"], {k.lower(): v for k, v in answer.get("headers", {}).items()},
                     answer.get("body"))

    def call(self, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None) -> Reply:
        return self.invoke(self.event(method, path, token, body, headers))

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

    # -- people and tokens -----------------------------------------------------------------------------------------
    def token(self, role: str, ttl: int = 3600, **claims: Any) -> str:
        from chalicelib.adapters.tokens import TokenService

        return TokenService(self.settings).sign({"role": role, **claims}, ttl)

    @property
    def agent(self) -> str:
        return self.token("agent")

    def professional(self, profession: str = "medecin", **claims: Any) -> tuple[str, str]:
        rpps = make_rpps()
        return rpps, self.token("professional", rpps=rpps, profession=profession, **claims)

    def outbox(self, to: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """The notices sent (local stage's copy), through the installed container's tables."""
        from chalicelib import bootstrap

        return [r for r in bootstrap.container().notifier.read(to) if kind is None or r["kind"] == kind]

    def latest_code(self, nir: str) -> str:
        rows = [r for r in self.outbox(nir) if r["kind"] in ("enrolment_notice", "activation_code")]
        return rows[-1]["data"]["code"]

    def enrol(self, **fields: Any) -> dict[str, Any]:
        row = person(**fields)
        reply = self.post("/enrolments", self.agent, {"beneficiaries": [row]})
        assert reply.status == 200 and reply.json["results"][0]["status"] == "notified", reply
        return row

    def activation_body(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"nir": row["nir"], "vitale_serial": row["vitale_serial"], "code": self.latest_code(row["nir"])}

    def activate(self, row: dict[str, Any]) -> str:
        reply = self.post("/activation", body=self.activation_body(row))
        assert reply.status == 200, reply
        return self.token("patient", ins=row["nir"])

    def patient(self, **fields: Any) -> tuple[str, str]:
        """A new person, enrolled and activated: (INS, patient token)."""
        row = self.enrol(**fields)
        return row["nir"], self.activate(row)

    # -- the S3 event chain ----------------------------------------------------------------------------------------
    def put_bytes(self, ticket: dict[str, Any], content: bytes, content_type: str) -> int:
        import requests

        headers = {"Content-Type": content_type, **(ticket.get("upload_headers") or {})}
        return requests.put(ticket["upload_url"], data=content, headers=headers, timeout=10).status_code

    def events(self) -> list[dict[str, Any]]:
        """Every S3 event waiting on the EventBridge rule's queue (what the local stack drains)."""
        sqs = self.clients("sqs")
        url = sqs.get_queue_url(QueueName=self.settings.queue("ingest-events"))["QueueUrl"]
        taken: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return taken
            for message in messages:
                taken.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def ingest(self, event: dict[str, Any]) -> dict[str, Any]:
        """One S3 event through the very function Lambda runs."""
        from ens_cli.worker import LambdaContext

        return self.app.ingest_object(event, LambdaContext("ingest_object"))

    def deliver(self) -> list[dict[str, Any]]:
        return [self.ingest(e) for e in self.events()]

    def declare(self, ins: str, token: str, content: bytes = PDF, **fields: Any) -> dict[str, Any]:
        body = {"title": "Compte rendu", "type_code": "11488-4", "content_type": "application/pdf",
                "size": len(content), **fields}
        reply = self.post(f"/patients/{ins}/documents", token, body)
        assert reply.status == 201, reply
        return reply.json

    def upload(self, ins: str, token: str, content: bytes = PDF, deliver: bool = True, **fields: Any) -> str:
        """Declare, PUT the bytes to the presigned URL, and (by default) deliver the S3 event: the document id."""
        ticket = self.declare(ins, token, content, **fields)
        assert self.put_bytes(ticket, content, fields.get("content_type", "application/pdf")) in (200, 201, 204)
        if deliver:
            self.deliver()
        return ticket["document_id"]

    def drop(self, finess: str, name: str, content: bytes, metadata: dict[str, str]) -> None:
        """A laboratory drops a file in the inbox (its event waits on the queue)."""
        from chalicelib import resources

        key = f"{resources.INBOX_BUCKET.prefixes['inbox']}{finess}/{name}"
        self.clients("s3").put_object(Bucket=self.settings.bucket("inbox"), Key=key, Body=content,
                                      Metadata=metadata, ContentType="application/pdf")

    # -- scheduled jobs ----------------------------------------------------------------------------------------------
    def job_event(self, name: str, now: dt.datetime | None = None) -> dict[str, Any]:
        from chalicelib.domain.timeutil import iso
        from chalicelib.jobs import scheduled_event

        return scheduled_event(iso(now or self.clock.now()), name)

    def run_job(self, name: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """The job's scheduled function, as EventBridge calls it (``tests/conftest.py`` ``Api.run_job``); a
        fanned-out job's units are then handed to ``job_unit`` as Lambda's event source mapping would, and the
        whole run's report is returned. The mapping's own calls (receive, delete) and the report's read are not
        the functions' calls: they are made outside the recorder's window."""
        from chalicelib import resources
        from chalicelib.jobs import fanout_job
        from ens_cli.worker import LambdaContext, sqs_event

        schedule = resources.JOBS[name]
        report = getattr(self.app, schedule.handler)(event or self.job_event(name), LambdaContext(schedule.handler))
        if not schedule.fan_out:
            return report
        consumer = resources.CONSUMER["job_unit"]
        sqs = self.clients("sqs")
        with self.recorder.window(capture=False):
            url = sqs.get_queue_url(QueueName=self.settings.queue(consumer.queue))["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=consumer.batch_size,
                                           AttributeNames=["All"]).get("Messages", [])
        while messages:
            answer = self.app.job_unit(sqs_event(messages, arn), LambdaContext(consumer.handler))
            assert not answer.get("batchItemFailures"), answer
            with self.recorder.window(capture=False):
                for message in messages:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=consumer.batch_size,
                                               AttributeNames=["All"]).get("Messages", [])
        with self.recorder.window(capture=False):
            final = self.container.fanout.report(fanout_job(name), report["run_id"])
        assert final is not None, report
        return final
