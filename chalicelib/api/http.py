"""The thin entrypoint layer shared by every blueprint.

:func:`route` turns a function ``(call, **path_params) -> result`` into a Chalice view that authenticates the
caller, parses the body with its pydantic model, calls the function, and maps domain errors to
``{"code", "message"}`` with the right status. Each route is also recorded for ``GET /openapi.json``.

Cold start: this module imports only the standard library. Models are named as ``"module:Class"`` strings and
imported on first use; pydantic, PyJWT and the domain load with the first request, not with ``app.py``.
"""

from __future__ import annotations

import functools
import importlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = "application/json"
# Chalice answers 415 with a body of its own to types outside this list; accept the usual ones and let
# the body parser say what is wrong in our format.
ACCEPTED_CONTENT_TYPES = [JSON, "application/merge-patch+json", "application/fhir+json",
                          "application/x-www-form-urlencoded", "text/plain", "application/octet-stream",
                          "multipart/form-data", "application/xml", "text/xml"]

ERROR_STATUS = {
    "MalformedRequest": 400,
    "InvalidInput": 422,
    "Unauthenticated": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "Conflict": 409,
    "Gone": 410,
    "PayloadTooLarge": 413,
    "UnsupportedMediaType": 415,
    "TooManyAttempts": 429,
    "Unavailable": 503,
}


@dataclass
class QueryParam:
    name: str
    description: str
    type: Literal["string", "integer", "boolean"] = "string"
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None


PAGING = (
    QueryParam("limit", "Page size (1-100, default 50).", "integer", minimum=1, maximum=100),
    QueryParam("cursor", "The next_cursor of the previous page."),
)


@dataclass
class RouteSpec:
    path: str
    method: str
    summary: str
    auth: Literal["required", "optional", "none"]
    roles: tuple[str, ...]
    body: str | None
    response: str | None
    status: int
    errors: tuple[int, ...]
    query: tuple[QueryParam, ...]
    produces: str
    tag: str
    description: str = ""


SPECS: list[RouteSpec] = []


@dataclass
class Reply:
    """A response other than a JSON body with the route's status (no content, binary, extra headers)."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """What a handler receives: the caller, the parsed body, query parameters and the raw request."""

    request: Any
    actor: Any = None
    body: Any = None

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params or {})

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name.lower())


@functools.cache
def resolve(ref: str) -> Any:
    """Import "package.module:Name" on first use."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    from chalice import Response

    payload = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    base = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}
    return Response(body=payload if payload is not None else "", status_code=status,
                    headers={**base, **(headers or {})})


def error_body(code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The one error shape: ``{"code", "message"}``, plus ``errors`` (one entry per field at fault) for a 422."""
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


def render_error(error: Exception) -> Any:
    """A domain error as its HTTP answer."""
    status = 500
    for cls in type(error).__mro__:
        if cls.__name__ in ERROR_STATUS:
            status = ERROR_STATUS[cls.__name__]
            break
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ens"'
    details = getattr(error, "details", None) or {}
    errors = details.get("errors")
    if errors is None and status == 422 and isinstance(details.get("field"), str):
        errors = [{"field": details["field"], "code": error.code, "message": error.message}]  # type: ignore[attr-defined]
    return _json_response(status, error_body(error.code, error.message, errors), headers)  # type: ignore[attr-defined]


SEND_JSON = "send a JSON object with the header 'Content-Type: application/json'"


def _is_json_type(content_type: str | None) -> bool:
    """application/json, or any +json type (application/merge-patch+json...), with or without parameters."""
    if not content_type:
        return True  # no header: the body is read as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def parse_json(raw: bytes | None, content_type: str | None = None) -> Any:
    from chalicelib.errors import MalformedRequest

    if not raw:
        return None
    try:
        return json.loads(raw)
    except UnicodeDecodeError as error:
        raise MalformedRequest(f"The request body is not JSON (it is not even UTF-8 text): {SEND_JSON}.",
                               code="invalid_json") from error
    except ValueError as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        sent = "" if _is_json_type(content_type) else f", and it was sent as '{content_type}'"
        raise MalformedRequest(f"The request body is not valid JSON{where}{sent}: {SEND_JSON}.",
                               code="invalid_json") from error


def parse_body(request: Any, model_ref: str) -> Any:
    from pydantic import ValidationError

    from chalicelib.errors import MalformedRequest, UnsupportedMediaType

    content_type = request.headers.get("content-type")
    data = parse_json(request.raw_body, content_type)
    if data is not None and not _is_json_type(content_type):
        raise UnsupportedMediaType(f"The request body was sent as '{content_type}': {SEND_JSON}.",
                                   code="unsupported_media_type")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MalformedRequest(f"The request body must be a JSON object ({{...}}), not {_json_kind(data)}.",
                               code="invalid_body")
    from chalicelib.models.problems import invalid_input

    model = resolve(model_ref)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_input(error, model) from error


def _json_kind(value: Any) -> str:
    return {list: "a list", str: "text", bool: "true or false", int: "a number", float: "a number"}.get(
        type(value), "another kind of value")


def authenticate(request: Any, required: bool = True) -> Any:
    from chalicelib.bootstrap import container
    from chalicelib.domain.identity import actor_from_claims
    from chalicelib.errors import Unauthenticated

    header = request.headers.get("authorization")
    if not header:
        if required:
            raise Unauthenticated("This call needs an 'Authorization: Bearer <token>' header.", code="missing_token")
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.", code="invalid_token")
    claims = container().tokens.verify(token.strip())
    return actor_from_claims(claims)


def _serialise(result: Any) -> Any:
    if hasattr(result, "model_dump"):
        return result.model_dump(mode="json", exclude_none=True)
    if isinstance(result, list):
        return [_serialise(r) for r in result]
    if isinstance(result, dict):
        return {k: _serialise(v) for k, v in result.items()}
    return result


def route(blueprint: Any, path: str, method: str, *, summary: str, tag: str,
          auth: Literal["required", "optional", "none"] = "required", roles: tuple[str, ...] = (),
          body: str | None = None, response: str | None = None, status: int = 200,
          errors: tuple[int, ...] = (), query: tuple[QueryParam, ...] = (), produces: str = JSON,
          description: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a thin handler; see the module docstring."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = RouteSpec(path, method, summary, auth, roles, body, response, status, errors, query, produces, tag,
                         description or (fn.__doc__ or "").strip())
        SPECS.append(spec)

        def view(**params: Any) -> Any:
            from chalicelib.observability import flush, tracer

            request = blueprint.current_request
            started = time.perf_counter()
            answer = None
            trace = tracer()
            try:
                if trace is None:
                    answer = _handle(fn, spec, request, params)
                else:
                    with trace.provider.in_subsegment(f"## {spec.method} {spec.path}"):
                        answer = _handle(fn, spec, request, params)
                return answer
            finally:
                _log_request(spec, request, answer, started)
                flush()

        view.__name__ = fn.__name__
        view.__doc__ = fn.__doc__
        blueprint.route(path, methods=[method], content_types=ACCEPTED_CONTENT_TYPES)(view)
        return fn

    return decorate


def _handle(fn: Callable[..., Any], spec: RouteSpec, request: Any, params: dict[str, Any]) -> Any:
    from chalicelib.errors import DomainError

    try:
        call = Call(request)
        if spec.auth != "none":
            call.actor = authenticate(request, required=spec.auth == "required")
        if spec.body:
            call.body = parse_body(request, spec.body)
        result = fn(call, **params)
        if isinstance(result, Reply):
            if isinstance(result.body, (bytes, str)) or (result.body is None and result.status == 204):
                from chalice import Response

                return Response(body=result.body if result.body is not None else "", status_code=result.status,
                                headers={"Cache-Control": "no-store", **result.headers})
            return _json_response(result.status, _serialise(result.body), result.headers)
        return _json_response(spec.status, _serialise(result))
    except DomainError as error:
        return render_error(error)
    except Exception:
        from chalicelib.observability import logger

        logger().exception("unhandled error", extra={"route": f"{spec.method} {spec.path}"})
        return _json_response(500, error_body("internal_error",
                                              "Something went wrong on our side; nothing was lost, try again."))


def _log_request(spec: RouteSpec, request: Any, answer: Any, started: float) -> None:
    """One structured line per request: the route template (never the path: it holds an INS), status, time."""
    from chalicelib.observability import correlation_id, logger

    status = getattr(answer, "status_code", 500)
    logger().info("request", extra={
        "route": f"{spec.method} {spec.path}", "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "correlation_id": correlation_id(request),
    })


# -- small parsers shared by the blueprints ---------------------------------------------------------------------
def path_ins(value: str, name: str = "ins") -> str:
    """A patient's INS from the path: refused with 422 naming the parameter when it is not a valid one."""
    from urllib.parse import unquote

    from chalicelib.domain.identity import check_nir

    return check_nir(unquote(value), field=name)


def path_rpps(value: str) -> str:
    from chalicelib.domain.identity import is_rpps
    from chalicelib.errors import InvalidInput

    if not is_rpps(value):
        raise InvalidInput("The path parameter 'rpps' must be 11 digits ending with a Luhn check digit.",
                           code="invalid_rpps", field="rpps")
    return value


def paging(call: Call, default: int = 50, maximum: int = 100) -> tuple[int, str | None]:
    """(limit, cursor) from the query string; a bad limit is refused with 422."""
    from chalicelib.errors import InvalidInput

    query = call.query
    raw = query.get("limit")
    if raw is None or raw == "":
        limit = default
    else:
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= maximum:
            raise InvalidInput(f"The parameter 'limit' must be a whole number from 1 to {maximum}.",
                               code="invalid_limit", field="limit")
    cursor = query.get("cursor") or None
    return limit, cursor


def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).lower() or "error"


def _chalice_sentence(code: str, message: str, event: Any, headers: dict[str, str]) -> tuple[str, str]:
    """Chalice's own error texts, said in the voice of the app's."""
    import re

    method = str(getattr(event, "method", "") or "").upper()
    if code == "MethodNotAllowedError":
        allowed = headers.get("Allow") or headers.get("allow") or ""
        methods = _or_words(m.strip() for m in allowed.split(",") if m.strip())
        tail = f": it accepts {methods}" if methods else ""
        return "method_not_allowed", (f"This address does not accept the method {method or 'used'}{tail}. "
                                      f"Every route is listed in GET /openapi.json.")
    if code == "UnsupportedMediaType":
        sent = message.removeprefix("Unsupported media type:").strip()
        return "unsupported_media_type", (f"The request body was sent as '{sent}': {SEND_JSON}." if sent else
                                          f"The request body is not in a format this service reads: {SEND_JSON}.")
    if code == "BadRequest" and "Accept header" in message:
        found = re.search(r"Content-Type of ([\w.+-]+/[\w.+-]+)", message)
        media = found.group(1).rstrip(".") if found else "a file"
        return "accept_header_needed", (f"This answer is a file of type {media}: ask for it with the header "
                                        f"'Accept: {media}' (or 'Accept: */*').")
    if code == "BadRequest" and "Parsing JSON" in message:
        return "invalid_json", f"The request body is not valid JSON: {SEND_JSON}."
    return _snake(code), message


def _or_words(words: Any) -> str:
    """["GET"] → "GET"; ["GET", "PUT", "POST"] → "GET, PUT or POST"."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def uniform_errors(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """HTTP middleware: the errors Chalice answers itself (405 method not allowed, 415 media type, 400 Accept
    header) get the same ``{"code", "message"}`` shape, and the same voice, as every other error."""
    response = get_response(event)
    body = getattr(response, "body", None)
    if getattr(response, "status_code", 200) >= 400 and isinstance(body, dict) and "Code" in body:
        code, message = _chalice_sentence(str(body["Code"]), str(body.get("Message", "")), event,
                                          dict(response.headers or {}))
        response.body = json.dumps(error_body(code, message), ensure_ascii=False)
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


NO_ROUTE = error_body("not_found", "There is nothing at this address: check the method and the path. Every route is "
                                   "listed in GET /openapi.json (and, on the local stack, readable at /docs).")
