"""Carers, the second legal representative and coming of age, in the accounts table: each item in the partition
of the person it concerns, so that the access decision reads the caller's standing in the same BatchGetItem as
the account (:func:`delegation_sk`, :data:`CO_REPRESENTATIVE_SK`, :func:`delegation_from`):

    NIR#{person}   CARER#{carer}             a carer's delegation: pending, accepted, or over (TTL ``expires_at``)
    NIR#{child}    CO_REPRESENTATIVE         the second legal representative's delegation (one slot per child)
    NIR#{person}   COUNT#carers              how many carers the person has (accepted delegations)
    NIR#{carer}    COUNT#helped              how many people the carer helps
    NIR#{member}   LINK#{kind}#{patient}     in the member's own partition: a person helped, a child represented
    NIR#{invitee}  INVITATION#{id}           an invitation as its invitee lists and answers it (TTL once over)
    NIR#{minor}    OF_AGE                    the ``space_of_age`` notice to send, in the sparse ``due`` index
                                             (``due_pk`` = ``of_age#{shard}``, ``due_at`` = the 18th birthday)

Limits hold under concurrent invitations and acceptances: an acceptance is one transaction that moves the
invitation and the delegation out of ``pending`` (each conditional), writes the member's link and adds one to
both counters, each conditional on staying within its limit (3 carers, 5 people helped); an invitation checks the
same counters in its own transaction. A delegation ends in one transaction too (counters back, link removed).
This repository owns these keys, and erases exactly them (the other side's included: see :meth:`erase`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from chalicelib import resources
from chalicelib.adapters.accounts_repo import account_pk, due_keys
from chalicelib.adapters.dynamo import Table, dump, is_conditional_failure, key, values
from chalicelib.domain.family import (
    KEPT_AFTER_END,
    MAX_CARERS,
    MAX_HELPED,
    Delegation,
    HelpLink,
    Invitation,
    InvitationStatus,
    Kind,
    LimitReached,
    PersonRef,
)
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.ports import ConcurrentUpdate

CARER, CO_REPRESENTATIVE_SK, LINK, INVITATION, OF_AGE_SK = "CARER#", "CO_REPRESENTATIVE", "LINK#", "INVITATION#", \
    "OF_AGE"
CARERS_COUNT, HELPED_COUNT = "COUNT#carers", "COUNT#helped"
OF_AGE_DUE = "of_age"
COUNT = {"#n": "count"}  # "count" is a reserved word of DynamoDB's expressions


def delegation_sk(kind: Kind, member: str) -> str:
    return f"{CARER}{member}" if kind == Kind.CARER else CO_REPRESENTATIVE_SK


def carer_sk(member: str) -> str:
    return delegation_sk(Kind.CARER, member)


def link_sk(kind: Kind, patient: str) -> str:
    return f"{LINK}{kind.value}#{patient}"


def invitation_sk(invitation_id: str) -> str:
    return f"{INVITATION}{invitation_id}"


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def delegation_from(item: dict[str, Any]) -> Delegation:
    return Delegation(kind=Kind(item["kind"]), patient_ins=item["patient_ins"],
                      member=PersonRef(item["member_ins"], item["member_given_name"], item["member_family_name"]),
                      status=InvitationStatus(item["status"]), invitation_id=item["invitation_id"],
                      invited_at=parse(item["invited_at"]), expires_at=parse(item["until"]),
                      by_representative=bool(item.get("by_representative")),
                      since=parse(item["since"]) if item.get("since") else None)


def _delegation_item(d: Delegation) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": account_pk(d.patient_ins), "sk": delegation_sk(d.kind, d.member.ins), "kind": d.kind.value,
        "patient_ins": d.patient_ins, "member_ins": d.member.ins, "member_given_name": d.member.given_name,
        "member_family_name": d.member.family_name, "status": d.status.value, "invitation_id": d.invitation_id,
        "invited_at": iso_ms(d.invited_at), "until": iso_ms(d.expires_at),
        "by_representative": d.by_representative or None, "since": iso_ms(d.since) if d.since else None}
    if d.status != InvitationStatus.ACCEPTED:
        item["expires_at"] = _epoch(d.forget_at)  # TTL: a delegation nobody holds is forgotten
    return item


def invitation_from(item: dict[str, Any]) -> Invitation:
    return Invitation(
        invitation_id=item["invitation_id"], kind=Kind(item["kind"]),
        patient=PersonRef(item["patient_ins"], item["patient_given_name"], item["patient_family_name"]),
        invitee=PersonRef(item["invitee_ins"], item["invitee_given_name"], item["invitee_family_name"]),
        invited_by=item["invited_by"], by_representative=bool(item.get("by_representative")),
        created_at=parse(item["created_at"]), expires_at=parse(item["until"]),
        status=InvitationStatus(item["status"]),
        answered_at=parse(item["answered_at"]) if item.get("answered_at") else None)


def _invitation_item(i: Invitation) -> dict[str, Any]:
    return {"pk": account_pk(i.invitee.ins), "sk": invitation_sk(i.invitation_id), "invitation_id": i.invitation_id,
            "kind": i.kind.value, "patient_ins": i.patient.ins, "patient_given_name": i.patient.given_name,
            "patient_family_name": i.patient.family_name, "invitee_ins": i.invitee.ins,
            "invitee_given_name": i.invitee.given_name, "invitee_family_name": i.invitee.family_name,
            "invited_by": i.invited_by, "by_representative": i.by_representative or None,
            "created_at": iso_ms(i.created_at), "until": iso_ms(i.expires_at), "status": i.status.value,
            "answered_at": iso_ms(i.answered_at) if i.answered_at else None,
            "expires_at": _epoch(i.forget_at)}


def link_from(item: dict[str, Any]) -> HelpLink:
    return HelpLink(Kind(item["kind"]), item["patient_ins"], parse(item["since"]),
                    bool(item.get("by_representative")))


def _reasons(error: BaseException) -> list[str]:
    """The code of each operation of a cancelled transaction ("None" for those that passed)."""
    response = getattr(error, "response", {}) or {}
    reasons = response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]


class DynamoFamily:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    # -- operations of a transaction ---------------------------------------------------------------------------------
    def _put(self, item: dict[str, Any], condition: str | None = None,
             expression_values: dict[str, Any] | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.table.name, "Item": dump(item)}
        if condition:
            op["ConditionExpression"] = condition
        if expression_values:
            op["ExpressionAttributeValues"] = expression_values
        return {"Put": op}

    def _update(self, pk: str, sk: str, expression: str, condition: str | None = None,
                expression_values: dict[str, Any] | None = None,
                names: dict[str, str] | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.table.name, "Key": key(pk, sk), "UpdateExpression": expression}
        if condition:
            op["ConditionExpression"] = condition
        if expression_values:
            op["ExpressionAttributeValues"] = expression_values
        if names:
            op["ExpressionAttributeNames"] = names
        return {"Update": op}

    def _delete(self, pk: str, sk: str, condition: str | None = None,
                expression_values: dict[str, Any] | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.table.name, "Key": key(pk, sk)}
        if condition:
            op["ConditionExpression"] = condition
        if expression_values:
            op["ExpressionAttributeValues"] = expression_values
        return {"Delete": op}

    def _within(self, nir: str, sk: str, maximum: int, add: int | None) -> dict[str, Any]:
        """A counter stays within ``maximum``: checked (``add`` None) or incremented by ``add``."""
        condition = "attribute_not_exists(#n) OR #n < :max"
        if add is None:
            return {"ConditionCheck": {"TableName": self.table.name, "Key": key(account_pk(nir), sk),
                                       "ConditionExpression": condition, "ExpressionAttributeNames": COUNT,
                                       "ExpressionAttributeValues": values(max=maximum)}}
        return self._update(account_pk(nir), sk, "ADD #n :one", condition, values(max=maximum, one=add), COUNT)

    def _count(self, nir: str, sk: str, add: int) -> dict[str, Any]:
        return self._update(account_pk(nir), sk, "ADD #n :one", expression_values=values(one=add), names=COUNT)

    def _transact(self, operations: list[dict[str, Any]], limits: dict[int, str] | None = None) -> None:
        """Run the transaction; a failed condition is ConcurrentUpdate, or LimitReached when it is a counter's."""
        try:
            self.table.client.transact_write_items(TransactItems=operations)
        except Exception as error:
            if not is_conditional_failure(error):
                raise
            failed = [i for i, code in enumerate(_reasons(error)) if code == "ConditionalCheckFailed"]
            for index in failed:
                if limits and index in limits:
                    raise LimitReached(limits[index]) from error
            raise ConcurrentUpdate("delegation") from error

    # -- delegations -------------------------------------------------------------------------------------------------
    def delegation(self, patient: str, kind: Kind, member: str) -> Delegation | None:
        item = self.table.get(account_pk(patient), delegation_sk(kind, member))
        return delegation_from(item) if item else None

    def carers(self, patient: str, limit: int, cursor: str | None, now: dt.datetime) -> Page[Delegation]:
        """The person's live carers (accepted, or invited and not expired), in the order of their INS."""
        items, next_cursor = self.table.page(
            account_pk(patient), limit, cursor, sk_prefix=CARER, forward=True,
            accept=lambda item: delegation_from(item).live(now))
        return Page([delegation_from(i) for i in items], next_cursor)

    def delegations_of(self, patient: str) -> list[Delegation]:
        """Every delegation kept in the person's partition (carers and the second representative's slot)."""
        pk = account_pk(patient)
        found = [delegation_from(i) for i in self.table.query_all(pk, sk_prefix=CARER, consistent=True)]
        slot = self.table.get(pk, CO_REPRESENTATIVE_SK)
        return found + ([delegation_from(slot)] if slot else [])

    # -- invitations -------------------------------------------------------------------------------------------------
    def invitation(self, invitee: str, invitation_id: str) -> Invitation | None:
        item = self.table.get(account_pk(invitee), invitation_sk(invitation_id))
        return invitation_from(item) if item else None

    def invitations(self, invitee: str, limit: int, cursor: str | None) -> Page[Invitation]:
        """Newest first (ids are time-ordered)."""
        items, next_cursor = self.table.page(account_pk(invitee), limit, cursor, sk_prefix=INVITATION)
        return Page([invitation_from(i) for i in items], next_cursor)

    def invite(self, invitation: Invitation, delegation: Delegation, previous: Delegation | None) -> None:
        """The invitation (in the invitee's partition) and its pending delegation (in the space's), at once. The
        delegation replaces ``previous`` only if it is still as read (an ended one: its old invitation goes too);
        a carer's invitation checks that neither side is already at its limit."""
        if previous is None:
            guard = self._put(_delegation_item(delegation), "attribute_not_exists(pk)")
        else:
            guard = self._put(_delegation_item(delegation), "invitation_id = :old AND #s = :status",
                              values(old=previous.invitation_id, status=previous.status.value))
            guard["Put"]["ExpressionAttributeNames"] = {"#s": "status"}
        operations = [guard, self._put(_invitation_item(invitation), "attribute_not_exists(pk)")]
        limits: dict[int, str] = {}
        if invitation.kind == Kind.CARER:
            limits = {len(operations): "carers", len(operations) + 1: "helped"}
            operations += [self._within(invitation.patient.ins, CARERS_COUNT, MAX_CARERS, None),
                           self._within(invitation.invitee.ins, HELPED_COUNT, MAX_HELPED, None)]
        if previous is not None:
            operations.append(self._delete(account_pk(previous.member.ins), invitation_sk(previous.invitation_id)))
        self._transact(operations, limits)

    def _answer_invitation(self, invitation: Invitation, status: InvitationStatus, now: dt.datetime,
                           forget: bool) -> dict[str, Any]:
        """The invitation leaves ``pending`` (conditional: answered once, before it expires)."""
        expression = "SET #s = :status, answered_at = :now" + (", expires_at = :forget" if forget
                                                                 else " REMOVE expires_at")
        vals = values(status=status.value, now=iso_ms(now), pending=InvitationStatus.PENDING.value)
        if forget:
            vals.update(values(forget=_epoch(now + KEPT_AFTER_END)))
        return self._update(account_pk(invitation.invitee.ins), invitation_sk(invitation.invitation_id), expression,
                            "#s = :pending AND #u > :now", vals, {"#s": "status", "#u": "until"})

    def _move_delegation(self, invitation: Invitation, status: InvitationStatus, now: dt.datetime,
                         expected: InvitationStatus) -> dict[str, Any]:
        sk = delegation_sk(invitation.kind, invitation.invitee.ins)
        if status == InvitationStatus.ACCEPTED:
            expression, vals = "SET #s = :status, since = :now REMOVE expires_at", values(status=status.value,
                                                                                            now=iso_ms(now))
        else:
            expression = "SET #s = :status, expires_at = :forget"
            vals = values(status=status.value, forget=_epoch(now + KEPT_AFTER_END))
        vals.update(values(id=invitation.invitation_id, expected=expected.value))
        return self._update(account_pk(invitation.patient.ins), sk, expression,
                            "invitation_id = :id AND #s = :expected", vals, {"#s": "status"})

    def accept(self, invitation: Invitation, now: dt.datetime) -> None:
        """Accepted: invitation and delegation out of pending, the member's link, and (carers) both counters up,
        each within its limit — all or nothing."""
        patient, member = invitation.patient.ins, invitation.invitee.ins
        link = {"pk": account_pk(member), "sk": link_sk(invitation.kind, patient), "kind": invitation.kind.value,
                "patient_ins": patient, "since": iso_ms(now), "by_representative": invitation.by_representative or None}
        operations = [self._answer_invitation(invitation, InvitationStatus.ACCEPTED, now, forget=False),
                      self._move_delegation(invitation, InvitationStatus.ACCEPTED, now, InvitationStatus.PENDING),
                      self._put(link)]
        limits: dict[int, str] = {}
        if invitation.kind == Kind.CARER:
            limits = {3: "carers", 4: "helped"}
            operations += [self._within(patient, CARERS_COUNT, MAX_CARERS, 1),
                           self._within(member, HELPED_COUNT, MAX_HELPED, 1)]
        self._transact(operations, limits)

    def refuse(self, invitation: Invitation, now: dt.datetime) -> None:
        self._transact([self._answer_invitation(invitation, InvitationStatus.REFUSED, now, forget=True),
                        self._move_delegation(invitation, InvitationStatus.REFUSED, now, InvitationStatus.PENDING)])

    def end(self, delegation: Delegation, now: dt.datetime) -> None:
        """A pending delegation is withdrawn (``cancelled``), an accepted one ``ended``: its invitation says so, the
        member's link goes and (carers) both counters come back down — all or nothing."""
        accepted = delegation.status == InvitationStatus.ACCEPTED
        status = InvitationStatus.ENDED if accepted else InvitationStatus.CANCELLED
        forget = _epoch(now + KEPT_AFTER_END)
        patient, member = delegation.patient_ins, delegation.member.ins
        operations = [
            self._update(account_pk(patient), delegation_sk(delegation.kind, member),
                         "SET #s = :status, expires_at = :forget", "invitation_id = :id AND #s = :expected",
                         values(status=status.value, forget=forget, id=delegation.invitation_id,
                                expected=delegation.status.value), {"#s": "status"}),
        ]
        invitation = self._update(account_pk(member), invitation_sk(delegation.invitation_id),
                                  "SET #s = :status, expires_at = :forget", "attribute_exists(pk)",
                                  values(status=status.value, forget=forget), {"#s": "status"})
        if accepted:
            operations.append(self._delete(account_pk(member), link_sk(delegation.kind, patient)))
            if delegation.kind == Kind.CARER:
                operations += [self._count(patient, CARERS_COUNT, -1), self._count(member, HELPED_COUNT, -1)]
        try:
            self._transact([*operations, invitation])
        except ConcurrentUpdate as error:
            codes = _reasons(error.__cause__ or error)
            if codes[-1:] != ["ConditionalCheckFailed"] or "ConditionalCheckFailed" in codes[:-1]:
                raise
            self._transact(operations)  # the invitation was forgotten already (TTL): the rest still ends

    # -- the member's side -------------------------------------------------------------------------------------------
    def links(self, member: str) -> list[HelpLink]:
        """The people the member helps and the children they represent (accepted delegations)."""
        return [link_from(i) for i in self.table.query_all(account_pk(member), sk_prefix=LINK, consistent=True)]

    # -- coming of age -----------------------------------------------------------------------------------------------
    def schedule_of_age(self, ins: str, due_at: dt.datetime) -> None:
        self.table.put({"pk": account_pk(ins), "sk": OF_AGE_SK, "ins": ins, **due_keys(OF_AGE_DUE, ins, due_at)})

    def due_of_age(self, now: dt.datetime) -> Iterator[str]:
        """The minors who turned 18 by ``now`` and were not told yet (a Query per shard of the sparse index)."""
        for shard in range(resources.DUE_SHARDS):
            items = self.table.query_all(f"{OF_AGE_DUE}#{shard}", index=resources.DUE_INDEX, pk_name="due_pk",
                                         sk_condition="due_at <= :now", expression_values=values(now=iso_ms(now)))
            for item in items:
                yield item["ins"]

    def claim_of_age(self, ins: str, now: dt.datetime, until: dt.datetime) -> bool:
        """Hold the notice for one run (a lease): False when it is gone or another run holds it."""
        return bool(self.table.update(
            account_pk(ins), OF_AGE_SK, "SET claimed_until = :until",
            condition="attribute_exists(pk) AND (attribute_not_exists(claimed_until) OR claimed_until <= :now)",
            expression_values=values(until=iso_ms(until), now=iso_ms(now))))

    def release_of_age(self, ins: str) -> None:
        self.table.update(account_pk(ins), OF_AGE_SK, "REMOVE claimed_until", condition="attribute_exists(pk)")

    def done_of_age(self, ins: str) -> None:
        self.table.delete(account_pk(ins), OF_AGE_SK)

    # -- the archive -------------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        """Everything of this repository that names the person: their delegations and what each wrote in the
        member's partition (invitation, link, counter), the invitations they received and the delegations those
        made in other spaces (counters back), their links, counters and coming-of-age item. Each step on another
        person's partition is its own transaction, conditional on what it undoes: a purge that is retried never
        counts twice."""
        erased = 0
        for delegation in self.delegations_of(ins):
            member = delegation.member.ins
            if delegation.status == InvitationStatus.ACCEPTED:
                erased += self._undo_on_member(delegation)
            self.table.delete(account_pk(member), invitation_sk(delegation.invitation_id))
            erased += 1
        pk = account_pk(ins)
        for item in self.table.query_all(pk, sk_prefix=INVITATION, consistent=True):
            received = invitation_from(item)
            erased += self._undo_in_space(received, ins)
        for link in self.links(ins):
            held = self.delegation(link.patient_ins, link.kind, ins)
            if held is not None and held.member.ins == ins:
                erased += self._undo_held(held)
        return erased + self.table.erase_prefixes(pk, (CARER, LINK, INVITATION),
                                                  exact=(CO_REPRESENTATIVE_SK, CARERS_COUNT, HELPED_COUNT, OF_AGE_SK))

    def _undo_on_member(self, delegation: Delegation) -> int:
        """The person erased had this member: the member's link goes, and their count of people helped."""
        member = delegation.member.ins
        operations = [self._delete(account_pk(member), link_sk(delegation.kind, delegation.patient_ins),
                                   "attribute_exists(pk)")]
        if delegation.kind == Kind.CARER:
            operations.append(self._count(member, HELPED_COUNT, -1))
        try:
            self._transact(operations)
        except ConcurrentUpdate:
            return 0  # undone by an earlier run
        return 1

    def _undo_in_space(self, received: Invitation, ins: str) -> int:
        """The person erased was invited into another space: that space's delegation of them goes."""
        held = self.delegation(received.patient.ins, received.kind, ins)
        if held is None or held.member.ins != ins:
            return 0
        return self._undo_held(held)

    def _undo_held(self, held: Delegation) -> int:
        sk = delegation_sk(held.kind, held.member.ins)
        operations = [self._delete(account_pk(held.patient_ins), sk, "invitation_id = :id",
                                   values(id=held.invitation_id))]
        if held.kind == Kind.CARER and held.status == InvitationStatus.ACCEPTED:
            operations.append(self._count(held.patient_ins, CARERS_COUNT, -1))
        try:
            self._transact(operations)
        except ConcurrentUpdate:
            return 0
        return 1
