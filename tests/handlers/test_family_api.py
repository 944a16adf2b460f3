"""Carers, a second legal representative, a minor's secret, coming of age and the access log's filters through the
API (chalice.test.Client) against moto, as CONTRACT §10 pins them."""

import datetime as dt

from helpers import make_nir, person


def identity(row, **change):
    body = {"ins": row["nir"], "given_name": row["given_name"], "family_name": row["family_name"],
            "birth_date": row["birth_date"]}
    return {**body, **change}


def make_carer(api, helped, helped_token, carer, carer_token):
    invited = api.post(f"/patients/{helped['nir']}/carers", helped_token, identity(carer))
    assert invited.status == 201, invited
    accepted = api.post(f"/me/invitations/{invited.json['invitation_id']}/accept", carer_token)
    assert accepted.status == 200 and accepted.json["status"] == "accepted", accepted
    return invited.json["invitation_id"]


def test_a_carer_is_invited_by_identity_accepts_reads_and_adds_and_is_logged_as_a_carer(api):
    helped, helped_token = api.patient(given_name="Henriette", family_name="Durand")
    carer, carer_token = api.patient(given_name="Sam", family_name="Durand", born=dt.date(1990, 2, 3))
    invited = api.post(f"/patients/{helped['nir']}/carers", helped_token, identity(carer))
    assert invited.status == 201 and invited.json["status"] == "pending" and invited.json["expires_at"], invited
    [notice] = api.outbox(carer["nir"], "carer_invitation")
    assert "Henriette" not in str(notice) and helped["nir"] not in str(notice["data"])
    [pending] = api.get("/me/invitations", carer_token).json["items"]
    assert pending["status"] == "pending" and pending["patient"]["ins"] == helped["nir"]
    assert api.get(f"/patients/{helped['nir']}/documents", carer_token).status == 403  # not before accepting
    accepted = api.post(f"/me/invitations/{invited.json['invitation_id']}/accept", carer_token)
    assert accepted.status == 200 and accepted.json["status"] == "accepted"
    assert api.post(f"/me/invitations/{invited.json['invitation_id']}/accept", carer_token).status == 409

    pro_doc = api.upload(helped["nir"], api.professional()[1])
    assert pro_doc in api.docs(helped["nir"], carer_token)
    carer_doc = api.upload(helped["nir"], carer_token, title="Ordonnance")
    assert carer_doc in api.docs(helped["nir"], helped_token)
    assert api.get(f"/patients/{helped['nir']}/profile", carer_token).status == 200
    me = api.get("/me", carer_token).json
    assert [h["ins"] for h in me["helped"]] == [helped["nir"]] and me["dependants"] == []
    [listed] = api.get(f"/patients/{helped['nir']}/carers", helped_token).json["items"]
    assert listed["ins"] == carer["nir"] and listed["status"] == "accepted"

    log = api.get(f"/patients/{helped['nir']}/access-log?actor_id={carer['nir']}", helped_token)
    assert log.status == 200 and log.json["items"]
    assert {e["actor"]["role"] for e in log.json["items"]} == {"carer"}


def test_any_mismatch_an_unknown_person_an_inactive_space_or_a_minor_is_one_404(api):
    helped, token = api.patient()
    carer, _ = api.patient(given_name="Noé", family_name="Lefèvre", born=dt.date(1975, 7, 9))
    opened = api.enrol()  # notified, not active
    parent = api.enrol()
    minor = person(born=dt.date(2014, 1, 2), legal_representative_nir=parent["nir"])
    api.post("/enrolments", api.agent, {"beneficiaries": [minor]})
    answers = set()
    for body in (identity(carer, given_name="Noa"), identity(carer, family_name="Lefevres"),
                 identity(carer, birth_date="1975-07-10"), identity(carer, ins=make_nir()), identity(opened),
                 identity(minor)):
        reply = api.post(f"/patients/{helped['nir']}/carers", token, body)
        assert reply.status == 404, reply
        answers.add((reply.json["code"], reply.json["message"]))
    assert len(answers) == 1
    assert api.post(f"/patients/{helped['nir']}/carers", token, identity(carer, given_name="noe")).status == 201


def test_what_a_carer_may_not_do_is_403(api):
    helped, helped_token = api.patient()
    carer, carer_token = api.patient()
    make_carer(api, helped, helped_token, carer, carer_token)
    ins = helped["nir"]
    rpps = api.professional()[0]
    refused = [
        api.put(f"/patients/{ins}/professionals/{rpps}", carer_token, {"status": "blocked"}),
        api.put(f"/patients/{ins}/attending-doctor", carer_token, {"rpps": rpps}),
        api.put(f"/patients/{ins}/emergency-settings", carer_token, {"samu": False}),
        api.put(f"/patients/{ins}/app-consents/glyco", carer_token, {"grants": []}),
        api.post(f"/patients/{ins}/carers", carer_token, identity(person())),
        api.get(f"/patients/{ins}/carers", carer_token),
        api.get(f"/patients/{ins}/access-log", carer_token),
        api.get(f"/patients/{ins}/reimbursements", carer_token),
    ]
    assert [r.status for r in refused] == [403] * len(refused), refused
    assert all(r.json["code"] == "carer_forbidden" and r.json["message"] for r in refused)


def test_revocation_by_the_person_or_the_carer_is_effective_at_once(api):
    helped, helped_token = api.patient()
    carer, carer_token = api.patient()
    other, other_token = api.patient()
    make_carer(api, helped, helped_token, carer, carer_token)
    make_carer(api, helped, helped_token, other, other_token)
    ins = helped["nir"]
    assert api.delete(f"/patients/{ins}/carers/{other['nir']}", carer_token).status == 403  # not another carer
    assert api.delete(f"/patients/{ins}/carers/{carer['nir']}", helped_token).status == 204
    assert api.get(f"/patients/{ins}/documents", carer_token).status == 403
    assert api.outbox(carer["nir"], "carer_revoked")
    assert api.get("/me", carer_token).json["helped"] == []
    assert api.delete(f"/patients/{ins}/carers/{other['nir']}", other_token).status == 204  # stepping down
    assert api.get(f"/patients/{ins}/documents", other_token).status == 403
    assert api.delete(f"/patients/{ins}/carers/{other['nir']}", helped_token).status == 404
    assert api.get(f"/patients/{ins}/carers", helped_token).json["items"] == []


def test_three_carers_a_person_then_409(api):
    helped, helped_token = api.patient()
    for _ in range(3):
        make_carer(api, helped, helped_token, *api.patient())
    fourth, _ = api.patient()
    reply = api.post(f"/patients/{helped['nir']}/carers", helped_token, identity(fourth))
    assert reply.status == 409 and reply.json["message"], reply


def test_a_refused_or_expired_invitation_gives_no_access(api):
    helped, helped_token = api.patient()
    carer, carer_token = api.patient()
    first = api.post(f"/patients/{helped['nir']}/carers", helped_token, identity(carer)).json["invitation_id"]
    assert api.post(f"/me/invitations/{first}/refuse", carer_token).json["status"] == "refused"
    assert [i["status"] for i in api.get("/me/invitations", carer_token).json["items"]] == ["refused"]
    assert api.get(f"/patients/{helped['nir']}/documents", carer_token).status == 403
    second = api.post(f"/patients/{helped['nir']}/carers", helped_token, identity(carer)).json["invitation_id"]
    api.clock.advance(days=15)  # unanswered for 14 days: expired (the new invitation replaces the refused one)
    statuses = {i["invitation_id"]: i["status"] for i in api.get("/me/invitations", carer_token).json["items"]}
    assert statuses == {second: "expired"}
    assert api.post(f"/me/invitations/{second}/accept", carer_token).status == 410
    assert api.get(f"/patients/{helped['nir']}/documents", carer_token).status == 403


def test_a_second_legal_representative_accepts_then_manages_the_child(api):
    parent = api.enrol()
    child = person(born=dt.date(2015, 9, 3), legal_representative_nir=parent["nir"])
    api.post("/enrolments", api.agent, {"beneficiaries": [child]})
    parent_token = api.activate(parent)
    api.run_job("opt-out-expiry", api.clock.now() + dt.timedelta(days=43))
    second, second_token = api.patient(sex=2)
    invited = api.post(f"/patients/{child['nir']}/representatives", parent_token, identity(second))
    assert invited.status == 201, invited
    assert api.outbox(second["nir"], "representative_invitation")
    assert api.get(f"/patients/{child['nir']}/documents", second_token).status == 403
    assert api.post(f"/me/invitations/{invited.json['invitation_id']}/accept", second_token).status == 200
    assert api.get(f"/patients/{child['nir']}/documents", second_token).status == 200
    assert [d["ins"] for d in api.get("/me", second_token).json["dependants"]] == [child["nir"]]
    assert [d["ins"] for d in api.get("/me", parent_token).json["dependants"]] == [child["nir"]]
    third, _ = api.patient()
    assert api.post(f"/patients/{child['nir']}/representatives", second_token, identity(third)).status == 409
    adult, adult_token = api.patient()
    assert api.post(f"/patients/{adult['nir']}/representatives", adult_token, identity(third)).status == 403


def test_a_minors_secret_is_kept_from_representatives_and_carers_on_every_path(api):
    parent = api.enrol()
    child = person(born=dt.date(2010, 9, 3), legal_representative_nir=parent["nir"], email="teen@example.org")
    api.post("/enrolments", api.agent, {"beneficiaries": [child]})
    parent_token, child_token = api.activate(parent), api.activate(child)
    carer, carer_token = api.patient()
    make_carer(api, child, parent_token, carer, carer_token)
    rpps, pro = api.professional()
    api.post(f"/patients/{child['nir']}/care-relationship", pro)
    secret = api.upload(child["nir"], pro, title="Contraception", hidden_from_representatives=True)
    plain = api.upload(child["nir"], pro, title="Vaccin")
    for token in (parent_token, carer_token):
        assert api.docs(child["nir"], token) == [plain]
        assert api.get(f"/patients/{child['nir']}/documents/{secret}", token).status == 404
    assert api.patch(f"/patients/{child['nir']}/documents/{secret}", parent_token, {"masked": True}).status == 404
    # a carer changes no document at all: the same 403 for the secret one and for one that does not exist
    hidden = api.patch(f"/patients/{child['nir']}/documents/{secret}", carer_token, {"masked": True})
    absent = api.patch(f"/patients/{child['nir']}/documents/{plain[:-4]}0000", carer_token, {"masked": True})
    assert hidden.status == absent.status == 403 and hidden.json == absent.json
    assert secret in api.docs(child["nir"], child_token)
    assert api.get(f"/patients/{child['nir']}/documents/{secret}", child_token).json["hidden_from_representatives"]
    # only the author sets or lifts it: not the representative, not an app
    assert api.patch(f"/patients/{child['nir']}/documents/{plain}", parent_token,
                     {"hidden_from_representatives": True}).status == 403
    lifted = api.patch(f"/patients/{child['nir']}/documents/{secret}", pro, {"hidden_from_representatives": False})
    assert lifted.status == 200 and not lifted.json["hidden_from_representatives"]
    assert secret in api.docs(child["nir"], parent_token)


def test_at_18_representatives_lose_access_whatever_their_token_and_the_young_adult_is_told_once(api):
    parent = api.enrol()
    today = api.clock.now().date()
    birthday = today.replace(year=today.year - 18) + dt.timedelta(days=2)
    child = person(born=birthday, legal_representative_nir=parent["nir"], email="young@example.org")
    api.post("/enrolments", api.agent, {"beneficiaries": [child]})
    parent_token, child_token = api.activate(parent), api.activate(child)
    chosen, chosen_token = api.patient()
    make_carer(api, child, parent_token, chosen, chosen_token)
    second, second_token = api.patient()
    invited = api.post(f"/patients/{child['nir']}/representatives", parent_token, identity(second)).json
    api.post(f"/me/invitations/{invited['invitation_id']}/accept", second_token)
    for token in (parent_token, second_token, chosen_token):
        assert api.get(f"/patients/{child['nir']}/documents", token).status == 200
    api.clock.advance(days=2)  # the 18th birthday, before any job ran: the same tokens are refused
    for token in (parent_token, second_token, chosen_token):
        for path in ("documents", "profile", "carers", "access-log"):
            assert api.get(f"/patients/{child['nir']}/{path}", token).status == 403, (path, token)
    assert api.get("/me", parent_token).json["dependants"] == []
    assert api.get("/me", second_token).json["dependants"] == []
    assert api.get("/me", chosen_token).json["helped"] == []
    assert api.get(f"/patients/{child['nir']}/documents", child_token).status == 200
    later = dt.datetime.combine(api.clock.now().date(), dt.time(12), tzinfo=dt.UTC)
    report = api.run_job("reminders", later)
    assert report["space_of_age"] == 1
    api.run_job("reminders", later + dt.timedelta(hours=1))
    assert len(api.outbox(child["nir"], "space_of_age")) == 1


def test_the_access_log_filters_by_actor_mode_and_period(api):
    helped, token = api.patient()
    rpps, pro = api.professional()
    other_rpps, other = api.professional()
    api.post(f"/patients/{helped['nir']}/care-relationship", pro)
    api.post(f"/patients/{helped['nir']}/care-relationship", other)
    api.get(f"/patients/{helped['nir']}/documents", pro)
    middle = api.clock.now() + dt.timedelta(minutes=30)
    api.clock.advance(hours=1)
    api.get(f"/patients/{helped['nir']}/documents", other)
    api.post(f"/patients/{helped['nir']}/emergency-access", other, {"reason": "Malaise aux urgences"})
    log = f"/patients/{helped['nir']}/access-log"
    every = api.get(log, token).json["items"]
    by_pro = api.get(f"{log}?actor_id={rpps}", token).json["items"]
    assert by_pro and {e["actor"]["id"] for e in by_pro} == {rpps}
    assert {e["mode"] for e in api.get(f"{log}?mode=emergency", token).json["items"]} <= {"emergency"}
    since = api.get(f"{log}?since={middle.isoformat().replace('+00:00', 'Z')}", token).json["items"]
    assert since and {e["actor"]["id"] for e in since} == {other_rpps}
    until = api.get(f"{log}?until={middle.isoformat().replace('+00:00', 'Z')}&actor_id={other_rpps}", token)
    assert until.status == 200 and {e["actor"]["id"] for e in until.json["items"]} <= {other_rpps}
    assert len(every) >= len(by_pro) + len(since)
    page = api.get(f"{log}?actor_id={rpps}&limit=1", token).json
    if page.get("next_cursor"):
        rest = api.get(f"{log}?actor_id={rpps}&limit=50&cursor={page['next_cursor']}", token).json["items"]
        assert [e["at"] for e in page["items"] + rest] == [e["at"] for e in by_pro]
    bad = api.get(f"{log}?mode=sideways&since=yesterday", token)
    assert bad.status == 422 and ("mode" in bad.json["message"] or "since" in bad.json["message"])
