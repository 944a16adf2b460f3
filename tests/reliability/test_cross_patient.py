"""No route answers another patient's data, for any caller (generated from `GET /openapi.json`).

Patient B has a full space: profile, documents, vaccinations, measurements, appointments, reimbursements,
sharing settings, an app consent and a conversation with their doctor. Then, for EVERY operation of the OpenAPI
document whose path holds `{ins}`, and for every caller with no right to B's data — another patient, the legal
representative of another child, a carer of another patient, B's former carer (revoked), a legal representative
of B's when B was a minor (B is 18 now), a professional authorised by another patient, a professional authorised by
nobody, an establishment, an app the other patient consented to, an app with no consent of B's, an agent — the
call is made with B's INS and a valid body:

* it is refused with 403/404, and the answer holds none of B's data;
* except the calls the contract lets anyone concerned make to FEED the record (CONTRACT §5, L1111-15: a
  professional or an establishment adds a document, a vaccination, a measurement, an appointment; a professional
  declares a care relationship or an emergency access): these succeed, and still answer nothing of B's;
* nothing of B's changed (profile, documents, consents, sharing settings).

The same holds for every `/conversations/{conversation_id}...` operation on B's conversation, and for every
`/fhir` operation, B's INS given where FHIR gives it (`patient.identifier`, the Bundle's subject, the `$upload`'s
patient) and B's document by its id: the same decision answers. And B's own carer reaches exactly what the
decision's ``CARER_ACTIONS`` allow: every other `{ins}` operation answers them 403.
"""

import datetime as dt
import json

import pytest
from helpers import luhn, make_finess, make_nir, make_rpps, person

PDF = b"%PDF-1.4\n% B's record\n"
SECRETS = ("Bérénice", "Secretaire", "ALLERGIE-B-7731", "VACCIN-B-7731", "RDV-B-7731", "SUJET-B-7731",
           "DOC-B-7731", "ACTE-B-7731", "MESSAGE-B-7731")

# A valid body for every operation that takes one (checked against its request model below).
BODIES = {
    ("put", "/patients/{ins}/profile"): {"allergies": ["arachide"], "blood_group": "A+"},
    ("post", "/patients/{ins}/vaccinations"): {"vaccine": "DTP", "date": "2025-01-10"},
    ("post", "/patients/{ins}/measurements"): {"code": "29463-7", "value": 70, "unit": "kg",
                                               "effective_at": "2026-11-20T08:00:00Z"},
    ("post", "/patients/{ins}/appointments"): {"title": "Consultation", "start": "2026-12-01T09:00:00Z"},
    ("patch", "/patients/{ins}/appointments/{appointment_id}"): {"title": "Consultation déplacée"},
    ("put", "/patients/{ins}/reminders/{reminder_id}"): {"status": "done"},
    ("post", "/patients/{ins}/exports"): None,
    ("put", "/patients/{ins}/app-consents/{app_id}"): {"grants": [{"category": "measurements", "access": "read"}]},
    ("post", "/patients/{ins}/documents"): {"title": "Compte rendu", "type_code": "11488-4",
                                           "content_type": "application/pdf", "size": 20},
    ("patch", "/patients/{ins}/documents/{document_id}"): {"masked": True},
    ("put", "/patients/{ins}/professionals/{rpps}"): {"status": "blocked"},
    ("put", "/patients/{ins}/attending-doctor"): {"rpps": luhn("1000000001")},
    ("put", "/patients/{ins}/emergency-settings"): {"samu": False, "other_professionals": False},
    ("post", "/patients/{ins}/emergency-access"): {"reason": "Urgence vitale"},
    ("post", "/patients/{ins}/care-relationship"): None,
    ("post", "/patients/{ins}/carers"): {"ins": make_nir(), "given_name": "Camille", "family_name": "Martin",
                                        "birth_date": "1980-05-01"},
    ("post", "/patients/{ins}/representatives"): {"ins": make_nir(), "given_name": "Camille",
                                                 "family_name": "Martin", "birth_date": "1980-05-01"},
    ("post", "/conversations/{conversation_id}/messages"): {"body": "Une question"},
    ("post", "/conversations/{conversation_id}/attachments/{attachment_id}/file"): {"type_code": "11488-4"},
}
ACCEPT = {"/patients/{ins}/summary.pdf": "application/pdf"}

# What the contract lets a caller without any right to the record do in it: feed it (and, for a professional,
# declare the care relationship or break the glass, which grants access and is reported to the patient).
FEEDING = {
    "professional": {("post", "/patients/{ins}/documents"), ("post", "/patients/{ins}/vaccinations"),
                     ("post", "/patients/{ins}/measurements"), ("post", "/patients/{ins}/appointments"),
                     ("post", "/patients/{ins}/care-relationship"), ("post", "/patients/{ins}/emergency-access")},
    "establishment": {("post", "/patients/{ins}/documents"), ("post", "/patients/{ins}/appointments"),
                      ("get", "/patients/{ins}/documents")},  # an establishment lists what it authored: nothing
}
GRANTING = {("post", "/patients/{ins}/care-relationship"), ("post", "/patients/{ins}/emergency-access")}
CALLERS = ("other_patient", "representative_of_another_child", "carer_of_another_patient", "former_carer",
           "representative_before_18", "professional_authorised_elsewhere",
           "professional_without_authorisation", "establishment", "app_of_another_patient", "app_without_consent",
           "agent")


@pytest.fixture
def world(api):
    """Patient B's full space, and one caller of each kind with no right to it."""
    today = api.clock.now().date()
    parent_row, parent_token = api.patient()  # B's legal representative while B was a minor: B turned 18 today
    b_row = person(born=today.replace(year=today.year - 18), given_name="Bérénice", family_name="Secretaire",
                   legal_representative_nir=parent_row["nir"])
    assert api.post("/enrolments", api.agent, {"beneficiaries": [b_row]}).json["results"][0]["status"] == "notified"
    b_token, b = api.activate(b_row), b_row["nir"]
    doctor_rpps, doctor = api.professional()
    assert api.post(f"/patients/{b}/care-relationship", doctor).status == 201
    doc_b = api.upload(b, doctor, PDF, title="DOC-B-7731", type_code="11502-2")
    own_b = api.upload(b, b_token, PDF, title="DOC-B-7731 perso")
    assert api.put(f"/patients/{b}/profile", b_token, {"allergies": ["ALLERGIE-B-7731"]}).status == 200
    assert api.post(f"/patients/{b}/vaccinations", b_token, {"vaccine": "VACCIN-B-7731",
                                                             "date": "2024-03-01"}).status == 201
    assert api.post(f"/patients/{b}/measurements", b_token, {"code": "29463-7", "value": 61.5, "unit": "kg",
                                                             "effective_at": "2026-11-01T08:00:00Z"}).status == 201
    appointment = api.post(f"/patients/{b}/appointments", b_token, {"title": "RDV-B-7731",
                                                                    "start": "2026-12-03T10:00:00Z"})
    assert appointment.status == 201
    loaded = api.post("/reimbursements", api.agent, {"items": [{"ins": b, "date": "2026-10-01", "act": "ACTE-B-7731",
                                                                "amount_paid": 30, "amount_reimbursed": 20}]})
    assert loaded.json["results"][0]["status"] == "recorded"
    assert api.put(f"/patients/{b}/attending-doctor", b_token, {"rpps": doctor_rpps}).status == 200
    api.post("/catalogue", api.agent, {"app_id": "glyco", "name": "Glyco", "category": "prevention",
                                       "data_access": [{"category": c, "access": a}
                                                       for c in ("documents", "measurements", "agenda", "profile",
                                                                 "vaccinations") for a in ("read", "write")]})
    every_grant = {"grants": [{"category": c, "access": a} for c in ("documents", "measurements", "agenda",
                                                                     "profile", "vaccinations")
                              for a in ("read", "write")]}
    assert api.put(f"/patients/{b}/app-consents/glyco", b_token, every_grant).status == 200
    started = api.post("/conversations", doctor, {"patient_ins": b, "subject": "SUJET-B-7731",
                                                  "body": "MESSAGE-B-7731", "attachments": [
                                                      doc_b, {"title": "DOC-B-7731 joint",
                                                              "content_type": "application/pdf",
                                                              "size": len(PDF)}]})
    assert started.status == 201
    upload = started.json["uploads"][0]
    assert api.put_bytes(upload, PDF, "application/pdf") == 200
    api.deliver()

    # the callers, each with a life of their own
    a_row, a_token = api.patient()
    a = a_row["nir"]
    rep_row, rep_token = api.patient()
    api.enrol(born=dt.date(2018, 6, 1), legal_representative_nir=rep_row["nir"])
    authorised_rpps, authorised_pro = api.professional()
    assert api.post(f"/patients/{a}/care-relationship", authorised_pro).status == 201
    a_carer_row, a_carer = api.patient()
    make_carer(api, a_row, a_token, a_carer_row, a_carer)
    former_row, former = api.patient()
    make_carer(api, b_row, b_token, former_row, former)
    assert api.delete(f"/patients/{b}/carers/{former_row['nir']}", b_token).status == 204
    carer_row, carer = api.patient()  # B's own carer (see test_bs_carer_reaches_only_what_carers_may_do)
    make_carer(api, b_row, b_token, carer_row, carer)
    assert api.put(f"/patients/{a}/app-consents/glyco", a_token, every_grant).status == 200
    callers = {
        "other_patient": lambda: a_token,
        "representative_of_another_child": lambda: rep_token,
        "carer_of_another_patient": lambda: a_carer,
        "former_carer": lambda: former,
        "representative_before_18": lambda: parent_token,
        "professional_authorised_elsewhere": lambda: authorised_pro,
        "professional_without_authorisation": lambda: api.professional()[1],
        "establishment": lambda: api.token("establishment", finess=make_finess()),
        "app_of_another_patient": lambda: api.token("app", app_id="glyco", ins=a),
        "app_without_consent": lambda: api.token("app", app_id="unknown-app", ins=b),
        "agent": lambda: api.agent,
    }
    path = {"ins": b, "document_id": doc_b, "app_id": "glyco", "rpps": make_rpps(),
            "conversation_id": started.json["conversation_id"], "attachment_id": upload["attachment_id"],
            "carer_ins": carer_row["nir"], "appointment_id": appointment.json["appointment_id"],
            "reminder_id": "cervical-screening:2026-12-01", "export_id": "0" * 26}
    return {"b": b, "b_token": b_token, "doctor": doctor, "documents": (doc_b, own_b), "callers": callers,
            "path": path, "carer": carer}


def make_carer(api, helped, helped_token, carer, carer_token):
    identity = {k: carer[k] for k in ("given_name", "family_name", "birth_date")}
    invited = api.post(f"/patients/{helped['nir']}/carers", helped_token, {"ins": carer["nir"], **identity})
    assert invited.status == 201, invited
    assert api.post(f"/me/invitations/{invited.json['invitation_id']}/accept", carer_token).status == 200


def _operations(api, prefix):
    spec = api.get("/openapi.json").json
    ops = [(method, path) for path, methods in spec["paths"].items() for method in methods
           if path.startswith(prefix) and ("{ins}" in path or "{conversation_id}" in path)]
    assert len(ops) >= 6
    return ops


def _call(api, world, method, template, token):
    path = template
    for name, value in world["path"].items():
        path = path.replace("{" + name + "}", value)
    headers = {"Accept": ACCEPT[template]} if template in ACCEPT else None
    body = BODIES.get((method, template))
    return api.call(method.upper(), path, token, body=body, headers=headers)


def _snapshot(api, world):
    """B's space as B sees it: what no other caller may change."""
    b, token = world["b"], world["b_token"]
    out = {}
    for path in ("profile", "app-consents", "attending-doctor", "emergency-settings"):
        reply = api.get(f"/patients/{b}/{path}", token)
        assert reply.status == 200
        out[path] = reply.json
    for document_id in world["documents"]:
        reply = api.get(f"/patients/{b}/documents/{document_id}", token)
        out[document_id] = {k: reply.json.get(k) for k in ("status", "masked", "hidden_from_patient", "title")}
    out["conversation"] = api.get(f"/conversations/{world['path']['conversation_id']}", token).json["message_count"]
    return out


def test_every_body_used_is_valid_for_its_route():
    """A 422 for a bad body would hide an authorisation bug: every body here passes its request model."""
    import app  # noqa: F401 - registers the routes
    from chalicelib.api.http import SPECS, resolve

    for spec in SPECS:
        key = (spec.method.lower(), spec.path)
        if spec.body and key in BODIES:
            resolve(spec.body).model_validate(BODIES[key])


@pytest.mark.parametrize("caller", CALLERS)
def test_no_patient_scoped_route_answers_patient_b_to_someone_without_rights(api, world, caller):
    before = _snapshot(api, world)
    operations = _operations(api, "/patients/")
    missing = [op for op in operations if op[0] in ("post", "put", "patch") and op not in BODIES]
    assert missing == [], f"add a valid body for {missing}"
    role = caller.split("_")[0] if caller.split("_")[0] in ("professional", "establishment") else caller
    wrong = []
    for method, template in operations:
        # a call that grants access (declared care, broken glass) is made by a professional of its own, so that
        # it never lets the callers that follow in
        fresh = role == "professional" and (method, template) in GRANTING
        token = api.professional()[1] if fresh else world["callers"][caller]()
        reply = _call(api, world, method, template, token)
        text = reply.body.decode(errors="replace") if isinstance(reply.body, bytes) else str(reply.body)
        leaked = [s for s in SECRETS if s in text] + [d for d in world["documents"] if d in text]
        allowed = (method, template) in FEEDING.get(role, set())
        if leaked or (not allowed and reply.status not in (403, 404)) or (allowed and reply.status >= 300):
            wrong.append((method.upper(), template, reply.status, leaked, text[:160]))
        if allowed and template.endswith("/documents") and method == "get":
            assert reply.json["items"] == []
    assert wrong == []
    after = _snapshot(api, world)
    assert after == before


@pytest.mark.parametrize("caller", [c for c in CALLERS if c != "professional_authorised_elsewhere"]
                         + ["another_professional"])
def test_patient_bs_conversation_exists_only_for_its_two_participants(api, world, caller):
    before = _snapshot(api, world)
    callers = {**world["callers"], "another_professional": world["callers"]["professional_authorised_elsewhere"]}
    wrong = []
    for method, template in _operations(api, "/conversations/"):
        reply = _call(api, world, method, template, callers[caller]())
        text = reply.body.decode(errors="replace") if isinstance(reply.body, bytes) else str(reply.body)
        leaked = [s for s in SECRETS if s in text] + [d for d in world["documents"] if d in text]
        if reply.status not in (403, 404) or leaked:
            wrong.append((method.upper(), template, reply.status, leaked, text[:160]))
    assert wrong == []
    assert _snapshot(api, world) == before
    # and the participants themselves still reach it
    for token in (world["b_token"], world["doctor"]):
        reply = api.get(f"/conversations/{world['path']['conversation_id']}", token)
        assert reply.status == 200 and "SUJET-B-7731" in json.dumps(reply.json, ensure_ascii=False)


def test_bs_carer_reaches_only_what_carers_may_do(api, world):
    """Every `{ins}` operation whose action is not in CARER_ACTIONS answers B's carer 403 (generated from the
    OpenAPI document and the route declarations); the others answer them, and the carer's reads are B's data."""
    import app  # noqa: F401 - registers the routes
    from chalicelib.api.http import SPECS
    from chalicelib.domain.access import CARER_ACTIONS, Action

    actions = {(spec.method.lower(), spec.path): spec.action for spec in SPECS}
    wrong = []
    operations = _operations(api, "/patients/")
    for method, template in operations:
        action = actions[(method, template)]
        if action == Action.REVOKE_CARER:
            continue  # their own link: stepping down is checked last, below
        reply = _call(api, world, method, template, world["carer"])
        may = action in CARER_ACTIONS
        if (reply.status == 403) == may:
            wrong.append((method.upper(), template, action, reply.status, reply.body[:160]))
    assert wrong == []
    assert set(actions.values()) & CARER_ACTIONS  # the table is not empty
    b, carer_ins = world["b"], world["path"]["carer_ins"]
    assert api.delete(f"/patients/{b}/carers/{carer_ins}", world["carer"]).status == 204  # stepping down
    assert api.get(f"/patients/{b}/documents", world["carer"]).status == 403


# -- the same through FHIR: B's INS in the query or the Bundle, B's documents by their ids -----------------------------
NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
MASK = [{"op": "add", "path": "/securityLabel/-", "value": {"coding": [{
    "system": "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument",
    "code": "MASQUE_PS"}]}}]
# What a caller without any right to B's record may do in it through FHIR: feed it (ITI-65, a staged upload), and
# look the space up (the DMP's "does a record exist": its existence and state, never the person).
FHIR_FEEDING = {
    "professional": {("post", "/fhir"), ("post", "/fhir/Binary/{binary_id}"), ("get", "/fhir/Patient")},
    "establishment": {("post", "/fhir"), ("post", "/fhir/Binary/{binary_id}"), ("get", "/fhir/Patient"),
                      ("get", "/fhir/DocumentReference")},  # an establishment lists what it authored: nothing
}


def _fhir_call(api, world, method, template, token):
    from fhir_support import provide_bundle, sha1

    b, doc_b = world["b"], world["documents"][0]
    path = template.replace("{document_id}", doc_b).replace("{binary_id}", "$upload" if method == "post" else doc_b)
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    body = None
    if method == "get" and path in ("/fhir/Patient",):
        path += f"?identifier={NIR_SYSTEM}|{b}"
    elif method == "get" and "/" not in path.removeprefix("/fhir/") and path != "/fhir/metadata":
        path += f"?patient.identifier={NIR_SYSTEM}|{b}"
    if method == "post" and template == "/fhir":
        body = provide_bundle(b, PDF)
    elif method == "post":
        body = {"resourceType": "Parameters", "parameter": [
            {"name": "patient", "valueIdentifier": {"system": NIR_SYSTEM, "value": b}},
            {"name": "contentType", "valueCode": "application/pdf"}, {"name": "size", "valueUnsignedInt": len(PDF)},
            {"name": "hash", "valueBase64Binary": sha1(PDF)}]}
    elif method == "patch":
        body, headers["Content-Type"] = MASK, "application/json-patch+json"
    return api.call(method.upper(), path, token, body=body, headers=headers)


@pytest.mark.parametrize("caller", CALLERS)
def test_no_fhir_operation_answers_patient_b_to_someone_without_rights(api, world, caller):
    before = _snapshot(api, world)
    spec = api.get("/openapi.json").json
    operations = [(method, path) for path, methods in spec["paths"].items() for method, op in methods.items()
                  if path.startswith("/fhir") and "x-roles" in op]
    assert len(operations) >= 10
    role = caller.split("_")[0] if caller.split("_")[0] in ("professional", "establishment") else caller
    wrong = []
    for method, template in operations:
        reply = _fhir_call(api, world, method, template, world["callers"][caller]())
        text = reply.body.decode(errors="replace") if isinstance(reply.body, bytes) else str(reply.body)
        leaked = [s for s in SECRETS if s in text] + [d for d in world["documents"] if d in text]
        allowed = (method, template) in FHIR_FEEDING.get(role, set())
        if leaked or (not allowed and reply.status not in (403, 404)) or (allowed and reply.status >= 300):
            wrong.append((method.upper(), template, reply.status, leaked, text[:200]))
        if reply.status >= 400:
            assert reply.json["resourceType"] == "OperationOutcome", (method, template)
        if allowed and template == "/fhir/DocumentReference":
            assert "entry" not in reply.json
        if allowed and template == "/fhir/Patient":  # the existence and state, never the person
            (entry,) = reply.json["entry"]
            assert "name" not in entry["resource"] and "birthDate" not in entry["resource"]
    assert wrong == []
    assert _snapshot(api, world) == before
