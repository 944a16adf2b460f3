"""Accounts on DynamoDB.

Partition ``NIR#{nir}``: the ``ACCOUNT`` item, and ``DEPENDANT#{child}`` links of a legal representative.
Every save is a versioned conditional write (optimistic concurrency): of two racing actors, one wins and the
other re-reads and decides again. The sparse ``due`` index carries the account only while a job has work to do
with it (derived from the domain's :meth:`Account.due`), so jobs Query it instead of scanning.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib import resources
from chalicelib.adapters.dynamo import Table, dump, is_conditional_failure, key, values
from chalicelib.domain.accounts import Account, Code, Contact, DueKind, Status
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.ports import AlreadyExists, ConcurrentUpdate

ACCOUNT_SK = "ACCOUNT"


def account_pk(nir: str) -> str:
    return f"NIR#{nir}"


def shard_of(value: str) -> int:
    """A stable shard for the due index (crc32: the same in every process, unlike hash())."""
    return zlib.crc32(value.encode()) % resources.DUE_SHARDS


def due_keys(kind: str, owner: str, at: dt.datetime) -> dict[str, str]:
    return {"due_pk": f"{kind}#{shard_of(owner)}", "due_at": iso_ms(at)}


def _t(value: dt.datetime | None) -> str | None:
    return iso_ms(value) if value else None


def _p(value: str | None) -> dt.datetime | None:
    return parse(value) if value else None


def to_item(account: Account) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": account_pk(account.nir),
        "sk": ACCOUNT_SK,
        "nir": account.nir,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "birth_date": account.birth_date.isoformat(),
        "status": account.status.value,
        "notified_at": _t(account.notified_at),
        "email": account.contact.email,
        "phone": account.contact.phone,
        "postal_address": account.contact.postal_address,
        "vitale_hash": account.vitale_hash,
        "last_failure_at": _t(account.last_failure_at),
        "legal_representative_nir": account.legal_representative_nir,
        "opened_at": _t(account.opened_at),
        "activated_at": _t(account.activated_at),
        "opposed_at": _t(account.opposed_at),
        "opposed_via": account.opposed_via,
        "closed_at": _t(account.closed_at),
        "delete_requested": account.delete_requested or None,
        "pending_notice": account.pending_notice,
        "notice_claimed_until": _t(account.notice_claimed_until),
        "purging": account.purging or None,
        "enrolment_ref": account.enrolment_ref,
        "version": account.version,
    }
    if account.code:
        item.update(code_hash=account.code.hash, code_issued_at=_t(account.code.issued_at),
                    code_kind=account.code.kind, code_used_at=_t(account.code.used_at))
    due = account.due()
    if due:
        item.update(due_keys(due[0].value, account.nir, due[1]))
    return item


def from_item(item: dict[str, Any]) -> Account:
    code = None
    if item.get("code_hash"):
        code = Code(hash=item["code_hash"], issued_at=parse(item["code_issued_at"]), kind=item["code_kind"],
                    used_at=_p(item.get("code_used_at")))
    return Account(
        nir=item["nir"],
        given_name=item["given_name"],
        family_name=item["family_name"],
        birth_date=dt.date.fromisoformat(item["birth_date"]),
        status=Status(item["status"]),
        notified_at=parse(item["notified_at"]),
        contact=Contact(item.get("email"), item.get("phone"), item.get("postal_address")),
        vitale_hash=item.get("vitale_hash"),
        code=code,
        last_failure_at=_p(item.get("last_failure_at")),
        legal_representative_nir=item.get("legal_representative_nir"),
        opened_at=_p(item.get("opened_at")),
        activated_at=_p(item.get("activated_at")),
        opposed_at=_p(item.get("opposed_at")),
        opposed_via=item.get("opposed_via"),
        closed_at=_p(item.get("closed_at")),
        delete_requested=bool(item.get("delete_requested")),
        pending_notice=item.get("pending_notice"),
        notice_claimed_until=_p(item.get("notice_claimed_until")),
        purging=bool(item.get("purging")),
        enrolment_ref=item.get("enrolment_ref"),
        version=int(item.get("version", 0)),
    )


class DynamoAccountRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def get(self, nir: str) -> Account | None:
        item = self.table.get(account_pk(nir), ACCOUNT_SK)
        return from_item(item) if item else None

    def get_many(self, nirs: Iterable[str]) -> dict[str, Account]:
        items = self.table.batch_get((account_pk(n), ACCOUNT_SK) for n in nirs)
        return {i["nir"]: from_item(i) for i in items}

    def add(self, account: Account) -> None:
        account.version = 1
        try:
            self.table.put(to_item(account), condition="attribute_not_exists(pk)")
        except Exception as error:
            account.version = 0
            if is_conditional_failure(error):
                raise AlreadyExists(account.nir) from error
            raise

    def add_with_dependant_link(self, account: Account, representative_nir: str) -> None:
        account.version = 1
        link = {"pk": account_pk(representative_nir), "sk": f"DEPENDANT#{account.nir}", "child": account.nir}
        try:
            self.table.client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table.name, "Item": dump(to_item(account)),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self.table.name, "Item": dump(link)}},
            ])
        except Exception as error:
            account.version = 0
            if is_conditional_failure(error):
                raise AlreadyExists(account.nir) from error
            raise

    def save(self, account: Account) -> None:
        expected = account.version
        account.version = expected + 1
        try:
            self.table.put(to_item(account), condition="version = :v", expression_values=values(v=expected))
        except Exception as error:
            account.version = expected
            if is_conditional_failure(error):
                raise ConcurrentUpdate(account.nir) from error
            raise

    def remove(self, account: Account) -> None:
        self.table.delete(account_pk(account.nir), ACCOUNT_SK, condition="version = :v",
                          expression_values=values(v=account.version))
        if account.legal_representative_nir:
            self.table.delete(account_pk(account.legal_representative_nir), f"DEPENDANT#{account.nir}")

    def dependants(self, representative_nir: str) -> list[str]:
        items = self.table.query_all(account_pk(representative_nir), sk_prefix="DEPENDANT#", consistent=True)
        return [i["child"] for i in items]

    def due(self, kind: DueKind, now: dt.datetime) -> Iterator[str]:
        for shard in range(resources.DUE_SHARDS):
            items = self.table.query_all(
                f"{kind.value}#{shard}", index=resources.DUE_INDEX, pk_name="due_pk",
                sk_condition="due_at <= :now", expression_values=values(now=iso_ms(now)),
            )
            for item in items:
                yield item["nir"]

    def erase(self, nir: str) -> int:
        """The person's partition: account, links, relations, consents (account deleted last: a retry resumes)."""
        pk = account_pk(nir)
        keys = [(i["pk"], i.get("sk")) for i in self.table.query_all(pk, consistent=True)]
        others = [k for k in keys if k[1] != ACCOUNT_SK]
        account = self.get(nir)
        count = self.table.delete_keys(others)
        if account and account.legal_representative_nir:
            self.table.delete(account_pk(account.legal_representative_nir), f"DEPENDANT#{nir}")
        if (pk, ACCOUNT_SK) in keys:
            self.table.client.delete_item(TableName=self.table.name, Key=key(pk, ACCOUNT_SK))
            count += 1
        return count
