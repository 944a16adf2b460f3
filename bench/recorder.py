"""Counting, capturing and replaying the AWS calls the app makes, with botocore event hooks.

Three hooks are registered on each client of the container's :class:`~chalicelib.adapters.aws.Clients`:

* ``provide-client-params.*.*`` fires first for every operation, *including* presigned URLs (which send nothing):
  while capturing, it keeps a deep copy of the API parameters, exactly as the app passed them;
* ``before-call.*.*`` fires once per request actually sent (retries are inside it): this is the call count;
* ``after-call.*.*`` gives the parsed answer: the error code, and DynamoDB's ``ScannedCount`` (items read).

The hooks stay registered for the whole run, so both sides of every ratio pay for them; they do real work only
inside a :meth:`Recorder.window`. :func:`replay` sends a captured sequence again through the same clients.
"""

from __future__ import annotations

import copy
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_KEY = "_bench_call"
SERVICES = ("dynamodb", "s3", "sqs", "sns", "ses", "events")


@dataclass
class Call:
    """One AWS operation the app performed (or one presigned URL it generated: ``sent`` False)."""

    service: str
    operation: str
    params: dict[str, Any] | None
    resource: str = ""
    sent: bool = False
    error: str | None = None
    scanned: int | None = None
    started: float = 0.0
    seconds: float = 0.0

    @property
    def label(self) -> str:
        """``Query records/by_document``, ``GetObject documents``, ``SendEmail``..."""
        return f"{self.operation} {self.resource}".strip()


@dataclass
class Window:
    """What one window of the recorder saw."""

    capture: bool
    calls: list[Call] = field(default_factory=list)
    aws_seconds: float = 0.0  # wall time spent inside botocore calls (serialise, emulator, parse)
    count: int = 0

    @property
    def sent(self) -> list[Call]:
        return [c for c in self.calls if c.sent]

    @property
    def presigned(self) -> list[Call]:
        return [c for c in self.calls if not c.sent]

    def by_label(self, exclude: tuple[str, ...] = ()) -> Counter[str]:
        return Counter(c.label for c in self.sent if c.resource not in exclude)

    @property
    def scanned(self) -> int:
        return sum(c.scanned or 0 for c in self.sent)


class Recorder:
    """Botocore hooks on every client of a ``Clients`` factory, active only inside :meth:`window`."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names  # physical name → logical name (tables, buckets, queues)
        self.current: Window | None = None
        self.total_calls = 0  # every request sent through hooked clients, in or out of a window
        # a ``sys.setprofile`` function to suspend while a request is in the emulator (from before-call to
        # after-call): what it counts is then the process's work outside AWS, and the emulator is not slowed
        self.profiler: Any = None

    def install(self, clients: Any) -> None:
        for service in SERVICES:
            events = clients(service).meta.events
            events.register("provide-client-params.*.*", self._params, unique_id="bench-params")
            events.register("before-call.*.*", self._before, unique_id="bench-before")
            events.register("after-call.*.*", self._after, unique_id="bench-after")

    @contextmanager
    def window(self, capture: bool = True) -> Iterator[Window]:
        """Record the calls made inside the block; ``capture=False`` only counts them and times them."""
        outer, self.current = self.current, Window(capture)
        try:
            yield self.current
        finally:
            self.current = outer

    # -- hooks -----------------------------------------------------------------------------------------------------
    def _params(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        window = self.current
        if window is None:
            return
        service = model.service_model.service_name
        if window.capture:
            call = Call(service, model.name, copy.deepcopy(params), self._resource(service, params))
            window.calls.append(call)
        else:
            call = Call(service, model.name, None)
        call.started = time.perf_counter()
        context[_KEY] = call

    def _before(self, context: dict[str, Any], **_: Any) -> None:
        self.total_calls += 1
        if self.profiler is not None:
            sys.setprofile(None)
        call = context.get(_KEY)
        if call is not None and self.current is not None:
            call.sent = True
            self.current.count += 1

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if self.profiler is not None:
            sys.setprofile(self.profiler)
        call = context.pop(_KEY, None)
        if call is None or self.current is None:
            return
        call.seconds = time.perf_counter() - call.started
        self.current.aws_seconds += call.seconds
        if self.current.capture:
            call.error = (parsed.get("Error") or {}).get("Code")
            call.scanned = parsed.get("ScannedCount")

    def _resource(self, service: str, params: dict[str, Any]) -> str:
        def logical(name: str) -> str:
            return self.names.get(name, name)

        if service == "dynamodb":
            tables: list[str] = []
            if "TableName" in params:
                tables.append(params["TableName"])
            tables += list((params.get("RequestItems") or {}).keys())
            for item in params.get("TransactItems") or []:
                tables += [op["TableName"] for op in item.values()]
            names = "+".join(dict.fromkeys(logical(t) for t in tables))
            return f"{names}/{params['IndexName']}" if params.get("IndexName") else names
        if service == "s3":
            return logical(params.get("Bucket", ""))
        if service == "sqs":
            url = params.get("QueueUrl") or params.get("QueueName") or ""
            return logical(url.rstrip("/").rpartition("/")[2])
        return ""


# -- replay -----------------------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"[:#][A-Za-z0-9_]+")


def _unconditional(op: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB write without its ConditionExpression, and without the names and values only it used."""
    op = {k: v for k, v in op.items() if k not in ("ConditionExpression", "ReturnValuesOnConditionCheckFailure")}
    used = set()
    for name in ("UpdateExpression", "ProjectionExpression", "KeyConditionExpression", "FilterExpression"):
        used |= set(_TOKEN.findall(op.get(name, "")))
    for attribute in ("ExpressionAttributeValues", "ExpressionAttributeNames"):
        if attribute in op:
            kept = {k: v for k, v in op[attribute].items() if k in used}
            if kept:
                op[attribute] = kept
            else:
                del op[attribute]
    return op


def replayable(call: Call) -> dict[str, Any]:
    """The parameters to send again. A conditional DynamoDB write is replayed without its condition: replayed
    as captured, a create (``attribute_not_exists``) or a versioned write (``version = :v``) would fail, and a
    failure is a different (slower) path. Dropping the condition makes the baseline, if anything, cheaper."""
    params = call.params or {}
    if call.service != "dynamodb":
        return params
    if call.operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return _unconditional(params)
    if call.operation == "TransactWriteItems":
        items = []
        for item in params["TransactItems"]:
            (kind, op), = item.items()
            if kind != "ConditionCheck":
                items.append({kind: _unconditional(op)})
        return {**params, "TransactItems": items}
    return params


def substitute(calls: list[Call], old: str, new: str) -> list[Call]:
    """The same calls about another subject (every string holding ``old``, a NIR, holds ``new`` instead): a
    replay then meets the state the recorded request met (a new person is absent; a notified one is there)."""

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, dict):
            return {swap(k): swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    return [Call(c.service, c.operation, swap(c.params), c.resource, c.sent) for c in calls]


def prepare(calls: list[Call], clients: Any) -> list[tuple[Any, bool, dict[str, Any]]]:
    """(bound client method, is presign, params) for each call, resolved once, outside any timing."""
    plan = []
    for call in calls:
        client = clients(call.service)
        reverse = {api: py for py, api in client.meta.method_to_api_mapping.items()}
        method = reverse[call.operation]
        if call.sent:
            plan.append((getattr(client, method), False, replayable(call)))
        else:
            plan.append((client.generate_presigned_url, True, {"ClientMethod": method, "Params": call.params}))
    return plan


def replay(plan: list[tuple[Any, bool, dict[str, Any]]]) -> int:
    """Send the calls again, in order, reading streamed bodies as the app does; returns the errors met."""
    errors = 0
    for method, presign, params in plan:
        try:
            if presign:
                method(**params)
                continue
            answer = method(**{**params})  # botocore may replace top-level parameters (a body): a fresh dict
            body = answer.get("Body")
            if body is not None and hasattr(body, "read"):
                body.read()
        except Exception:
            errors += 1
    return errors
