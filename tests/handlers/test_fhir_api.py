"""The FHIR R4 interface through the API and moto (CONTRACT §9): the same record, the same decision, the same
access log as the REST routes, every answer a valid R4 resource, every error an OperationOutcome."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fhir_support import PDF, PNG, measurement_bundle, provide_bundle, r4, sha1

INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
FHIR = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def of(ins: str) -> str:
    return f"patient.identifier={INS_NIR}|{ins}"


def outcome(reply: Any, status: int) -> dict[str, Any]:
    """The OperationOutcome of an error answer, checked valid and carrying the status REST gives."""
    assert reply.status == status, reply
    assert reply.headers["content-type"].startswith("application/fhir+json"), reply.headers
    data = r4(reply.json)
    assert data["resourceType"] == "OperationOutcome", data
    return data


def code_of(data: dict[str, Any]) -> str:
    return data["issue"][0]["details"]["coding"][0]["code"]


def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    r4(bundle)
    return [e["resource"] for e in bundle.get("entry", []) if kind is None or e["resource"]["resourceType"] == kind]


def post_bundle(api: Any, token: str, bundle: dict[str, Any]) -> Any:
    return api.post("/fhir", token, bundle, headers=FHIR)


def reference(api: Any, app_id: str, access: tuple[tuple[str, str], ...]) -> None:
    body = {"app_id": app_id, "name": "Balance", "category": "prevention",
            "data_access": [{"category": c, "access": a} for c, a in access]}
    assert api.post("/catalogue", api.agent, body).status == 201


@pytest.fixture
def patient(api):
    row, token = api.patient()
    return row["nir"], token


@pytest.fixture
def attending(api, patient):
    ins, _ = patient
    rpps, pro = api.professional()
    assert api.post(f"/patients/{ins}/care-relationship", pro).status == 201
    return rpps, pro


# -- metadata, Patient ----------------------------------------------------------------------------------------------
def test_metadata_without_a_token_is_a_valid_capability_statement(api):
    reply = api.get("/fhir/metadata")
    assert reply.status == 200 and reply.headers["content-type"].startswith("application/fhir+json")
    data = r4(reply.json)
    assert data["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in data["rest"][0]["resource"]}
    assert {"Patient", "DocumentReference", "Binary", "Observation", "Immunization", "AllergyIntolerance",
            "AuditEvent", "Device"} <= types


def test_patient_lookup_follows_the_decision(api, patient, attending):
    ins, token = patient
    _, pro = attending
    for caller in (token, pro):
        found = resources(api.get(f"/fhir/Patient?identifier={INS_NIR}|{ins}", caller).json, "Patient")
        assert len(found) == 1 and found[0]["active"] is True
        assert found[0]["identifier"][0]["value"] == ins
    _, stranger = api.professional()  # may feed the record (§5), so learns it exists, not who it is
    found = resources(api.get(f"/fhir/Patient?identifier={INS_NIR}|{ins}", stranger).json, "Patient")
    assert len(found) == 1 and found[0]["active"] is True and "name" not in found[0]
    assert "name" in resources(api.get(f"/fhir/Patient?identifier={INS_NIR}|{ins}", pro).json)[0]
    from helpers import make_nir
    nobody = resources(api.get(f"/fhir/Patient?identifier={INS_NIR}|{make_nir()}", pro).json)
    assert nobody == []  # no space: an empty searchset
    outcome(api.get(f"/fhir/Patient?identifier={INS_NIR}|{ins}", api.agent), 403)
    outcome(api.get(f"/fhir/Patient?identifier={INS_NIR}|{ins}"), 401)
    outcome(api.get(f"/fhir/Patient?identifier={INS_NIR}|123", token), 422)


# -- documents: ITI-67, ITI-68 ----------------------------------------------------------------------------------------
def test_document_search_shows_what_the_rest_listing_shows_with_cursor_paging(api, patient, attending):
    ins, token = patient
    _, pro = attending
    ids = [api.upload(ins, pro, PDF, title=f"Compte rendu {n}") for n in range(3)]
    first = api.get(f"/fhir/DocumentReference?{of(ins)}&_count=2", pro)
    assert first.status == 200, first
    page = resources(first.json, "DocumentReference")
    assert len(page) == 2 and first.json["total"] == 3
    nxt = next(link["url"] for link in first.json["link"] if link["relation"] == "next")
    query = parse_qs(urlsplit(nxt).query)
    assert "_cursor" in query and "_offset" not in query and "page" not in query
    assert nxt.startswith("http://localhost/fhir/DocumentReference?")
    second = api.get(nxt.removeprefix("http://localhost"), pro)
    rest = resources(second.json, "DocumentReference")
    assert not [link for link in second.json["link"] if link["relation"] == "next"]
    found = [d["id"] for d in page + rest]
    assert found == api.docs(ins, token) and sorted(found) == sorted(ids)
    none = api.get(f"/fhir/DocumentReference?{of(ins)}&_count=2&_total=none", token).json
    assert "total" not in none
    doc = page[0]
    assert doc["status"] == "current" and doc["type"]["coding"][0]["code"] == "11488-4"
    attachment = doc["content"][0]["attachment"]
    assert attachment["hash"] == sha1(PDF) and attachment["size"] == len(PDF)
    assert attachment["url"] == f"http://localhost/fhir/Binary/{doc['id']}"
    log = api.get(f"/patients/{ins}/access-log", token).json["items"]
    assert [e["action"] for e in log].count("list_documents") == 2  # each FHIR search logged as REST's listing


def test_document_search_filters(api, patient, attending):
    ins, token = patient
    _, pro = attending
    report = api.upload(ins, pro, PDF, type_code="11488-4")
    api.upload(ins, pro, PDF, type_code="11502-2")
    by_type = resources(api.get(f"/fhir/DocumentReference?{of(ins)}&type=http://loinc.org|11488-4", token).json)
    assert [d["id"] for d in by_type] == [report]
    assert resources(api.get(f"/fhir/DocumentReference?{of(ins)}&status=superseded", token).json) == []
    assert len(resources(api.get(f"/fhir/DocumentReference?{of(ins)}&date=ge2026-01-01", token).json)) == 2
    assert resources(api.get(f"/fhir/DocumentReference?{of(ins)}&date=lt2026-01-01", token).json) == []
    assert api.patch(f"/patients/{ins}/documents/{report}", token, {"masked": True}).status == 200
    masked = resources(api.get(f"/fhir/DocumentReference?{of(ins)}&security-label=MASQUE_PS", token).json)
    assert [d["id"] for d in masked] == [report]
    _, other = api.professional()
    assert api.post(f"/patients/{ins}/care-relationship", other).status == 201
    seen = resources(api.get(f"/fhir/DocumentReference?{of(ins)}", other).json)
    assert report not in [d["id"] for d in seen]  # masked: as REST, absent for a professional not its author


def test_search_errors_are_operation_outcomes_with_rest_statuses(api, patient):
    ins, token = patient
    assert code_of(outcome(api.get("/fhir/DocumentReference", token), 400))
    outcome(api.get(f"/fhir/DocumentReference?{of(ins)}&unknown=1", token), 400)
    outcome(api.get(f"/fhir/DocumentReference?{of(ins)}&_cursor=bogus", token), 400)
    outcome(api.get(f"/fhir/DocumentReference?{of(ins)}&_count=500", token), 422)
    outcome(api.get(f"/fhir/DocumentReference?{of(ins)}&status=lost", token), 422)
    _, stranger = api.professional()
    outcome(api.get(f"/fhir/DocumentReference?{of(ins)}", stranger), 403)
    lenient = api.get(f"/fhir/DocumentReference?{of(ins)}&unknown=1", token, headers={"Prefer": "handling=lenient"})
    assert lenient.status == 200


def test_attachment_url_redirects_to_the_bytes_under_the_same_decision_and_log(api, patient, attending):
    ins, token = patient
    _, pro = attending
    doc_id = api.upload(ins, pro, PDF)
    ref = r4(api.get(f"/fhir/DocumentReference/{doc_id}", token).json)
    url = ref["content"][0]["attachment"]["url"].removeprefix("http://localhost")
    reply = api.get(url, pro)
    assert reply.status == 302 and reply.body in (b"", "")
    content = requests.get(reply.headers["location"], timeout=10).content
    assert content == PDF and sha1(content) == ref["content"][0]["attachment"]["hash"]
    log = api.get(f"/patients/{ins}/access-log", token).json["items"]
    assert "read_document" in [e["action"] for e in log if e["actor"]["role"] == "professional"]
    _, stranger = api.professional()
    outcome(api.get(url, stranger), 403)  # as REST: no authorisation to read this record
    outcome(api.get("/fhir/Binary/0190aabbccdd0011223344556677", token), 404)


# -- ITI-65 ---------------------------------------------------------------------------------------------------------
def test_provide_bundle_adds_the_document_as_rest_does(api, patient, attending):
    ins, token = patient
    _, pro = attending
    reply = post_bundle(api, pro, provide_bundle(ins))
    assert reply.status == 200, reply
    answer = r4(reply.json)
    assert answer["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert all(s.startswith("201") for s in statuses), statuses
    location = next(e["response"]["location"] for e in answer["entry"] if "DocumentReference/" in
                e["response"]["location"])
    doc_id = location.split("DocumentReference/")[1].split("/")[0]
    listed = api.get(f"/patients/{ins}/documents", token).json["items"]
    assert [d["document_id"] for d in listed] == [doc_id] and listed[0]["status"] == "available"
    assert listed[0]["title"] == "Compte rendu de consultation"
    api.deliver()  # the bytes' S3 event sends what is owed
    assert len(api.outbox(ins, "document_added")) == 1
    meta = api.get(f"/patients/{ins}/documents/{doc_id}", token).json
    assert requests.get(meta["download_url"], timeout=10).content == PDF
    ref = r4(api.get(f"/fhir/DocumentReference/{doc_id}", token).json)
    assert ref["content"][0]["attachment"]["hash"] == sha1(PDF)


def test_an_invalid_entry_rejects_the_whole_bundle_and_adds_nothing(api, patient, attending):
    ins, token = patient
    _, pro = attending
    bundle = provide_bundle(ins, content=PNG, content_type="application/pdf")
    bundle["entry"][1]["resource"]["content"][0]["attachment"]["hash"] = sha1(PNG)
    data = outcome(post_bundle(api, pro, bundle), 422)
    assert any("Bundle.entry" in e for i in data["issue"] for e in i.get("expression", [])), data
    assert api.get(f"/patients/{ins}/documents", token).json["items"] == []
    s3 = api.container.clients("s3")
    listed = s3.list_objects_v2(Bucket=api.settings.bucket("documents"), Prefix="documents/")
    assert listed.get("KeyCount", 0) == 0  # no bytes left behind
    wrong_hash = provide_bundle(ins)
    wrong_hash["entry"][1]["resource"]["content"][0]["attachment"]["hash"] = sha1(b"other")
    outcome(post_bundle(api, pro, wrong_hash), 422)
    assert api.get(f"/patients/{ins}/documents", token).json["items"] == []


def test_provide_refusals(api, patient):
    ins, token = patient
    reference(api, "lecteur", (("documents", "read"),))
    outcome(post_bundle(api, api.token("app", app_id="lecteur", ins=ins), provide_bundle(ins)), 403)  # no consent
    outcome(api.post("/fhir", None, provide_bundle(ins), headers=FHIR), 401)
    outcome(api.call("POST", "/fhir", api.token("agent"), raw=b"{}", headers=FHIR), 403)  # role stage, no body read
    outcome(api.call("POST", "/fhir", token, raw=b"not json", headers=FHIR), 400)
    outcome(api.call("POST", "/fhir", token, raw=b"<Bundle/>", headers={"Content-Type": "application/xml"}), 400)
    outcome(api.call("POST", "/fhir", token, raw=json.dumps(provide_bundle(ins)).encode(),
                     headers={"Content-Type": "text/plain"}), 415)
    outcome(post_bundle(api, token, {"resourceType": "Patient"}), 400)


def test_a_body_above_the_inline_limit_is_413_saying_what_to_do(api, patient, attending):
    from chalicelib.fhir.payload import MAX_INLINE_BODY

    ins, _ = patient
    _, pro = attending
    data = outcome(api.call("POST", "/fhir", pro, raw=b" " * (MAX_INLINE_BODY + 1), headers=FHIR), 413)
    assert "$upload" in json.dumps(data)


def test_a_staged_upload_then_a_bundle_naming_it(api, patient, attending):
    ins, token = patient
    _, pro = attending
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueIdentifier": {"system": INS_NIR, "value": ins}},
        {"name": "contentType", "valueCode": "application/pdf"},
        {"name": "size", "valueInteger": len(PDF)},
        {"name": "hash", "valueBase64Binary": sha1(PDF)}]}
    reply = api.post("/fhir/Binary/$upload", pro, params, headers=FHIR)
    assert reply.status == 200, reply
    answer = {p["name"]: p for p in r4(reply.json)["parameter"]}
    binary = answer["binary"]["valueReference"]["reference"]
    headers = {h["name"]: h["valueString"] for h in answer["uploadHeaders"]["part"]}
    assert headers["x-amz-checksum-sha1"] == sha1(PDF)
    bundle = provide_bundle(ins)
    bundle["entry"] = bundle["entry"][:2]
    bundle["entry"][1]["resource"]["content"][0]["attachment"]["url"] = binary
    outcome(post_bundle(api, pro, bundle), 422)  # nothing uploaded yet
    # S3 refuses bytes of another SHA-1 (moto does not: ens compares S3's own checksum of its copy, too)
    requests.put(answer["uploadUrl"]["valueUrl"], data=PDF[:-1] + b"!", headers=headers, timeout=10)
    assert code_of(outcome(post_bundle(api, pro, bundle), 422)) == "hash_mismatch"
    assert api.get(f"/patients/{ins}/documents", token).json["items"] == []
    put = requests.put(answer["uploadUrl"]["valueUrl"], data=PDF, headers=headers, timeout=10)
    assert put.status_code in (200, 201, 204), put.text
    done = post_bundle(api, pro, bundle)
    assert done.status == 200, done
    assert len(api.get(f"/patients/{ins}/documents", token).json["items"]) == 1


def test_a_replacement_supersedes_in_both_interfaces(api, patient, attending):
    ins, token = patient
    _, pro = attending
    old = api.upload(ins, pro, PDF)
    bundle = provide_bundle(ins, relatesTo=[{"code": "replaces", "target": {"reference": f"DocumentReference/{old}"}}])
    assert post_bundle(api, pro, bundle).status == 200
    superseded = resources(api.get(f"/fhir/DocumentReference?{of(ins)}&status=superseded", token).json)
    assert [d["id"] for d in superseded] == [old]
    assert api.get(f"/patients/{ins}/documents/{old}", token).json["status"] == "superseded"


# -- PATCH ----------------------------------------------------------------------------------------------------------
def label(code: str) -> dict[str, Any]:
    return {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": code}


def test_patch_masks_hides_and_deletes_exactly_as_rest(api, patient, attending):
    ins, token = patient
    _, pro = attending
    doc_id = api.upload(ins, pro, PDF)
    path = f"/fhir/DocumentReference/{doc_id}"
    patch_type = {"Content-Type": "application/json-patch+json"}
    ref = r4(api.get(path, token).json)
    labels = ref.get("securityLabel", [])
    ops = [{"op": "add", "path": "/securityLabel/-" if labels else "/securityLabel",
            "value": {"coding": [label("MASQUE_PS")]} if labels else [{"coding": [label("MASQUE_PS")]}]}]
    reply = api.patch(path, token, ops, headers=patch_type)
    assert reply.status == 200, reply
    assert api.get(f"/patients/{ins}/documents/{doc_id}", token).json["masked"] is True
    _, other = api.professional()
    api.post(f"/patients/{ins}/care-relationship", other)
    assert doc_id not in api.docs(ins, other)
    unmask = [{"op": "replace", "path": "/securityLabel", "value": [{"coding": [label("N")]}]}]
    outcome(api.patch(path, pro, unmask, headers=patch_type), 403)  # masking is the patient's
    outcome(api.patch(path, token, [{"op": "replace", "path": "/description", "value": "x"}], headers=patch_type),
            422)
    deleted = api.patch(path, pro, [{"op": "replace", "path": "/status", "value": "entered-in-error"}],
                        headers=patch_type)
    assert deleted.status == 200, deleted
    assert doc_id not in api.docs(ins, token)
    outcome(api.patch(path, token, ops, headers=patch_type), 404)


# -- measurements ----------------------------------------------------------------------------------------------------
def test_measurement_bundles_from_an_app_under_consent(api, patient):
    ins, token = patient
    reference(api, "balance", (("measurements", "write"), ("measurements", "read")))
    app = api.token("app", app_id="balance", ins=ins)
    refused = outcome(post_bundle(api, app, measurement_bundle(ins)), 403)
    assert refused["issue"][0]["diagnostics"].startswith("Consent not given, access refused.")
    grant = {"grants": [{"category": "measurements", "access": "write"}]}
    assert api.put(f"/patients/{ins}/app-consents/balance", token, grant).status == 200
    first = post_bundle(api, app, measurement_bundle(ins))
    assert first.status == 200, first
    assert [e["response"]["status"][:3] for e in r4(first.json)["entry"]] == ["201", "201"]
    again = r4(post_bundle(api, app, measurement_bundle(ins, value=72)).json)
    assert [e["response"]["status"][:3] for e in again["entry"]] == ["200", "201"]  # the Device is known
    seen = resources(api.get(f"/fhir/Observation?{of(ins)}&code=http://loinc.org|29463-7", token).json,
                     "Observation")
    assert sorted(o["valueQuantity"]["value"] for o in seen) == [71, 72]
    outcome(post_bundle(api, app, measurement_bundle(ins, value=7000)), 422)
    outcome(post_bundle(api, app, measurement_bundle(ins, unit="lb")), 422)
    outcome(api.get(f"/fhir/Observation?{of(ins)}", app), 403)  # read not granted
    narrowed = api.token("app", app_id="balance", ins=ins, scope="patient/Observation.read")
    assert code_of(outcome(post_bundle(api, narrowed, measurement_bundle(ins)), 403)) == "insufficient_scope"


def test_measurements_are_never_a_professionals(api, patient, attending):
    ins, token = patient
    _, pro = attending
    assert post_bundle(api, token, measurement_bundle(ins)).status == 200  # the patient's own
    assert post_bundle(api, pro, measurement_bundle(ins, value=70)).status == 200  # §6: pros may add one
    outcome(api.get(f"/fhir/Observation?{of(ins)}", pro), 403)  # and never read them


# -- vaccinations, allergies, access log --------------------------------------------------------------------------
def test_immunizations_allergies_and_audit_events(api, patient, attending):
    ins, token = patient
    _, pro = attending
    vaccination = {"vaccine": "DTPolio", "date": "2026-10-01", "dose": "rappel"}
    assert api.post(f"/patients/{ins}/vaccinations", pro, vaccination).status == 201
    assert api.put(f"/patients/{ins}/profile", token, {
        "allergies": [{"name": "pénicilline", "severity": "severe"}]}).status == 200
    immunizations = resources(api.get(f"/fhir/Immunization?{of(ins)}", pro).json, "Immunization")
    assert len(immunizations) == 1 and immunizations[0]["occurrenceDateTime"].startswith("2026-10-01")
    allergies = resources(api.get(f"/fhir/AllergyIntolerance?{of(ins)}", pro).json, "AllergyIntolerance")
    assert len(allergies) == 1 and allergies[0]["criticality"] == "high"
    events = resources(api.get(f"/fhir/AuditEvent?{of(ins)}", token).json, "AuditEvent")
    assert events and all(e["type"]["code"] == "110110" for e in events)
    outcome(api.get(f"/fhir/AuditEvent?{of(ins)}", pro), 403)


@pytest.mark.parametrize("query", [
    "unknown[nested]=\ud800&code=http://loinc.org|29463-7",  # an unknown parameter with a nested, broken value
    "code=\ud800", "date=ge2026\udfff", "_cursor=\ud83d",  # lone surrogates in the values ens parses
    "co\udc00de=1",  # and in a parameter's name, which errors echo
])
def test_a_search_with_characters_that_are_not_text_is_a_400_outcome(api, patient, query):
    """A query string a decoder left lone surrogates in (the fuzzer's find) is bad input, never a 500; the
    OperationOutcome is valid UTF-8 JSON whatever it echoes."""
    ins, token = patient
    reply = api.get(f"/fhir/Observation?{of(ins)}&{query}", token)
    data = outcome(reply, 400)
    assert code_of(data) == "invalid_characters"
    assert reply.body.decode("utf-8")  # strict UTF-8
