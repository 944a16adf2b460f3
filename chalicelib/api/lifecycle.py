"""Account lifecycle routes (CONTRACT §4): enrolment, opt-out, activation, codes, the caller's space, closure."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, route

bp = Blueprint(__name__)
TAG = "Account lifecycle"
M = "chalicelib.models.lifecycle:"


def _services() -> Any:
    from chalicelib.bootstrap import container

    return container()


@route(bp, "/enrolments", "POST", tag=TAG, roles=("agent",), body=M + "EnrolmentBatch",
       response=M + "EnrolmentResults", errors=(400, 401, 403, 422),
       summary="Enrol a batch of beneficiaries; each notified person gets a notice with a provisional code.")
def enrol(call: Call) -> Any:
    from chalicelib.domain.access import Action

    c = _services()
    c.access.check(call.actor, Action.ENROL)
    return {"results": [r.as_dict() for r in c.lifecycle.enrol(call.body.beneficiaries)]}


@route(bp, "/opt-out", "POST", tag=TAG, auth="optional", roles=("agent",), body=M + "OptOutRequest",
       response=M + "StatusReply", errors=(400, 401, 403, 409, 422, 429),
       summary="Oppose the creation of a space: online with the provisional code, or by phone through an agent.")
def opt_out(call: Call) -> Any:
    from chalicelib.domain.access import Action
    from chalicelib.errors import InvalidInput

    c = _services()
    body = call.body
    if call.actor is not None or body.channel == "phone":
        if call.actor is None:
            from chalicelib.errors import Unauthenticated

            raise Unauthenticated("A phone opt-out is recorded by an agent: send the agent's token.",
                                  code="missing_token")
        c.access.check(call.actor, Action.OPT_OUT_BY_PHONE)
        return {"status": c.lifecycle.opt_out_by_phone(body.nir)}
    if not body.code:
        raise InvalidInput("The field 'code' is required to oppose online (the provisional code of the notice).",
                           code="missing_field")
    return {"status": c.lifecycle.opt_out_online(body.nir, body.code)}


@route(bp, "/activation", "POST", tag=TAG, auth="none", body=M + "ActivationRequest", response=M + "StatusReply",
       errors=(400, 401, 409, 410, 422, 429),
       summary="Activate a space with the NIR, the Vitale card serial and the provisional code.")
def activate(call: Call) -> Any:
    body = call.body
    return {"status": _services().lifecycle.activate(body.nir, body.vitale_serial, body.code)}


@route(bp, "/activation-codes", "POST", tag=TAG, auth="none", body=M + "CodeRequest", status=202,
       errors=(400, 422, 429),
       summary="Ask for a new provisional code; it is sent to the person, never returned. The old one dies.")
def request_code(call: Call) -> Any:
    _services().lifecycle.request_code(call.body.nir, call.body.vitale_serial)
    return Reply({"status": "accepted"}, 202)


@route(bp, "/me", "GET", tag=TAG, roles=("patient",), response=M + "Me", errors=(401, 403),
       summary="The caller's space and the children's spaces they manage.")
def me(call: Call) -> Any:
    from chalicelib.domain.access import Action

    c = _services()
    c.access.check(call.actor, Action.READ_ME)
    return c.lifecycle.me(call.actor.ins)


@route(bp, "/me/closure", "POST", tag=TAG, roles=("patient",), body=M + "ClosureRequest",
       response=M + "StatusReply", errors=(400, 401, 403, 409, 422),
       summary="Close the space: everything is archived 10 years (3 months if deletion is requested), then erased.")
def close(call: Call) -> Any:
    from chalicelib.domain.access import Action

    c = _services()
    c.access.check(call.actor, Action.CLOSE_SPACE)
    return {"status": c.lifecycle.close(call.actor.ins, call.body.delete_requested)}
