"""Account lifecycle use cases: enrolment, opt-out, activation, codes, closure, and the jobs that follow time.

Races (opt-out vs expiry vs activation, two job runs, two tabs) are settled by the repository's versioned writes:
every change is read → decided by the domain → written only if nobody wrote in between, else decided again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.access import IDENTITY_ACTIONS, PATIENT_LOOKUP_ACTIONS, Action
from chalicelib.domain.accounts import (
    ENROLMENT_NOTICE,
    Account,
    Contact,
    DueKind,
    Status,
    normalise_code,
    secret_hash,
    wrong_credentials,
)
from chalicelib.domain.family import Helped, HelpLink, Kind
from chalicelib.domain.identity import Actor
from chalicelib.domain.notices import channel_for
from chalicelib.domain.results import InvalidRow
from chalicelib.domain.timeutil import iso
from chalicelib.errors import Conflict, NotFound, SendLater, Unauthenticated
from chalicelib.observability import logger
from chalicelib.ports import (
    AccountRepository,
    AlreadyExists,
    ArchiveEraser,
    Clock,
    ConcurrentUpdate,
    Notifier,
    SecretGenerator,
    SpaceListener,
)
from chalicelib.services.access import AccessService
from chalicelib.services.notices import Messenger
from chalicelib.services.versioned import retrying

if TYPE_CHECKING:
    from chalicelib.models.lifecycle import Beneficiary, ClosureRequest, EnrolmentBatch

_FAILED = object()  # a try with a wrong secret, recorded then refused
DEFERRED = "the notice is queued: notices are being sent at the maximum rate; it goes out shortly"
RETRYING = "the notice could not be sent yet; it is sent again shortly"


@dataclass(frozen=True)
class RowResult:
    nir: str
    status: str  # notified | duplicate | invalid
    reason: str | None = None
    pending: bool = False  # notified, its notice not sent yet (throttled): a later run sends it


@dataclass(frozen=True)
class Dependant:
    ins: str
    given_name: str
    family_name: str
    birth_date: dt.date
    status: str


@dataclass(frozen=True)
class Space:
    """The caller's space, the children's spaces they manage and the people they help (``GET /me``)."""

    ins: str
    status: str
    given_name: str
    family_name: str
    birth_date: dt.date
    dependants: list[Dependant]
    helped: list[Helped] = field(default_factory=list)


class FamilyLinks(Protocol):
    def links(self, member: str) -> list[HelpLink]:
        """The people ``member`` helps and the children they represent by invitation (accepted)."""
        ...


@dataclass(frozen=True)
class PatientRecord:
    """A space looked up by its INS (FHIR ``Patient?identifier=``, the DMP's "does a record exist"): whether it is
    open or active, and the person's identity for a caller who may read their data (None for one who may only
    feed the record: they learn that the space exists, nothing of the person)."""

    ins: str
    status: str
    given_name: str | None = None
    family_name: str | None = None
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class StatusResult:
    status: str


@dataclass
class JobReport:
    job: str
    processed: int = 0
    details: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "processed": self.processed, **self.details}

    def add(self, other: JobReport) -> JobReport:
        """This report with another's counts added (two halves of one run)."""
        self.processed += other.processed
        for name, value in other.details.items():
            self.details[name] = self.details.get(name, 0) + value
        return self


def _none() -> Sequence[Any]:
    return ()


class LifecycleService:
    """``erasers`` and ``space_listeners`` are providers (called when needed): the capabilities registered by the
    composition root are built only by the jobs and calls that use them."""

    def __init__(self, accounts: AccountRepository, notifier: Notifier, clock: Clock, secrets: SecretGenerator,
                 pepper: str, access: AccessService, erasers: Callable[[], Sequence[ArchiveEraser]] = _none,
                 space_listeners: Callable[[], Sequence[SpaceListener]] = _none,
                 family: FamilyLinks | None = None, messenger: Messenger | None = None) -> None:
        self.accounts = accounts
        self.notifier = notifier
        self.clock = clock
        self.secrets = secrets
        self.pepper = pepper
        self.access = access
        self.erasers = erasers
        self.space_listeners = space_listeners
        self.family = family
        self.messenger = messenger or Messenger(accounts, notifier)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _hash(self, nir: str, value: str) -> str:
        return secret_hash(self.pepper, nir, value)

    def _update(self, nir: str, change: Callable[[Account], Any]) -> tuple[Account, Any]:
        """Read, apply ``change``, write if unchanged meanwhile (``services.versioned.retrying``).

        ``change`` may raise a DomainError (nothing is written) or return a value; returning False means
        "nothing to write".
        """

        def step() -> tuple[Account, Any]:
            account = self.accounts.get(nir)
            if account is None:
                raise NotFound("No space or enrolment exists for this person.", code="unknown_person")
            outcome = change(account)
            if outcome is not False:
                self.accounts.save(account)
            return account, outcome

        return retrying(step, "the account")

    def _opened(self, account: Account, now: dt.datetime) -> None:
        """Tell the other capabilities a space opened; their failure never undoes the opening."""
        for listener in self.space_listeners():
            try:
                listener.space_opened(account.nir, account.birth_date, now)
            except Exception:  # any listener's failure: the space is open, its preparation is retried later
                logger().exception("space listener failed", extra={"listener": type(listener).__name__})

    def _send(self, account: Account, kind: str, data: dict[str, str] | None = None) -> None:
        """Through the messenger (the law requires every notice of the lifecycle: no preference stops one)."""
        self.messenger.deliver(account, kind, data)

    # -- enrolment -----------------------------------------------------------------------------------------------
    def enrol(self, actor: Actor, batch: EnrolmentBatch) -> list[RowResult]:
        """Enrol a batch row by row: each row is validated on its own (see models.lifecycle.Beneficiary), and a
        bad row, a duplicate or a failure is reported on its row while the batch goes on."""
        return self.enrol_rows(actor, batch.rows())

    def enrol_rows(self, actor: Actor, rows: Sequence[Beneficiary | InvalidRow],
                   refs: Sequence[str | None] | None = None) -> list[RowResult]:
        """Rows already validated one by one (an enrolment file's unit gives them so, ``services.waves``).

        ``refs`` names each row's origin (an enrolment file's row): a row enrolled again under the same ref is the
        same enrolment, replayed (a retried unit), reported ``notified`` again and never notified twice."""
        self.access.check(actor, Action.ENROL)
        now = self.clock.now()
        results: list[RowResult] = []
        seen: set[str] = set()
        for index, row in enumerate(rows):
            if isinstance(row, InvalidRow):
                results.append(RowResult(row.given, "invalid", row.reason))
                continue
            if row.nir in seen:
                results.append(RowResult(row.nir, "duplicate", "this NIR appears earlier in the same batch"))
                continue
            seen.add(row.nir)
            results.append(self._enrol_one(row, now, refs[index] if refs is not None else None))
        return results

    def _enrol_one(self, row: Beneficiary, now: dt.datetime, ref: str | None) -> RowResult:
        """One person enrolled, their notice owed (``pending_notice``) and claimed by this very write, then sent
        and settled: a notice is sent once however the row is replayed or the notice retried. A throttled send
        (SendLater) leaves the notice pending (a later run sends it); any other failure undoes a new enrolment."""
        notified_at = row.notified_at or now
        contact = Contact(email=row.email, phone=row.phone, postal_address=row.postal_address)
        vitale_hash = self._hash(row.nir, row.vitale_serial) if row.vitale_serial else None
        if contact.is_empty():
            representative = self.accounts.get(row.legal_representative_nir) if row.legal_representative_nir else None
            if representative is None or channel_for(representative.contact) is None:
                return RowResult(row.nir, "invalid", "no email, phone or postal_address to send the notice to")
        account = Account(
            nir=row.nir, given_name=row.given_name, family_name=row.family_name, birth_date=row.birth_date,
            status=Status.NOTIFIED, notified_at=notified_at, contact=contact, vitale_hash=vitale_hash,
            legal_representative_nir=row.legal_representative_nir, pending_notice=ENROLMENT_NOTICE,
            enrolment_ref=ref,
        )
        code = self._owe_enrolment_notice(account, now)
        created = True
        try:  # a conditional create first: a new person costs no read
            if row.legal_representative_nir:
                self.accounts.add_with_dependant_link(account, row.legal_representative_nir)
            else:
                self.accounts.add(account)
        except AlreadyExists:
            existing = self.accounts.get(row.nir)
            if existing is None:
                return RowResult(row.nir, "duplicate", "enrolled by another request at the same time")
            if ref is not None and existing.enrolment_ref == ref:  # this very row, replayed
                return self._replayed(existing, now)
            if existing.status != Status.CLOSED or existing.purging:
                return RowResult(row.nir, "duplicate", f"already enrolled (status {existing.status.value})")
            try:
                existing.re_enrol(row.given_name, row.family_name, contact, vitale_hash, notified_at)
                existing.pending_notice, existing.enrolment_ref = ENROLMENT_NOTICE, ref
                code = self._owe_enrolment_notice(existing, now)
                self.accounts.save(existing)
            except (ConcurrentUpdate, Conflict):
                return RowResult(row.nir, "duplicate", "enrolled by another request at the same time")
            account, created = existing, False
        try:
            assert code is not None
            self._send(account, ENROLMENT_NOTICE, self._enrolment_data(account, code))
        except SendLater:
            self._settle(account, ENROLMENT_NOTICE, sent=False)
            return RowResult(row.nir, "notified", DEFERRED, pending=True)
        except Exception:  # any other failure of the notifier
            if created:  # without its notice the window must not run: undo, and say so on the row
                self.accounts.remove(account)
                return RowResult(row.nir, "invalid", "the notice could not be sent; nothing was created, retry later")
            self._settle(account, ENROLMENT_NOTICE, sent=False)
            return RowResult(row.nir, "notified", RETRYING, pending=True)
        self._settle(account, ENROLMENT_NOTICE, sent=True)
        return RowResult(row.nir, "notified")

    def _owe_enrolment_notice(self, account: Account, now: dt.datetime) -> str | None:
        """Claim the new enrolment's notice, with its code (only its hash is kept); the code, or None."""
        if account.claim_notice(now) != ENROLMENT_NOTICE:
            return None
        code = self.secrets.code()
        account.issue_code(self._hash(account.nir, code), account.notified_at, ENROLMENT_NOTICE)
        return code

    @staticmethod
    def _enrolment_data(account: Account, code: str) -> dict[str, str]:
        return {"code": code, "opt_out_deadline": iso(account.window_ends_at)}

    def _replayed(self, account: Account, now: dt.datetime) -> RowResult:
        """A row enrolled before under the same ref: its enrolment stands; its notice goes out if still owed."""
        try:
            sent = self._deliver_pending(account.nir, now)
        except SendLater:
            sent = False
        if not sent and account.pending_notice == ENROLMENT_NOTICE:
            return RowResult(account.nir, "notified", DEFERRED, pending=True)
        return RowResult(account.nir, "notified")

    def _settle(self, account: Account, kind: str, sent: bool) -> None:
        """Record that the claimed notice went out (or release it): a write expecting the version just written,
        read again only if someone wrote in between."""
        if not account.settle_notice(kind, sent):
            return
        try:
            self.accounts.save(account)
        except ConcurrentUpdate:
            self._update(account.nir, lambda a: None if a.settle_notice(kind, sent) else False)

    def deliver_notices(self, nirs: Sequence[str], now: dt.datetime) -> list[str]:
        """Send the notices these people are still owed (an enrolment file's retried unit); the NIRs whose notice
        is still pending after it (throttled: a later run sends them)."""
        left: list[str] = []
        for index, nir in enumerate(nirs):
            try:
                self._deliver_pending(nir, now)
            except SendLater:
                left += nirs[index:]
                break
        return [n for n in left if (a := self.accounts.get(n)) is not None and a.pending_notice]

    # -- opt-out and activation: attempts with a code ------------------------------------------------------------
    def _attempt(self, nir: str, now: dt.datetime, verify: Callable[[Account], bool],
                 then: Callable[[Account], Any]) -> tuple[Account, Any]:
        """One try with a secret: 30 s after a failed try (429), a wrong secret is recorded as a failure (401),
        a right one applies ``then``. One read and one conditional write; returns the account as written and
        what ``then`` returned."""

        def change(account: Account) -> Any:
            account.check_retry_delay(now)
            if not verify(account):
                account.record_failure(now)
                return _FAILED
            return then(account)

        try:
            account, outcome = self._update(nir, change)
        except NotFound:
            raise wrong_credentials() from None
        if outcome is _FAILED:
            raise wrong_credentials()
        return account, outcome

    def opt_out_online(self, nir: str, code: str) -> str:
        now = self.clock.now()
        code_hash = self._hash(nir, normalise_code(code))
        self._attempt(nir, now, lambda a: a.code_matches(code_hash), lambda a: a.opt_out(now, "online"))
        return Status.OPPOSED.value

    def opt_out_by_phone(self, actor: Actor, nir: str) -> str:
        """An agent records an objection made on the phone (3422)."""
        self.access.check(actor, Action.OPT_OUT_BY_PHONE)
        now = self.clock.now()
        self._update(nir, lambda a: a.opt_out(now, "phone"))
        return Status.OPPOSED.value

    def activate(self, nir: str, vitale_serial: str, code: str) -> str:
        now = self.clock.now()
        code_hash = self._hash(nir, normalise_code(code))
        serial_hash = self._hash(nir, vitale_serial)

        def then(account: Account) -> None:
            account.check_code_usable(now)
            account.activate(now)

        account, _ = self._attempt(nir, now, lambda a: a.serial_matches(serial_hash) and a.code_matches(code_hash),
                                   then)
        self._opened(account, now)
        return Status.ACTIVE.value

    def request_code(self, nir: str, vitale_serial: str) -> None:
        """Send a new provisional code if the card serial matches; the old code stops working.

        The answer is the same whether or not the person exists or the serial matches, so that nobody can probe
        the registry; a wrong serial still counts as a failed try.
        """
        now = self.clock.now()
        serial_hash = self._hash(nir, vitale_serial)
        code = self.secrets.code()

        def then(account: Account) -> bool | None:
            if account.status not in (Status.NOTIFIED, Status.OPEN, Status.CLOSED) or account.purging:
                return False  # opposed or already active: a code would serve nothing
            account.issue_code(self._hash(nir, code), now, "activation_code")
            return True

        try:
            account, issued = self._attempt(nir, now, lambda a: a.serial_matches(serial_hash), then)
        except Unauthenticated:
            return
        if issued and account.code is not None:
            self._send(account, "activation_code", {"code": code, "expires_at": iso(account.code.expires_at)})

    # -- the space -----------------------------------------------------------------------------------------------
    def me(self, actor: Actor) -> Space:
        self.access.check(actor, Action.READ_ME)
        assert actor.ins is not None
        nir = actor.ins
        account = self.accounts.get(nir)
        if account is None:
            raise NotFound("No space exists for this person.", code="unknown_person")
        today = self.clock.now().date()
        links = self.family.links(nir) if self.family is not None else []
        represented = {link.patient_ins for link in links if link.kind == Kind.REPRESENTATIVE}
        helping = {link.patient_ins: link for link in links if link.kind == Kind.CARER}
        child_nirs = list(dict.fromkeys([*self.accounts.dependants(nir), *represented]))
        others = self.accounts.get_many([*child_nirs, *helping])
        children = [others[n] for n in child_nirs if n in others]
        dependants = [
            Dependant(c.nir, c.given_name, c.family_name, c.birth_date, c.status.value)
            for c in sorted(children, key=lambda c: c.birth_date)
            if (c.legal_representative_nir == nir or c.nir in represented) and c.is_minor(today)
            and c.status != Status.CLOSED
        ]  # a closed space leaves every listing (it answers 404 to the representative too)
        helped = [
            Helped(a.nir, a.given_name, a.family_name, a.birth_date, a.status.value, link.since)
            for ins, link in sorted(helping.items()) if (a := others.get(ins)) is not None
            and a.status in (Status.OPEN, Status.ACTIVE) and not (link.by_representative and not a.is_minor(today))
        ]  # a carer a representative chose for a minor stops at 18 (the access decision says so too)
        return Space(account.nir, account.status.value, account.given_name, account.family_name,
                     account.birth_date, dependants, helped)

    def patient(self, actor: Actor, ins: str) -> PatientRecord | None:
        """The space of ``ins`` as the caller may know it (None: there is no space, for them or at all). Decided as
        reading the patient's data (identity shown) or, failing that, as feeding or listing the record (existence
        only): :data:`chalicelib.domain.access.PATIENT_LOOKUP_ACTIONS`; any other refusal is REST's (403)."""
        try:
            grant = self.access.check_first(actor, PATIENT_LOOKUP_ACTIONS, ins)
        except NotFound:
            return None
        account = self.accounts.get(ins)
        if account is None or account.status not in (Status.OPEN, Status.ACTIVE):
            return None
        grant.log("read_patient")
        if grant.action not in IDENTITY_ACTIONS:
            return PatientRecord(account.nir, account.status.value)
        return PatientRecord(account.nir, account.status.value, account.given_name, account.family_name,
                             account.birth_date)

    def close(self, actor: Actor, body: ClosureRequest) -> str:
        self.access.check(actor, Action.CLOSE_SPACE)
        assert actor.ins is not None
        now = self.clock.now()
        self._update(actor.ins, lambda a: a.close(now, body.delete_requested))
        return Status.CLOSED.value

    # -- jobs: each finds its due work, then does it key by key (the fanned-out units run the second half) ------
    def run_opt_out_expiry(self, now: dt.datetime) -> JobReport:
        """The whole job in one process: create every space whose window has ended, send the notices pending."""
        report = self.open_spaces(list(self.accounts.due(DueKind.EXPIRY, now)), now)
        return report.add(self.send_notices(list(self.accounts.due(DueKind.NOTICE, now)), now))

    def open_spaces(self, nirs: Sequence[str], now: dt.datetime) -> JobReport:
        """One unit of ``opt-out-expiry``: each space whose window has ended is created, its ``space_created``
        notice owed and claimed in the same conditional write, then sent and settled. A notice still pending on
        an account (an earlier attempt's) goes out too. Throttled (SendLater): the rest stay pending for the next
        run, never lost; a space is still created."""
        report = JobReport("opt-out-expiry", details={"notices_sent": 0, "notices_deferred": 0})
        throttled = False
        for nir in nirs:
            codes: list[str] = []

            def change(a: Account, claim: bool = not throttled, codes: list[str] = codes) -> Any:
                opened = a.expire_window(now)
                kind = self._claim(a, now, codes) if claim else None
                if not opened and kind is None:
                    return False
                return opened, kind

            try:
                account, outcome = self._update(nir, change)
            except NotFound:
                continue
            if outcome is False:
                continue
            opened, kind = outcome
            if opened:
                report.processed += 1
                self._opened(account, now)
            if kind is not None:
                throttled = not self._send_claimed(account, kind, codes, report)
            elif account.pending_notice:
                report.details["notices_deferred"] += 1
        return report

    def send_notices(self, nirs: Sequence[str], now: dt.datetime) -> JobReport:
        """One unit of pending notices: each sent once, however many runs race (see ``_deliver_pending``);
        throttled, the rest are left pending for the next run."""
        report = JobReport("opt-out-expiry", details={"notices_sent": 0, "notices_deferred": 0})
        for index, nir in enumerate(nirs):
            try:
                if self._deliver_pending(nir, now):
                    report.details["notices_sent"] += 1
            except SendLater:
                report.details["notices_deferred"] += len(nirs) - index
                break
        return report

    def _claim(self, a: Account, now: dt.datetime, codes: list[str]) -> str | None:
        """Claim ``a``'s pending notice (in the caller's versioned write). An enrolment notice sent late gets a
        fresh code (``codes``: only its hash is kept) and its window runs from now, when it goes out."""
        kind = a.claim_notice(now)
        if kind == ENROLMENT_NOTICE:
            codes[:] = [self.secrets.code()]
            a.issue_code(self._hash(a.nir, codes[0]), now, ENROLMENT_NOTICE)
            a.notified_at = max(a.notified_at, now)
        return kind

    def _send_claimed(self, account: Account, kind: str, codes: list[str], report: JobReport) -> bool:
        """Send a notice this process claimed; False when throttled (released, counted as deferred)."""
        try:
            self._send(account, kind, self._enrolment_data(account, codes[0]) if codes else None)
        except SendLater:
            self._settle(account, kind, sent=False)
            report.details["notices_deferred"] += 1
            return False
        except Exception:  # any other failure of the notifier: released for the next run, then raised
            self._settle(account, kind, sent=False)
            raise
        self._settle(account, kind, sent=True)
        report.details["notices_sent"] += 1
        return True

    def _deliver_pending(self, nir: str, now: dt.datetime) -> bool:
        """Send a pending notice once, however many runs race: a run first claims it (a versioned write holding
        it for NOTICE_LEASE), sends, then clears it. A run that fails to send releases it (SendLater, or any other
        failure, is raised after); one that crashes leaves it to a run after the lease (sent again rather than
        lost). True when this call sent it."""
        codes: list[str] = []
        try:
            account, kind = self._update(nir, lambda a: self._claim(a, now, codes) or False)
        except NotFound:
            return False
        if kind is False:
            return False
        try:
            self._send(account, kind, self._enrolment_data(account, codes[0]) if codes else None)
        except Exception:  # any failure of the notifier: released for the next run, then raised
            self._settle(account, kind, sent=False)
            raise
        self._settle(account, kind, sent=True)
        return True

    def run_archive_purge(self, now: dt.datetime) -> JobReport:
        """The whole job in one process: every closed space whose archive period has ended, erased."""
        return self.purge_spaces(list(self.accounts.due(DueKind.PURGE, now)), now)

    def purge_spaces(self, nirs: Sequence[str], now: dt.datetime) -> JobReport:
        """One unit of ``archive-purge``: each space still due erased (its documents, objects, profile,
        messages, account); one claimed by an earlier attempt is erased again (erasing is idempotent)."""
        report = JobReport("archive-purge", details={"items_erased": 0})
        for nir in nirs:

            def start(a: Account) -> bool | None:
                if a.status != Status.CLOSED or a.purge_at is None or a.purge_at > now:
                    return False
                a.purging = True
                return None

            try:
                _, outcome = self._update(nir, start)
            except NotFound:
                continue
            if outcome is False:
                continue
            erased = sum(eraser.erase(nir) for eraser in self.erasers())
            erased += self.accounts.erase(nir)
            report.processed += 1
            report.details["items_erased"] += erased
        return report
