"""Reimbursement lines on DynamoDB, in the patient's records partition ``PAT#{ins}``: ``REIMB#{date}#{id}``, the id
derived from the line (a resent line is the same item). This repository owns these keys, and erases exactly them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters.dynamo import Table, is_conditional_failure
from chalicelib.adapters.records_repo import patient_pk
from chalicelib.domain.reimbursements import Reimbursement
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse

REIMBURSEMENT = "REIMB#"


def reimbursement_item(ins: str, line: Reimbursement) -> dict[str, Any]:
    return {"pk": patient_pk(ins), "sk": f"{REIMBURSEMENT}{line.date.isoformat()}#{line.reimbursement_id}",
            "reimbursement_id": line.reimbursement_id, "date": line.date.isoformat(), "act": line.act,
            "amount_paid": line.amount_paid, "amount_reimbursed": line.amount_reimbursed, "currency": line.currency,
            "reference": line.reference, "recorded_at": iso_ms(line.recorded_at)}


def reimbursement_from(item: dict[str, Any]) -> Reimbursement:
    return Reimbursement(reimbursement_id=item["reimbursement_id"], date=dt.date.fromisoformat(item["date"]),
                         act=item["act"], amount_paid=float(item["amount_paid"]),
                         amount_reimbursed=float(item["amount_reimbursed"]), currency=item.get("currency", "EUR"),
                         reference=item.get("reference"), recorded_at=parse(item["recorded_at"]))


class DynamoReimbursements:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def add_once(self, ins: str, reimbursement: Reimbursement) -> bool:
        try:
            self.table.put(reimbursement_item(ins, reimbursement), condition="attribute_not_exists(pk)")
            return True
        except Exception as error:
            if is_conditional_failure(error):
                return False
            raise

    def page(self, ins: str, limit: int, cursor: str | None) -> Page[Reimbursement]:
        items, next_cursor = self.table.page(patient_pk(ins), limit, cursor, sk_prefix=REIMBURSEMENT)
        return Page([reimbursement_from(i) for i in items], next_cursor)

    def erase(self, ins: str) -> int:
        return self.table.erase_prefixes(patient_pk(ins), (REIMBURSEMENT,))
