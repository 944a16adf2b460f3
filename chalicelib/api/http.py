"""The thin entrypoint layer shared by every blueprint.

:func:`route` turns a function ``(call, **path_params) -> result`` into a Chalice view. Every route declares the
action it performs (``action=Action.X``, from ``chalicelib/domain/access.py``) or that it is public
(``auth="none"``), and the view runs, in this order:

1. authenticate the bearer token (401);
2. the role stage of the access decision for the declared action (403 ``{code, message}``), **before the body is
   read**: a caller whose role may never do this learns nothing about how the route validates;
3. the path parameters (an INS, an RPPS: 422 naming the parameter);
4. the body, parsed with its pydantic model (400 unreadable, too deeply nested; 422 naming the fields);
5. the handler, which calls one service (the service asks the whole decision, with the facts);
6. the result, serialised through the declared answer (``response=``, a dataclass of
   ``chalicelib/models/answers``), which reads it by attribute: the answer is at once the OpenAPI schema and the
   serialiser, so a result that drifts from it fails loudly.

Domain errors map to their status by class (:data:`ERROR_STATUS`); anything else is a logged 500 that says
nothing of the cause. The OpenAPI ``x-roles`` of each operation is :func:`chalicelib.domain.access.roles_for` of
its action, derived from the decision's table.

The FHIR routes (``fhir=True``, :mod:`chalicelib.api.fhir`) run the very same pipeline; only the two ends speak
FHIR (:mod:`chalicelib.api.fhirio`): a body is a FHIR resource read as JSON (413 above the inline limit), the
answer is a FHIR resource (``application/fhir+json``), and every error — the same classes, the same statuses — is
an OperationOutcome. A route whose body decides which of several actions it performs (``POST /fhir``: a Provide
Document Bundle or a measurement Bundle) declares them all (``action=(A, B)``): the role stage lets through a
caller whose role may do any of them, and the service decides the one the body asks for.

Cold start: models and answers are named as ``"module:Class"`` strings and imported on first use; pydantic loads
with the first body parsed (a request without a body never loads it), PyJWT with the first token signed by an
issuer (RS256), Powertools with the first log line.
"""

from __future__ import annotations

import functools
import importlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

from chalicelib import observability
from chalicelib.bootstrap import container
from chalicelib.domain.access import ROLES, Action, Decision, role_decision, roles_for
from chalicelib.domain.identity import Actor, actor_from_claims, check_nir, is_rpps
from chalicelib.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)
from chalicelib.models import answers

JSON = "application/json"
FHIR_JSON = "application/fhir+json"
# Chalice answers 415 with a body of its own to types outside this list; accept the usual ones and let
# the body parser say what is wrong in our format.
ACCEPTED_CONTENT_TYPES = [JSON, "application/merge-patch+json", "application/fhir+json", "application/json-patch+json",
                          "application/x-www-form-urlencoded", "text/plain", "application/octet-stream",
                          "multipart/form-data", "application/xml", "text/xml"]
MAX_DEPTH = 32  # nesting of a JSON body: ens's deepest body needs 4

ERROR_STATUS: dict[type[DomainError], int] = {
    MalformedRequest: 400,
    InvalidInput: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    TooManyAttempts: 429,
    Unavailable: 503,
}

Auth = Literal["required", "optional", "none"]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    summary: str
    auth: Auth
    action: Action | None
    body: str | None
    response: str | None
    status: int
    errors: tuple[int, ...]
    query: tuple[QueryParam, ...]
    produces: str
    tag: str
    description: str = ""
    also: tuple[Action, ...] = ()  # further actions, any one of which lets the role stage through
    fhir: bool = False  # under /fhir: FHIR resources in and out, errors as OperationOutcome
    resource_body: bool = False  # the body is a FHIR resource, parsed by the handler (the route has no model)

    @property
    def actions(self) -> tuple[Action, ...]:
        return (self.action, *self.also) if self.action is not None else ()

    @property
    def roles(self) -> tuple[str, ...]:
        """Who may call it: derived from the access decision's table (empty: public)."""
        allowed = {role for action in self.actions for role in roles_for(action)}
        return tuple(role for role in ROLES if role in allowed)

    def role_refusal(self, role: str) -> Decision | None:
        """The role stage: None when this role may do one of the route's actions, else the refusal of the first."""
        refusals = [role_decision(role, action) for action in self.actions]
        return None if any(r is None for r in refusals) else refusals[0]


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
    actor: Actor | None = None
    body: Any = None

    @property
    def caller(self) -> Actor:
        """The authenticated caller (routes whose auth is required)."""
        if self.actor is None:
            raise Unauthenticated("This call needs an 'Authorization: Bearer <token>' header.", code="missing_token")
        return self.actor

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params or {})

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name.lower())
        return str(value) if value is not None else None


@functools.cache
def resolve(ref: str) -> Any:
    """Import "package.module:Name" on first use (the models: pydantic stays off the cold import)."""
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


def status_of(error: DomainError) -> int:
    """The HTTP status of a domain error: that of its nearest class in :data:`ERROR_STATUS`."""
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


def render_error(error: DomainError) -> Any:
    """A domain error as its HTTP answer."""
    status = status_of(error)
    headers: dict[str, str] = {}
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="ens"'
    details = error.details or {}
    errors: list[dict[str, str]] | None = details.get("errors")  # type: ignore[assignment]
    field = details.get("field")
    if errors is None and status == 422 and isinstance(field, str):
        errors = [{"field": field, "code": error.code, "message": error.message}]
    return _json_response(status, error_body(error.code, error.message, errors), headers)


SEND_JSON = "send a JSON object with the header 'Content-Type: application/json'"


def is_json_type(content_type: str | None) -> bool:
    """application/json, or any +json type (application/merge-patch+json...), with or without parameters."""
    if not content_type:
        return True  # no header: the body is read as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests deeper than ``limit`` (iteratively: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json(raw: bytes | None, content_type: str | None = None) -> Any:
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except RecursionError as error:
        raise _too_deep_error() from error
    except UnicodeDecodeError as error:
        raise MalformedRequest(f"The request body is not JSON (it is not even UTF-8 text): {SEND_JSON}.",
                               code="invalid_json") from error
    except ValueError as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        sent = "" if is_json_type(content_type) else f", and it was sent as '{content_type}'"
        raise MalformedRequest(f"The request body is not valid JSON{where}{sent}: {SEND_JSON}.",
                               code="invalid_json") from error
    if _too_deep(data):
        raise _too_deep_error()
    return data


def _too_deep_error() -> MalformedRequest:
    return MalformedRequest(f"The request body nests objects or lists more than {MAX_DEPTH} levels deep; no body "
                            "of this API needs that.", code="too_deep")


def parse_body(request: Any, model_ref: str) -> Any:
    from pydantic import ValidationError  # pydantic (and the models built on it): heavy, on first use

    from chalicelib.models.problems import invalid_input

    content_type = request.headers.get("content-type")
    data = parse_json(request.raw_body, content_type)
    if data is not None and not is_json_type(content_type):
        raise UnsupportedMediaType(f"The request body was sent as '{content_type}': {SEND_JSON}.",
                                   code="unsupported_media_type")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MalformedRequest(f"The request body must be a JSON object ({{...}}), not {_json_kind(data)}.",
                               code="invalid_body")
    model = resolve(model_ref)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_input(error, model) from error


def _json_kind(value: Any) -> str:
    return {list: "a list", str: "text", bool: "true or false", int: "a number", float: "a number"}.get(
        type(value), "another kind of value")


def authenticate(request: Any, required: bool = True) -> Actor | None:
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


def serialise(result: Any, answer_ref: str | None) -> Any:
    """A service's result through the route's answer (read by attribute), as JSON-ready data (the raw OpenAPI
    document has no answer: it is passed as built)."""
    if answer_ref is None:
        return result
    return answers.serialise(result, resolve(answer_ref))


def route(blueprint: Any, path: str, method: str, *, summary: str, tag: str,
          action: Action | tuple[Action, ...] | None = None, auth: Auth = "required", body: str | None = None,
          response: str | None = None, status: int = 200, errors: tuple[int, ...] = (),
          query: tuple[QueryParam, ...] = (), produces: str = JSON, description: str = "", raw: bool = False,
          fhir: bool = False, resource_body: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a thin handler; see the module docstring. ``raw``: the JSON answer is passed as built (the OpenAPI
    document only). ``fhir``: a FHIR route (``response`` names the resource type it answers); ``resource_body``:
    its body is a FHIR resource, read as JSON and handed to the handler as parsed (``call.body``)."""
    actions = action if isinstance(action, tuple) else (action,) if action is not None else ()
    if (not actions) != (auth == "none"):
        raise TypeError(f"{method} {path}: a route declares the action it performs, or is public (auth='none')")
    if fhir:
        produces = FHIR_JSON
        if response is None and not raw:
            raise TypeError(f"{method} {path}: a FHIR route declares the resource type it answers (response=)")
    if produces == JSON and response is None and status != 204 and not raw:
        raise TypeError(f"{method} {path}: a JSON route declares its answer (response=)")
    if resource_body and (body is not None or not fhir):
        raise TypeError(f"{method} {path}: a FHIR resource body belongs to a FHIR route without a body model")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = RouteSpec(path, method, summary, auth, actions[0] if actions else None, body, response, status,
                         errors, query, produces, tag, description or (fn.__doc__ or "").strip(), also=actions[1:],
                         fhir=fhir, resource_body=resource_body)
        SPECS.append(spec)

        def view(**params: Any) -> Any:
            request = blueprint.current_request
            started = time.perf_counter()
            answer = None
            trace = observability.tracer()
            try:
                if trace is None:
                    answer = _handle(fn, spec, request, params)
                else:
                    with trace.provider.in_subsegment(f"## {spec.method} {spec.path}"):
                        answer = _handle(fn, spec, request, params)
                return answer
            finally:
                _log_request(spec, request, answer, started)
                observability.flush()

        view.__name__ = fn.__name__
        view.__doc__ = fn.__doc__
        blueprint.route(path, methods=[method], content_types=ACCEPTED_CONTENT_TYPES)(view)
        return fn

    return decorate


def _handle(fn: Callable[..., Any], spec: RouteSpec, request: Any, params: dict[str, Any]) -> Any:
    try:
        call = Call(request)
        if spec.auth != "none":
            call.actor = authenticate(request, required=spec.auth == "required")
        if spec.action is not None and call.actor is not None:
            refused = spec.role_refusal(call.actor.role)
            if refused is not None:  # before the body is read
                raise Forbidden(refused.message or "Not allowed.", code=refused.code)
        params = {name: PATH_PARAMETERS.get(name, _plain)(value) for name, value in params.items()}
        if spec.body:
            call.body = parse_body(request, spec.body)
        if spec.fhir:
            return _fhir(spec).handle(fn, spec, call, params)
        result = fn(call, **params)
        if isinstance(result, Reply):
            if isinstance(result.body, (bytes, str)) or (result.body is None and result.status == 204):
                from chalice import Response

                return Response(body=result.body if result.body is not None else "", status_code=result.status,
                                headers={"Cache-Control": "no-store", **result.headers})
            return _json_response(result.status, serialise(result.body, spec.response), result.headers)
        return _json_response(spec.status, serialise(result, spec.response))
    except DomainError as error:
        return _fhir(spec).error(error) if spec.fhir else render_error(error)
    except Exception as error:  # anything else is our fault: logged with the route template, answered without detail
        observability.logger().exception("unhandled error", extra={"route": f"{spec.method} {spec.path}"})
        if spec.fhir:
            return _fhir(spec).error(error)
        return _json_response(500, error_body("internal_error",
                                              "Something went wrong on our side; nothing was lost, try again."))


def _fhir(spec: RouteSpec) -> Any:
    """The FHIR ends of the pipeline (:mod:`chalicelib.api.fhirio`). Imported here, on a FHIR route's first request
    only: it loads the FHIR model library, which no other route needs (cold start; a test holds it)."""
    from chalicelib.api import fhirio

    return fhirio


def _log_request(spec: RouteSpec, request: Any, answer: Any, started: float) -> None:
    """One structured line per request: the route template (never the path: it holds an INS), status, time."""
    status = getattr(answer, "status_code", 500)
    observability.logger().info("request", extra={
        "route": f"{spec.method} {spec.path}", "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "correlation_id": observability.correlation_id(request),
    })


# -- small parsers shared by the blueprints ---------------------------------------------------------------------
def path_ins(value: str, name: str = "ins") -> str:
    """A patient's INS from the path: refused with 422 naming the parameter when it is not a valid one."""
    return check_nir(unquote(value), field=name)


def path_rpps(value: str) -> str:
    if not is_rpps(value):
        raise InvalidInput("The path parameter 'rpps' must be 11 digits ending with a Luhn check digit.",
                           code="invalid_rpps", field="rpps")
    return value


def _plain(value: str) -> str:
    return unquote(value)


# Path parameters checked by name, before the body is read (the others are opaque ids, checked by their service).
PATH_PARAMETERS: dict[str, Callable[[str], str]] = {"ins": path_ins, "rpps": path_rpps,
                                                   "carer_ins": lambda value: path_ins(value, "carer_ins")}


def paging(call: Call, default: int = 50, maximum: int = 100) -> tuple[int, str | None]:
    """(limit, cursor) from the query string; a bad limit is refused with 422."""
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


def query_time(call: Call, name: str) -> Any:
    """An ISO-8601 time of the query string, under the rules of a time in a body (zone required, sane years)."""
    from pydantic import TypeAdapter, ValidationError  # pydantic (and the models built on it): heavy, on first use

    from chalicelib.models.common import UtcDateTime

    raw = call.query.get(name)
    if not raw:
        return None
    try:
        return TypeAdapter(UtcDateTime).validate_python(raw)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0].get("msg", "is not valid")
        raise InvalidInput(f"The parameter '{name}' must be an ISO-8601 time with its zone (e.g. "
                           f"2026-12-01T09:00:00Z): {problem}.", code=f"invalid_{name}", field=name) from error


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
    items = [str(word) for word in words]
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
        if str(getattr(event, "path", "")).startswith("/fhir"):  # under /fhir, every error is an OperationOutcome
            from chalicelib.api import fhirio  # the FHIR model library: on FHIR paths only (cold start)

            message = message.replace("Every route is listed in GET /openapi.json.",
                                      "GET /fhir/metadata says what the FHIR interface supports.")
            response.body = fhirio.outcome_body(response.status_code, code, message)
            response.headers["Content-Type"] = fhirio.CONTENT_TYPE
            return response
        response.body = json.dumps(error_body(code, message), ensure_ascii=False)
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


FHIR_NO_ROUTE = ("not_found", "There is nothing at this address: check the method and the path. GET /fhir/metadata "
                              "says what the FHIR interface supports.")
NO_ROUTE = error_body("not_found", "There is nothing at this address: check the method and the path. Every route is "
                                   "listed in GET /openapi.json (and, on the local stack, readable at /docs).")
TOO_LARGE_HEADERS = error_body("headers_too_large", "The request's headers are too large (a header line longer than "
                                                   "64 KiB, or more than 100 headers): send a shorter request.")
