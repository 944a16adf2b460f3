"""Lifecycle use cases with in-memory adapters: enrolment batches, codes, races, jobs."""

import datetime as dt
import threading

import pytest
from fakes import FakeAccessLog, FakeAccounts, FakeFacts, FakeNotifier, SequenceSecrets
from helpers import make_nir, person

from chalicelib.adapters.system import FixedClock
from chalicelib.domain.accounts import Status
from chalicelib.domain.identity import Actor
from chalicelib.errors import Conflict, Gone, TooManyAttempts, Unauthenticated
from chalicelib.models.lifecycle import ClosureRequest, EnrolmentBatch
from chalicelib.services.access import AccessService
from chalicelib.services.lifecycle import LifecycleService

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
AGENT = Actor("agent")


@pytest.fixture
def world():
    accounts, notifier, clock = FakeAccounts(), FakeNotifier(), FixedClock(NOW)
    access = AccessService(FakeFacts(accounts), FakeAccessLog(), clock)
    return LifecycleService(accounts, notifier, clock, SequenceSecrets(), "pepper", access), accounts, notifier, clock


def enrol(service, rows):
    """An agent's enrolment batch (the body a route would have parsed)."""
    return service.enrol(AGENT, EnrolmentBatch(beneficiaries=list(rows)))


def patient(row):
    return Actor("patient", ins=row["nir"])


def code_of(notifier, nir):
    return [n for n in notifier.to(nir) if "code" in n.data][-1].data["code"]


def test_one_bad_row_never_sinks_the_batch(world):
    service, accounts, notifier, _ = world
    good, other = person(), person()
    bad_key = dict(person(), nir=make_nir()[:-2] + "00")
    results = enrol(service, [good, bad_key, "not an object", dict(good), other, {"nir": 42}])
    assert [r.status for r in results] == ["notified", "invalid", "invalid", "duplicate", "notified", "invalid"]
    assert "nir" in results[1].reason and "control key" in results[1].reason
    assert accounts.get(good["nir"]).status == Status.NOTIFIED
    assert len(notifier.to(good["nir"], "enrolment_notice")) == 1


def test_existing_people_are_duplicates(world):
    service, *_ = world
    row = person()
    enrol(service, [row])
    assert enrol(service, [row])[0].status == "duplicate"


def test_nir_must_agree_with_birth_date(world):
    service, *_ = world
    row = person(born=dt.date(1980, 5, 1))
    row["birth_date"] = "1981-05-01"
    result = enrol(service, [row])[0]
    assert result.status == "invalid" and "birth_date" in result.reason


def test_notice_channel_email_else_sms_else_post(world):
    service, _, notifier, _ = world
    by_mail = person()
    by_sms = person(email=None, phone="06 12 34 56 78")
    by_post = person(email=None, postal_address="12 rue de la Paix, 75002 Paris")
    nobody = person(email=None)
    results = enrol(service, [by_mail, by_sms, by_post, nobody])
    assert [r.status for r in results] == ["notified", "notified", "notified", "invalid"]
    channels = {n.to: c for n, c in notifier.sent}
    assert channels == {by_mail["nir"]: "email", by_sms["nir"]: "sms", by_post["nir"]: "postal"}


def test_a_notice_that_cannot_be_sent_creates_nothing(world):
    service, accounts, notifier, _ = world
    notifier.fail = True
    row = person()
    result = enrol(service, [row])[0]
    assert result.status == "invalid" and "notice" in result.reason
    assert accounts.get(row["nir"]) is None


def test_the_code_is_sent_not_stored(world):
    service, accounts, notifier, _ = world
    row = person()
    enrol(service, [row])
    code = code_of(notifier, row["nir"])
    assert len(code) == 12 and code.isalnum()
    stored = accounts.get(row["nir"])
    assert code not in repr(stored)  # only a keyed hash is kept
    assert row["vitale_serial"] not in repr(stored)


def test_activation_checks_serial_code_and_delay(world):
    service, accounts, notifier, clock = world
    row = person()
    enrol(service, [row])
    code = code_of(notifier, row["nir"])
    with pytest.raises(Unauthenticated):
        service.activate(row["nir"], "99999999", code)
    with pytest.raises(TooManyAttempts):
        service.activate(row["nir"], row["vitale_serial"], code)  # even the right one waits 30 s
    clock.advance(seconds=30)
    assert service.activate(row["nir"], row["vitale_serial"], code) == "active"
    with pytest.raises(Conflict) as used:
        service.activate(row["nir"], row["vitale_serial"], code)
    assert used.value.code in ("code_already_used", "already_active")


def test_an_unknown_person_looks_like_a_wrong_code(world):
    service, *_ = world
    with pytest.raises(Unauthenticated):
        service.activate(make_nir(), "12345678", "ABCDEFGHJKMN")


def test_the_enrolment_code_expires_with_its_42_days(world):
    service, _, notifier, clock = world
    row = person(notified_at=(NOW - dt.timedelta(days=43)).isoformat())
    enrol(service, [row])
    with pytest.raises(Gone):
        service.activate(row["nir"], row["vitale_serial"], code_of(notifier, row["nir"]))


def test_a_new_code_kills_the_old_one(world):
    service, _, notifier, clock = world
    row = person()
    enrol(service, [row])
    old = code_of(notifier, row["nir"])
    service.request_code(row["nir"], row["vitale_serial"])
    new = code_of(notifier, row["nir"])
    assert new != old and notifier.to(row["nir"], "activation_code")
    with pytest.raises(Unauthenticated):
        service.activate(row["nir"], row["vitale_serial"], old)
    clock.advance(seconds=31)
    assert service.activate(row["nir"], row["vitale_serial"], new) == "active"


def test_asking_a_code_with_a_wrong_serial_sends_nothing(world):
    service, _, notifier, _ = world
    row = person()
    enrol(service, [row])
    service.request_code(row["nir"], "00000000")
    service.request_code(make_nir(), "00000000")  # unknown person: same silence
    assert not notifier.to(row["nir"], "activation_code")


def test_opt_out_online_needs_the_code_and_is_idempotent(world):
    service, accounts, notifier, clock = world
    row = person()
    enrol(service, [row])
    with pytest.raises(Unauthenticated):
        service.opt_out_online(row["nir"], "WRONGWRONGWR")
    clock.advance(seconds=31)
    code = code_of(notifier, row["nir"])
    assert service.opt_out_online(row["nir"], code) == "opposed"
    assert service.opt_out_online(row["nir"], code) == "opposed"
    assert service.opt_out_by_phone(AGENT, row["nir"]) == "opposed"
    with pytest.raises(Conflict):
        service.activate(row["nir"], row["vitale_serial"], code)


def test_expiry_creates_due_spaces_once_and_notifies_once(world):
    service, accounts, notifier, _ = world
    due, not_yet, opposed = (person(notified_at=(NOW - dt.timedelta(days=d)).isoformat()) for d in (43, 10, 20))
    enrol(service, [due, not_yet, opposed])
    service.opt_out_by_phone(AGENT, opposed["nir"])
    later = NOW + dt.timedelta(days=25)  # due and the opposed one are past their window; not_yet is not
    first = service.run_opt_out_expiry(later)
    second = service.run_opt_out_expiry(later)
    assert accounts.get(due["nir"]).status == Status.OPEN
    assert accounts.get(not_yet["nir"]).status == Status.NOTIFIED
    assert accounts.get(opposed["nir"]).status == Status.OPPOSED
    assert first.processed == 1 and second.processed == 0
    assert len(notifier.to(due["nir"], "space_created")) == 1
    assert not notifier.to(opposed["nir"], "space_created")


def test_expiry_racing_with_opt_out_ends_in_one_state(world):
    service, accounts, notifier, clock = world
    rows = [person(notified_at=(NOW - dt.timedelta(days=42, seconds=-1)).isoformat()) for _ in range(20)]
    enrol(service, rows)
    codes = {r["nir"]: code_of(notifier, r["nir"]) for r in rows}
    clock.value = NOW + dt.timedelta(milliseconds=999)  # the window ends during the race
    errors = []

    def opt_out_all():
        for r in rows:
            try:
                service.opt_out_online(r["nir"], codes[r["nir"]])
            except Conflict:
                errors.append(r["nir"])

    threads = [threading.Thread(target=opt_out_all),
               threading.Thread(target=lambda: service.run_opt_out_expiry(NOW + dt.timedelta(seconds=2)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in rows:
        final = accounts.get(r["nir"])
        assert final.status in (Status.OPPOSED, Status.OPEN)
        assert (final.status == Status.OPEN) == (len(notifier.to(r["nir"], "space_created")) == 1)


def test_closure_then_purge_after_three_months_on_request(world):
    service, accounts, notifier, clock = world
    row = person()
    enrol(service, [row])
    clock.advance(seconds=1)
    service.activate(row["nir"], row["vitale_serial"], code_of(notifier, row["nir"]))
    service.close(patient(row), ClosureRequest(delete_requested=True))
    assert service.run_archive_purge(NOW + dt.timedelta(days=80)).processed == 0
    assert service.run_archive_purge(NOW + dt.timedelta(days=93)).processed == 1
    assert accounts.get(row["nir"]) is None


def test_re_enrolling_a_closed_space_restores_it(world):
    service, accounts, notifier, clock = world
    row = person()
    enrol(service, [row])
    service.activate(row["nir"], row["vitale_serial"], code_of(notifier, row["nir"]))
    service.close(patient(row), ClosureRequest(delete_requested=False))
    assert enrol(service, [row])[0].status == "notified"
    restored = accounts.get(row["nir"])
    assert restored.status == Status.NOTIFIED and restored.purge_at is None


def test_a_child_is_managed_from_the_parents_space(world):
    service, accounts, notifier, _ = world
    parent = person()
    child = person(born=dt.date(2015, 3, 1), email=None, legal_representative_nir=parent["nir"])
    results = enrol(service, [parent, child])
    assert [r.status for r in results] == ["notified", "notified"]
    service.activate(parent["nir"], parent["vitale_serial"], code_of(notifier, parent["nir"]))  # /me needs it
    me = service.me(patient(parent))
    assert [d.ins for d in me.dependants] == [child["nir"]]
    # the child has no contact of their own: the notice reaches the parent's address
    assert [c for n, c in notifier.sent if n.to == child["nir"]] == ["email"]
