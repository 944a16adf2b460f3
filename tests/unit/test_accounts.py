"""The life of a space, as rules on the Account entity."""

import datetime as dt

import pytest
from helpers import make_nir

from chalicelib.domain.accounts import Account, DueKind, Status, secret_hash
from chalicelib.errors import Conflict, Gone, TooManyAttempts

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


def account(**changes) -> Account:
    a = Account(nir=make_nir(), given_name="Camille", family_name="Martin", birth_date=dt.date(1980, 5, 1),
                status=Status.NOTIFIED, notified_at=NOW)
    a.issue_code(secret_hash("p", a.nir, "CODE"), NOW, "enrolment_notice")
    for k, v in changes.items():
        setattr(a, k, v)
    return a


def test_the_window_lasts_six_weeks():
    a = account()
    assert a.window_ends_at == NOW + dt.timedelta(days=42)
    assert a.window_open(NOW + dt.timedelta(days=41, hours=23))
    assert not a.window_open(NOW + dt.timedelta(days=42))


def test_opt_out_during_the_window_then_again_is_idempotent():
    a = account()
    assert a.opt_out(NOW + dt.timedelta(days=3), "online") is True
    assert a.status == Status.OPPOSED
    assert a.opt_out(NOW + dt.timedelta(days=60), "phone") is False  # already opposed: same answer


def test_opt_out_after_the_window_or_once_the_space_exists_is_a_conflict():
    with pytest.raises(Conflict) as error:
        account().opt_out(NOW + dt.timedelta(days=43), "online")
    assert error.value.code == "space_exists"
    with pytest.raises(Conflict):
        account(status=Status.ACTIVE).opt_out(NOW, "online")


def test_window_expiry_creates_the_space_once_and_queues_its_notice():
    a = account()
    assert a.expire_window(NOW + dt.timedelta(days=41)) is False
    assert a.expire_window(NOW + dt.timedelta(days=42)) is True
    assert a.status == Status.OPEN and a.pending_notice == "space_created"
    assert a.due()[0] == DueKind.NOTICE
    assert a.expire_window(NOW + dt.timedelta(days=50)) is False  # a second run changes nothing


def test_an_opposed_account_never_opens():
    a = account()
    a.opt_out(NOW, "online")
    assert a.expire_window(NOW + dt.timedelta(days=60)) is False and a.due() is None


def test_codes_expire_after_42_days_and_serve_once():
    a = account()
    with pytest.raises(Gone):
        a.check_code_usable(NOW + dt.timedelta(days=42))
    a.check_code_usable(NOW + dt.timedelta(days=41))
    a.activate(NOW + dt.timedelta(days=1))
    with pytest.raises(Conflict) as error:
        a.check_code_usable(NOW + dt.timedelta(days=2))
    assert error.value.code == "code_already_used"


def test_thirty_seconds_between_a_failed_try_and_the_next():
    a = account()
    a.record_failure(NOW)
    with pytest.raises(TooManyAttempts) as error:
        a.check_retry_delay(NOW + dt.timedelta(seconds=10))
    assert error.value.retry_after == 20
    a.check_retry_delay(NOW + dt.timedelta(seconds=30))


def test_a_new_code_replaces_the_old():
    a = account()
    a.issue_code(secret_hash("p", a.nir, "NEWCODE"), NOW, "activation_code")
    assert not a.code_matches(secret_hash("p", a.nir, "CODE"))
    assert a.code_matches(secret_hash("p", a.nir, "NEWCODE"))


def test_activation_of_an_opposed_person_is_refused():
    a = account()
    a.opt_out(NOW, "online")
    with pytest.raises(Conflict) as error:
        a.activate(NOW)
    assert error.value.code == "opposed"


def test_closure_archives_ten_years_or_three_months_on_request():
    a = account(status=Status.ACTIVE)
    a.close(NOW, delete_requested=False)
    assert a.purge_at == NOW.replace(year=2036)
    b = account(status=Status.OPEN)
    b.close(NOW, delete_requested=True)
    assert b.purge_at == dt.datetime(2027, 2, 22, 9, 0, tzinfo=dt.UTC)
    assert b.due() == (DueKind.PURGE, b.purge_at)


def test_reopening_a_closed_space_cancels_its_purge():
    a = account(status=Status.ACTIVE)
    a.close(NOW, delete_requested=True)
    a.issue_code(secret_hash("p", a.nir, "AGAIN"), NOW, "activation_code")
    a.activate(NOW + dt.timedelta(days=1))
    assert a.status == Status.ACTIVE and a.purge_at is None and a.due() is None


def test_children_are_minors_until_18():
    child = account(birth_date=dt.date(2010, 6, 1))
    assert child.is_minor(dt.date(2028, 5, 31)) and not child.is_minor(dt.date(2028, 6, 1))
