"""The FHIR ends of the route pipeline: how a ``/fhir`` route reads its body and writes its answer and its errors.

:func:`chalicelib.api.http.route` runs the same stages for every route (token, the decision's role stage, path
parameters, the handler, the answer); a FHIR route differs only at the two ends, here:

* **the body** (``resource_body=True``) is a FHIR resource: at most :data:`chalicelib.fhir.payload.MAX_INLINE_BODY`
  bytes (413 with the way to send a large document instead), sent as JSON (``application/fhir+json``,
  ``application/json``, ``application/json-patch+json``; else 415), parseable (400), then handed to the handler as
  parsed JSON: the handler reads it with :mod:`chalicelib.fhir` into the typed command its service takes;
* **the answer** is a FHIR resource (a model of the library, or a :class:`~chalicelib.api.http.Reply` carrying one,
  or a redirect), written as ``application/fhir+json``; a route declares the resource type it answers, and an
  answer of another type raises :class:`~chalicelib.models.answers.ResponseDrift` (a 500 in tests);
* **every error** is an OperationOutcome (:func:`chalicelib.fhir.outcome.operation_outcome`) with the status the
  REST routes give for the same error (the one table, :data:`chalicelib.api.http.ERROR_STATUS`).

Importing this module loads the FHIR model library: :mod:`chalicelib.api.http` imports it on a FHIR route's first
request, never for another route (``tests/handlers/test_fhir_cold_start.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.api.http import Call, Reply, RouteSpec, is_json_type, parse_json
from chalicelib.errors import MalformedRequest, TooManyAttempts, UnsupportedMediaType
from chalicelib.fhir import codes, model, outcome, payload
from chalicelib.models.answers import ResponseDrift

CONTENT_TYPE = f"{codes.FHIR_JSON}; charset=utf-8"
SEND_FHIR = f"send the resource as JSON with the header 'Content-Type: {codes.FHIR_JSON}'"
PREFIX = "/fhir"


def handle(fn: Callable[..., Any], spec: RouteSpec, call: Call, params: dict[str, Any]) -> Any:
    """The rest of the pipeline for a FHIR route, once the caller and the role stage have passed."""
    if spec.resource_body:
        call.body = read_resource(call.request)
    result = fn(call, **params)
    if isinstance(result, Reply):
        return answer(result.status, result.body, result.headers, spec.response)
    return answer(spec.status, result, None, spec.response)


def read_resource(request: Any) -> Any:
    """The body of a FHIR request as parsed JSON (not yet a resource: the handler reads it as the one it expects)."""
    raw = request.raw_body or b""
    payload.check_body(len(raw))  # 413 above what a Lambda event can carry, saying what to do instead
    content_type = request.headers.get("content-type")
    data = parse_json(raw, content_type)
    if data is not None and not is_json_type(content_type):
        raise UnsupportedMediaType(f"The request body was sent as '{content_type}': {SEND_FHIR}.",
                                   code="unsupported_media_type")
    if data is None:
        raise MalformedRequest(f"This request needs a FHIR resource as its body: {SEND_FHIR}.", code="missing_body")
    return data


SURROGATE = re.compile("[\ud800-\udfff]")


def _dumps(data: Any) -> str:
    """FHIR JSON text that always encodes as UTF-8: a lone surrogate (from a query string or a cursor echoed in an
    error) becomes U+FFFD instead of failing the answer."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return SURROGATE.sub("\ufffd", text)


def _json(resource: Any) -> dict[str, Any]:
    return resource if isinstance(resource, dict) else model.dump(resource)


def answer(status: int, resource: Any, headers: dict[str, str] | None, declared: str | None) -> Any:
    """A FHIR answer: the resource as FHIR JSON, or a redirect (``resource`` None with a ``Location``)."""
    base = {"Cache-Control": "no-store"}
    if resource is None:
        return Response(body="", status_code=status, headers={**base, **(headers or {})})
    data = _json(resource)
    if declared is not None and data.get("resourceType") != declared:
        raise ResponseDrift(f"a {data.get('resourceType')} answered where a {declared} is declared")
    return Response(body=_dumps(data), status_code=status,
                    headers={**base, "Content-Type": CONTENT_TYPE, **(headers or {})})


def error(problem: BaseException) -> Any:
    """Any error below a FHIR route as its OperationOutcome, with the status REST gives it (500 says nothing)."""
    status, resource = outcome.operation_outcome(problem)
    headers: dict[str, str | list[str]] = {"Cache-Control": "no-store", "Content-Type": CONTENT_TYPE}
    if isinstance(problem, TooManyAttempts):
        headers["Retry-After"] = str(problem.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ens"'
    return Response(body=_dumps(model.dump(resource)),
                    status_code=status, headers=headers)


ISSUE_OF_STATUS = {400: "structure", 404: "not-found", 405: "not-supported", 415: "not-supported"}


def outcome_body(status: int, code: str, message: str) -> str:
    """An OperationOutcome for an answer the app did not write itself (Chalice's 405, 415 and 400, a path no route
    matches on the local server): the issue type of the status, ens's ``code`` and sentence."""
    resource = model.resource("OperationOutcome", issue=[outcome.issue(
        "fatal" if status >= 500 else "error", ISSUE_OF_STATUS.get(status, "processing"), message, code)])
    return _dumps(model.dump(resource))


def base_url(request: Any) -> str:
    """ens's FHIR base as the caller reached it (``link`` URLs, ``fullUrl``: fhirpy follows ``next`` only under its
    own base): the scheme and host the request came to, and the stage prefix API Gateway puts before ``/fhir``."""
    headers = request.headers
    host = headers.get("host") or "localhost"
    scheme = (headers.get("x-forwarded-proto") or "").split(",")[0].strip() or (
        "http" if host.startswith(("127.0.0.1", "localhost", "[::1]")) else "https")
    path = str((request.context or {}).get("path") or PREFIX)
    prefix = path[:path.index(PREFIX)] if PREFIX in path else ""
    return f"{scheme}://{host}{prefix}{PREFIX}"


def is_fhir_path(path: str | None) -> bool:
    return bool(path) and (path == PREFIX or str(path).startswith(PREFIX + "/"))
