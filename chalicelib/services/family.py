"""The people around a person (CONTRACT §10): carers (aidants) invited by the person or their legal representative,
a second legal representative invited by the first, the invitations they answer, and coming of age.

What a carer or a representative may then do in the space is the access decision's (``domain/access.py``: the
caller's standing is one of its facts); this service manages the links. Limits (3 carers a person, 5 people a
carer) hold under concurrent invitations and acceptances: the repository checks them in the same transaction as
the change (``adapters/family_repo.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import LIVE, Action, Mode
from chalicelib.domain.accounts import MAJORITY_AGE, NOTICE_LEASE, Account
from chalicelib.domain.family import (
    INVITATION_VALIDITY,
    Delegation,
    HelpLink,
    Invitation,
    InvitationStatus,
    Kind,
    LimitReached,
    PersonRef,
    check_invitee,
    limit_reached,
    of_age_notice_at,
)
from chalicelib.domain.identity import Actor
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import age_on, iso
from chalicelib.errors import Conflict, Gone, InvalidInput, NotFound, Unavailable
from chalicelib.observability import logger
from chalicelib.ports import AccountRepository, Clock, ConcurrentUpdate, Ids
from chalicelib.services.access import AccessService
from chalicelib.services.lifecycle import JobReport
from chalicelib.services.notices import Messenger
from chalicelib.services.versioned import retrying

if TYPE_CHECKING:
    from collections.abc import Iterator

    from chalicelib.models.family import IdentityInvitation

NOTICE = {Kind.CARER: "carer_invitation", Kind.REPRESENTATIVE: "representative_invitation"}


class FamilyRepository(Protocol):
    def delegation(self, patient: str, kind: Kind, member: str) -> Delegation | None: ...
    def carers(self, patient: str, limit: int, cursor: str | None, now: dt.datetime) -> Page[Delegation]:
        """The live carers (accepted, or invited and not expired)."""
        ...
    def delegations_of(self, patient: str) -> list[Delegation]: ...
    def invitation(self, invitee: str, invitation_id: str) -> Invitation | None: ...
    def invitations(self, invitee: str, limit: int, cursor: str | None) -> Page[Invitation]:
        """Newest first."""
        ...
    def invite(self, invitation: Invitation, delegation: Delegation, previous: Delegation | None) -> None:
        """Both at once; ConcurrentUpdate when ``previous`` changed meanwhile, LimitReached for a carer's limit."""
        ...
    def accept(self, invitation: Invitation, now: dt.datetime) -> None:
        """ConcurrentUpdate when the invitation is no longer pending; LimitReached when a limit would break."""
        ...
    def refuse(self, invitation: Invitation, now: dt.datetime) -> None: ...
    def end(self, delegation: Delegation, now: dt.datetime) -> None:
        """Withdraw a pending delegation, or end an accepted one; ConcurrentUpdate when it changed meanwhile."""
        ...
    def links(self, member: str) -> list[HelpLink]: ...
    def schedule_of_age(self, ins: str, due_at: dt.datetime) -> None: ...
    def due_of_age(self, now: dt.datetime) -> Iterator[str]: ...
    def claim_of_age(self, ins: str, now: dt.datetime, until: dt.datetime) -> bool: ...
    def release_of_age(self, ins: str) -> None: ...
    def done_of_age(self, ins: str) -> None: ...
    def erase(self, ins: str) -> int: ...


@dataclass(frozen=True)
class InvitationTicket:
    """What the inviter is told (CONTRACT §10): never whether the invitee read it."""

    invitation_id: str
    status: str
    expires_at: dt.datetime


class FamilyService:
    def __init__(self, family: FamilyRepository, accounts: AccountRepository, access: AccessService,
                 messenger: Messenger, clock: Clock, ids: Ids) -> None:
        self.family = family
        self.accounts = accounts
        self.access = access
        self.messenger = messenger
        self.clock = clock
        self.ids = ids

    # -- inviting ------------------------------------------------------------------------------------------------
    def invite_carer(self, actor: Actor, ins: str, body: IdentityInvitation) -> InvitationTicket:
        """The person (or their legal representative) invites an adult, named by identity, to be their carer."""
        grant = self.access.check(actor, Action.MANAGE_CARERS, ins)
        return self._invite(actor, grant.mode == Mode.REPRESENTATIVE, Kind.CARER, ins, body)

    def invite_representative(self, actor: Actor, ins: str, body: IdentityInvitation) -> InvitationTicket:
        """A legal representative of a minor invites the other parent, who then manages the child's space too."""
        self.access.check(actor, Action.INVITE_REPRESENTATIVE, ins)
        return self._invite(actor, True, Kind.REPRESENTATIVE, ins, body)

    def _invite(self, actor: Actor, by_representative: bool, kind: Kind, ins: str,
                body: IdentityInvitation) -> InvitationTicket:
        """``by_representative``: a legal representative invites for a minor (such a carer stops at 18)."""
        assert actor.ins is not None
        now = self.clock.now()
        patient = self.accounts.get(ins)
        if patient is None:
            raise NotFound("No health space exists for this INS.", code="no_space")
        if body.ins == ins:
            who = "their own carer" if kind == Kind.CARER else "their own legal representative"
            raise InvalidInput(f"The field 'ins' is the space's own: a person cannot be {who}.", code="invalid_ins",
                               field="ins")
        if kind == Kind.REPRESENTATIVE and body.ins == patient.legal_representative_nir:
            raise Conflict("This person is already the child's legal representative.", code="already_representative")
        invitee = check_invitee(self.accounts.get(body.ins), body.given_name, body.family_name, body.birth_date,
                                now.date())
        def step() -> tuple[Invitation, Delegation]:
            previous = self.family.delegation(ins, kind, invitee.nir)
            if previous is not None and previous.live(now):
                raise _taken(kind, previous, invitee.nir, now)
            invitation = Invitation(
                invitation_id=self.ids.new(now), kind=kind, patient=PersonRef.of(patient),
                invitee=PersonRef.of(invitee), invited_by=actor.ins or "", by_representative=by_representative,
                created_at=now, expires_at=now + INVITATION_VALIDITY)
            delegation = Delegation(kind=kind, patient_ins=ins, member=invitation.invitee,
                                    status=InvitationStatus.PENDING, invitation_id=invitation.invitation_id,
                                    invited_at=now, expires_at=invitation.expires_at,
                                    by_representative=by_representative)
            try:
                self.family.invite(invitation, delegation, previous)
            except LimitReached as reached:
                raise limit_reached(reached.which) from None
            return invitation, delegation

        invitation, delegation = retrying(step, "the invitation")
        self._tell_invitee(invitee, invitation, delegation, now)
        return InvitationTicket(invitation.invitation_id, invitation.status.value, invitation.expires_at)

    def _tell_invitee(self, invitee: Account, invitation: Invitation, delegation: Delegation,
                      now: dt.datetime) -> None:
        """The invitation notice is required: when it cannot go out, the invitation is withdrawn and the inviter
        told to try again (an invitation nobody was told about would expire unseen)."""
        try:
            sent = self.messenger.tell(invitee, NOTICE[invitation.kind], {"expires_at": iso(invitation.expires_at)})
        except Exception:  # any failure of the notifier: nothing is kept
            sent = None
        if sent is None:
            try:
                self.family.end(delegation, now)
            except ConcurrentUpdate:
                return  # the invitee answered meanwhile: the invitation reached them
            raise Unavailable("The invitation could not be sent to this person right now; nothing was kept: try "
                              "again later.", code="notice_failed")

    # -- the person's carers -------------------------------------------------------------------------------------
    def carers(self, actor: Actor, ins: str, limit: int, cursor: str | None) -> Page[Delegation]:
        """The carers of the space (accepted, and invitations still answerable)."""
        grant = self.access.check(actor, Action.READ_CARERS, ins)
        now = self.clock.now()
        page = self.family.carers(ins, limit, cursor, now)
        patient = grant.facts.patient
        adult_since = patient.birth_date if patient else None
        items = [d.as_of(now) for d in page.items
                 if adult_since is None or not d.ended_at_majority(adult_since, now.date())]
        return Page(items, page.next_cursor)

    def revoke_carer(self, actor: Actor, ins: str, carer_ins: str) -> None:
        """The person, their legal representative or the carer themselves ends the link (or withdraws a pending
        invitation): effective at once, since the decision reads the link at every access."""
        grant = self.access.check_carer(actor, Action.REVOKE_CARER, ins, carer_ins)
        now = self.clock.now()

        def step() -> Delegation:
            held = self.family.delegation(ins, Kind.CARER, carer_ins)
            if held is None or not held.live(now):
                raise NotFound("This person is not a carer of this space.", code="unknown_carer")
            self.family.end(held, now)
            return held

        ended = retrying(step, "the carer's link")
        grant.log("revoke_carer")
        if ended.status == InvitationStatus.ACCEPTED and grant.mode != Mode.CARER:
            self._tell_carer_revoked(carer_ins)

    def _tell_carer_revoked(self, carer_ins: str) -> None:
        """The link has ended whatever happens to the notice; a notice that fails is logged for the operators."""
        try:
            self.messenger.tell(carer_ins, "carer_revoked")
        except Exception:  # any failure of the notifier
            logger().exception("carer_revoked notice failed")

    # -- the invitee's side --------------------------------------------------------------------------------------
    def invitations(self, actor: Actor, limit: int, cursor: str | None) -> Page[Invitation]:
        """The caller's invitations, newest first (one past its time reads as expired)."""
        self.access.check(actor, Action.READ_INVITATIONS)
        assert actor.ins is not None
        now = self.clock.now()
        page = self.family.invitations(actor.ins, limit, cursor)
        return Page([i.as_of(now) for i in page.items], page.next_cursor)

    def accept(self, actor: Actor, invitation_id: str) -> Invitation:
        return self._answer(actor, invitation_id, accept=True)

    def refuse(self, actor: Actor, invitation_id: str) -> Invitation:
        return self._answer(actor, invitation_id, accept=False)

    def _answer(self, actor: Actor, invitation_id: str, accept: bool) -> Invitation:
        self.access.check(actor, Action.ANSWER_INVITATION)
        assert actor.ins is not None
        invitee = actor.ins
        now = self.clock.now()

        def step() -> Invitation:
            invitation = self.family.invitation(invitee, invitation_id)
            if invitation is None:
                raise NotFound("No such invitation.", code="not_found")
            invitation.check_answerable(now)
            if accept:
                self._check_still_possible(invitation, now)
                try:
                    self.family.accept(invitation, now)
                except LimitReached as reached:
                    raise limit_reached(reached.which) from None
                return replace(invitation, status=InvitationStatus.ACCEPTED, answered_at=now)
            self.family.refuse(invitation, now)
            return replace(invitation, status=InvitationStatus.REFUSED, answered_at=now)

        return retrying(step, "the invitation")

    def _check_still_possible(self, invitation: Invitation, now: dt.datetime) -> None:
        """The space still exists, and a minor's delegation is not accepted once the minor is 18."""
        patient = self.accounts.get(invitation.patient.ins)
        if patient is None or patient.status.value not in LIVE:
            raise Gone("The space this invitation was for no longer exists.", code="space_closed")
        minor_only = invitation.kind == Kind.REPRESENTATIVE or invitation.by_representative
        if minor_only and not patient.is_minor(now.date()):
            raise Gone("This invitation was made for a minor who has since come of age: it can no longer be "
                       "accepted.", code="came_of_age")

    # -- coming of age -------------------------------------------------------------------------------------------
    def space_opened(self, ins: str, birth_date: dt.date, now: dt.datetime) -> None:
        """A minor's space opens: the coming-of-age notice is scheduled for the 18th birthday."""
        if age_on(birth_date, now.date()) < MAJORITY_AGE:
            self.family.schedule_of_age(ins, of_age_notice_at(birth_date))

    def run_coming_of_age(self, now: dt.datetime) -> JobReport:
        """Part of the `reminders` job: every young person who turned 18 is told once (``space_of_age``), and the
        carers a legal representative chose for them stop (each told, ``carer_revoked``). Each notice is claimed
        by one run with a lease, then cleared: runs racing send it once; a run that fails releases it for the next
        one; one that crashes after sending leaves it to a run after the lease (sent again rather than lost)."""
        report = JobReport("coming-of-age", details={"carers_ended": 0, "failed": 0})
        for ins in list(self.family.due_of_age(now)):
            if not self.family.claim_of_age(ins, now, now + NOTICE_LEASE):
                continue  # another run holds it, or it is done
            try:
                told, ended = self._come_of_age(ins, now)
            except Exception:  # any failure: released for the next run, the others go on
                self.family.release_of_age(ins)
                report.details["failed"] += 1
                logger().exception("space_of_age failed")
                continue
            self.family.done_of_age(ins)
            report.processed += int(told)
            report.details["carers_ended"] += ended
        return report

    def _come_of_age(self, ins: str, now: dt.datetime) -> tuple[bool, int]:
        account = self.accounts.get(ins)
        if account is None or account.status.value not in LIVE or account.is_minor(now.date()):
            return False, 0  # no space any more (or not 18: nothing to say)
        ended = 0
        for held in self.family.delegations_of(ins):
            if held.kind == Kind.CARER and held.by_representative and held.live(now):
                self.family.end(held, now)
                ended += 1
                if held.status == InvitationStatus.ACCEPTED:
                    self._tell_carer_revoked(held.member.ins)
        self.messenger.tell(account, "space_of_age")
        return True, ended

    # -- the archive ---------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        return self.family.erase(ins)


def _taken(kind: Kind, held: Delegation, invitee: str, now: dt.datetime) -> Conflict:
    accepted = held.status_at(now) == InvitationStatus.ACCEPTED
    if kind == Kind.CARER:
        if accepted:
            return Conflict("This person is already a carer of this space.", code="already_carer")
        return Conflict("This person has already been invited and has not answered yet.", code="already_invited")
    if held.member.ins == invitee and accepted:
        return Conflict("This person is already the child's legal representative.", code="already_representative")
    if accepted:
        return Conflict("This child already has two legal representatives.", code="too_many_representatives")
    return Conflict("A second legal representative has already been invited and has not answered yet: wait for "
                    "the answer or for the invitation to expire (14 days).", code="already_invited")
