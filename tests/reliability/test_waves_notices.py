"""Exactly-once notices under national waves (CONTRACT §8): a throttled send (the sending rate's "retry later",
``SendLater``) leaves the notice owed and it goes out later, once; a replayed row or a retried unit never notifies
twice; the jobs' units do the same with the spaces they open.

The notifier is wrapped as every stage with a sending rate wraps it (``RateLimitedNotifier``), so SES's own
"Throttling" answer becomes ``SendLater``, exactly as a full token bucket does."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from helpers import person

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "handlers"))
from test_waves_api import HEADER, batch, line, report, upload


@pytest.fixture
def limited(api, clock):
    """The api over a container whose stage sets a sending rate (far above what the tests send): its notifier,
    and that of every container a job unit builds, is the rate-limited one."""
    import dataclasses

    from chalicelib import bootstrap

    settings = dataclasses.replace(api.settings, ses_rate=1000.0)
    api.container = bootstrap.Container(settings, api.container.clients, clock)
    bootstrap.use(api.container)
    return api


def notices(api, people, kind="enrolment_notice"):
    return [len(api.outbox(p["nir"], kind)) for p in people]


def owed(api, nir):
    return api.container.accounts.get(nir).pending_notice


def test_a_throttled_enrolment_notice_stays_owed_and_the_job_sends_it_once(limited, faults):
    api = limited
    row = person()
    faults.fail("ses", "SendEmail", "Throttling")
    [result] = api.post("/enrolments", api.agent, {"beneficiaries": [row]}).json["results"]
    assert result["status"] == "notified" and "queued" in result["reason"]
    assert owed(api, row["nir"]) == "enrolment_notice" and not api.outbox(row["nir"])  # owed, never lost
    report_ = api.run_job("opt-out-expiry")
    assert report_["notices_sent"] == 1 and notices(api, [row]) == [1]
    assert owed(api, row["nir"]) is None
    assert api.run_job("opt-out-expiry")["notices_sent"] == 0 and notices(api, [row]) == [1]  # never twice
    # the code it carries is the one that works
    code = api.latest_code(row["nir"])
    activated = api.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"], "code": code})
    assert activated.status == 200, activated


def test_a_window_never_ends_before_its_enrolment_notice_went_out(limited, faults):
    api = limited
    row = person(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())
    faults.fail("ses", "SendEmail", "Throttling")
    api.post("/enrolments", api.agent, {"beneficiaries": [row]})
    assert owed(api, row["nir"]) == "enrolment_notice"
    assert api.run_job("opt-out-expiry")["processed"] == 0  # the notice first: the window runs from it
    account = api.container.accounts.get(row["nir"])
    assert account.status.value == "notified" and account.notified_at == api.clock.now()
    assert notices(api, [row]) == [1]


def test_an_enrolment_file_whose_notices_are_throttled_sends_each_once_when_its_unit_comes_back(limited, faults):
    api = limited
    people = [person() for _ in range(4)]
    batch_id = upload(api, (HEADER + "".join(line(p) for p in people)).encode())
    faults.fail("ses", "SendEmail", "Throttling", skip=1, times=2)  # the 2nd and 3rd notices
    api.drain()
    assert faults.injected == 2
    done = batch(api, batch_id)
    assert done["status"] == "done" and (done["total"], done["notified"], done["duplicate"]) == (4, 4, 0)
    assert notices(api, people) == [1] * 4 and all(owed(api, p["nir"]) is None for p in people)
    assert [r["status"] for r in report(api, batch_id)] == ["notified"] * 4


def test_a_unit_whose_report_part_fails_is_retried_as_the_same_enrolments(api, faults):
    people = [person() for _ in range(3)]
    batch_id = upload(api, (HEADER + "".join(line(p) for p in people)).encode())
    faults.fail("s3", "PutObject", "InternalError", when=lambda p: "/parts/" in p.get("Key", ""))
    api.drain()
    assert faults.injected == 1
    done = batch(api, batch_id)
    assert (done["status"], done["notified"], done["duplicate"]) == ("done", 3, 0)
    assert notices(api, people) == [1] * 3


def test_the_same_person_twice_in_a_file_is_enrolled_once_and_reported_duplicate_on_its_second_line(api):
    one, other = person(), person()
    batch_id = upload(api, (HEADER + line(one) + line(other) + line(one)).encode())
    api.drain()
    assert [r["status"] for r in report(api, batch_id)] == ["notified", "notified", "duplicate"]
    assert notices(api, [one, other]) == [1, 1]


def test_a_space_whose_notice_is_throttled_is_opened_and_told_by_the_next_run_once(limited, faults):
    api = limited
    rows = [api.enrol(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat()) for _ in range(3)]
    faults.fail("ses", "SendEmail", "Throttling", skip=1)
    first = api.run_job("opt-out-expiry")
    assert first["processed"] == 3 and (first["notices_sent"], first["notices_deferred"]) == (1, 2)
    assert all(api.container.accounts.get(r["nir"]).status.value == "open" for r in rows)
    assert sum(notices(api, rows, "space_created")) == 1
    second = api.run_job("opt-out-expiry")
    assert (second["processed"], second["notices_sent"]) == (0, 2)
    assert notices(api, rows, "space_created") == [1, 1, 1]
    assert api.run_job("opt-out-expiry")["notices_sent"] == 0


def test_a_job_unit_failing_halfway_is_retried_and_opens_and_tells_each_space_once(api, faults):
    rows = [api.enrol(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat()) for _ in range(3)]
    # two writes a space (opened with its notice claimed; the notice recorded sent): the second space's opening
    # fails, after the first space was opened and told
    faults.fail("dynamodb", "PutItem", "ProvisionedThroughputExceededException", skip=2,
                when=lambda p: p["TableName"] == api.settings.table("accounts"))
    report_ = api.run_job("opt-out-expiry")
    assert faults.injected == 1
    # the run counts what its units' completed attempts did: the failed attempt's opening is not counted twice,
    # nor at all (a space opened by a duplicated run is never counted by both either)
    assert (report_["processed"], report_["failed_units"]) == (2, 0)
    assert all(api.container.accounts.get(r["nir"]).status.value == "open" for r in rows)
    assert notices(api, rows, "space_created") == [1, 1, 1]
    assert api.run_job("opt-out-expiry", api.clock.now() + dt.timedelta(minutes=16))["notices_sent"] == 0


def test_archive_purge_runs_in_units_and_erases_each_space_once(api):
    rows = [api.patient() for _ in range(3)]
    for _, token in rows:
        assert api.post("/me/closure", token, {"delete_requested": True}).status == 200
    later = api.clock.now() + dt.timedelta(days=100)
    done = api.run_job("archive-purge", later)
    assert done["processed"] == 3 and done["units"] == 1 and done["failed_units"] == 0
    assert all(api.container.accounts.get(r["nir"]) is None for r, _ in rows)
    assert api.run_job("archive-purge", later)["processed"] == 0
