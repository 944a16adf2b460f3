"""Reimbursement data from the health insurance (R1111-26 puts it in the space): loaded by the back office in
batches, read by the patient (or a legal representative) alone."""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.domain.access import Action
from chalicelib.domain.timeutil import iso
from chalicelib.ports import AccountRepository, Clock
from chalicelib.services.access import AccessService


def line_id(ins: str, line: Any) -> str:
    """The same line sent twice is the same item: the insurer's reference if any, else the line's content."""
    basis = line.reference or f"{line.date}|{line.act}|{line.amount_paid}|{line.amount_reimbursed}"
    return hashlib.sha256(f"{ins}|{basis}".encode()).hexdigest()[:20]


class ReimbursementService:
    def __init__(self, entries: Any, accounts: AccountRepository, access: AccessService, clock: Clock) -> None:
        self.entries = entries
        self.accounts = accounts
        self.access = access
        self.clock = clock

    def load(self, actor: Any, lines: list[Any]) -> list[dict[str, Any]]:
        """Record a batch line by line; a bad line is reported on its own and never sinks the batch."""
        from pydantic import ValidationError

        from chalicelib.domain.identity import check_nir
        from chalicelib.errors import InvalidInput
        from chalicelib.models.care import ReimbursementLine
        from chalicelib.models.problems import validation_message

        self.access.check(actor, Action.LOAD_REIMBURSEMENTS)
        now = self.clock.now()
        results: list[dict[str, Any]] = []
        for index, raw in enumerate(lines):
            given = raw.get("ins") if isinstance(raw, dict) else None
            result: dict[str, Any] = {"index": index, "ins": given if isinstance(given, str) else ""}
            try:
                if not isinstance(raw, dict):
                    raise InvalidInput(f"Line {index} must be a JSON object.")
                line = ReimbursementLine.model_validate(raw)
                ins = check_nir(line.ins, field="ins")
            except ValidationError as error:
                results.append({**result, "status": "invalid", "reason": validation_message(error)[1]})
                continue
            except InvalidInput as error:
                results.append({**result, "status": "invalid", "reason": error.message})
                continue
            if self.accounts.get(ins) is None:
                results.append({**result, "ins": ins, "status": "invalid",
                                "reason": "no space or enrolment exists for this INS"})
                continue
            rid = line_id(ins, line)
            entry = {"reimbursement_id": rid, "date": line.date.isoformat(), "act": line.act,
                     "amount_paid": float(line.amount_paid), "amount_reimbursed": float(line.amount_reimbursed),
                     "currency": "EUR", "reference": line.reference, "recorded_at": iso(now)}
            created = self.entries.add(ins, f"REIMB#{entry['date']}#{rid}", entry, once=True)
            results.append({**result, "ins": ins, "status": "recorded" if created else "duplicate",
                            "reimbursement_id": rid})
        return results

    def list(self, actor: Any, ins: str, limit: int, cursor: str | None) -> dict[str, Any]:
        self.access.check(actor, Action.READ_REIMBURSEMENTS, ins)
        items, next_cursor = self.entries.page(ins, "REIMB#", limit, cursor)
        return {"items": items, "next_cursor": next_cursor}
