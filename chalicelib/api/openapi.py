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
    302: "Found: a redirect (Location) to a short-lived presigned URL",
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
        if spec.also:  # the body says which one the request performs (POST /fhir)
            op["x-actions"] = [a.value for a in spec.actions]
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
    if spec.fhir:
        return _fhir_operation(spec, op, components)
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


FHIR = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"


def _fhir_schema(kind: str, components: dict[str, Any]) -> dict[str, Any]:
    """A FHIR R4 resource in the OpenAPI document: its type; the resource itself is FHIR's (validated by ens with the
    model library before it is answered)."""
    name = f"Fhir{kind}"
    components.setdefault(name, {
        "type": "object", "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "const": kind}},
        "description": f"A FHIR R4 (4.0.1) {kind} resource: https://hl7.org/fhir/R4/{kind.lower()}.html",
    })
    return {"$ref": f"#/components/schemas/{name}"}


def _fhir_operation(spec: RouteSpec, op: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A ``/fhir`` operation: FHIR resources in and out, every error an OperationOutcome (the statuses REST gives)."""
    if spec.resource_body:
        body: dict[str, Any] = {FHIR: {"schema": {"type": "object", "required": ["resourceType"],
                                                  "properties": {"resourceType": {"type": "string"}}}}}
        if spec.method == "PATCH":
            body = {JSON_PATCH: {"schema": {"type": "array", "items": {"type": "object"}}}}
        op["requestBody"] = {"required": True, "content": body}
    responses: dict[str, Any] = {}
    ok: dict[str, Any] = {"description": STATUS_TEXT.get(spec.status, "OK")}
    if spec.status == 302:
        ok["headers"] = {"Location": {"schema": {"type": "string", "format": "uri"},
                                      "description": "The short-lived presigned URL of the bytes."}}
    elif spec.response is not None:
        ok["content"] = {FHIR: {"schema": _fhir_schema(spec.response, components)}}
    responses[str(spec.status)] = ok
    errors = set(spec.errors)
    if spec.auth == "required":
        errors |= {401}
    if spec.resource_body:
        errors |= {400, 413, 415, 422}
    outcome = _fhir_schema("OperationOutcome", components)
    for status in sorted(errors):
        responses[str(status)] = {"description": STATUS_TEXT.get(status, "Error"),
                                  "content": {FHIR: {"schema": outcome}}}
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
                           "{code, message}; lists are {items, next_cursor}; times are ISO-8601 UTC. Under /fhir, "
                           "the same record as FHIR R4 resources (docs/fhir.md): errors are OperationOutcome "
                           "resources, searches are searchset Bundles.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
