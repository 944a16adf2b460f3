"""Who may read the record (CONTRACT §5): care relationships, authorisations and blocks, attending doctor,
emergency settings and access, the access log, and establishments' inbox rejections."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, paging, path_ins, path_rpps, route

bp = Blueprint(__name__)
TAG = "Sharing and access"
M = "chalicelib.models.records:"
PATIENT = ("patient",)


def _sharing() -> Any:
    from chalicelib.bootstrap import container

    return container().sharing


@route(bp, "/patients/{ins}/care-relationship", "POST", tag=TAG, roles=("professional",), response=M + "Relation",
       status=201, errors=(403, 404, 422),
       summary="A professional declares the patient agreed, during care, to their reading the record.")
def declare_care(call: Call, ins: str) -> Any:
    return _sharing().declare_care(call.actor, path_ins(ins))


@route(bp, "/patients/{ins}/professionals/{rpps}", "PUT", tag=TAG, roles=PATIENT, body=M + "RelationStatus",
       response=M + "Relation", errors=(400, 403, 404, 422),
       summary="The patient authorises or blocks a professional (a blocked one is refused, always).")
def set_professional(call: Call, ins: str, rpps: str) -> Any:
    return _sharing().set_professional(call.actor, path_ins(ins), path_rpps(rpps), call.body.status)


@route(bp, "/patients/{ins}/professionals", "GET", tag=TAG, roles=PATIENT, response=M + "RelationPage",
       query=PAGING, errors=(400, 403, 404, 422), summary="Professionals authorised or blocked.")
def list_professionals(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return _sharing().professionals(call.actor, path_ins(ins), limit, cursor)


@route(bp, "/patients/{ins}/attending-doctor", "PUT", tag=TAG, roles=PATIENT, body=M + "AttendingDoctor",
       response=M + "AttendingDoctorView", errors=(400, 403, 404, 409, 422),
       summary="Name the attending doctor (médecin traitant), who also sees masked documents.")
def set_attending_doctor(call: Call, ins: str) -> Any:
    return _sharing().set_attending_doctor(call.actor, path_ins(ins), call.body.rpps)


@route(bp, "/patients/{ins}/attending-doctor", "GET", tag=TAG, roles=PATIENT, response=M + "AttendingDoctorView",
       errors=(403, 404, 422), summary="The attending doctor.")
def get_attending_doctor(call: Call, ins: str) -> Any:
    return _sharing().attending_doctor(call.actor, path_ins(ins))


@route(bp, "/patients/{ins}/emergency-settings", "PUT", tag=TAG, roles=PATIENT, body=M + "EmergencySettings",
       response=M + "EmergencySettingsView", errors=(400, 403, 404, 422),
       summary="Allow or refuse emergency access (SAMU, other professionals, masked documents); default all true.")
def set_emergency_settings(call: Call, ins: str) -> Any:
    return _sharing().set_emergency_settings(call.actor, path_ins(ins), call.body.model_dump())


@route(bp, "/patients/{ins}/emergency-settings", "GET", tag=TAG, roles=PATIENT,
       response=M + "EmergencySettingsView", errors=(403, 404, 422), summary="The emergency settings.")
def get_emergency_settings(call: Call, ins: str) -> Any:
    return _sharing().emergency_settings(call.actor, path_ins(ins))


@route(bp, "/patients/{ins}/emergency-access", "POST", tag=TAG, roles=("professional",),
       body=M + "EmergencyAccessRequest", response=M + "EmergencyAccessGrant", status=201,
       errors=(400, 403, 404, 422),
       summary="Emergency access (bris de glace): temporary (at most 24 h), always reported to the patient.")
def emergency_access(call: Call, ins: str) -> Any:
    body = call.body
    return _sharing().emergency_access(call.actor, path_ins(ins), body.reason, body.duration_hours)


@route(bp, "/patients/{ins}/access-log", "GET", tag=TAG, roles=PATIENT, response=M + "AccessLogPage",
       query=PAGING, errors=(400, 403, 404, 422),
       summary="Every access by someone other than the patient, newest first.")
def access_log(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return _sharing().access_history(call.actor, path_ins(ins), limit, cursor)


@route(bp, "/establishments/{finess}/rejections", "GET", tag=TAG, roles=("establishment",),
       response=M + "RejectionPage", query=PAGING, errors=(400, 403, 422),
       summary="Files this establishment dropped that could not be ingested, with the reason (kept in quarantine).")
def rejections(call: Call, finess: str) -> Any:
    limit, cursor = paging(call)
    return _sharing().rejections_of(call.actor, finess, limit, cursor)
