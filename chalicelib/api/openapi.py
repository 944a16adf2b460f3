"""Builds the OpenAPI 3.1 description from the routes' declarations and their pydantic models."""

from __future__ import annotations

import dataclasses
import functools
import re
import typing
from typing import Any

from chalicelib.api.http import SPECS, RouteSpec, resolve
from chalicelib.models import answers

STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No content", 400: "Malformed request",
    401: "Missing, expired, malformed or badly signed token, or wrong credentials",
    403: "Not allowed for this caller", 404: "Absent, or not visible to this caller", 409: "Conflicts with the state",
    410: "Expired or closed", 413: "Too large", 415: "The body is not sent as application/json",
    422: "A value is not valid (each field at fault is named in errors)", 429: "Too many attempts",
    503: "Temporarily unavailable",
}


def _schema(ref: str, components: dict[str, Any]) -> dict[str, Any]:
    """An answer's JSON schema (a dataclass of ``chalicelib.models.answers``), with its fields' descriptions."""
    from pydantic import TypeAdapter  # pydantic: heavy, loaded by the first request that needs it

    cls = resolve(ref)
    schema = TypeAdapter(cls).json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(cls.__name__, schema)
    for answer_cls in _answers_reachable(cls):
        properties = components.get(answer_cls.__name__, {}).get("properties", {})
        for field, text in answers.descriptions(answer_cls).items():
            if field in properties:
                properties[field]["description"] = text
    return {"$ref": f"#/components/schemas/{cls.__name__}"}


def _answers_reachable(cls: type[Any]) -> list[type[Any]]:
    """The answer and every answer nested in it."""
    found: list[type[Any]] = []
    stack = [cls]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        for hint in typing.get_type_hints(current, include_extras=True).values():
            stack.extend(t for t in _types_in(hint) if dataclasses.is_dataclass(t) and isinstance(t, type))
    return found


def _types_in(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    return [hint, *[t for arg in args for t in _types_in(arg)]]


def _request_schema(ref: str, components: dict[str, Any]) -> dict[str, Any]:
    from pydantic import TypeAdapter  # pydantic: heavy, loaded by the first request that needs it

    model = resolve(ref)
    schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    name = model.__name__
    components[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": f"{spec.method.lower()}_{spec.path.strip('/').replace('/', '_').replace('{', '').replace('}', '').replace('.', '_').replace('-', '_') or 'root'}",  # noqa: E501
        "tags": [spec.tag],
    }
    if spec.description and spec.description != spec.summary:
        op["description"] = spec.description
    if spec.auth == "required":
        op["security"] = [{"bearer": []}]
    elif spec.auth == "optional":
        op["security"] = [{}, {"bearer": []}]
    else:
        op["security"] = []
    if spec.action is not None:
        op["x-action"] = spec.action.value
        op["x-roles"] = list(spec.roles)  # derived from the access decision's table (domain/access.py)
    params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
              for p in _path_params(spec.path)]
    for q in spec.query:
        schema: dict[str, Any] = {"type": q.type}
        if q.enum:
            schema["enum"] = list(q.enum)
        if q.minimum is not None:
            schema["minimum"] = q.minimum
        if q.maximum is not None:
            schema["maximum"] = q.maximum
        params.append({"name": q.name, "in": "query", "required": False, "description": q.description,
                       "schema": schema})
    if params:
        op["parameters"] = params
    if spec.body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _request_schema(spec.body, components)}}}
    responses: dict[str, Any] = {}
    ok: dict[str, Any] = {"description": STATUS_TEXT.get(spec.status, "OK")}
    if spec.status != 204:
        if spec.produces == "application/json":
            schema = {"type": "object"} if spec.response is None else _schema(spec.response, components)
            ok["content"] = {"application/json": {"schema": schema}}
        else:
            ok["content"] = {spec.produces: {"schema": {"type": "string", "format": "binary"}
                                             if spec.produces == "application/pdf" else {"type": "string"}}}
    responses[str(spec.status)] = ok
    errors = set(spec.errors)
    if spec.auth == "required":
        errors |= {401}
    if spec.body:
        errors |= {400, 415, 422}
    for status in sorted(errors):
        responses[str(status)] = {"description": STATUS_TEXT.get(status, "Error"),
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    op["responses"] = responses
    return op


def _path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


@functools.cache
def document() -> dict[str, Any]:
    import app  # noqa: F401 - registers every route

    components: dict[str, Any] = {}
    _schema("chalicelib.models.answers.common:Error", components)
    paths: dict[str, Any] = {}
    for spec in SPECS:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ens — Espace Numérique de Santé",
            "version": "1.0.0",
            "description": "The personal health space: account lifecycle, shared medical record, profile, agenda, "
                           "messaging, reimbursements and the catalogue of referenced apps. Errors are "
                           "{code, message}; lists are {items, next_cursor}; times are ISO-8601 UTC.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
