"""The FHIR interface through the running stack (`make run` on free ports), driven by real FHIR clients: fhirpy and
fhirclient, as professional software and apps would use it (docs/fhir.md §11). Every resource answered is checked
with the model library and fhirclient's 4.0.1 models (``fhir_support.r4``)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
import test_local_stack
from fhir_support import PDF, PNG, measurement_bundle, provide_bundle, r4, sha1
from helpers import person
from test_local_stack import Stack

pytestmark = pytest.mark.stack
stack = test_local_stack.stack  # the fixture: this module's own stack, on free ports, stopped by Ctrl-C
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"


class Ens:
    """The few REST calls the scenarios need, on the same stack."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.api = f"http://127.0.0.1:{stack.api_port}"
        self.base = f"{self.api}/fhir"

    def token(self, role: str, *flags: str) -> str:
        return self.stack.ens("token", "--role", role, *flags)["token"]

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        status, _, raw = self.stack.http(method, path, token, body)
        return status, json.loads(raw or b"null")

    def patient(self) -> tuple[str, str]:
        row = person()
        assert self.call("POST", "/enrolments", self.token("agent"), {"beneficiaries": [row]})[0] == 200
        code = self.stack.ens("outbox", "--to", row["nir"])[-1]["data"]["code"]
        assert self.call("POST", "/activation", None, {"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                                       "code": code})[0] == 200
        return row["nir"], self.token("patient", "--ins", row["nir"])

    def attending(self, ins: str) -> str:
        from helpers import make_rpps

        pro = self.token("professional", "--rpps", make_rpps(), "--profession", "medecin")
        assert self.call("POST", f"/patients/{ins}/care-relationship", pro)[0] == 201
        return pro

    def upload(self, ins: str, token: str, title: str, content: bytes = PDF) -> str:
        status, ticket = self.call("POST", f"/patients/{ins}/documents", token,
                                   {"title": title, "type_code": "11488-4", "content_type": "application/pdf",
                                    "size": len(content)})
        assert status == 201, ticket
        headers = {"Content-Type": "application/pdf", **(ticket.get("upload_headers") or {})}
        assert requests.put(ticket["upload_url"], data=content, headers=headers, timeout=30).status_code < 300
        for _ in range(240):
            if self.call("GET", f"/patients/{ins}/documents/{ticket['document_id']}", token)[1]["status"] != "pending":
                return str(ticket["document_id"])
            time.sleep(0.25)
        raise AssertionError("the upload was never ingested")

    def listing(self, ins: str, token: str) -> list[str]:
        status, page = self.call("GET", f"/patients/{ins}/documents", token)
        assert status == 200, page
        return [d["document_id"] for d in page["items"]]


@pytest.fixture(scope="module")
def ens(stack):
    return Ens(stack)


def fhirpy_client(ens: Ens, token: str | None) -> Any:
    from fhirpy import SyncFHIRClient

    return SyncFHIRClient(ens.base, authorization=f"Bearer {token}" if token else None,
                          extra_headers={"Accept": "application/fhir+json"})


def fhirclient_server(ens: Ens, token: str | None) -> Any:
    from fhirclient import server

    fhir = server.FHIRServer(None, ens.base)
    if token:
        fhir.session.headers["Authorization"] = f"Bearer {token}"
    return fhir


def test_metadata_with_both_clients(ens):
    capability = fhirpy_client(ens, None).execute("metadata", method="get")
    assert r4(dict(capability))["fhirVersion"] == "4.0.1"
    fhir = fhirclient_server(ens, None)
    fhir.get_capability()
    types = {r.type for r in fhir.capabilityStatement.rest[0].resource}
    assert {"DocumentReference", "Observation", "AuditEvent", "Patient"} <= types


def test_fhirpy_searches_documents_follows_paging_and_downloads(ens):
    from fhirpy.base.searchset import Raw

    ins, patient = ens.patient()
    pro = ens.attending(ins)
    ids = [ens.upload(ins, pro, f"Compte rendu {n}") for n in range(3)]
    client = fhirpy_client(ens, pro)
    search = client.resources("DocumentReference").search(Raw(**{"patient.identifier": f"{INS_NIR}|{ins}"}))
    first = client.execute("DocumentReference", method="get",
                           params={"patient.identifier": f"{INS_NIR}|{ins}", "_count": 2})
    r4(dict(first))
    assert len(first["entry"]) == 2 and first["total"] == 3
    nxt = next(link["url"] for link in first["link"] if link["relation"] == "next")
    assert nxt.startswith(ens.base) and "_cursor=" in nxt and "offset" not in nxt
    found = search.limit(2).fetch_all()  # fhirpy follows link next (only under its base URL)
    assert [d.id for d in found] == ens.listing(ins, pro) and sorted(d.id for d in found) == sorted(ids)
    for doc in found:
        r4(doc.serialize())
    attachment = found[0]["content"][0]["attachment"]
    redirect = requests.get(attachment["url"], headers={"Authorization": f"Bearer {pro}"}, allow_redirects=False,
                            timeout=30)
    assert redirect.status_code == 302
    content = requests.get(redirect.headers["Location"], timeout=30).content
    assert content == PDF and sha1(content) == attachment["hash"]
    status, log = ens.call("GET", f"/patients/{ins}/access-log", patient)
    assert "read_document" in [e["action"] for e in log["items"]]


def test_fhirclient_provides_a_bundle_seen_in_the_rest_listing_all_or_nothing(ens):
    from fhirclient.models.bundle import Bundle

    ins, patient = ens.patient()
    pro = ens.attending(ins)
    fhir = fhirclient_server(ens, pro)
    answer = fhir.post_json("", provide_bundle(ins)).json()
    Bundle(r4(answer), strict=True)
    assert answer["type"] == "transaction-response"
    assert all(e["response"]["status"].startswith("201") for e in answer["entry"])
    listed = ens.listing(ins, patient)
    assert len(listed) == 1
    status, doc = ens.call("GET", f"/patients/{ins}/documents/{listed[0]}", patient)
    assert doc["status"] == "available" and doc["title"] == "Compte rendu de consultation"
    bad = provide_bundle(ins, content=PNG, content_type="application/pdf")
    bad["entry"][1]["resource"]["content"][0]["attachment"]["hash"] = sha1(PNG)
    with pytest.raises(requests.HTTPError) as refused:
        fhir.post_json("", bad)
    assert refused.value.response.status_code == 422
    assert r4(refused.value.response.json())["resourceType"] == "OperationOutcome"
    assert ens.listing(ins, patient) == listed  # nothing added
    for _ in range(240):  # the patient is told, as for any upload (by the bytes' S3 event, on a busy machine)
        if any(n["kind"] == "document_added" for n in ens.stack.ens("outbox", "--to", ins)):
            break
        time.sleep(0.25)
    else:
        raise AssertionError("no document_added notice")


def test_the_patient_masks_by_json_patch(ens):
    from fhirpy.base.exceptions import OperationOutcome

    ins, patient = ens.patient()
    pro = ens.attending(ins)
    doc_id = ens.upload(ins, pro, "Compte rendu")
    client = fhirpy_client(ens, patient)
    mask = [{"op": "replace", "path": "/securityLabel",
             "value": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                    "code": "MASQUE_PS"}]}]}]
    patched = client.execute(f"DocumentReference/{doc_id}", method="patch", data=mask)
    assert "MASQUE_PS" in json.dumps(r4(dict(patched))["securityLabel"])
    assert ens.call("GET", f"/patients/{ins}/documents/{doc_id}", patient)[1]["masked"] is True
    other = ens.attending(ins)
    assert doc_id not in ens.listing(ins, other)
    with pytest.raises(OperationOutcome):
        client.execute(f"DocumentReference/{doc_id}", method="patch",
                       data=[{"op": "replace", "path": "/description", "value": "x"}])


def test_an_app_pushes_observations_only_with_consent(ens):
    from fhirpy.base.exceptions import ForbiddenError

    ins, patient = ens.patient()
    app_id = f"balance{time.monotonic_ns() % 10**9}"
    body = {"app_id": app_id, "name": "Balance", "category": "prevention",
            "data_access": [{"category": "measurements", "access": "write"}]}
    assert ens.call("POST", "/catalogue", ens.token("agent"), body)[0] == 201
    app = fhirpy_client(ens, ens.token("app", "--app-id", app_id, "--ins", ins))
    with pytest.raises(ForbiddenError) as refused:
        app.execute("", method="post", data=measurement_bundle(ins))
    assert "Consent not given, access refused." in str(refused.value)
    grant = {"grants": [{"category": "measurements", "access": "write"}]}
    assert ens.call("PUT", f"/patients/{ins}/app-consents/{app_id}", patient, grant)[0] == 200
    answer = app.execute("", method="post", data=measurement_bundle(ins))
    assert [e["response"]["status"][:3] for e in r4(dict(answer))["entry"]] == ["201", "201"]
    mine = fhirpy_client(ens, patient)
    seen = mine.execute("Observation", method="get",
                        params={"patient.identifier": f"{INS_NIR}|{ins}", "code": "29463-7"})
    assert [e["resource"]["valueQuantity"]["value"] for e in r4(dict(seen))["entry"]] == [71]


def test_the_access_log_as_audit_events(ens):
    ins, patient = ens.patient()
    pro = ens.attending(ins)
    ens.upload(ins, pro, "Compte rendu")
    ens.listing(ins, pro)
    fhir = fhirclient_server(ens, patient)
    from fhirclient.models.auditevent import AuditEvent

    events = list(AuditEvent.where({"patient.identifier": f"{INS_NIR}|{ins}"}).perform_resources_iter(fhir))
    assert events and {e.type.code for e in events} == {"110110"}
    for event in events:
        r4(event.as_json())
    refused = requests.get(f"{ens.base}/AuditEvent?patient.identifier={INS_NIR}|{ins}",
                           headers={"Authorization": f"Bearer {pro}"}, timeout=30)
    assert refused.status_code == 403 and r4(refused.json())["resourceType"] == "OperationOutcome"


def test_unknown_fhir_paths_answer_operation_outcomes(ens):
    reply = requests.get(f"{ens.base}/NoSuchThing", timeout=30)
    assert reply.status_code == 404 and r4(reply.json())["resourceType"] == "OperationOutcome"
    wrong_method = requests.delete(f"{ens.base}/metadata", timeout=30)
    assert wrong_method.status_code == 405 and r4(wrong_method.json())["resourceType"] == "OperationOutcome"
