"""The people around a person: carers (aidants), a second legal representative, and coming of age.

A **delegation** links a space to a member: a carer of the person, or a second legal representative of a child. It
starts as an **invitation** the member answers:

    pending ──accepted by the invitee──▶ accepted ──revoked by the person, their representative,
       │                                              or the carer stepping down; or 18 (see below)──▶ ended
       ├──refused by the invitee──▶ refused
       ├──withdrawn by the person or their representative──▶ cancelled
       └──not answered within INVITATION_VALIDITY──▶ expired (decided at read time, whatever is stored)

Rules (CONTRACT §10; DOMAIN.md, after the official app's delegations): the invitee is matched by INS, given name,
family name and birth date, and must be an adult whose space is active — any other case answers exactly like an
unknown person; a person has at most MAX_CARERS carers and a carer helps at most MAX_HELPED people; a child has at
most one legal representative besides the enrolment's. At 18 the legal representatives lose access (the access
decision reads the birth date at every access), and so do the carers a representative chose for the minor; the
young adult is told once (``space_of_age``).

Pure: no AWS, no Chalice.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from chalicelib.domain.accounts import MAJORITY_AGE as MAJORITY
from chalicelib.domain.accounts import Account, Status
from chalicelib.domain.timeutil import UTC, age_on
from chalicelib.errors import Conflict, Gone, NotFound

# An invitation not answered in 14 days expires: long enough to read an email or a letter and sign in, short enough
# that an invitation nobody answered does not wait for years for a stranger who got the address (DOMAIN: the
# official app's invitations are PENDING / ACCEPTED / REFUSED / EXPIRED; it does not publish its period).
INVITATION_VALIDITY = dt.timedelta(days=14)
# An answered or expired invitation stays listed to its invitee this long, then DynamoDB's TTL removes it.
KEPT_AFTER_END = dt.timedelta(days=30)
MAX_CARERS = 3  # carers of one person
MAX_HELPED = 5  # people one carer helps
OF_AGE_HOUR = 6  # UTC: the space_of_age notice goes out at 07:00 (winter) or 08:00 (summer) in Paris


class Kind(StrEnum):
    CARER = "carer"
    REPRESENTATIVE = "representative"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    EXPIRED = "expired"  # never stored: a pending invitation past its time
    CANCELLED = "cancelled"  # withdrawn before it was answered
    ENDED = "ended"  # accepted, then revoked (or ended at 18)


OPEN_STATUSES = (InvitationStatus.PENDING, InvitationStatus.ACCEPTED)


@dataclass(frozen=True)
class PersonRef:
    """Who a delegation names, as the other side is shown it."""

    ins: str
    given_name: str
    family_name: str

    @classmethod
    def of(cls, account: Account) -> PersonRef:
        return cls(account.nir, account.given_name, account.family_name)


@dataclass(frozen=True)
class Invitation:
    """An invitation, kept in the invitee's space; ``status`` is as stored (see :meth:`status_at`)."""

    invitation_id: str
    kind: Kind
    patient: PersonRef  # the space concerned: the person helped, or the child
    invitee: PersonRef
    invited_by: str  # the INS of the person who invited
    by_representative: bool  # a legal representative invited, for a minor
    created_at: dt.datetime
    expires_at: dt.datetime
    status: InvitationStatus = InvitationStatus.PENDING
    answered_at: dt.datetime | None = None

    def status_at(self, now: dt.datetime) -> InvitationStatus:
        if self.status == InvitationStatus.PENDING and now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return self.status

    def as_of(self, now: dt.datetime) -> Invitation:
        """The invitation as the invitee sees it now (a pending one past its time reads as expired)."""
        return replace(self, status=self.status_at(now))

    @property
    def forget_at(self) -> dt.datetime:
        """When an invitation nobody answers any more may be forgotten (TTL)."""
        return (self.answered_at or self.expires_at) + KEPT_AFTER_END

    def check_answerable(self, now: dt.datetime) -> None:
        status = self.status_at(now)
        if status == InvitationStatus.EXPIRED:
            raise Gone("This invitation has expired (invitations are valid 14 days): ask the person to invite "
                       "you again.", code="invitation_expired")
        if status == InvitationStatus.CANCELLED:
            raise Gone("This invitation was withdrawn by the person who sent it.", code="invitation_withdrawn")
        if status != InvitationStatus.PENDING:
            raise Conflict(f"This invitation has already been answered ({status.value}).",
                           code="invitation_answered")


@dataclass(frozen=True)
class Delegation:
    """A space's link to a member (a carer, or the second legal representative), kept in that space: it mirrors
    the status of the invitation it came from."""

    kind: Kind
    patient_ins: str
    member: PersonRef
    status: InvitationStatus
    invitation_id: str
    invited_at: dt.datetime
    expires_at: dt.datetime  # of the invitation
    by_representative: bool = False
    since: dt.datetime | None = None  # accepted at

    def status_at(self, now: dt.datetime) -> InvitationStatus:
        if self.status == InvitationStatus.PENDING and now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return self.status

    @property
    def ins(self) -> str:
        return self.member.ins

    @property
    def given_name(self) -> str:
        return self.member.given_name

    @property
    def family_name(self) -> str:
        return self.member.family_name

    @property
    def pending_until(self) -> dt.datetime | None:
        return self.expires_at if self.status == InvitationStatus.PENDING else None

    def live(self, now: dt.datetime) -> bool:
        """Accepted, or pending and still answerable: a new invitation of the same member would be a duplicate."""
        return self.status_at(now) in OPEN_STATUSES

    def as_of(self, now: dt.datetime) -> Delegation:
        return replace(self, status=self.status_at(now))

    @property
    def forget_at(self) -> dt.datetime:
        return max(self.expires_at, self.since or self.expires_at) + KEPT_AFTER_END

    def ended_at_majority(self, patient_birth: dt.date, today: dt.date) -> bool:
        """A carer a legal representative chose for a minor stops when the minor turns 18."""
        return self.by_representative and age_on(patient_birth, today) >= MAJORITY


@dataclass(frozen=True)
class HelpLink:
    """In a member's own space: a person they help, or a child they represent (accepted delegations)."""

    kind: Kind
    patient_ins: str
    since: dt.datetime
    by_representative: bool = False


@dataclass(frozen=True)
class Helped:
    """A person the caller helps, as ``GET /me`` lists them."""

    ins: str
    given_name: str
    family_name: str
    birth_date: dt.date
    status: str
    since: dt.datetime


class LimitReached(Exception):
    """Accepting (or inviting) would exceed a limit: ``which`` is "carers" (of the person) or "helped" (by the
    carer)."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


class Taken(Exception):
    """The delegation exists and is live (accepted, or pending and not expired)."""


def limit_reached(which: str) -> Conflict:
    if which == "carers":
        return Conflict(f"This person already has {MAX_CARERS} carers, the most a person may have: one must step "
                        "down or be removed first.", code="too_many_carers")
    return Conflict(f"This carer already helps {MAX_HELPED} people, the most a carer may help.",
                    code="too_many_helped")


def _fold(text: str) -> str:
    """Names compared as people write them: without accents, case, hyphens, apostrophes or double spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    for mark in "-'’.":
        plain = plain.replace(mark, " ")
    return " ".join(plain.split())


def names_match(account: Account, given_name: str, family_name: str) -> bool:
    """The family name, and the given names or the first of them (the official app matches the first given name)."""
    given, known = _fold(given_name), _fold(account.given_name)
    first = known.split(" ")[0] if known else known
    return _fold(family_name) == _fold(account.family_name) and given in (known, first) and bool(given)


def unknown_person() -> NotFound:
    """One answer for an unknown INS, a mismatched identity, a space not active and a minor: nothing to probe."""
    return NotFound("No active space of an adult matches this identity: check the INS, the given and family names "
                    "and the birth date.", code="unknown_person")


def check_invitee(invitee: Account | None, given_name: str, family_name: str, birth_date: dt.date,
                  today: dt.date) -> Account:
    """The account invited, if it is an adult's active space whose identity matches exactly; else the one 404."""
    if (invitee is None or invitee.status != Status.ACTIVE or invitee.birth_date != birth_date
            or age_on(invitee.birth_date, today) < MAJORITY or not names_match(invitee, given_name, family_name)):
        raise unknown_person()
    return invitee


def coming_of_age(birth_date: dt.date) -> dt.date:
    """The 18th birthday: the first day the access decision counts the person as an adult (29 February: 1 March)."""
    try:
        return birth_date.replace(year=birth_date.year + MAJORITY)
    except ValueError:
        return dt.date(birth_date.year + MAJORITY, 3, 1)


def of_age_notice_at(birth_date: dt.date) -> dt.datetime:
    day = coming_of_age(birth_date)
    return dt.datetime(day.year, day.month, day.day, OF_AGE_HOUR, tzinfo=UTC)
