"""Account lifecycle routes (CONTRACT §4): enrolment, opt-out, activation, codes, the caller's space, closure."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action
from chalicelib.errors import InvalidInput, Unauthenticated

bp = Blueprint(__name__)
TAG = "Account lifecycle"
M = "chalicelib.models.lifecycle:"
A = "chalicelib.models.answers.lifecycle:"


@route(bp, "/enrolments", "POST", tag=TAG, action=Action.ENROL, body=M + "EnrolmentBatch",
       response=A + "EnrolmentResults", errors=(400, 401, 403, 422),
       summary="Enrol a batch of beneficiaries; each notified person gets a notice with a provisional code.")
def enrol(call: Call) -> Any:
    return {"results": container().lifecycle.enrol(call.caller, call.body)}


@route(bp, "/opt-out", "POST", tag=TAG, auth="optional", action=Action.OPT_OUT_BY_PHONE, body=M + "OptOutRequest",
       response=A + "StatusReply", errors=(400, 401, 403, 409, 422, 429, 503),
       summary="Oppose the creation of a space: online with the provisional code, or by phone through an agent.")
def opt_out(call: Call) -> Any:
    body = call.body
    lifecycle = container().lifecycle
    if call.actor is not None or body.channel == "phone":
        if call.actor is None:
            raise Unauthenticated("A phone opt-out is recorded by an agent: send the agent's token.",
                                  code="missing_token")
        return {"status": lifecycle.opt_out_by_phone(call.actor, body.nir)}
    if not body.code:
        raise InvalidInput("The field 'code' is required to oppose online (the provisional code of the notice).",
                           code="missing_field")
    return {"status": lifecycle.opt_out_online(body.nir, body.code)}


@route(bp, "/activation", "POST", tag=TAG, auth="none", body=M + "ActivationRequest", response=A + "StatusReply",
       errors=(400, 401, 409, 410, 422, 429, 503),
       summary="Activate a space with the NIR, the Vitale card serial and the provisional code.")
def activate(call: Call) -> Any:
    body = call.body
    return {"status": container().lifecycle.activate(body.nir, body.vitale_serial, body.code)}


@route(bp, "/activation-codes", "POST", tag=TAG, auth="none", body=M + "CodeRequest", response=A + "StatusReply",
       status=202, errors=(400, 422, 429, 503),
       summary="Ask for a new provisional code; it is sent to the person, never returned. The old one dies.")
def request_code(call: Call) -> Any:
    container().lifecycle.request_code(call.body.nir, call.body.vitale_serial)
    return Reply({"status": "accepted"}, 202)


@route(bp, "/me", "GET", tag=TAG, action=Action.READ_ME, response=A + "Me", errors=(401, 403),
       summary="The caller's space and the children's spaces they manage.")
def me(call: Call) -> Any:
    return container().lifecycle.me(call.caller)


@route(bp, "/me/closure", "POST", tag=TAG, action=Action.CLOSE_SPACE, body=M + "ClosureRequest",
       response=A + "StatusReply", errors=(400, 401, 403, 409, 422, 503),
       summary="Close the space: everything is archived 10 years (3 months if deletion is requested), then erased.")
def close(call: Call) -> Any:
    return {"status": container().lifecycle.close(call.caller, call.body)}
