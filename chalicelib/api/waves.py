"""Bulk enrolment by file (CONTRACT §8): a presigned PUT for the CSV, then the batch's progress and report."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, route

bp = Blueprint(__name__)
TAG = "National waves"
M = "chalicelib.models.waves:"


def _services() -> Any:
    from chalicelib.bootstrap import container

    return container()


@route(bp, "/enrolment-batches", "POST", tag=TAG, roles=("agent",), body=M + "BatchRequest",
       response=M + "BatchTicket", status=201, errors=(400, 401, 403, 422),
       summary="Start a bulk enrolment: PUT the CSV to the presigned URL; its rows follow the rules of "
       "POST /enrolments.")
def create_batch(call: Call) -> Any:
    from chalicelib.domain.access import Action

    c = _services()
    c.access.check(call.actor, Action.ENROL)
    return Reply(c.batches.create(call.body.rows), 201)


@route(bp, "/enrolment-batches/{batch_id}", "GET", tag=TAG, roles=("agent",), response=M + "Batch",
       errors=(401, 403, 404), summary="A bulk enrolment's status and counts; once done, its per-row report.")
def get_batch(call: Call, batch_id: str) -> Any:
    from chalicelib.domain.access import Action

    c = _services()
    c.access.check(call.actor, Action.ENROL)
    return c.batches.view(batch_id)
