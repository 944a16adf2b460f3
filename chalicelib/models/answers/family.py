"""Answers of the family routes (CONTRACT §10): invitations, carers."""

from __future__ import annotations

from typing import Annotated, Literal

from chalicelib.models.answers import Cursor, Describe, Time, answer

InvitationState = Literal["pending", "accepted", "refused", "expired", "cancelled", "ended"]


@answer
class InvitationTicket:
    invitation_id: str
    status: Literal["pending"]
    expires_at: Annotated[Time, Describe("Not answered by then, the invitation expires (14 days).")]


@answer
class PersonRef:
    ins: str
    given_name: str
    family_name: str


@answer
class Invitation:
    invitation_id: str
    kind: Annotated[Literal["carer", "representative"], Describe(
        "carer: to help the person; representative: to manage a child's space as a second legal representative.")]
    status: InvitationState
    patient: Annotated[PersonRef, Describe("The person helped, or the child.")]
    created_at: Time
    expires_at: Time
    answered_at: Time | None = None


@answer
class InvitationPage:
    items: list[Invitation]
    next_cursor: Cursor = None


@answer
class Carer:
    ins: Annotated[str, Describe("The carer's INS.")]
    given_name: str
    family_name: str
    status: Annotated[Literal["pending", "accepted"], Describe("pending: invited, not answered yet.")]
    invitation_id: str
    invited_at: Time
    pending_until: Annotated[Time | None, Describe("A pending invitation expires then.")] = None
    since: Annotated[Time | None, Describe("When the carer accepted.")] = None


@answer
class CarerPage:
    items: list[Carer]
    next_cursor: Cursor = None
