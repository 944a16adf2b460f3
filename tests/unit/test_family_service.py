"""Carers, a second legal representative, a minor's secret, coming of age and the access log's filters: the use
cases over the fakes (no AWS), each through the one access decision (CONTRACT §10)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from helpers import make_nir
from test_services import NOW, World

from chalicelib.domain.accounts import Account, Contact, Status
from chalicelib.domain.audit import AccessLogQuery
from chalicelib.domain.family import INVITATION_VALIDITY
from chalicelib.domain.identity import Actor
from chalicelib.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound, Unavailable
from chalicelib.models.care import AppointmentCreate, MeasurementCreate, Profile
from chalicelib.models.catalogue import ConsentRequest
from chalicelib.models.family import CarerInvitation, RepresentativeInvitation
from chalicelib.models.records import DocumentCreate, DocumentPatch, EmergencySettings
from chalicelib.services.lifecycle import LifecycleService

ADULT = dt.date(1980, 5, 1)


class Family(World):
    """The World of the service tests, with people who have names and a lifecycle service for GET /me."""

    def person(self, born: dt.date = ADULT, given: str = "Camille", family: str = "Martin",
               status: Status = Status.ACTIVE, representative: Actor | None = None, contact: bool = True) -> Actor:
        nir = make_nir(born=born)
        account = Account(nir=nir, given_name=given, family_name=family, birth_date=born, status=status,
                          notified_at=NOW, contact=Contact(email=f"{nir}@example.org") if contact else Contact(),
                          legal_representative_nir=representative.ins if representative else None)
        if representative is not None:
            self.accounts.add_with_dependant_link(account, representative.ins)
        else:
            self.accounts.add(account)
        return Actor("patient", ins=nir)

    def identity(self, who: Actor, model: type = CarerInvitation, **change) -> CarerInvitation:
        account = self.accounts.get(who.ins)
        fields = {"ins": account.nir, "given_name": account.given_name, "family_name": account.family_name,
                  "birth_date": account.birth_date, **change}
        return model(**fields)

    def carer_of(self, helped: Actor, carer: Actor, by: Actor | None = None) -> str:
        ticket = self.family.invite_carer(by or helped, helped.ins, self.identity(carer))
        self.family.accept(carer, ticket.invitation_id)
        return ticket.invitation_id

    def lifecycle(self) -> LifecycleService:
        return LifecycleService(self.accounts, self.notifier, self.clock, None, "pepper", self.access,
                                family=self.family_repo)


@pytest.fixture
def world() -> Family:
    return Family()


def upload(world, actor, ins, **extra) -> str:
    return world.document(actor, ins, **extra)


# -- inviting by identity -------------------------------------------------------------------------------------------
def test_an_invitation_names_the_invitee_exactly_and_any_mismatch_is_one_404(world):
    helped = world.person()
    carer = world.person(given="Élodie Marie", family="Le Gall-Durand")
    minor = world.person(born=dt.date(2012, 3, 4))
    inactive = world.person(status=Status.OPEN)
    answers = []
    for body in (world.identity(carer, given_name="Sophie"), world.identity(carer, family_name="Legall"),
                 world.identity(carer, birth_date=dt.date(1980, 5, 2)), world.identity(carer, ins=make_nir()),
                 world.identity(minor), world.identity(inactive)):
        with pytest.raises(NotFound) as refused:
            world.family.invite_carer(helped, helped.ins, body)
        answers.append((refused.value.code, refused.value.message))
    assert len(set(answers)) == 1 and answers[0][0] == "unknown_person"
    # accents, case, hyphens and the first given name alone are how people write names
    ticket = world.family.invite_carer(helped, helped.ins, world.identity(carer, given_name="elodie",
                                                                          family_name="LE GALL DURAND"))
    assert ticket.status == "pending" and ticket.expires_at == NOW + INVITATION_VALIDITY
    assert world.accounts.get(helped.ins).status == Status.ACTIVE


def test_the_invitee_is_told_without_anything_about_the_person_and_can_answer(world):
    helped, carer = world.person(), world.person(given="Sam")
    ticket = world.family.invite_carer(helped, helped.ins, world.identity(carer))
    [notice] = world.notifier.to(carer.ins, "carer_invitation")
    assert set(notice.data) == {"expires_at"} and helped.ins not in notice.render()[1]
    [listed] = world.family.invitations(carer, 10, None).items
    assert listed.invitation_id == ticket.invitation_id and listed.patient.ins == helped.ins
    assert listed.status.value == "pending"
    accepted = world.family.accept(carer, ticket.invitation_id)
    assert accepted.status.value == "accepted"
    with pytest.raises(Conflict):
        world.family.accept(carer, ticket.invitation_id)
    with pytest.raises(NotFound):  # someone else's invitation does not exist for them
        world.family.accept(world.person(), ticket.invitation_id)
    [me_helped] = world.lifecycle().me(carer).helped
    assert me_helped.ins == helped.ins and me_helped.since == NOW


def test_a_person_cannot_invite_themselves_and_duplicates_are_409(world):
    helped, carer = world.person(), world.person()
    with pytest.raises(InvalidInput) as own:
        world.family.invite_carer(helped, helped.ins, world.identity(helped))
    assert own.value.details["field"] == "ins"
    world.family.invite_carer(helped, helped.ins, world.identity(carer))
    with pytest.raises(Conflict) as again:
        world.family.invite_carer(helped, helped.ins, world.identity(carer))
    assert again.value.code == "already_invited"
    world.family.accept(carer, world.family.invitations(carer, 1, None).items[0].invitation_id)
    with pytest.raises(Conflict) as already:
        world.family.invite_carer(helped, helped.ins, world.identity(carer))
    assert already.value.code == "already_carer"


def test_an_unanswered_invitation_expires_at_read_time(world):
    helped, carer = world.person(), world.person()
    ticket = world.family.invite_carer(helped, helped.ins, world.identity(carer))
    world.clock.advance(days=14)
    assert world.family.invitations(carer, 10, None).items[0].status.value == "expired"
    assert world.family.carers(helped, helped.ins, 10, None).items == []
    with pytest.raises(Gone) as late:
        world.family.accept(carer, ticket.invitation_id)
    assert late.value.code == "invitation_expired"
    again = world.family.invite_carer(helped, helped.ins, world.identity(carer))  # may be invited anew
    world.family.accept(carer, again.invitation_id)


def test_a_refused_invitation_leaves_nothing_and_may_be_sent_again(world):
    helped, carer = world.person(), world.person()
    ticket = world.family.invite_carer(helped, helped.ins, world.identity(carer))
    assert world.family.refuse(carer, ticket.invitation_id).status.value == "refused"
    assert world.family.carers(helped, helped.ins, 10, None).items == []
    with pytest.raises(Forbidden):
        world.records.listing(carer, helped.ins, 10, None)
    world.family.invite_carer(helped, helped.ins, world.identity(carer))


def test_three_carers_a_person_five_people_a_carer(world):
    helped = world.person()
    for _ in range(3):
        world.carer_of(helped, world.person())
    with pytest.raises(Conflict) as full:
        world.family.invite_carer(helped, helped.ins, world.identity(world.person()))
    assert full.value.code == "too_many_carers" and "3 carers" in full.value.message
    busy = world.person()
    for _ in range(5):
        world.carer_of(world.person(), busy)
    other = world.person()
    with pytest.raises(Conflict) as helped_full:
        world.family.invite_carer(other, other.ins, world.identity(busy))
    assert helped_full.value.code == "too_many_helped"


def test_pending_invitations_beyond_the_limit_fail_at_acceptance(world):
    helped = world.person()
    carers = [world.person() for _ in range(4)]
    tickets = [world.family.invite_carer(helped, helped.ins, world.identity(c)) for c in carers]
    for carer, ticket in zip(carers[:3], tickets[:3], strict=True):
        world.family.accept(carer, ticket.invitation_id)
    with pytest.raises(Conflict) as full:
        world.family.accept(carers[3], tickets[3].invitation_id)
    assert full.value.code == "too_many_carers"
    assert world.family.invitations(carers[3], 1, None).items[0].status.value == "pending"  # may try later


def test_concurrent_acceptances_never_exceed_the_limit(world):
    helped = world.person()
    carers = [world.person() for _ in range(8)]
    tickets = [world.family.invite_carer(helped, helped.ins, world.identity(c)) for c in carers]
    outcomes = []

    def accept(carer, ticket):
        try:
            world.family.accept(carer, ticket.invitation_id)
            outcomes.append("accepted")
        except Conflict as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=accept, args=pair) for pair in zip(carers, tickets, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] * 3 + ["too_many_carers"] * 5
    assert len(world.family.carers(helped, helped.ins, 10, None).items) == 8  # the 5 others stay pending
    assert sum(d.status.value == "accepted" for d in world.family.carers(helped, helped.ins, 10, None).items) == 3


def test_a_notice_that_cannot_go_out_withdraws_the_invitation(world):
    helped, carer = world.person(), world.person()
    world.notifier.fail = True
    with pytest.raises(Unavailable):
        world.family.invite_carer(helped, helped.ins, world.identity(carer))
    world.notifier.fail = False
    assert world.family.carers(helped, helped.ins, 10, None).items == []
    world.family.invite_carer(helped, helped.ins, world.identity(carer))  # nothing stands in the way


# -- what a carer may do ----------------------------------------------------------------------------------------------
def test_a_carer_reads_and_adds_and_every_access_is_logged_as_a_carer(world):
    helped, carer = world.person(), world.person()
    pro = world.professional(helped)
    report = upload(world, pro, helped.ins)
    world.carer_of(helped, carer)
    assert [d.document_id for d in world.records.listing(carer, helped.ins, 10, None).items] == [report]
    assert world.records.get(carer, helped.ins, report).download_url
    added = upload(world, carer, helped.ins)
    world.care.add_measurement(carer, helped.ins, MeasurementCreate(code="29463-7", value=70, unit="kg",
                                                                    effective_at="2026-11-20T08:00:00Z"))
    world.agenda.add_appointment(carer, helped.ins, AppointmentCreate(title="Kiné", start="2026-12-01T09:00:00Z"))
    assert world.care.profile(carer, helped.ins) is not None
    assert added in [d.document_id for d in world.records.listing(helped, helped.ins, 10, None).items]
    carers_entries = [e for e in world.log.of(helped.ins) if e.actor.role == "carer"]
    assert {e.actor.id for e in carers_entries} == {carer.ins} and {e.mode for e in carers_entries} == {"normal"}
    assert {"list_documents", "read_document", "add_document"} <= {e.action for e in carers_entries}


@pytest.mark.parametrize("attempt", [
    lambda w, c, h: w.sharing.set_professional(c, h.ins, w.professional().rpps, "blocked"),
    lambda w, c, h: w.sharing.set_attending_doctor(c, h.ins, w.professional().rpps),
    lambda w, c, h: w.sharing.set_emergency_settings(c, h.ins, EmergencySettings(samu=False)),
    lambda w, c, h: w.catalogue.revoke(c, h.ins, "glyco"),
    lambda w, c, h: w.catalogue.consents_of(c, h.ins),
    lambda w, c, h: w.catalogue.grant(c, h.ins, "glyco", ConsentRequest(grants=[{"category": "agenda",
                                                                                  "access": "read"}])),
    lambda w, c, h: w.family.invite_carer(c, h.ins, w.identity(w.person())),
    lambda w, c, h: w.family.carers(c, h.ins, 10, None),
    lambda w, c, h: w.sharing.access_history(c, h.ins, 10, None),
    lambda w, c, h: w.reimbursements.listing(c, h.ins, 10, None),
    lambda w, c, h: w.care.put_profile(c, h.ins, Profile(allergies=["pollen"])),
], ids=["block", "attending", "emergency", "revoke-app", "list-apps", "grant-app", "invite", "list-carers",
        "access-log", "reimbursements", "profile"])
def test_a_carer_never_manages_the_space(world, attempt):
    helped, carer = world.person(), world.person()
    world.carer_of(helped, carer)
    with pytest.raises(Forbidden) as refused:
        attempt(world, carer, helped)
    assert refused.value.code == "carer_forbidden" and refused.value.message


def test_a_carer_deletes_and_masks_nothing(world):
    helped, carer = world.person(), world.person()
    document = upload(world, helped, helped.ins)
    world.carer_of(helped, carer)
    with pytest.raises(Forbidden):
        world.records.delete(carer, helped.ins, document)
    with pytest.raises(Forbidden):
        world.records.update(carer, helped.ins, document, DocumentPatch(masked=True))
    assert not world.documents.get(helped.ins, document).deleted


def test_revocation_is_effective_at_once_and_the_carer_is_told(world):
    helped, carer = world.person(), world.person()
    world.carer_of(helped, carer)
    world.records.listing(carer, helped.ins, 10, None)
    world.family.revoke_carer(helped, helped.ins, carer.ins)
    with pytest.raises(Forbidden):
        world.records.listing(carer, helped.ins, 10, None)
    assert len(world.notifier.to(carer.ins, "carer_revoked")) == 1
    assert world.lifecycle().me(carer).helped == []
    with pytest.raises(NotFound):
        world.family.revoke_carer(helped, helped.ins, carer.ins)


def test_a_carer_steps_down_alone_and_never_removes_another(world):
    helped, carer, other = world.person(), world.person(), world.person()
    world.carer_of(helped, carer)
    world.carer_of(helped, other)
    with pytest.raises(Forbidden):
        world.family.revoke_carer(carer, helped.ins, other.ins)
    world.family.revoke_carer(carer, helped.ins, carer.ins)
    assert world.notifier.to(carer.ins, "carer_revoked") == []  # they know
    assert [e.action for e in world.log.of(helped.ins) if e.actor.id == carer.ins][-1] == "revoke_carer"
    assert [d.ins for d in world.family.carers(helped, helped.ins, 10, None).items] == [other.ins]


def test_a_withdrawn_invitation_cannot_be_accepted(world):
    helped, carer = world.person(), world.person()
    ticket = world.family.invite_carer(helped, helped.ins, world.identity(carer))
    world.family.revoke_carer(helped, helped.ins, carer.ins)
    with pytest.raises(Gone) as withdrawn:
        world.family.accept(carer, ticket.invitation_id)
    assert withdrawn.value.code == "invitation_withdrawn"


def test_a_closed_space_leaves_its_carers(world):
    helped, carer = world.person(), world.person()
    world.carer_of(helped, carer)
    account = world.accounts.get(helped.ins)
    account.close(NOW, delete_requested=False)
    world.accounts.save(account)
    with pytest.raises(NotFound):
        world.records.listing(carer, helped.ins, 10, None)
    assert world.lifecycle().me(carer).helped == []


# -- a second legal representative ---------------------------------------------------------------------------------
def test_a_second_representative_manages_the_child_once_accepted(world):
    parent, other = world.person(), world.person(given="Alex", family="Durand")
    child = world.person(born=dt.date(2015, 9, 3), representative=parent)
    with pytest.raises(Forbidden):
        world.records.listing(other, child.ins, 10, None)
    ticket = world.family.invite_representative(parent, child.ins, world.identity(other, RepresentativeInvitation))
    assert world.notifier.to(other.ins, "representative_invitation")
    world.family.accept(other, ticket.invitation_id)
    world.records.listing(other, child.ins, 10, None)
    world.sharing.set_emergency_settings(other, child.ins, EmergencySettings(samu=False))  # manages it
    assert [d.ins for d in world.lifecycle().me(other).dependants] == [child.ins]
    assert [d.ins for d in world.lifecycle().me(parent).dependants] == [child.ins]
    assert not [e for e in world.log.of(child.ins) if e.actor.id == other.ins]  # a representative is not logged


def test_only_a_representative_of_a_minor_invites_a_second_one(world):
    parent, other = world.person(), world.person()
    child = world.person(born=dt.date(2015, 9, 3), representative=parent)
    adult = world.person()
    with pytest.raises(Forbidden):  # an adult has no legal representative to invite
        world.family.invite_representative(adult, adult.ins, world.identity(other, RepresentativeInvitation))
    with pytest.raises(Forbidden):  # a stranger is no representative
        world.family.invite_representative(other, child.ins, world.identity(adult, RepresentativeInvitation))
    with pytest.raises(Conflict) as already:
        world.family.invite_representative(parent, child.ins, world.identity(parent, RepresentativeInvitation))
    assert already.value.code == "already_representative"
    ticket = world.family.invite_representative(parent, child.ins, world.identity(other, RepresentativeInvitation))
    with pytest.raises(Conflict):  # one slot
        world.family.invite_representative(parent, child.ins, world.identity(adult, RepresentativeInvitation))
    world.family.accept(other, ticket.invitation_id)
    with pytest.raises(Conflict) as full:
        world.family.invite_representative(parent, child.ins, world.identity(adult, RepresentativeInvitation))
    assert full.value.code == "too_many_representatives"


def test_a_representative_invites_carers_for_the_child(world):
    parent, carer = world.person(), world.person()
    child = world.person(born=dt.date(2015, 9, 3), representative=parent)
    world.carer_of(child, carer, by=parent)
    assert world.family_repo.delegation(child.ins, "carer", carer.ins).by_representative
    world.records.listing(carer, child.ins, 10, None)


# -- a minor's secret (L1111-5) --------------------------------------------------------------------------------------
def test_a_minors_secret_is_never_shown_to_representatives_or_carers(world):
    parent, second, carer = world.person(), world.person(), world.person()
    child = world.person(born=dt.date(2010, 2, 1), representative=parent)
    world.family.accept(second, world.family.invite_representative(
        parent, child.ins, world.identity(second, RepresentativeInvitation)).invitation_id)
    world.carer_of(child, carer, by=parent)
    doctor = world.professional(child)
    secret = upload(world, doctor, child.ins, hidden_from_representatives=True)
    shared = upload(world, doctor, child.ins)
    assert {secret, shared} == {d.document_id for d in world.records.listing(child, child.ins, 10, None).items}
    for someone in (parent, second, carer):
        assert [d.document_id for d in world.records.listing(someone, child.ins, 10, None).items] == [shared]
        with pytest.raises(NotFound):
            world.records.get(someone, child.ins, secret)
        with pytest.raises(NotFound if someone is not carer else Forbidden):  # a carer deletes nothing at all
            world.records.delete(someone, child.ins, secret)
    world.records.update(doctor, child.ins, secret, DocumentPatch(hidden_from_representatives=False))
    assert secret in [d.document_id for d in world.records.listing(parent, child.ins, 10, None).items]


def test_only_the_author_sets_the_secret_never_a_representative_or_an_app(world):
    parent = world.person()
    child = world.person(born=dt.date(2010, 2, 1), representative=parent)
    doctor = world.professional(child)
    document = upload(world, doctor, child.ins)
    with pytest.raises(Forbidden):
        world.records.update(parent, child.ins, document, DocumentPatch(hidden_from_representatives=True))
    with pytest.raises(Forbidden):
        world.records.start_upload(parent, child.ins, DocumentCreate(
            title="x", type_code="11488-4", content_type="application/pdf", size=3, hidden_from_representatives=True))
    with pytest.raises(Forbidden) as by_app:
        world.records.start_upload(Actor("app", app_id="glyco", ins=child.ins), child.ins, DocumentCreate(
            title="x", type_code="11488-4", content_type="application/pdf", size=3, hidden_from_representatives=True))
    assert "app" in by_app.value.message
    other = world.professional(child)
    with pytest.raises(Forbidden) as not_author:
        world.records.update(other, child.ins, document, DocumentPatch(hidden_from_representatives=True))
    assert not_author.value.code == "not_author"
    own = upload(world, child, child.ins, hidden_from_representatives=True)  # the minor's own upload
    assert own not in [d.document_id for d in world.records.listing(parent, child.ins, 10, None).items]


# -- coming of age -----------------------------------------------------------------------------------------------
def test_at_18_representatives_and_the_carers_they_chose_lose_access_whatever_their_token(world):
    parent, second, chosen, own_carer = (world.person() for _ in range(4))
    birthday = NOW.date().replace(year=NOW.year - 18) + dt.timedelta(days=3)  # 18 in 3 days
    child = world.person(born=birthday, representative=parent)
    world.family.space_opened(child.ins, birthday, NOW)
    world.family.accept(second, world.family.invite_representative(
        parent, child.ins, world.identity(second, RepresentativeInvitation)).invitation_id)
    world.carer_of(child, chosen, by=parent)
    world.carer_of(child, own_carer)  # the minor's own choice
    for someone in (parent, second, chosen, own_carer):
        world.records.listing(someone, child.ins, 10, None)
    world.clock.advance(days=3)  # the 18th birthday: nothing has run yet
    for someone in (parent, second, chosen):
        with pytest.raises(Forbidden):
            world.records.listing(someone, child.ins, 10, None)
        with pytest.raises(Forbidden):
            world.care.profile(someone, child.ins)
    with pytest.raises(Forbidden):
        world.family.carers(parent, child.ins, 10, None)
    with pytest.raises(Forbidden):
        world.family.invite_carer(parent, child.ins, world.identity(world.person()))
    with pytest.raises(Forbidden):
        world.family.revoke_carer(parent, child.ins, own_carer.ins)
    world.records.listing(own_carer, child.ins, 10, None)  # the carer the young person chose stays
    assert world.lifecycle().me(parent).dependants == [] and world.lifecycle().me(second).dependants == []
    assert world.lifecycle().me(chosen).helped == []
    assert [c.ins for c in world.family.carers(child, child.ins, 10, None).items] == [own_carer.ins]


def test_the_young_adult_is_told_once_and_the_carers_chosen_for_them_stop(world):
    parent, chosen = world.person(), world.person()
    birthday = NOW.date().replace(year=NOW.year - 18) + dt.timedelta(days=1)
    child = world.person(born=birthday, representative=parent)
    world.family.space_opened(child.ins, birthday, NOW)
    world.carer_of(child, chosen, by=parent)
    assert world.family.run_coming_of_age(NOW).processed == 0  # not yet
    world.clock.advance(days=1)
    morning = dt.datetime.combine(world.clock.now().date(), dt.time(6), tzinfo=dt.UTC)
    report = world.family.run_coming_of_age(morning)
    assert report.processed == 1 and report.details["carers_ended"] == 1
    assert len(world.notifier.to(child.ins, "space_of_age")) == 1
    assert len(world.notifier.to(chosen.ins, "carer_revoked")) == 1
    assert world.family.run_coming_of_age(morning + dt.timedelta(days=1)).processed == 0  # once
    assert len(world.notifier.to(child.ins, "space_of_age")) == 1
    world.carer_of(child, chosen)  # the young adult may choose them again: the place was given back


def test_a_failed_coming_of_age_notice_is_released_for_the_next_run(world):
    birthday = NOW.date().replace(year=NOW.year - 18)
    child = world.person(born=birthday, representative=world.person())
    world.family.space_opened(child.ins, birthday, NOW - dt.timedelta(days=1))
    world.notifier.fail = True
    assert world.family.run_coming_of_age(NOW).details["failed"] == 1
    world.notifier.fail = False
    assert world.family.run_coming_of_age(NOW).processed == 1
    assert len(world.notifier.to(child.ins, "space_of_age")) == 1


def test_concurrent_runs_tell_the_young_adult_once(world):
    birthday = NOW.date().replace(year=NOW.year - 18)
    children = [world.person(born=birthday, representative=world.person()) for _ in range(10)]
    for child in children:
        world.family.space_opened(child.ins, birthday, NOW - dt.timedelta(days=1))
    threads = [threading.Thread(target=world.family.run_coming_of_age, args=(NOW,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(world.notifier.to(c.ins, "space_of_age")) == 1 for c in children)


def test_an_adults_space_schedules_nothing(world):
    adult = world.person()
    world.family.space_opened(adult.ins, ADULT, NOW)
    assert list(world.family_repo.due_of_age(NOW + dt.timedelta(days=365 * 80))) == []


# -- the access log's filters ------------------------------------------------------------------------------------
def test_the_access_log_filters_through_the_service(world):
    helped, carer = world.person(), world.person()
    pro = world.professional(helped)
    world.carer_of(helped, carer)
    world.records.listing(carer, helped.ins, 10, None)
    world.clock.advance(hours=1)
    world.records.listing(pro, helped.ins, 10, None)
    by_carer = world.sharing.access_history(helped, helped.ins, 10, None, AccessLogQuery(actor_id=carer.ins))
    assert [(e.actor.role, e.action) for e in by_carer.items] == [("carer", "list_documents")]
    recent = world.sharing.access_history(helped, helped.ins, 10, None,
                                          AccessLogQuery(since=NOW + dt.timedelta(minutes=30)))
    assert [e.actor.id for e in recent.items] == [pro.rpps]
    with pytest.raises(InvalidInput) as backwards:
        world.sharing.access_history(helped, helped.ins, 10, None,
                                     AccessLogQuery(since=NOW, until=NOW - dt.timedelta(days=1)))
    assert backwards.value.details["field"] == "until"
