"""Data export (portability, CONTRACT §10): ask for one, then follow it until its download is ready."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action

bp = Blueprint(__name__)
TAG = "Export"
A = "chalicelib.models.answers.exports:"


@route(bp, "/patients/{ins}/exports", "POST", tag=TAG, action=Action.REQUEST_EXPORT, response=A + "ExportAccepted",
       status=202, errors=(403, 404, 422),
       summary="Export the space (the patient or a legal representative): one ZIP, built asynchronously.")
def request_export(call: Call, ins: str) -> Any:
    return Reply(container().exports.request(call.caller, ins), 202)


@route(bp, "/patients/{ins}/exports/{export_id}", "GET", tag=TAG, action=Action.READ_EXPORT,
       response=A + "ExportStatus", errors=(403, 404, 410, 422),
       summary="An export's status; once ready, a short-lived download URL (until the file is erased).")
def export_status(call: Call, ins: str, export_id: str) -> Any:
    return container().exports.status(call.caller, ins, export_id)
