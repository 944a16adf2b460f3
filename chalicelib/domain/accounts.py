"""An insured person's account and the life of their space.

    notified ──opt-out (window open)──▶ opposed
        │  └─window ends (job)──▶ open ──activation──▶ active
        └──activation─────────────────────────────────▶ active
    open/active ──closure──▶ closed ──archive period ends (job)──▶ erased
    closed ──enrolment or activation──▶ notified / active (the archive is restored)

Rules come from the Code de la santé publique (R1111-28: notice, 6-week opt-out, automatic creation; R1111-36:
closure, 10-year archive, deletion on request within 3 months) and the official app's error states (expired code,
already used, 30 s between tries). Every method is pure: it checks the rule, changes the entity or raises a
:class:`~chalicelib.errors.DomainError`. Persisting the change atomically is the repository's job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain.timeutil import add_months, add_years, age_on
from chalicelib.errors import Conflict, Gone, TooManyAttempts, Unauthenticated

OPT_OUT_WINDOW = dt.timedelta(days=42)  # 6 weeks (R1111-28)
CODE_VALIDITY = dt.timedelta(days=42)
RETRY_DELAY = dt.timedelta(seconds=30)  # between a failed attempt and the next, per NIR
NOTICE_LEASE = dt.timedelta(minutes=15)  # a run sending a pending notice holds it this long (> a job's timeout)
ARCHIVE_YEARS = 10  # R1111-36
DELETION_MONTHS = 3  # R1111-36: a deletion request is carried out within 3 months
CODE_LENGTH = 12
# Upper-case letters and digits without the look-alikes 0/O, 1/I/L: easy to read on a letter or a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAJORITY_AGE = 18
ENROLMENT_NOTICE = "enrolment_notice"  # the notice that starts the opt-out window (with the provisional code)


class Status(StrEnum):
    NOTIFIED = "notified"
    OPPOSED = "opposed"
    OPEN = "open"
    ACTIVE = "active"
    CLOSED = "closed"


SPACE_EXISTS = (Status.OPEN, Status.ACTIVE)


class DueKind(StrEnum):
    """What a scheduled job has to do with an account (the sparse due index)."""

    EXPIRY = "expiry"
    NOTICE = "notice"
    PURGE = "purge"


@dataclass
class Contact:
    email: str | None = None
    phone: str | None = None
    postal_address: str | None = None

    def is_empty(self) -> bool:
        return not (self.email or self.phone or self.postal_address)


@dataclass
class Code:
    """A provisional code, kept only as a keyed hash."""

    hash: str
    issued_at: dt.datetime
    kind: str  # the notice that carried it: enrolment_notice | activation_code
    used_at: dt.datetime | None = None

    @property
    def expires_at(self) -> dt.datetime:
        return self.issued_at + CODE_VALIDITY


def secret_hash(pepper: str, nir: str, value: str) -> str:
    """Keyed hash of a secret bound to its owner: a stolen table reveals neither codes nor card serials."""
    message = f"{nir}:{value.strip().upper()}".encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()


def normalise_code(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


@dataclass
class Account:
    nir: str
    given_name: str
    family_name: str
    birth_date: dt.date
    status: Status
    notified_at: dt.datetime
    contact: Contact = field(default_factory=Contact)
    vitale_hash: str | None = None
    code: Code | None = None
    last_failure_at: dt.datetime | None = None
    legal_representative_nir: str | None = None
    opened_at: dt.datetime | None = None
    activated_at: dt.datetime | None = None
    opposed_at: dt.datetime | None = None
    opposed_via: str | None = None
    closed_at: dt.datetime | None = None
    delete_requested: bool = False
    pending_notice: str | None = None  # a notice decided but not yet confirmed sent
    notice_claimed_until: dt.datetime | None = None  # a job run is sending the pending notice (a lease)
    purging: bool = False  # the archive-purge job is erasing this space: nothing may revive it meanwhile
    enrolment_ref: str | None = None  # the file row that enrolled it (a replayed row is the same enrolment)
    version: int = 0  # optimistic concurrency: every save expects the version it read

    # -- derived state ------------------------------------------------------------------------------------------
    @property
    def window_ends_at(self) -> dt.datetime:
        return self.notified_at + OPT_OUT_WINDOW

    def window_open(self, now: dt.datetime) -> bool:
        return self.status == Status.NOTIFIED and now < self.window_ends_at

    @property
    def purge_at(self) -> dt.datetime | None:
        if self.status != Status.CLOSED or self.closed_at is None:
            return None
        if self.delete_requested:
            return add_months(self.closed_at, DELETION_MONTHS)
        return add_years(self.closed_at, ARCHIVE_YEARS)

    def is_minor(self, today: dt.date) -> bool:
        return age_on(self.birth_date, today) < MAJORITY_AGE

    def due(self) -> tuple[DueKind, dt.datetime] | None:
        """The next thing a job must do with this account, and when."""
        if self.pending_notice:
            return DueKind.NOTICE, self.opened_at or self.notified_at
        if self.status == Status.NOTIFIED:
            return DueKind.EXPIRY, self.window_ends_at
        purge_at = self.purge_at
        if purge_at is not None:
            return DueKind.PURGE, purge_at
        return None

    # -- rules --------------------------------------------------------------------------------------------------
    def check_retry_delay(self, now: dt.datetime) -> None:
        """Refuse a new try within 30 s of a failed one (429 with Retry-After, and the wait said in the message)."""
        if self.last_failure_at and now < self.last_failure_at + RETRY_DELAY:
            wait = max(1, int((self.last_failure_at + RETRY_DELAY - now).total_seconds() + 0.999))
            raise TooManyAttempts(
                f"Too many attempts with this social-security number: wait {wait} second{'s' if wait > 1 else ''} "
                "before trying again.", retry_after=wait)

    def record_failure(self, now: dt.datetime) -> None:
        self.last_failure_at = now

    def code_matches(self, code_hash: str) -> bool:
        return self.code is not None and hmac.compare_digest(self.code.hash, code_hash)

    def serial_matches(self, serial_hash: str) -> bool:
        return self.vitale_hash is not None and hmac.compare_digest(self.vitale_hash, serial_hash)

    def check_code_usable(self, now: dt.datetime) -> None:
        """After a matching code: used (409) or expired (410)?"""
        assert self.code is not None
        if self.code.used_at is not None:
            raise Conflict("This provisional code has already been used.", code="code_already_used")
        if now >= self.code.expires_at:
            raise Gone(
                "This provisional code has expired (codes are valid 42 days): ask for a new one.", code="code_expired"
            )

    def issue_code(self, code_hash: str, now: dt.datetime, kind: str) -> None:
        """A new code replaces the old one, which stops working."""
        self.code = Code(hash=code_hash, issued_at=now, kind=kind)

    def claim_notice(self, now: dt.datetime) -> str | None:
        """Take the pending notice for sending (held for NOTICE_LEASE, so that no other run sends it meanwhile);
        None when there is none, or another run holds it."""
        if not self.pending_notice or (self.notice_claimed_until is not None and now < self.notice_claimed_until):
            return None
        self.notice_claimed_until = now + NOTICE_LEASE
        return self.pending_notice

    def settle_notice(self, kind: str, sent: bool) -> bool:
        """The claimed notice ``kind`` went out (cleared) or did not (released for a later run). False when the
        account no longer owes that notice (nothing to write)."""
        if self.pending_notice != kind:
            return False
        self.notice_claimed_until = None
        if sent:
            self.pending_notice = None
        return True

    def opt_out(self, now: dt.datetime, via: str) -> bool:
        """Oppose the creation of the space. Returns False when already opposed (idempotent)."""
        if self.status == Status.OPPOSED:
            return False
        if self.status == Status.ACTIVE:
            raise Conflict("This space has been activated, so it exists: to leave it, close the space instead.",
                           code="space_exists")
        if self.status != Status.NOTIFIED or not self.window_open(now):
            raise Conflict(
                "The opt-out window has ended and the space exists: close the space instead.", code="space_exists"
            )
        self.status = Status.OPPOSED
        self.opposed_at = now
        self.opposed_via = via
        return True

    def expire_window(self, now: dt.datetime) -> bool:
        """The window ended without objection: the space is created. False when there is nothing to do (and while
        the enrolment notice has not gone out: the window runs from the notice)."""
        if self.status != Status.NOTIFIED or now < self.window_ends_at or self.pending_notice == ENROLMENT_NOTICE:
            return False
        self.status = Status.OPEN
        self.opened_at = now
        self.pending_notice = "space_created"
        return True

    def activate(self, now: dt.datetime) -> None:
        """The person takes up their space (during the window, after creation, or to reopen a closed one)."""
        if self.status == Status.OPPOSED:
            raise Conflict("This person opposed the creation of their space.", code="opposed")
        if self.status == Status.ACTIVE:
            raise Conflict("This space is already active.", code="already_active")
        if self.purging:
            raise Conflict("This space's archive is being erased.", code="purging")
        assert self.code is not None
        self.code.used_at = now
        self.status = Status.ACTIVE
        self.activated_at = now
        self.opened_at = self.opened_at or now
        self.closed_at = None
        self.delete_requested = False
        self.last_failure_at = None
        if self.pending_notice == "space_created":
            self.pending_notice = None  # the person is here: no need to tell them their space exists

    def close(self, now: dt.datetime, delete_requested: bool) -> None:
        if self.status not in SPACE_EXISTS:
            raise Conflict("Only an open or active space can be closed.", code="not_open")
        self.status = Status.CLOSED
        self.closed_at = now
        self.delete_requested = delete_requested
        self.pending_notice = None

    def re_enrol(self, given_name: str, family_name: str, contact: Contact, vitale_hash: str | None,
                 notified_at: dt.datetime) -> None:
        """A closed space's owner is enrolled again: a new notice and window; the archive comes back with it."""
        if self.status != Status.CLOSED:
            raise Conflict("This person is already enrolled.", code="duplicate")
        self.given_name, self.family_name = given_name, family_name
        self.contact = contact
        self.vitale_hash = vitale_hash or self.vitale_hash
        self.status = Status.NOTIFIED
        self.notified_at = notified_at
        self.closed_at = None
        self.delete_requested = False
        self.opened_at = self.activated_at = self.opposed_at = None
        self.last_failure_at = None


def wrong_credentials() -> Unauthenticated:
    """One answer for an unknown NIR, a wrong card serial or a wrong code: nothing to enumerate."""
    return Unauthenticated(
        "The social-security number, the Vitale card serial or the code is incorrect.", code="invalid_credentials"
    )
