"""The family repository (carers, second representative, invitations, coming of age) and the access log's filters,
against the fake and DynamoDB (moto): the same suite, as ``test_repositories.py`` runs the others."""

from __future__ import annotations

import datetime as dt

import fakes
import pytest
from helpers import make_nir
from test_repositories import T0, account, accounts, kind, repo, tables, walk  # noqa: F401 - shared fixtures

from chalicelib.domain.access import Mode
from chalicelib.domain.audit import AccessEntry, AccessLogQuery
from chalicelib.domain.family import (
    INVITATION_VALIDITY,
    MAX_CARERS,
    MAX_HELPED,
    Delegation,
    Invitation,
    InvitationStatus,
    Kind,
    LimitReached,
    PersonRef,
)
from chalicelib.domain.identity import Actor, Party
from chalicelib.ports import ConcurrentUpdate


@pytest.fixture
def family(tables):  # noqa: F811 - the shared fixture
    from chalicelib.adapters.family_repo import DynamoFamily

    return repo(tables, fakes.FakeFamily, DynamoFamily, "accounts")


def person(nir=None):
    nir = nir or make_nir()
    return PersonRef(nir, "Camille", "Martin")


def invite(family, patient, member, link=Kind.CARER, n=1, by_representative=False, previous=None, at=T0):
    invitation = Invitation(f"{int(at.timestamp() * 1000):012x}{n:016x}", link, patient, member, patient.ins,
                            by_representative, at, at + INVITATION_VALIDITY)
    delegation = Delegation(link, patient.ins, member, InvitationStatus.PENDING, invitation.invitation_id, at,
                            invitation.expires_at, by_representative)
    family.invite(invitation, delegation, previous)
    return invitation


def test_an_invitation_and_its_pending_delegation_are_written_together_once(family):
    patient, carer = person(), person()
    invitation = invite(family, patient, carer)
    held = family.delegation(patient.ins, Kind.CARER, carer.ins)
    assert held.status == InvitationStatus.PENDING and held.invitation_id == invitation.invitation_id
    assert family.invitation(carer.ins, invitation.invitation_id) == invitation
    assert [i.invitation_id for i in family.invitations(carer.ins, 10, None).items] == [invitation.invitation_id]
    assert [d.member for d in family.carers(patient.ins, 10, None, T0).items] == [carer]
    with pytest.raises(ConcurrentUpdate):  # a second invitation of the same carer must name the first
        invite(family, patient, carer, n=2)
    later = T0 + INVITATION_VALIDITY + dt.timedelta(seconds=1)
    assert family.carers(patient.ins, 10, None, later).items == []  # expired: no longer listed


def test_accepting_moves_both_out_of_pending_links_the_member_and_counts(family):
    patient, carer = person(), person()
    invitation = invite(family, patient, carer, by_representative=True)
    accepted_at = T0 + dt.timedelta(hours=1)
    family.accept(invitation, accepted_at)
    held = family.delegation(patient.ins, Kind.CARER, carer.ins)
    assert held.status == InvitationStatus.ACCEPTED and held.since == accepted_at and held.by_representative
    assert family.invitation(carer.ins, invitation.invitation_id).status == InvitationStatus.ACCEPTED
    assert [(link.kind, link.patient_ins) for link in family.links(carer.ins)] == [(Kind.CARER, patient.ins)]
    with pytest.raises(ConcurrentUpdate):  # answered once
        family.accept(invitation, accepted_at)
    with pytest.raises(ConcurrentUpdate):
        family.refuse(invitation, accepted_at)


def test_an_invitation_past_its_time_cannot_be_accepted(family):
    patient, carer = person(), person()
    invitation = invite(family, patient, carer)
    with pytest.raises(ConcurrentUpdate):
        family.accept(invitation, invitation.expires_at)
    assert family.links(carer.ins) == []


def test_at_most_three_carers_a_person_and_five_people_a_carer(family):
    patient = person()
    carers = [person() for _ in range(MAX_CARERS + 1)]
    invitations = [invite(family, patient, c, n=i) for i, c in enumerate(carers)]
    for invitation in invitations[:MAX_CARERS]:
        family.accept(invitation, T0)
    with pytest.raises(LimitReached) as reached:
        family.accept(invitations[-1], T0)
    assert reached.value.which == "carers"
    assert family.delegation(patient.ins, Kind.CARER, carers[-1].ins).status == InvitationStatus.PENDING
    with pytest.raises(LimitReached):  # a new invitation is refused too while the person has 3
        invite(family, patient, person(), n=99)

    helper = person()
    for n in range(MAX_HELPED):
        family.accept(invite(family, person(), helper, n=100 + n), T0)
    with pytest.raises(LimitReached) as reached:
        invite(family, person(), helper, n=200)
    assert reached.value.which == "helped"


def test_ending_a_carer_gives_the_places_back(family):
    patient, carer = person(), person()
    first = invite(family, patient, carer)
    family.accept(first, T0)
    held = family.delegation(patient.ins, Kind.CARER, carer.ins)
    family.end(held, T0)
    assert family.delegation(patient.ins, Kind.CARER, carer.ins).status == InvitationStatus.ENDED
    assert family.invitation(carer.ins, first.invitation_id).status == InvitationStatus.ENDED
    assert family.links(carer.ins) == []
    with pytest.raises(ConcurrentUpdate):  # ended once
        family.end(held, T0)
    # invited again: the ended delegation is replaced, its invitation forgotten; the counters allow 3 again
    previous = family.delegation(patient.ins, Kind.CARER, carer.ins)
    second = invite(family, patient, carer, n=2, previous=previous)
    assert family.invitation(carer.ins, first.invitation_id) is None
    family.accept(second, T0)
    for n in range(MAX_CARERS - 1):
        family.accept(invite(family, patient, person(), n=10 + n), T0)
    with pytest.raises(LimitReached):
        invite(family, patient, person(), n=20)


def test_withdrawing_and_refusing(family):
    patient, carer, other = person(), person(), person()
    withdrawn = invite(family, patient, carer)
    family.end(family.delegation(patient.ins, Kind.CARER, carer.ins), T0)
    assert family.invitation(carer.ins, withdrawn.invitation_id).status == InvitationStatus.CANCELLED
    refused = invite(family, patient, other, n=2)
    family.refuse(refused, T0)
    assert family.invitation(other.ins, refused.invitation_id).status == InvitationStatus.REFUSED
    assert family.delegation(patient.ins, Kind.CARER, other.ins).status == InvitationStatus.REFUSED
    assert family.carers(patient.ins, 10, None, T0).items == []


def test_one_second_representative_slot_per_child(family):
    child, parent, other = person(), person(), person()
    invitation = invite(family, child, parent, Kind.REPRESENTATIVE, by_representative=True)
    assert family.delegation(child.ins, Kind.REPRESENTATIVE, other.ins).member == parent  # one slot
    with pytest.raises(ConcurrentUpdate):
        invite(family, child, other, Kind.REPRESENTATIVE, n=2)
    family.accept(invitation, T0)
    assert [(link.kind, link.patient_ins) for link in family.links(parent.ins)] == [(Kind.REPRESENTATIVE,
                                                                                     child.ins)]
    assert family.carers(child.ins, 10, None, T0).items == []  # not a carer


def test_carers_and_invitations_page_with_cursors(family):
    patient, carer = person(), person()
    members = [person() for _ in range(3)]
    for n, member in enumerate(members):
        invite(family, patient, member, n=n)
    assert sorted(d.member.ins for d in walk(lambda n, c: family.carers(patient.ins, n, c, T0), limit=1)) == sorted(
        m.ins for m in members)
    ids = [invite(family, person(), carer, n=10 + n, at=T0 + dt.timedelta(minutes=n)).invitation_id
           for n in range(3)]
    assert [i.invitation_id for i in walk(lambda n, c: family.invitations(carer.ins, n, c), limit=2)] == ids[::-1]


def test_the_coming_of_age_notice_is_due_claimed_once_and_done(family):
    ins = make_nir()
    due = dt.datetime(2030, 5, 1, 6, tzinfo=dt.UTC)
    family.schedule_of_age(ins, due)
    assert ins not in list(family.due_of_age(due - dt.timedelta(seconds=1)))
    assert ins in list(family.due_of_age(due))
    assert family.claim_of_age(ins, due, due + dt.timedelta(minutes=15)) is True
    assert family.claim_of_age(ins, due, due + dt.timedelta(minutes=15)) is False  # another run holds it
    family.release_of_age(ins)
    assert family.claim_of_age(ins, due, due + dt.timedelta(minutes=15)) is True
    assert family.claim_of_age(ins, due + dt.timedelta(minutes=16), due + dt.timedelta(minutes=31)) is True  # lease
    family.done_of_age(ins)
    assert ins not in list(family.due_of_age(due)) and family.claim_of_age(ins, due, due) is False


def test_erasing_a_person_undoes_both_sides_and_keeps_the_others_counts(family):
    gone, carer, helped, other_carer = person(), person(), person(), person()
    family.accept(invite(family, gone, carer, n=1), T0)  # the person erased has a carer
    invite(family, gone, other_carer, n=2)  # ... an invitation pending
    family.accept(invite(family, helped, gone, n=3), T0)  # ... and helps someone
    family.schedule_of_age(gone.ins, T0)
    assert family.erase(gone.ins) >= 3
    assert family.links(carer.ins) == [] and family.invitations(carer.ins, 10, None).items == []
    assert family.invitations(other_carer.ins, 10, None).items == []
    assert family.delegation(helped.ins, Kind.CARER, gone.ins) is None
    assert family.links(gone.ins) == [] and family.delegations_of(gone.ins) == []
    assert list(family.due_of_age(T0)) == [] or gone.ins not in list(family.due_of_age(T0))
    family.erase(gone.ins)  # a retried purge counts nothing twice
    # the carer helps up to 5 others again, the helped person may have 3 carers again
    for n in range(MAX_HELPED):
        family.accept(invite(family, person(), carer, n=10 + n), T0)
    for n in range(MAX_CARERS):
        family.accept(invite(family, helped, person(), n=20 + n), T0)


def test_the_facts_loader_reads_the_carer_and_the_second_representative(kind, tables, accounts, family):  # noqa: F811
    from chalicelib.adapters.access_repo import DynamoAccessFacts

    if tables is None:
        facts = fakes.FakeFacts(accounts, family=family)
    else:
        settings, clients = tables
        facts = DynamoAccessFacts(clients("dynamodb"), settings.table("accounts"), settings.table("catalogue"))
    patient, carer, parent = person(), person(), person()
    for someone in (patient, carer, parent):
        accounts.add(account(someone.ins))
    family.accept(invite(family, patient, carer, by_representative=True), T0)
    family.accept(invite(family, patient, parent, Kind.REPRESENTATIVE, n=2), T0)
    as_carer = facts.load(Actor("patient", ins=carer.ins), patient.ins)
    assert as_carer.carer.status == "accepted" and as_carer.carer.by_representative is True
    assert as_carer.patient.representatives == frozenset({parent.ins})
    as_parent = facts.load(Actor("patient", ins=parent.ins), patient.ins)
    assert as_parent.carer is None and parent.ins in as_parent.patient.representatives
    stranger = facts.load(Actor("patient", ins=make_nir()), patient.ins)
    assert stranger.carer is None


# -- the access log's filters ------------------------------------------------------------------------------------
@pytest.fixture
def access_log(tables):  # noqa: F811
    from chalicelib.adapters.audit_repo import DynamoAccessLog

    if tables is None:
        return fakes.FakeAccessLog()
    settings, clients = tables
    return DynamoAccessLog(clients("dynamodb"), settings.table("audit"), fakes.SequenceIds())


def test_the_access_log_filters_by_actor_mode_and_period_with_cursors(access_log):
    ins = make_nir()
    pro, other, app, carer = (Party("professional", "10000000009", "medecin"), Party("professional", "10000000017"),
                              Party("app", "glyco"), Party("carer", make_nir()))
    plan = [(pro, Mode.NORMAL), (pro, Mode.EMERGENCY), (other, Mode.NORMAL), (app, Mode.APP), (carer, Mode.NORMAL),
            (pro, Mode.NORMAL), (pro, Mode.EMERGENCY), (app, Mode.APP)]
    for minute, (actor, mode) in enumerate(plan):
        access_log.append(ins, AccessEntry(T0 + dt.timedelta(minutes=minute), actor, "read_document", mode.value,
                                           document_id=f"d{minute}"))
    access_log.append(make_nir(), AccessEntry(T0, pro, "read_document", "normal", document_id="elsewhere"))

    def listed(**query):
        return [e.document_id for e in walk(lambda n, c: access_log.page(ins, n, c, AccessLogQuery(**query)))]

    assert listed() == [f"d{m}" for m in range(7, -1, -1)]
    assert listed(actor_id=pro.id) == ["d6", "d5", "d1", "d0"]
    assert listed(mode="emergency") == ["d6", "d1"]
    assert listed(actor_id=pro.id, mode="normal") == ["d5", "d0"]
    assert listed(actor_id=carer.id) == ["d4"]
    assert listed(since=T0 + dt.timedelta(minutes=2), until=T0 + dt.timedelta(minutes=5)) == ["d5", "d4", "d3", "d2"]
    assert listed(since=T0 + dt.timedelta(minutes=6)) == ["d7", "d6"]
    assert listed(until=T0) == ["d0"]
    assert listed(actor_id=app.id, mode="app", since=T0 + dt.timedelta(minutes=4)) == ["d7"]
    assert listed(actor_id="nobody") == []
