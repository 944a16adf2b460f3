"""The classes of issue #10, through the API and the S3 event chain (moto): each test failed before its fix.

1 an app never writes what the patient cannot see or undo; 2 an app never sees masked or hidden documents, its own
included; 3 flags fail closed; 4 nothing lost, nothing listed to nobody; 5 no existence oracle; 6 authorisation
before anything else; 7 a closed space leaves every listing; 8 no 500 from any input (bodies, cursors, times);
and the answers that say why (a refusal's reason, how long to wait).
"""

import base64
import datetime as dt
import json

import pytest
from helpers import make_finess

PDF = b"%PDF-1.4\n% security\n"


@pytest.fixture
def patient(api):
    row, token = api.patient()
    return row["nir"], token


def app_with(api, ins, token, app_id="notes", grants=(("documents", "read"), ("documents", "write"))):
    access = [{"category": c, "access": a} for c, a in grants]
    assert api.post("/catalogue", api.agent, {"app_id": app_id, "name": app_id, "category": "prevention",
                                              "data_access": access}).status == 201
    assert api.put(f"/patients/{ins}/app-consents/{app_id}", token, {"grants": access}).status == 200
    return api.token("app", app_id=app_id, ins=ins)


def declare(api, ins, token, **extra):
    return api.post(f"/patients/{ins}/documents", token, {"title": "Note", "type_code": "11488-4",
                                                          "content_type": "application/pdf", "size": len(PDF),
                                                          **extra})


# -- 1. what an app writes, the patient sees and may delete -----------------------------------------------------
def test_an_app_cannot_hide_a_document_from_the_patient(api, patient):
    ins, token = patient
    app = app_with(api, ins, token)
    refused = declare(api, ins, app, hidden_from_patient=True)
    assert refused.status == 403 and "app cannot hide" in refused.json["message"]
    written = api.upload(ins, app, PDF)
    assert written in api.docs(ins, token)  # the patient sees it ...
    assert api.patch(f"/patients/{ins}/documents/{written}", app, {"hidden_from_patient": True}).status == 403
    assert api.delete(f"/patients/{ins}/documents/{written}", token).status == 204  # ... and deletes it
    assert written not in api.docs(ins, token)


# -- 2. an app never sees a masked or hidden document, its own included -----------------------------------------
def test_an_app_loses_its_own_document_once_the_patient_masks_it(api, patient):
    ins, token = patient
    app = app_with(api, ins, token)
    own = api.upload(ins, app, PDF)
    assert own in api.docs(ins, app)
    assert api.patch(f"/patients/{ins}/documents/{own}", token, {"masked": True}).status == 200
    assert own not in api.docs(ins, app)
    hidden = api.get(f"/patients/{ins}/documents/{own}", app)
    absent = api.get(f"/patients/{ins}/documents/{'0' * 28}", app)
    assert hidden.status == absent.status == 404 and hidden.json == absent.json
    replacing = declare(api, ins, app, replaces=own)
    assert replacing.status == 404 and replacing.json == absent.json


# -- 3. flags fail closed --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1", "yes", "oui", "ture", "", "vrai"])
def test_an_inbox_flag_that_is_not_plainly_true_or_false_is_quarantined_never_published(api, patient, value):
    ins, token = patient
    finess = make_finess()
    api.drop(finess, "annonce.pdf", PDF, {"ins": ins, "type-code": "11502-2", "hidden-from-patient": value})
    assert api.docs(ins, token) == []  # not published, visible or not
    rejections = api.get(f"/establishments/{finess}/rejections", api.token("establishment", finess=finess)).json
    assert [r["reason"] for r in rejections["items"]] == ["invalid_flag"]
    assert "hidden-from-patient" in rejections["items"][0]["message"]


@pytest.mark.parametrize(("value", "hidden"), [("true", True), ("TRUE", True), (" false ", False), ("False", False)])
def test_plain_true_and_false_flags_are_read_as_such(api, patient, value, hidden):
    ins, token = patient
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    api.drop(make_finess(), "r.pdf", PDF, {"ins": ins, "type-code": "11502-2", "hidden-from-patient": value})
    assert len(api.docs(ins, pro)) == 1
    assert len(api.docs(ins, token)) == (0 if hidden else 1)


# -- 4. nothing lost, nothing listed to nobody -----------------------------------------------------------------------
@pytest.mark.parametrize("key", ["{finess}", "/{finess}/resultat.pdf", "{finess}//resultat.pdf"])
def test_a_malformed_inbox_key_is_quarantined_and_listed_to_its_establishment(api, patient, key):
    from chalicelib import resources

    ins, _ = patient
    finess = make_finess()
    s3 = api.container.clients("s3")
    full = resources.INBOX_BUCKET.prefixes["inbox"] + key.format(finess=finess)
    s3.put_object(Bucket=api.settings.bucket("inbox"), Key=full, Body=PDF,
                  Metadata={"ins": ins, "type-code": "11502-2"}, ContentType="application/pdf")
    api.deliver()
    listing = api.get(f"/establishments/{finess}/rejections", api.token("establishment", finess=finess)).json
    assert [r["reason"] for r in listing["items"]] == ["invalid_key"]
    kept = s3.list_objects_v2(Bucket=api.settings.bucket("inbox"), Prefix=f"quarantine/{finess}/").get("Contents")
    assert kept and kept[0]["Size"] == len(PDF)  # kept, under the establishment that dropped it


def test_a_file_whose_key_names_no_establishment_is_kept_and_reported(api, patient, caplog):
    ins, _ = patient
    s3 = api.container.clients("s3")
    s3.put_object(Bucket=api.settings.bucket("inbox"), Key="inbox/resultat.pdf", Body=PDF,
                  Metadata={"ins": ins, "type-code": "11502-2"}, ContentType="application/pdf")
    outcome = api.deliver()
    assert outcome[0]["outcome"] == "quarantined" and outcome[0]["reason"] == "invalid_finess"
    kept = s3.list_objects_v2(Bucket=api.settings.bucket("inbox"), Prefix="quarantine/_unknown/").get("Contents")
    assert kept  # never lost
    assert any("without an establishment" in r.getMessage() for r in caplog.records)  # operators are told
    assert ins not in caplog.text


# -- 5. no existence oracle ------------------------------------------------------------------------------------------
def test_an_id_one_cannot_see_answers_exactly_like_one_that_does_not_exist(api, patient):
    ins, token = patient
    _, author = api.professional()
    api.post(f"/patients/{ins}/care-relationship", author)
    secret = api.upload(ins, author, PDF, type_code="11502-2")
    _, stranger = api.professional()  # may write to the record (L1111-15), may not read it
    unknown = "0" * 28
    for ask in (lambda d: declare(api, ins, stranger, replaces=d),
                lambda d: api.patch(f"/patients/{ins}/documents/{d}", stranger, {"hidden_from_patient": True}),
                lambda d: api.delete(f"/patients/{ins}/documents/{d}", stranger)):
        hidden, absent = ask(secret), ask(unknown)
        assert hidden.status == absent.status == 404 and hidden.json == absent.json, (hidden, absent)
    # one who sees the document but did not write it is told why
    _, colleague = api.professional()
    api.post(f"/patients/{ins}/care-relationship", colleague)
    assert declare(api, ins, colleague, replaces=secret).json["code"] == "not_author"


def test_an_author_deletes_and_replaces_their_own_document_without_a_read_authorisation(api, patient):
    ins, _ = patient
    _, author = api.professional()
    mine = api.upload(ins, author, PDF)  # no care relationship: feeding the record needs none
    second = api.upload(ins, author, PDF + b"2", replaces=mine)
    assert api.delete(f"/patients/{ins}/documents/{second}", author).status == 204


def test_a_document_the_patient_deleted_cannot_be_replaced(api, patient):
    ins, token = patient
    _, author = api.professional()
    doc = api.upload(ins, author, PDF)
    assert api.delete(f"/patients/{ins}/documents/{doc}", token).status == 204
    assert declare(api, ins, author, replaces=doc).status == 404  # gone for everyone, its author included


# -- 6. authorisation before anything else ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [b"", b"{}", b"{", b"[1, 2]", json.dumps({"beneficiaries": []}).encode()])
def test_a_caller_whose_role_may_not_use_a_route_learns_nothing_of_its_body(api, raw):
    _, pro = api.professional()
    reply = api.call("POST", "/enrolments", pro, raw=raw)
    assert reply.status == 403 and reply.json["code"] == "forbidden"


def test_a_bad_path_parameter_comes_after_the_role_and_before_the_body(api):
    _, pro = api.professional()
    assert api.call("PUT", "/patients/123/profile", pro, raw=b"{").status == 403  # the role first
    row, token = api.patient()
    assert api.call("PUT", "/patients/123/profile", token, raw=b"{").status == 422  # then the path, then the body


# -- 7. a closed space leaves every listing --------------------------------------------------------------------------
def test_a_closed_space_leaves_the_professionals_conversations(api, patient):
    ins, token = patient
    _, pro = api.professional()
    started = api.post("/conversations", pro, {"patient_ins": ins, "subject": "Résultats", "body": "Bonjour"})
    other_row, _ = api.patient()
    kept = api.post("/conversations", pro, {"patient_ins": other_row["nir"], "subject": "Suivi", "body": "Bonjour"})
    assert {c["conversation_id"] for c in api.get("/conversations", pro).json["items"]} == {
        started.json["conversation_id"], kept.json["conversation_id"]}
    assert api.post("/me/closure", token, {"delete_requested": False}).status == 200
    listing = api.get("/conversations", pro).json
    assert [c["conversation_id"] for c in listing["items"]] == [kept.json["conversation_id"]]
    assert ins not in json.dumps(listing)  # neither its subject nor the INS
    assert api.get(f"/conversations/{started.json['conversation_id']}", pro).status == 404


def test_a_listing_page_is_filled_past_the_conversations_of_closed_spaces(api):
    _, pro = api.professional()
    closed, live = [], []
    for _ in range(3):
        row, token = api.patient()
        closed.append(api.post("/conversations", pro, {"patient_ins": row["nir"], "subject": "x",
                                                       "body": "y"}).json["conversation_id"])
        api.post("/me/closure", token, {"delete_requested": False})
    for _ in range(2):
        row, _ = api.patient()
        live.append(api.post("/conversations", pro, {"patient_ins": row["nir"], "subject": "x",
                                                     "body": "y"}).json["conversation_id"])
    first = api.get("/conversations?limit=2", pro).json
    assert len(first["items"]) == 2 and set(c["conversation_id"] for c in first["items"]) == set(live)


# -- 8. no 500 from any input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [400, 1000, 100_000])
def test_deeply_nested_bodies_are_a_400(api, patient, depth):
    ins, token = patient
    raw = ('{"allergies": ' + "[" * depth + "]" * depth + "}").encode()
    reply = api.call("PUT", f"/patients/{ins}/profile", token, raw=raw)
    assert reply.status == 400 and reply.json["code"] == "too_deep"


def cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_forged_cursors_of_every_shape_are_a_400(api, patient):
    ins, token = patient
    api.upload(ins, token, PDF)
    api.upload(ins, token, PDF)
    real = api.get(f"/patients/{ins}/documents?limit=1", token).json["next_cursor"]
    assert real
    pk = f"PAT#{ins}"
    forged = [
        {"pk": {"S": pk}, "sk": {"N": "1"}},                  # wrong attribute type
        {"pk": {"S": pk}},                                    # a missing key
        {"pk": {"S": pk}, "sk": {"X": "DOC#1"}},              # an unknown type
        {"pk": {"S": pk}, "sk": {"S": "DOC#1", "N": "1"}},    # two types
        {"pk": {"S": pk}, "sk": {"S": "VAC#2026"}},            # another listing of the same partition
        {"pk": {"S": "PAT#180057512345602"}, "sk": {"S": "DOC#1"}},  # another patient's listing
        {"pk": {"S": pk}, "sk": {"S": "DOC#1"}, "extra": {"S": "x"}},  # more keys
        {"pk": {"S": pk}, "sk": {"S": ""}},                   # empty
        {"pk": {"S": pk}, "sk": {"S": ["DOC#1"]}},            # a list for a string
        ["pk", "sk"], "text", 1, None,
    ]
    for value in forged:
        reply = api.get(f"/patients/{ins}/documents?cursor={cursor(value)}", token)
        assert reply.status == 400 and reply.json["code"] == "invalid_cursor", (value, reply)
    for raw in ("%%%", "e30", "x" * 5000, cursor({"pk": {"S": pk}, "sk": {"S": "DOC#" + "[" * 3000}})):
        assert api.get(f"/patients/{ins}/documents?cursor={raw}", token).status == 400
    assert api.get(f"/patients/{ins}/vaccinations?cursor={real}", token).status == 400  # a foreign listing's
    assert api.get(f"/patients/{ins}/documents?cursor={real}", token).status == 200


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "1899-12-31T23:00:00Z",
                                   "2201-01-01T00:00:00Z"])
def test_times_at_the_edges_of_the_calendar_are_a_422_naming_the_field(api, patient, start):
    ins, token = patient
    reply = api.post(f"/patients/{ins}/appointments", token, {"title": "x", "start": start})
    assert reply.status == 422 and "start" in reply.json["message"], reply
    assert "1900" in reply.json["message"] and "2200" in reply.json["message"]


def test_a_time_without_its_zone_is_refused_naming_the_field(api, patient):
    ins, token = patient
    reply = api.post(f"/patients/{ins}/appointments", token, {"title": "x", "start": "2026-12-03T09:00:00"})
    assert reply.status == 422 and "start" in reply.json["message"] and "zone" in reply.json["message"]
    query = api.get(f"/patients/{ins}/appointments?from=2026-12-03T09:00:00", token)
    assert query.status == 422 and "from" in query.json["message"]
    assert api.get(f"/patients/{ins}/appointments?from=9999-12-31T23:59:59Z", token).status == 422
    fine = api.post(f"/patients/{ins}/appointments", token, {"title": "x", "start": "2026-12-03T09:00:00+01:00"})
    assert fine.status == 201 and fine.json["start"] == "2026-12-03T08:00:00Z"


# -- answers that say why --------------------------------------------------------------------------------------------
def test_refusals_say_why_when_the_reason_is_no_secret(api, patient):
    ins, _ = patient
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    refused = api.get(f"/patients/{ins}/measurements", pro)
    assert refused.status == 403 and "not shared with professionals" in refused.json["message"]


def test_too_many_attempts_says_how_long_to_wait(api):
    row = api.enrol()
    body = {"nir": row["nir"], "vitale_serial": row["vitale_serial"], "code": "WRONGWRONG23"}
    assert api.post("/activation", body=body).status == 401
    api.clock.advance(seconds=10)
    waiting = api.post("/activation", body=body)
    assert waiting.status == 429 and waiting.headers["retry-after"] == "20"
    assert "20 seconds" in waiting.json["message"]


def test_an_opt_out_after_activation_says_the_space_was_activated(api):
    row = api.enrol()
    code = api.latest_code(row["nir"])
    api.activate(row)
    refused = api.post("/opt-out", body={"nir": row["nir"], "code": code})
    assert refused.status == 409 and "activated" in refused.json["message"]


def test_times_are_answered_in_utc_whatever_zone_they_came_in(api, patient):
    ins, token = patient
    when = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    reply = api.post(f"/patients/{ins}/measurements", token, {"code": "29463-7", "value": 70, "unit": "kg",
                                                              "effective_at": when.isoformat()})
    assert reply.status == 201 and reply.json["effective_at"] == "2026-11-20T08:00:00Z"


def test_a_closed_childs_space_leaves_the_representatives_me(api):
    from helpers import person

    parent_row, parent = api.patient()
    child = person(born=dt.date(2014, 2, 1), legal_representative_nir=parent_row["nir"])
    assert api.post("/enrolments", api.agent, {"beneficiaries": [child]}).status == 200
    assert [d["ins"] for d in api.get("/me", parent).json["dependants"]] == [child["nir"]]
    child_token = api.activate(child)
    assert api.post("/me/closure", child_token, {"delete_requested": False}).status == 200
    assert api.get("/me", parent).json["dependants"] == []
    assert api.get(f"/patients/{child['nir']}/documents", parent).status == 404  # as every read of it
