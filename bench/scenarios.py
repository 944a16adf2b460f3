"""Every route of ``app.app.routes``, every kind of S3 event and every job, each driven once with a valid
scenario, with the AWS calls it made recorded (botocore hooks).

The setup of each step (people, tokens, documents...) runs outside the recorder's window; only the measured
request is recorded. Each observation is keyed ``METHOD /route`` (the route template), ``ingest: ...`` or
``job: ...``; :mod:`bench.minimums` gives the justified minimum of the same keys.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.harness import PDF, Harness, Reply, person
from bench.recorder import Window
from ens_cli.testdata import make_finess, make_nir

PROFILE = {"allergies": ["pénicilline"], "conditions": [{"name": "asthme", "since": "2004-03-01"}],
           "treatments": [{"name": "salbutamol", "dose": "2 bouffées si besoin"}], "blood_group": "O+",
           "organ_donation": True}
GLUCOSE = {"code": "2339-0", "value": 105, "unit": "mg/dL", "effective_at": "2026-11-21T07:30:00Z"}
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
LOCAL_ONLY = ("outbox",)  # the local stage keeps a copy of every notice sent; not deployed


@dataclass
class Observation:
    key: str  # "GET /patients/{ins}/documents", "ingest: inbox drop", "job: opt-out-expiry"
    scenario: str  # who calls, in which state
    status: Any  # HTTP status, or the handler's outcome
    window: Window


class Driver:
    """Runs steps and keeps what each recorded."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.observations: list[Observation] = []

    def step(self, key: str, scenario: str, action: Callable[[], Any], expect: Any = None) -> Any:
        with self.h.recorder.window() as window:
            result = action()
        if isinstance(result, Reply):
            status: Any = result.status
        elif isinstance(result, dict) and "outcome" in result:
            status = result["outcome"]
        elif isinstance(result, dict) and "processed" in result:
            status = f"processed {result['processed']}"
        else:
            status = "ok"
        if expect is not None and status != expect:
            raise AssertionError(f"{key} ({scenario}): expected {expect}, got {status}: {result}")
        self.observations.append(Observation(key, scenario, status, window))
        return result


def _run_batch(h: Harness, ticket: dict[str, Any]) -> None:
    """An enrolment file PUT and run through its functions, outside any window (section 6 counts those calls)."""
    import app
    from bench.waves import csv_file
    from ens_cli.worker import drain_until_empty

    someone = person()
    assert h.put_bytes(ticket, csv_file([someone]), "text/csv") == 200
    drain_until_empty(app, h.clients("sqs"), h.settings)
    # opposed at once: the jobs' scenarios below count exactly their own due accounts
    assert h.post("/opt-out", h.agent, {"nir": someone["nir"], "channel": "phone"}).status == 200


def drive(h: Harness) -> list[Observation]:
    """Every route, event kind and job once; returns the observations in order."""
    d = Driver(h)
    step = d.step

    # -- system -----------------------------------------------------------------------------------------------------
    step("GET /health", "anonymous", lambda: h.get("/health"), 200)
    step("GET /fhir/metadata", "anonymous", lambda: h.get("/fhir/metadata"), 200)
    step("GET /openapi.json", "anonymous", lambda: h.get("/openapi.json"), 200)
    step("GET /document-types", "anonymous", lambda: h.get("/document-types"), 200)

    # -- lifecycle --------------------------------------------------------------------------------------------------
    row = person(born=dt.date(1974, 6, 15), sex=2)
    step("POST /enrolments", "agent, 1 new person with an email", lambda: h.post(
        "/enrolments", h.agent, {"beneficiaries": [row]}), 200)
    ticket = step("POST /enrolment-batches", "agent, a file of 1 person", lambda: h.post(
        "/enrolment-batches", h.agent, {"rows": 1}), 201).json
    _run_batch(h, ticket)
    step("GET /enrolment-batches/{batch_id}", "agent, the batch done (its report presigned)", lambda: h.get(
        f"/enrolment-batches/{ticket['batch_id']}", h.agent), 200)
    activation = h.activation_body(row)
    step("POST /activation", "the person, with NIR, card serial and code", lambda: h.post(
        "/activation", body=activation), 200)
    ins, patient = row["nir"], h.token("patient", ins=row["nir"])
    other = h.enrol()
    objection = {"nir": other["nir"], "code": h.latest_code(other["nir"])}
    step("POST /opt-out", "online, with the provisional code", lambda: h.post("/opt-out", body=objection), 200)
    phoned = h.enrol()
    step("POST /opt-out", "by phone, through an agent", lambda: h.post(
        "/opt-out", h.agent, {"nir": phoned["nir"], "channel": "phone"}), 200)
    lost = h.enrol()
    step("POST /activation-codes", "right card serial: a new code is sent", lambda: h.post(
        "/activation-codes", body={"nir": lost["nir"], "vitale_serial": lost["vitale_serial"]}), 202)
    step("GET /me", "patient without dependants", lambda: h.get("/me", patient), 200)

    # -- record ---------------------------------------------------------------------------------------------------
    rpps, doctor = h.professional("medecin")
    step("POST /patients/{ins}/care-relationship", "professional", lambda: h.post(
        f"/patients/{ins}/care-relationship", doctor), 201)
    pdf_body = {"title": "Compte rendu", "type_code": "11488-4", "content_type": "application/pdf", "size": len(PDF)}
    step("POST /patients/{ins}/documents", "patient declares an upload", lambda: h.post(
        f"/patients/{ins}/documents", patient, pdf_body), 201)
    ticket = step("POST /patients/{ins}/documents", "professional declares an upload (logged)", lambda: h.post(
        f"/patients/{ins}/documents", doctor, pdf_body), 201).json
    h.put_bytes(ticket, PDF, "application/pdf")
    event = h.events()[-1]
    step("ingest: vault upload", "professional's PDF (the patient is told)", lambda: h.ingest(event), "available")
    step("ingest: vault upload", "the same event again (duplicate)", lambda: h.ingest(event), "duplicate")
    own = h.declare(ins, patient)
    h.put_bytes(own, PDF, "application/pdf")
    own_event = h.events()[-1]
    step("ingest: vault upload", "patient's own PDF", lambda: h.ingest(own_event), "available")
    doc_id = ticket["document_id"]
    for _ in range(3):
        h.upload(ins, doctor)
    step("GET /patients/{ins}/documents", "professional, 5 documents (logged)", lambda: h.get(
        f"/patients/{ins}/documents", doctor), 200)
    step("GET /patients/{ins}/documents", "patient, own space", lambda: h.get(f"/patients/{ins}/documents", patient),
         200)
    # the FHIR search (ITI-67) of the same documents: the same decision, page and log line as the REST listing
    fhir_docs = f"/fhir/DocumentReference?patient.identifier=urn:oid:1.2.250.1.213.1.4.8|{ins}"
    step("GET /fhir/DocumentReference", "professional, 5 documents (logged)", lambda: h.get(fhir_docs, doctor), 200)
    step("GET /patients/{ins}/documents", "professional, 2 of 5 documents (logged)", lambda: h.get(
        f"/patients/{ins}/documents?limit=2", doctor), 200)
    step("GET /fhir/DocumentReference", "professional, 2 of 5 documents, _total=none (logged)", lambda: h.get(
        f"{fhir_docs}&_count=2&_total=none", doctor), 200)
    step("GET /fhir/DocumentReference", "professional, 2 of 5 documents, with total (logged)", lambda: h.get(
        f"{fhir_docs}&_count=2", doctor), 200)
    step("GET /patients/{ins}/documents/{document_id}", "professional (logged)", lambda: h.get(
        f"/patients/{ins}/documents/{doc_id}", doctor), 200)
    step("PATCH /patients/{ins}/documents/{document_id}", "patient masks", lambda: h.patch(
        f"/patients/{ins}/documents/{doc_id}", patient, {"masked": True}), 200)
    step("DELETE /patients/{ins}/documents/{document_id}", "patient deletes", lambda: h.delete(
        f"/patients/{ins}/documents/{own['document_id']}", patient), 204)

    # -- inbox ------------------------------------------------------------------------------------------------------
    finess = make_finess()
    h.drop(finess, "bilan.pdf", PDF, {"ins": ins, "type-code": "11502-2", "title": "Bilan sanguin"})
    dropped = h.events()[-1]
    step("ingest: inbox drop", "a laboratory's result for an active space", lambda: h.ingest(dropped), "available")
    h.drop(finess, "inconnu.pdf", PDF, {"ins": make_nir(), "type-code": "11502-2"})
    unknown = h.events()[-1]
    step("ingest: inbox drop", "unknown INS: quarantined", lambda: h.ingest(unknown), "quarantined")
    lab = h.token("establishment", finess=finess)
    step("GET /establishments/{finess}/rejections", "establishment, its own", lambda: h.get(
        f"/establishments/{finess}/rejections", lab), 200)

    # -- sharing ----------------------------------------------------------------------------------------------------
    other_rpps, _ = h.professional()
    step("PUT /patients/{ins}/professionals/{rpps}", "patient blocks one", lambda: h.put(
        f"/patients/{ins}/professionals/{other_rpps}", patient, {"status": "blocked"}), 200)
    step("GET /patients/{ins}/professionals", "patient", lambda: h.get(f"/patients/{ins}/professionals", patient), 200)
    step("PUT /patients/{ins}/attending-doctor", "patient names one", lambda: h.put(
        f"/patients/{ins}/attending-doctor", patient, {"rpps": rpps}), 200)
    step("GET /patients/{ins}/attending-doctor", "patient", lambda: h.get(
        f"/patients/{ins}/attending-doctor", patient), 200)
    step("PUT /patients/{ins}/emergency-settings", "patient", lambda: h.put(
        f"/patients/{ins}/emergency-settings", patient, {"masked_documents": False}), 200)
    step("GET /patients/{ins}/emergency-settings", "patient", lambda: h.get(
        f"/patients/{ins}/emergency-settings", patient), 200)
    _, samu = h.professional("medecin", samu=True)
    step("POST /patients/{ins}/emergency-access", "SAMU doctor (the patient is told)", lambda: h.post(
        f"/patients/{ins}/emergency-access", samu, {"reason": "patient inconscient"}), 201)
    step("GET /patients/{ins}/access-log", "patient", lambda: h.get(f"/patients/{ins}/access-log", patient), 200)

    # -- messaging ----------------------------------------------------------------------------------------------------
    started = step("POST /conversations", "professional, text only (the patient is told)", lambda: h.post(
        "/conversations", doctor, {"patient_ins": ins, "subject": "Résultats", "body": "Tout va bien."}), 201).json
    cid = started["conversation_id"]
    h.clock.advance(seconds=1)
    with_doc = step("POST /conversations", "professional, 1 record document attached", lambda: h.post(
        "/conversations", doctor, {"patient_ins": ins, "subject": "Compte rendu", "body": "Ci-joint.",
                                   "attachments": [doc_id]}), 201).json
    h.clock.advance(seconds=1)
    step("POST /conversations/{conversation_id}/messages", "patient replies", lambda: h.post(
        f"/conversations/{cid}/messages", patient, {"body": "Merci docteur"}), 201)
    h.clock.advance(seconds=1)
    posted = step("POST /conversations/{conversation_id}/messages", "professional, 1 new file to upload",
                  lambda: h.post(f"/conversations/{cid}/messages", doctor, {"body": "Ordonnance", "attachments": [
                      {"title": "Ordonnance", "content_type": "application/pdf", "size": len(PDF)}]}), 201).json
    upload = posted["uploads"][0]
    h.put_bytes(upload, PDF, "application/pdf")
    attachment_event = h.events()[-1]
    step("ingest: attachment upload", "professional's PDF in a conversation", lambda: h.ingest(attachment_event),
         "available")
    step("GET /conversations", "patient", lambda: h.get("/conversations", patient), 200)
    step("GET /conversations/{conversation_id}", "patient, 3 messages", lambda: h.get(
        f"/conversations/{cid}", patient), 200)
    record_ref = with_doc["attachments"][0]["attachment_id"]
    step("GET /conversations/{conversation_id}/attachments/{attachment_id}", "patient, a record document",
         lambda: h.get(f"/conversations/{with_doc['conversation_id']}/attachments/{record_ref}", patient), 200)
    step("GET /conversations/{conversation_id}/attachments/{attachment_id}", "patient, an uploaded file",
         lambda: h.get(f"/conversations/{cid}/attachments/{upload['attachment_id']}", patient), 200)
    step("POST /conversations/{conversation_id}/attachments/{attachment_id}/file", "patient files it",
         lambda: h.post(f"/conversations/{cid}/attachments/{upload['attachment_id']}/file", patient,
                        {"type_code": "57833-6", "title": "Ordonnance du Dr"}), 201)
    h.events()  # the filed copy's own event: nothing to do
    step("POST /conversations/{conversation_id}/close", "the starting professional", lambda: h.post(
        f"/conversations/{cid}/close", doctor), 200)
    step("POST /conversations/{conversation_id}/reopen", "the starting professional", lambda: h.post(
        f"/conversations/{cid}/reopen", doctor), 200)

    # -- profile, care, agenda ---------------------------------------------------------------------------------------
    step("PUT /patients/{ins}/profile", "patient", lambda: h.put(f"/patients/{ins}/profile", patient, PROFILE), 200)
    step("GET /patients/{ins}/profile", "professional (logged)", lambda: h.get(f"/patients/{ins}/profile", doctor),
         200)
    step("POST /patients/{ins}/vaccinations", "professional (logged)", lambda: h.post(
        f"/patients/{ins}/vaccinations", doctor, {"vaccine": "Grippe", "date": "2026-10-20", "lot": "AB1"}), 201)
    step("GET /patients/{ins}/vaccinations", "patient", lambda: h.get(f"/patients/{ins}/vaccinations", patient), 200)
    step("POST /patients/{ins}/measurements", "patient", lambda: h.post(
        f"/patients/{ins}/measurements", patient, GLUCOSE), 201)
    step("GET /patients/{ins}/measurements", "patient", lambda: h.get(f"/patients/{ins}/measurements", patient), 200)
    step("GET /patients/{ins}/summary.pdf", "patient", lambda: h.get(
        f"/patients/{ins}/summary.pdf", patient, headers={"Accept": "application/pdf"}), 200)
    step("POST /patients/{ins}/appointments", "patient", lambda: h.post(
        f"/patients/{ins}/appointments", patient, {"title": "Dentiste", "start": "2026-12-03T09:00:00Z"}), 201)
    step("GET /patients/{ins}/appointments", "patient", lambda: h.get(f"/patients/{ins}/appointments", patient), 200)
    step("GET /patients/{ins}/agenda.ics", "patient", lambda: h.get(
        f"/patients/{ins}/agenda.ics", patient, headers={"Accept": "text/calendar"}), 200)
    step("GET /patients/{ins}/reminders", "patient", lambda: h.get(f"/patients/{ins}/reminders", patient), 200)
    line = {"ins": ins, "date": "2026-10-02", "act": "Consultation (G)", "amount_paid": 30, "amount_reimbursed": 21}
    step("POST /reimbursements", "agent, 1 line", lambda: h.post("/reimbursements", h.agent, {"items": [line]}), 200)
    step("GET /patients/{ins}/reimbursements", "patient", lambda: h.get(
        f"/patients/{ins}/reimbursements", patient), 200)

    # -- FHIR (CONTRACT §9): the same services, so the same calls as their REST twins ---------------------------------
    patient_of = f"patient.identifier={INS_NIR}|{ins}"
    step("GET /fhir/Patient", "attending professional", lambda: h.get(
        f"/fhir/Patient?identifier={INS_NIR}|{ins}", doctor), 200)
    step("GET /fhir/DocumentReference/{document_id}", "professional (logged)", lambda: h.get(
        f"/fhir/DocumentReference/{doc_id}", doctor), 200)
    step("GET /fhir/Binary/{binary_id}", "professional, ITI-68 redirect (logged)", lambda: h.get(
        f"/fhir/Binary/{doc_id}", doctor), 302)
    unmask = [{"op": "replace", "path": "/securityLabel", "value": [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]}]}]
    step("PATCH /fhir/DocumentReference/{document_id}", "patient unmasks", lambda: h.patch(
        f"/fhir/DocumentReference/{doc_id}", patient, unmask), 200)
    step("POST /fhir", "professional, ITI-65 with 1 PDF (logged)", lambda: h.post(
        "/fhir", doctor, provide_bundle(ins)), 200)
    upload = {"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueIdentifier": {"system": INS_NIR, "value": ins}},
        {"name": "contentType", "valueCode": "application/pdf"}, {"name": "size", "valueInteger": len(PDF)},
        {"name": "hash", "valueBase64Binary": sha1(PDF)}]}
    step("POST /fhir/Binary/{binary_id}", "professional, $upload", lambda: h.post(
        "/fhir/Binary/$upload", doctor, upload), 200)
    step("POST /fhir", "patient, Mesures de santé: a Device and a weight", lambda: h.post(
        "/fhir", patient, measurement_bundle(ins)), 200)
    step("GET /fhir/Observation", "patient", lambda: h.get(f"/fhir/Observation?{patient_of}", patient), 200)
    step("GET /fhir/Immunization", "professional (logged)", lambda: h.get(
        f"/fhir/Immunization?{patient_of}", doctor), 200)
    step("GET /fhir/AllergyIntolerance", "professional (logged)", lambda: h.get(
        f"/fhir/AllergyIntolerance?{patient_of}", doctor), 200)
    step("GET /fhir/AuditEvent", "patient", lambda: h.get(f"/fhir/AuditEvent?{patient_of}", patient), 200)

    # -- catalogue and consents -------------------------------------------------------------------------------------
    app_body = {"app_id": "glyco", "name": "Glyco", "category": "prevention",
                "data_access": [{"category": "measurements", "access": "write"}]}
    step("POST /catalogue", "agent references an app", lambda: h.post("/catalogue", h.agent, app_body), 201)
    step("GET /catalogue", "anonymous, 1 app", lambda: h.get("/catalogue"), 200)
    step("GET /catalogue/{app_id}", "anonymous", lambda: h.get("/catalogue/glyco"), 200)
    step("PATCH /catalogue/{app_id}", "agent widens its access", lambda: h.patch("/catalogue/glyco", h.agent, {
        "data_access": [{"category": "measurements", "access": "write"},
                        {"category": "measurements", "access": "read"}]}), 200)
    grants = {"grants": [{"category": "measurements", "access": "write"}]}
    step("PUT /patients/{ins}/app-consents/{app_id}", "patient consents", lambda: h.put(
        f"/patients/{ins}/app-consents/glyco", patient, grants), 200)
    app_token = h.token("app", app_id="glyco", ins=ins)
    step("POST /patients/{ins}/measurements", "an app the patient consented to", lambda: h.post(
        f"/patients/{ins}/measurements", app_token, GLUCOSE), 201)
    step("GET /patients/{ins}/app-consents", "patient", lambda: h.get(f"/patients/{ins}/app-consents", patient), 200)
    step("DELETE /patients/{ins}/app-consents/{app_id}", "patient revokes", lambda: h.delete(
        f"/patients/{ins}/app-consents/glyco", patient), 204)

    # -- jobs -------------------------------------------------------------------------------------------------------
    waiting = h.enrol()
    expiry = h.job_event("opt-out-expiry", h.clock.now() + dt.timedelta(days=43))
    step("job: opt-out-expiry", "2 accounts due (spaces created, notices sent)", lambda: h.run_job(
        "opt-out-expiry", expiry), "processed 2")
    step("job: opt-out-expiry", "nothing due", lambda: h.run_job("opt-out-expiry", expiry), "processed 0")
    due_row = person(born=dt.date(2001, 12, 1))  # DTP booster at 25, on 2026-12-01
    h.post("/enrolments", h.agent, {"beneficiaries": [due_row]})
    h.activate(due_row)
    reminder_day = h.job_event("reminders", dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))
    step("job: reminders", "1 space with 1 reminder due", lambda: h.run_job("reminders", reminder_day),
         "processed 1")
    closing_ins, closing = h.patient()
    h.upload(closing_ins, closing)
    step("POST /me/closure", "patient, deletion requested", lambda: h.post("/me/closure", closing, {
        "delete_requested": True}), 200)
    purge = h.job_event("archive-purge", h.clock.now() + dt.timedelta(days=95))
    step("job: archive-purge", "1 closed space due, with 1 document", lambda: h.run_job("archive-purge", purge),
         "processed 1")
    del waiting
    return d.observations


# -- FHIR bodies, shaped like the guides' examples (tests/fhir_support.py has the commented versions) --------------
def sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


def provide_bundle(ins: str) -> dict[str, Any]:
    """ITI-65: a SubmissionSet, a DocumentReference and its Binary (the bytes inline)."""
    subject = {"identifier": {"system": INS_NIR, "value": ins}}
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000001", "request": {"method": "POST", "url": "List"},
         "resource": {"resourceType": "List", "status": "current", "mode": "working", "subject": subject,
                      "code": {"coding": [{"system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes",
                                           "code": "submissionset"}]},
                      "entry": [{"item": {"reference": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000002"}}]}},
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000002",
         "request": {"method": "POST", "url": "DocumentReference"},
         "resource": {"resourceType": "DocumentReference", "status": "current", "subject": subject,
                      "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
                      "content": [{"attachment": {
                          "contentType": "application/pdf", "url": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000003",
                          "size": len(PDF), "hash": sha1(PDF), "title": "Compte rendu"}}]}},
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000003", "request": {"method": "POST", "url": "Binary"},
         "resource": {"resourceType": "Binary", "contentType": "application/pdf",
                      "data": base64.b64encode(PDF).decode()}}]}


def measurement_bundle(ins: str) -> dict[str, Any]:
    """Mesures de santé: a PhdDevice (conditional create) and a body weight."""
    identifier = {"system": "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680", "value": "FE-ED-AB-AA-DE-AD-77-C5"}
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "POST", "url": "Device", "ifNoneExist": f"identifier={identifier['system']}|"
                                                                        f"{identifier['value']}"},
         "resource": {"resourceType": "Device", "id": "d1", "identifier": [identifier],
                      "meta": {"profile": ["http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice"]}}},
        {"fullUrl": "urn:uuid:3bc44de3-069d-442d-829b-f3ef68cae372",
         "request": {"method": "POST", "url": "Observation"},
         "resource": {"resourceType": "Observation", "status": "final", "device": {"reference": "Device/d1"},
                      "meta": {"profile": ["http://esante.gouv.fr/ci-sis/fhir/StructureDefinition/"
                                           "ENS_FrObservationBodyWeight"]},
                      "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                          "observation-category", "code": "vital-signs"}]}],
                      "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                      "subject": {"identifier": {"system": INS_NIR, "value": ins}},
                      "effectiveDateTime": "2026-11-20T08:00:00Z",
                      "valueQuantity": {"value": 71, "unit": "kg", "system": "http://unitsofmeasure.org",
                                        "code": "kg"}}}]}
