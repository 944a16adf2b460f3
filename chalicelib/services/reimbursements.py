"""Reimbursement data from the health insurance (R1111-26 puts it in the space): loaded by the back office in
batches, read by the patient (or a legal representative) alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.identity import Actor
from chalicelib.domain.reimbursements import LineResult, Reimbursement, line_id
from chalicelib.domain.results import InvalidRow, Page
from chalicelib.ports import AccountRepository, Clock
from chalicelib.services.access import AccessService

if TYPE_CHECKING:
    from chalicelib.models.care import ReimbursementBatch


class ReimbursementRepository(Protocol):
    def add_once(self, ins: str, reimbursement: Reimbursement) -> bool:
        """Record the line unless the same one is there (False: a duplicate)."""
        ...
    def page(self, ins: str, limit: int, cursor: str | None) -> Page[Reimbursement]:
        """Most recent first."""
        ...
    def erase(self, ins: str) -> int: ...


class ReimbursementService:
    def __init__(self, entries: ReimbursementRepository, accounts: AccountRepository, access: AccessService,
                 clock: Clock) -> None:
        self.entries = entries
        self.accounts = accounts
        self.access = access
        self.clock = clock

    def load(self, actor: Actor, batch: ReimbursementBatch) -> list[LineResult]:
        """Record a batch line by line; a bad line is reported on its own and never sinks the batch."""
        self.access.check(actor, Action.LOAD_REIMBURSEMENTS)
        now = self.clock.now()
        results: list[LineResult] = []
        for index, line in enumerate(batch.lines()):
            if isinstance(line, InvalidRow):
                results.append(LineResult(index, line.given, "invalid", reason=line.reason))
                continue
            if self.accounts.get(line.ins) is None:
                results.append(LineResult(index, line.ins, "invalid",
                                          reason="no space or enrolment exists for this INS"))
                continue
            rid = line_id(line.ins, line.reference, line.date, line.act, line.amount_paid, line.amount_reimbursed)
            created = self.entries.add_once(line.ins, Reimbursement(
                reimbursement_id=rid, date=line.date, act=line.act, amount_paid=float(line.amount_paid),
                amount_reimbursed=float(line.amount_reimbursed), reference=line.reference, recorded_at=now))
            results.append(LineResult(index, line.ins, "recorded" if created else "duplicate", reimbursement_id=rid))
        return results

    def listing(self, actor: Actor, ins: str, limit: int, cursor: str | None) -> Page[Reimbursement]:
        self.access.check(actor, Action.READ_REIMBURSEMENTS, ins)
        return self.entries.page(ins, limit, cursor)

    def erase(self, ins: str) -> int:
        return self.entries.erase(ins)
