"""Opt-out, activation and expiry racing on the same accounts, from several threads, end in one state each.

Many accounts whose opt-out window ends now; threads call the very services the routes and the job call
(`container.lifecycle`: the Chalice test client serves one request at a time), each walking the accounts in its
own order, while two `opt-out-expiry` jobs run at once. Every write is a versioned conditional write: of two
racers one wins and the other re-reads and decides again.

moto applies a conditional write in several Python steps, so two threads could both pass the same condition
there, which DynamoDB never allows: the ``atomic_moto`` fixture makes each of moto's DynamoDB write calls one
step (a lock around the emulator's write operation — the app's read-then-write is NOT serialised by it).
"""

import datetime as dt
import random
import threading
from collections import Counter

import pytest

from chalicelib.domain.identity import Actor
from chalicelib.errors import Conflict, Unavailable

ACCOUNTS = 30


@pytest.fixture
def atomic_moto(monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, _original=original, **kwargs):
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def due_now(api, count):
    """Accounts whose 42-day window ends within the race: still open for the callers' clock, over for the job."""
    from helpers import person

    notified = (api.clock.now() - dt.timedelta(days=42, seconds=-1)).isoformat()
    rows = [person(notified_at=notified) for _ in range(count)]
    results = api.post("/enrolments", api.agent, {"beneficiaries": rows}).json["results"]
    assert [r["status"] for r in results] == ["notified"] * count
    return rows


def race(*workers):
    errors = []

    def run(worker):
        try:
            worker()
        except Exception as error:  # a crash of the harness itself, never an expected answer
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []


def calls(service_call, rows, answers, seed):
    def worker():
        for row in random.Random(seed).sample(rows, len(rows)):
            try:
                service_call(row)
                answers[row["nir"]].append("ok")
            except Conflict:
                answers[row["nir"]].append("conflict")
            except Unavailable:
                answers[row["nir"]].append("busy")
    return worker


def job(api, when, reports):
    return lambda: reports.append(api.run_job("opt-out-expiry", when))


def test_opt_out_activation_and_two_expiry_jobs_end_in_one_state_per_account(api, atomic_moto):
    rows = due_now(api, ACCOUNTS)
    codes = {r["nir"]: api.latest_code(r["nir"]) for r in rows}
    lifecycle = api.container.lifecycle
    opted, activated = {r["nir"]: [] for r in rows}, {r["nir"]: [] for r in rows}
    reports = []
    after_window = api.clock.now() + dt.timedelta(seconds=2)
    race(calls(lambda r: lifecycle.opt_out_online(r["nir"], codes[r["nir"]]), rows, opted, 1),
         calls(lambda r: lifecycle.activate(r["nir"], r["vitale_serial"], codes[r["nir"]]), rows, activated, 2),
         job(api, after_window, reports), job(api, after_window, reports))
    api.run_job("opt-out-expiry", after_window)  # a later run finds nothing left to do, notices included
    finals = Counter()
    for row in rows:
        nir = row["nir"]
        account = api.container.accounts.get(nir)
        finals[account.status.value] += 1
        assert account.pending_notice is None
        # exactly one of the person's two calls won, and the state is the winner's
        assert sorted(opted[nir] + activated[nir]) in (["conflict", "ok"], ["busy", "ok"]), (opted[nir],
                                                                                              activated[nir])
        assert account.status.value == ("opposed" if opted[nir] == ["ok"] else "active")
        created = api.outbox(nir, "space_created")
        assert len(created) <= 1  # at most once, whoever raced
        if account.status.value == "opposed":
            assert created == []
    assert set(finals) <= {"opposed", "active"} and sum(finals.values()) == ACCOUNTS
    assert sum(r["processed"] for r in reports) <= ACCOUNTS - finals["opposed"]


def test_opt_out_by_phone_and_two_expiry_jobs_open_each_space_once_and_announce_it_once(api, atomic_moto):
    rows = due_now(api, ACCOUNTS)
    lifecycle = api.container.lifecycle
    opted = {r["nir"]: [] for r in rows}
    reports = []
    after_window = api.clock.now() + dt.timedelta(seconds=2)
    race(calls(lambda r: lifecycle.opt_out_by_phone(Actor("agent"), r["nir"]), rows, opted, 3),
         job(api, after_window, reports), job(api, after_window, reports), job(api, after_window, reports))
    api.run_job("opt-out-expiry", after_window)
    opened = 0
    for row in rows:
        nir = row["nir"]
        account = api.container.accounts.get(nir)
        created = api.outbox(nir, "space_created")
        if opted[nir] == ["ok"]:
            assert account.status.value == "opposed" and created == []
        else:
            assert opted[nir] in (["conflict"], ["busy"])
            assert account.status.value == "open" and account.pending_notice is None
            assert len(created) == 1  # an opened space is announced exactly once
            opened += 1
    assert opened > 0 or all(o == ["ok"] for o in opted.values())
    assert sum(r["processed"] for r in reports) == opened  # each space created by exactly one job run


# -- carers (CONTRACT §10): at most 3 carers a person and 5 people a carer, whoever races ---------------------------
def carer_identity(row):
    from chalicelib.models.family import CarerInvitation

    return CarerInvitation(ins=row["nir"], given_name=row["given_name"], family_name=row["family_name"],
                           birth_date=row["birth_date"])


def answers_of(call, outcomes):
    def worker():
        try:
            call()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Unavailable:
            outcomes.append("busy")
    return worker


def test_concurrent_acceptances_never_give_a_person_more_than_3_carers_or_a_carer_more_than_5(api, atomic_moto):
    family = api.container.family
    helped, _ = api.patient()
    me = Actor("patient", ins=helped["nir"])
    carers = [api.patient()[0] for _ in range(7)]
    tickets = [family.invite_carer(me, helped["nir"], carer_identity(c)) for c in carers]
    outcomes = []
    race(*[answers_of(lambda c=c, t=t: family.accept(Actor("patient", ins=c["nir"]), t.invitation_id), outcomes)
           for c, t in zip(carers, tickets, strict=True)])
    assert outcomes.count("ok") == 3, outcomes
    listed = family.carers(me, helped["nir"], 10, None).items
    assert [d.status.value for d in listed].count("accepted") == 3  # the others stay pending, unanswerable now

    carer, _ = api.patient()
    people = [api.patient()[0] for _ in range(8)]
    invitations = [family.invite_carer(Actor("patient", ins=p["nir"]), p["nir"], carer_identity(carer))
                   for p in people]
    outcomes = []
    race(*[answers_of(lambda t=t: family.accept(Actor("patient", ins=carer["nir"]), t.invitation_id), outcomes)
           for t in invitations])
    assert outcomes.count("ok") == 5, outcomes
    helper = Actor("patient", ins=carer["nir"])
    assert len(api.container.lifecycle.me(helper).helped) == 5


def test_concurrent_invitations_of_one_person_leave_one_pending_invitation(api, atomic_moto):
    family = api.container.family
    helped, _ = api.patient()
    carer, _ = api.patient()
    me = Actor("patient", ins=helped["nir"])
    outcomes = []
    race(*[answers_of(lambda: family.invite_carer(me, helped["nir"], carer_identity(carer)), outcomes)
           for _ in range(5)])
    assert outcomes.count("ok") == 1, outcomes
    assert len(family.invitations(Actor("patient", ins=carer["nir"]), 10, None).items) == 1
