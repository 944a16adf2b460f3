"""Family and carers (CONTRACT §10): carers invited by identity, a second legal representative, the invitations a
person answers. What a carer or a representative may do in a space is the access decision's."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, Reply, paging, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action

bp = Blueprint(__name__)
TAG = "Family and carers"
M = "chalicelib.models.family:"
A = "chalicelib.models.answers.family:"


@route(bp, "/patients/{ins}/carers", "POST", tag=TAG, action=Action.MANAGE_CARERS, body=M + "CarerInvitation",
       response=A + "InvitationTicket", status=201, errors=(400, 403, 404, 409, 422, 503),
       summary="Invite an adult, named by identity, to be a carer (aidant); they get carer_invitation. At most 3 "
               "carers a person, 5 people a carer (409).",
       description="The person or their legal representative. Any mismatch of the identity, an unknown person, a "
                   "space not active or a minor answers exactly like an unknown person (404). An invitation not "
                   "answered in 14 days expires.")
def invite_carer(call: Call, ins: str) -> Any:
    return container().family.invite_carer(call.caller, ins, call.body)


@route(bp, "/patients/{ins}/carers", "GET", tag=TAG, action=Action.READ_CARERS, response=A + "CarerPage",
       query=PAGING, errors=(400, 403, 404, 422),
       summary="The carers of the space, and the invitations not answered yet (the person, a legal representative).")
def list_carers(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().family.carers(call.caller, ins, limit, cursor)


@route(bp, "/patients/{ins}/carers/{carer_ins}", "DELETE", tag=TAG, action=Action.REVOKE_CARER, status=204,
       errors=(403, 404, 422, 503),
       summary="End a carer's link (or withdraw the invitation): the person, their legal representative, or the "
               "carer stepping down. Effective at once.")
def revoke_carer(call: Call, ins: str, carer_ins: str) -> Any:
    container().family.revoke_carer(call.caller, ins, carer_ins)
    return Reply(status=204)


@route(bp, "/patients/{ins}/representatives", "POST", tag=TAG, action=Action.INVITE_REPRESENTATIVE,
       body=M + "RepresentativeInvitation", response=A + "InvitationTicket", status=201,
       errors=(400, 403, 404, 409, 422, 503),
       summary="A legal representative of a minor invites a second one, named by identity (representative_invitation"
               "); once accepted, they manage the child's space too.")
def invite_representative(call: Call, ins: str) -> Any:
    return container().family.invite_representative(call.caller, ins, call.body)


@route(bp, "/me/invitations", "GET", tag=TAG, action=Action.READ_INVITATIONS, response=A + "InvitationPage",
       query=PAGING, errors=(400, 401, 403, 422),
       summary="The invitations the caller received, newest first (an unanswered one past 14 days: expired).")
def invitations(call: Call) -> Any:
    limit, cursor = paging(call)
    return container().family.invitations(call.caller, limit, cursor)


@route(bp, "/me/invitations/{invitation_id}/accept", "POST", tag=TAG, action=Action.ANSWER_INVITATION,
       response=A + "Invitation", errors=(401, 403, 404, 409, 410, 503),
       summary="Accept an invitation: become a carer of the person, or a legal representative of the child.")
def accept_invitation(call: Call, invitation_id: str) -> Any:
    return container().family.accept(call.caller, invitation_id)


@route(bp, "/me/invitations/{invitation_id}/refuse", "POST", tag=TAG, action=Action.ANSWER_INVITATION,
       response=A + "Invitation", errors=(401, 403, 404, 409, 410, 503), summary="Refuse an invitation.")
def refuse_invitation(call: Call, invitation_id: str) -> Any:
    return container().family.refuse(call.caller, invitation_id)
