"""Health and the OpenAPI description."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, route

bp = Blueprint(__name__)
TAG = "System"


@route(bp, "/health", "GET", tag=TAG, auth="none", response="chalicelib.models.answers.common:Health",
       summary="200 once the service is ready.")
def health(call: Call) -> Any:
    return {"status": "ok"}


@route(bp, "/openapi.json", "GET", tag=TAG, auth="none", raw=True,
       summary="This API's OpenAPI 3.1 description.")
def openapi(call: Call) -> Any:
    from chalicelib.api.openapi import document  # imports the whole app to describe it: on this route only

    return document()
