"""The catalogue of referenced apps and consent-scoped app access (CONTRACT §7)."""

import datetime as dt

import pytest
from helpers import person

GLUCOSE = {"code": "2339-0", "value": 105, "unit": "mg/dL", "effective_at": "2026-11-21T07:30:00Z"}
PDF = b"%PDF-1.4\n% app test\n"


def reference(api, app_id="glyco", category="prevention", access=(("measurements", "write"),), **extra):
    body = {"app_id": app_id, "name": "Glyco", "category": category,
            "data_access": [{"category": c, "access": a} for c, a in access], **extra}
    return api.post("/catalogue", api.agent, body)


@pytest.fixture
def patient(api):
    row, token = api.patient()
    return row["nir"], token


def test_referencing_and_the_public_catalogue(api):
    reply = reference(api, access=(("measurements", "write"), ("measurements", "read")))
    assert reply.status == 201 and reply.json["status"] == "online"
    listed = api.get("/catalogue")
    assert listed.status == 200
    app = next(a for a in listed.json["items"] if a["app_id"] == "glyco")
    assert app["category"] == "prevention" and {"category": "measurements", "access": "read"} in app["data_access"]
    assert reference(api).status == 409  # already referenced
    assert api.post("/catalogue", api.token("patient", ins="180057512345602"), {"name": "x"}).status in (401, 403)


@pytest.mark.parametrize("category", ["complementaire_sante", "remboursement", "services financiers", "assurance"])
def test_financial_and_insurance_services_are_refused(api, category):
    reply = reference(api, app_id="mutuelle", category=category)
    assert reply.status == 422 and reply.json["code"] == "excluded_service" and "category" in reply.json["message"]


def test_an_app_reaches_only_what_the_patient_granted(api, patient):
    ins, token = patient
    reference(api, access=(("measurements", "write"), ("measurements", "read"), ("agenda", "write")))
    app = api.token("app", app_id="glyco", ins=ins)
    denied = api.post(f"/patients/{ins}/measurements", app, GLUCOSE)
    assert denied.status == 403 and denied.json["code"] == "consent_required"
    grant = {"grants": [{"category": "measurements", "access": "write"}]}
    assert api.put(f"/patients/{ins}/app-consents/glyco", token, grant).status == 200
    written = api.post(f"/patients/{ins}/measurements", app, GLUCOSE)
    assert written.status == 201 and written.json["source"] == {"role": "app", "id": "glyco"}
    reading = api.get(f"/patients/{ins}/measurements", app)  # read was not granted
    assert reading.status == 403 and reading.json["code"] == "consent_required"
    agenda = api.post(f"/patients/{ins}/appointments", app, {"title": "Bilan", "start": "2026-12-01T09:00:00Z"})
    assert agenda.status == 403 and agenda.json["code"] == "consent_required"
    assert api.get(f"/patients/{ins}/documents", app).json["code"] == "consent_required"
    assert api.get(f"/patients/{ins}/access-log", app).status == 403


def test_a_grant_beyond_the_agreement_is_refused(api, patient):
    ins, token = patient
    reference(api)
    reply = api.put(f"/patients/{ins}/app-consents/glyco", token,
                    {"grants": [{"category": "documents", "access": "read"}]})
    assert reply.status == 422 and "grants" in reply.json["message"]
    unknown = api.put(f"/patients/{ins}/app-consents/nope", token, {"grants": []})
    assert unknown.status == 404


def test_revocation_takes_effect_on_the_very_next_call(api, patient):
    ins, token = patient
    reference(api)
    app = api.token("app", app_id="glyco", ins=ins)
    api.put(f"/patients/{ins}/app-consents/glyco", token, {"grants": [{"category": "measurements", "access": "write"}]})
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).status == 201
    consents = api.get(f"/patients/{ins}/app-consents", token).json["items"]
    assert [(c["app_id"], c["needs_reapproval"]) for c in consents] == [("glyco", False)]
    assert api.delete(f"/patients/{ins}/app-consents/glyco", token).status == 204
    after = api.post(f"/patients/{ins}/measurements", app, GLUCOSE)
    assert after.status == 403 and after.json["code"] == "consent_required"
    assert api.get(f"/patients/{ins}/app-consents", token).json["items"] == []


def test_suspended_or_dereferenced_apps_are_cut_off(api, patient):
    ins, token = patient
    reference(api)
    app = api.token("app", app_id="glyco", ins=ins)
    api.put(f"/patients/{ins}/app-consents/glyco", token, {"grants": [{"category": "measurements", "access": "write"}]})
    assert api.patch("/catalogue/glyco", api.agent, {"status": "suspended"}).json["status"] == "suspended"
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).json["code"] == "consent_required"
    assert api.patch("/catalogue/glyco", api.agent, {"status": "online"}).status == 200
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).status == 201
    assert api.patch("/catalogue/glyco", api.agent, {"status": "dereferenced"}).status == 200
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).json["code"] == "consent_required"
    assert "glyco" not in [a["app_id"] for a in api.get("/catalogue").json["items"]]
    assert api.patch("/catalogue/glyco", api.agent, {"status": "online"}).status == 409


def test_when_the_agreement_grows_consents_need_re_approval(api, patient):
    ins, token = patient
    reference(api)
    app = api.token("app", app_id="glyco", ins=ins)
    api.put(f"/patients/{ins}/app-consents/glyco", token, {"grants": [{"category": "measurements", "access": "write"}]})
    grown = api.patch("/catalogue/glyco", api.agent, {"data_access": [{"category": "measurements", "access": "write"},
                                                                      {"category": "documents", "access": "read"}]})
    assert grown.status == 200
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).json["code"] == "consent_required"
    consent = api.get(f"/patients/{ins}/app-consents", token).json["items"][0]
    assert consent["needs_reapproval"] is True and consent["effective_grants"] == []
    api.put(f"/patients/{ins}/app-consents/glyco", token, {"grants": [{"category": "measurements", "access": "write"}]})
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).status == 201
    # shrinking the agreement needs no re-approval: what was removed is simply no longer reachable
    api.patch("/catalogue/glyco", api.agent, {"data_access": [{"category": "documents", "access": "read"}]})
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).json["code"] == "consent_required"


def test_apps_never_see_masked_or_hidden_documents_and_are_logged(api, patient):
    ins, token = patient
    reference(api, app_id="dossier", access=(("documents", "read"),))
    app = api.token("app", app_id="dossier", ins=ins)
    api.put(f"/patients/{ins}/app-consents/dossier", token, {"grants": [{"category": "documents", "access": "read"}]})
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    plain = api.upload(ins, pro, PDF)
    masked = api.upload(ins, pro, PDF)
    hidden = api.upload(ins, pro, PDF, hidden_from_patient=True)
    api.patch(f"/patients/{ins}/documents/{masked}", token, {"masked": True})
    assert api.docs(ins, app) == [plain]
    assert api.get(f"/patients/{ins}/documents/{masked}", app).status == 404
    assert api.get(f"/patients/{ins}/documents/{hidden}", app).status == 404
    assert api.get(f"/patients/{ins}/documents/{plain}", app).status == 200
    log = api.get(f"/patients/{ins}/access-log", token).json["items"]
    app_entries = [e for e in log if e["mode"] == "app"]
    assert {e["action"] for e in app_entries} >= {"list_documents", "read_document"}
    assert all(e["actor"] == {"role": "app", "id": "dossier"} for e in app_entries)


def test_an_app_token_reaches_only_its_own_patient(api, patient):
    ins, token = patient
    other_row, other_token = api.patient()
    reference(api)
    api.put(f"/patients/{ins}/app-consents/glyco", token, {"grants": [{"category": "measurements", "access": "write"}]})
    api.put(f"/patients/{other_row['nir']}/app-consents/glyco", other_token,
            {"grants": [{"category": "measurements", "access": "write"}]})
    app_for_first = api.token("app", app_id="glyco", ins=ins)
    assert api.post(f"/patients/{other_row['nir']}/measurements", app_for_first, GLUCOSE).status == 403


def test_a_consent_given_for_a_child_needs_the_childs_approval_at_18(api):
    parent_row, parent = api.patient()
    child = person(born=dt.date(2008, 12, 1), email=None, legal_representative_nir=parent_row["nir"],
                   notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())
    api.post("/enrolments", api.agent, {"beneficiaries": [child]})
    api.run_job("opt-out-expiry")
    ins = child["nir"]
    reference(api)
    app = api.token("app", app_id="glyco", ins=ins)
    assert api.put(f"/patients/{ins}/app-consents/glyco", parent,
                   {"grants": [{"category": "measurements", "access": "write"}]}).status == 200
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).status == 201
    api.clock.advance(days=10)  # the child turns 18 on 2026-12-01
    assert api.post(f"/patients/{ins}/measurements", app, GLUCOSE).json["code"] == "consent_required"
