"""Bulk enrolment by file (CONTRACT §8): a presigned PUT for the CSV, then the batch's progress and report."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action

bp = Blueprint(__name__)
TAG = "National waves"
M = "chalicelib.models.waves:"
A = "chalicelib.models.answers.waves:"


@route(bp, "/enrolment-batches", "POST", tag=TAG, action=Action.ENROL, body=M + "BatchRequest",
       response=A + "BatchTicket", status=201, errors=(400, 401, 403, 422),
       summary="Start a bulk enrolment: PUT the CSV to the presigned URL; its rows follow the rules of "
       "POST /enrolments.")
def create_batch(call: Call) -> Any:
    return container().batches.create(call.caller, call.body)


@route(bp, "/enrolment-batches/{batch_id}", "GET", tag=TAG, action=Action.ENROL, response=A + "Batch",
       errors=(401, 403, 404), summary="A bulk enrolment's status and counts; once done, its per-row report.")
def get_batch(call: Call, batch_id: str) -> Any:
    return container().batches.view(call.caller, batch_id)
