"""Who may read the record (CONTRACT §5): care relationships, authorisations and blocks, attending doctor,
emergency settings and access, the access log, and establishments' inbox rejections."""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, QueryParam, paging, query_time, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action
from chalicelib.domain.audit import MODES, AccessLogQuery
from chalicelib.errors import InvalidInput

bp = Blueprint(__name__)
TAG = "Sharing and access"
M = "chalicelib.models.records:"
A = "chalicelib.models.answers.records:"


@route(bp, "/patients/{ins}/care-relationship", "POST", tag=TAG, action=Action.DECLARE_CARE, response=A + "Relation",
       status=201, errors=(403, 404, 422),
       summary="A professional declares the patient agreed, during care, to their reading the record.")
def declare_care(call: Call, ins: str) -> Any:
    return container().sharing.declare_care(call.caller, ins)


@route(bp, "/patients/{ins}/professionals/{rpps}", "PUT", tag=TAG, action=Action.MANAGE_SHARING,
       body=M + "RelationStatus", response=A + "Relation", errors=(400, 403, 404, 422),
       summary="The patient authorises or blocks a professional (a blocked one is refused, always).")
def set_professional(call: Call, ins: str, rpps: str) -> Any:
    return container().sharing.set_professional(call.caller, ins, rpps, call.body.status)


@route(bp, "/patients/{ins}/professionals", "GET", tag=TAG, action=Action.READ_SHARING, response=A + "RelationPage",
       query=PAGING, errors=(400, 403, 404, 422), summary="Professionals authorised or blocked.")
def list_professionals(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().sharing.professionals(call.caller, ins, limit, cursor)


@route(bp, "/patients/{ins}/attending-doctor", "PUT", tag=TAG, action=Action.MANAGE_SHARING,
       body=M + "AttendingDoctor", response=A + "AttendingDoctorView", errors=(400, 403, 404, 409, 422),
       summary="Name the attending doctor (médecin traitant), who also sees masked documents.")
def set_attending_doctor(call: Call, ins: str) -> Any:
    return container().sharing.set_attending_doctor(call.caller, ins, call.body.rpps)


@route(bp, "/patients/{ins}/attending-doctor", "GET", tag=TAG, action=Action.READ_SHARING,
       response=A + "AttendingDoctorView", errors=(403, 404, 422), summary="The attending doctor.")
def get_attending_doctor(call: Call, ins: str) -> Any:
    return container().sharing.attending_doctor(call.caller, ins)


@route(bp, "/patients/{ins}/emergency-settings", "PUT", tag=TAG, action=Action.MANAGE_SHARING,
       body=M + "EmergencySettings", response=A + "EmergencySettingsView", errors=(400, 403, 404, 422),
       summary="Allow or refuse emergency access (SAMU, other professionals, masked documents); default all true.")
def set_emergency_settings(call: Call, ins: str) -> Any:
    return container().sharing.set_emergency_settings(call.caller, ins, call.body)


@route(bp, "/patients/{ins}/emergency-settings", "GET", tag=TAG, action=Action.READ_SHARING,
       response=A + "EmergencySettingsView", errors=(403, 404, 422), summary="The emergency settings.")
def get_emergency_settings(call: Call, ins: str) -> Any:
    return container().sharing.emergency_settings(call.caller, ins)


@route(bp, "/patients/{ins}/emergency-access", "POST", tag=TAG, action=Action.EMERGENCY_ACCESS,
       body=M + "EmergencyAccessRequest", response=A + "EmergencyAccessGrant", status=201,
       errors=(400, 403, 404, 422),
       summary="Emergency access (bris de glace): temporary (at most 24 h), always reported to the patient.")
def emergency_access(call: Call, ins: str) -> Any:
    body = call.body
    return container().sharing.emergency_access(call.caller, ins, body.reason, body.duration_hours)


LOG_FILTERS = (
    QueryParam("actor_id", "Only this actor's accesses: an RPPS, a FINESS, an app id or a carer's INS."),
    QueryParam("mode", "Only accesses in this mode.", enum=MODES),
    QueryParam("since", "Only accesses at or after this time (ISO-8601 with its zone)."),
    QueryParam("until", "Only accesses at or before this time (ISO-8601 with its zone)."),
)
ACTOR_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@route(bp, "/patients/{ins}/access-log", "GET", tag=TAG, action=Action.READ_ACCESS_LOG, response=A + "AccessLogPage",
       query=PAGING + LOG_FILTERS, errors=(400, 403, 404, 422),
       summary="Every access by someone other than the patient, newest first; filters by actor, mode and period.")
def access_log(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().sharing.access_history(call.caller, ins, limit, cursor, log_query(call))


def log_query(call: Call) -> AccessLogQuery:
    """The access log's filters from the query string, each checked (422 naming the parameter)."""
    actor_id = call.query.get("actor_id") or None
    if actor_id is not None and not ACTOR_ID.match(actor_id):
        raise InvalidInput("The parameter 'actor_id' must be an RPPS, a FINESS, an app id or an INS (letters, "
                           "digits, '.', '_', ':' or '-', at most 64).", code="invalid_actor_id", field="actor_id")
    mode = call.query.get("mode") or None
    if mode is not None and mode not in MODES:
        raise InvalidInput(f"The parameter 'mode' must be one of {', '.join(MODES)}.", code="invalid_mode",
                           field="mode")
    return AccessLogQuery(actor_id=actor_id, mode=mode, since=query_time(call, "since"),
                          until=query_time(call, "until"))


@route(bp, "/establishments/{finess}/rejections", "GET", tag=TAG, action=Action.READ_REJECTIONS,
       response=A + "RejectionPage", query=PAGING, errors=(400, 403, 422),
       summary="Files this establishment dropped that could not be ingested, with the reason (kept in quarantine).")
def rejections(call: Call, finess: str) -> Any:
    limit, cursor = paging(call)
    return container().sharing.rejections_of(call.caller, finess, limit, cursor)
