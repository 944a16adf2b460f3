"""Who may read the record (CONTRACT §5): care relationships, authorisations and blocks, attending doctor,
emergency settings and access, the access log, and establishments' inbox rejections."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, paging, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action

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


@route(bp, "/patients/{ins}/access-log", "GET", tag=TAG, action=Action.READ_ACCESS_LOG, response=A + "AccessLogPage",
       query=PAGING, errors=(400, 403, 404, 422),
       summary="Every access by someone other than the patient, newest first.")
def access_log(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().sharing.access_history(call.caller, ins, limit, cursor)


@route(bp, "/establishments/{finess}/rejections", "GET", tag=TAG, action=Action.READ_REJECTIONS,
       response=A + "RejectionPage", query=PAGING, errors=(400, 403, 422),
       summary="Files this establishment dropped that could not be ingested, with the reason (kept in quarantine).")
def rejections(call: Call, finess: str) -> Any:
    limit, cursor = paging(call)
    return container().sharing.rejections_of(call.caller, finess, limit, cursor)
