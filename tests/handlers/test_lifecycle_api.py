"""Account lifecycle through the API (chalice.test.Client) against moto, as CONTRACT §4 pins it."""

import datetime as dt

from helpers import make_nir, person


def test_enrol_notify_activate_and_me(api):
    row = api.enrol()
    notice = api.outbox(row["nir"], "enrolment_notice")[0]
    assert notice["channel"] == "email" and len(notice["data"]["code"]) == 12
    token = api.activate(row)
    me = api.get("/me", token)
    assert me.status == 200, me
    assert me.json["status"] == "active" and me.json["ins"] == row["nir"] and me.json["dependants"] == []


def test_batch_reports_each_row(api):
    good = person()
    bad = dict(person(), birth_date="1981-01-01")
    reply = api.post("/enrolments", api.agent, {"beneficiaries": [good, bad, good, {"given_name": "X"}]})
    assert reply.status == 200
    results = reply.json["results"]
    assert [r["status"] for r in results] == ["notified", "invalid", "duplicate", "invalid"]
    assert "birth_date" in results[1]["reason"] and "'nir'" in results[3]["reason"]


def test_bad_bodies_get_400_or_422_naming_the_field(api):
    assert api.call("POST", "/enrolments", api.agent, raw=b"{not json").status == 400
    assert api.post("/enrolments", api.agent, {"beneficiaries": []}).json["message"].count("beneficiaries") == 1
    reply = api.post("/activation", body={"nir": make_nir(), "vitale_serial": "12", "code": "X"})
    assert reply.status == 422 and "vitale_serial" in reply.json["message"]
    reply = api.post("/opt-out", body={"nir": make_nir()[:-1] + "x", "code": "ABCDEFGHJKMN"})
    assert reply.status in (400, 422) and reply.json["code"] and "nir" in reply.json["message"]
    reply = api.post("/activation", body={"nir": make_nir(), "vitale_serial": "12345678", "code": "A", "extra": 1})
    assert reply.status == 422 and "extra" in reply.json["message"]


def test_notices_go_through_ses_sns_and_the_postal_queue(api):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    by_sms = person(email=None, phone="0612345678")
    by_post = person(email=None, postal_address="3 place du Capitole, 31000 Toulouse")
    by_mail = person()
    reply = api.post("/enrolments", api.agent, {"beneficiaries": [by_mail, by_sms, by_post]})
    assert [r["status"] for r in reply.json["results"]] == ["notified"] * 3
    assert [api.outbox(p["nir"])[0]["channel"] for p in (by_mail, by_sms, by_post)] == ["email", "sms", "postal"]
    emails = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sent_messages
    assert any(api.latest_code(by_mail["nir"]) in m.body for m in emails)
    sms = sns_backends[DEFAULT_ACCOUNT_ID]["eu-west-3"].sms_messages
    assert any(entry[0] == "+33612345678" for entry in sms.values())
    sqs = api.container.clients("sqs")
    url = sqs.get_queue_url(QueueName=api.settings.queue("postal-letters"))["QueueUrl"]
    letters = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert any("Toulouse" in m["Body"] for m in letters)


def test_wrong_code_401_then_429_with_retry_after(api):
    row = api.enrol()
    wrong = api.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                          "code": "ZZZZZZZZZZZZ"})
    assert wrong.status == 401 and wrong.json["code"]
    again = api.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                          "code": api.latest_code(row["nir"])})
    assert again.status == 429 and int(again.headers["retry-after"]) <= 30
    api.clock.advance(seconds=30)
    assert api.activate(row)


def test_expired_410_used_409_opposed_409(api):
    old = api.enrol(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())
    expired = api.post("/activation", body={"nir": old["nir"], "vitale_serial": old["vitale_serial"],
                                            "code": api.latest_code(old["nir"])})
    assert expired.status == 410, expired

    row = api.enrol()
    api.activate(row)
    used = api.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                         "code": api.latest_code(row["nir"])})
    assert used.status == 409

    opposed = api.enrol()
    assert api.post("/opt-out", body={"nir": opposed["nir"], "code": api.latest_code(opposed["nir"])}).status == 200
    reply = api.post("/activation", body={"nir": opposed["nir"], "vitale_serial": opposed["vitale_serial"],
                                          "code": api.latest_code(opposed["nir"])})
    assert reply.status == 409 and reply.json["code"] == "opposed"


def test_new_code_is_sent_never_returned_and_the_old_dies(api):
    row = api.enrol()
    old = api.latest_code(row["nir"])
    reply = api.post("/activation-codes", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"]})
    assert reply.status == 202 and old not in reply.body.decode()
    new = api.latest_code(row["nir"])
    assert new != old and new not in reply.body.decode()
    stale = api.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"], "code": old})
    assert stale.status == 401
    assert api.post("/activation-codes", body={"nir": make_nir(), "vitale_serial": "12345678"}).status == 202


def test_opt_out_online_phone_idempotent_then_409_after_the_window(api):
    row = api.enrol()
    code = api.latest_code(row["nir"])
    for _ in range(2):
        reply = api.post("/opt-out", body={"nir": row["nir"], "code": code})
        assert reply.status == 200 and reply.json == {"status": "opposed"}
    by_phone = api.enrol()
    assert api.post("/opt-out", api.agent, {"nir": by_phone["nir"], "channel": "phone"}).json["status"] == "opposed"
    assert api.post("/opt-out", body={"nir": by_phone["nir"], "channel": "phone"}).status == 401
    patient = api.token("patient", ins=by_phone["nir"])
    assert api.post("/opt-out", patient, {"nir": by_phone["nir"], "channel": "phone"}).status == 403
    late = api.enrol(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())
    reply = api.post("/opt-out", body={"nir": late["nir"], "code": api.latest_code(late["nir"])})
    assert reply.status == 409 and reply.json["code"] == "space_exists"


def test_expiry_job_opens_due_spaces_then_a_new_code_activates(api):
    row = api.enrol(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())
    waiting = api.enrol()
    report = api.run_job("opt-out-expiry")
    assert report["job"] == "opt-out-expiry" and report["processed"] == 1
    assert api.outbox(row["nir"], "space_created") and not api.outbox(waiting["nir"], "space_created")
    assert api.run_job("opt-out-expiry")["processed"] == 0  # safe to run twice
    assert len(api.outbox(row["nir"], "space_created")) == 1
    opt_out = api.post("/opt-out", body={"nir": row["nir"], "code": api.latest_code(row["nir"])})
    assert opt_out.status == 409
    assert api.post("/activation-codes", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"]}).status == 202
    token = api.activate(row)
    assert api.get("/me", token).json["status"] == "active"


def test_patient_token_refused_until_active_401_vs_403(api):
    row = api.enrol()
    token = api.token("patient", ins=row["nir"])
    assert api.get("/me", token).status == 403
    assert api.get("/me").status == 401
    assert api.get("/me", "not-a-jwt").status == 401
    assert api.get("/me", api.token("patient", ttl=-60, ins=row["nir"])).status == 401
    forged = api.token("patient", ins=row["nir"])[:-4] + "AAAA"
    assert api.get("/me", forged).status == 401
    assert api.get("/me", api.agent).status == 403
    assert api.post("/enrolments", token, {"beneficiaries": [person()]}).status == 403
    for reply in (api.get("/me"), api.get("/me", "not-a-jwt")):
        assert reply.json["code"] and reply.json["message"]


def test_dependants_appear_in_the_parents_me(api):
    parent = api.enrol()
    child = person(born=dt.date(2016, 4, 1), email=None, legal_representative_nir=parent["nir"])
    assert api.post("/enrolments", api.agent, {"beneficiaries": [child]}).json["results"][0]["status"] == "notified"
    token = api.activate(parent)
    dependants = api.get("/me", token).json["dependants"]
    assert [d["ins"] for d in dependants] == [child["nir"]] and dependants[0]["status"] == "notified"


def test_closure_purge_and_restore(api):
    row, token = api.patient()
    assert api.post("/me/closure", token, {"delete_requested": True}).json == {"status": "closed"}
    assert api.get("/me", token).status == 403
    # reactivating restores the space and cancels the purge
    assert api.post("/activation-codes", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"]}).status == 202
    api.clock.advance(seconds=1)
    token = api.activate(row)
    assert api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=100))["processed"] == 0
    assert api.get("/me", token).json["status"] == "active"
    # closed again: 3 months later everything is erased
    api.post("/me/closure", token, {"delete_requested": True})
    assert api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=80))["processed"] == 0
    assert api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=95))["processed"] == 1
    assert api.container.accounts.get(row["nir"]) is None
    # after the purge the person can be enrolled anew
    assert api.post("/enrolments", api.agent, {"beneficiaries": [row]}).json["results"][0]["status"] == "notified"
