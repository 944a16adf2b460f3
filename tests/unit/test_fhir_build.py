"""Builders: ens's domain objects as FHIR R4 resources, every one accepted by both validators."""

import base64
import datetime as dt

import pytest
from fhir_support import PDF, T0, document, r4, sha1
from helpers import make_finess, make_nir

from chalicelib.domain.accounts import Account, Status
from chalicelib.domain.documents import Author
from chalicelib.domain.documents import Status as DocStatus
from chalicelib.fhir import build, codes
from chalicelib.fhir.inputs import AccessEntryInput, AllergyInput, MeasurementInput, PartyInput, VaccinationInput


def account(status=Status.ACTIVE, sex=2):
    return Account(nir=make_nir(sex), given_name="Camille", family_name="Martin", birth_date=dt.date(1980, 5, 1),
                   status=status, notified_at=T0)


@pytest.mark.parametrize(("status", "active"), [(Status.ACTIVE, True), (Status.OPEN, True), (Status.CLOSED, False),
                                                (Status.NOTIFIED, False)])
def test_patient_carries_the_ins_nir_and_is_active_while_the_space_exists(status, active):
    person = account(status)
    data = r4(build.patient(person))
    assert data["id"] == person.nir
    assert data["identifier"][0]["system"] == "urn:oid:1.2.250.1.213.1.4.8"
    assert data["identifier"][0]["value"] == person.nir
    assert data["active"] is active
    assert data["gender"] == "female" and data["birthDate"] == "1980-05-01"


def test_document_reference_as_pdsm_describes_it():
    doc = document(masked=True, replaces="0190aa00000000000000000000")
    data = r4(build.document_reference(doc, "https://api.example/fhir/Binary/0190aabbccdd0011223344556677",
                                       sha1(PDF)))
    assert data["status"] == "current"
    assert data["type"]["coding"][0] == {"system": "http://loinc.org", "code": "11488-4",
                                         "display": "CR ou fiche de consultation ou de visite"}
    assert data["category"][0]["coding"][0]["code"] == "CPT_REND"
    assert data["subject"]["reference"] == f"Patient/{doc.ins}"
    assert data["date"] == "2026-11-22T09:00:00Z"
    assert data["author"][0]["identifier"] == {"system": codes.IDNAT_PS, "value": "810000000009"}
    assert data["securityLabel"][0]["coding"][0]["code"] == "MASQUE_PS"
    assert data["securityLabel"][0]["coding"][0]["system"] == codes.TRE_A07
    assert data["relatesTo"] == [{"code": "replaces",
                                  "target": {"reference": "DocumentReference/0190aa00000000000000000000"}}]
    attachment = data["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf" and attachment["size"] == len(PDF)
    assert base64.b64decode(attachment["hash"]) == __import__("hashlib").sha1(PDF).digest()
    assert attachment["url"].endswith("/Binary/0190aabbccdd0011223344556677")


@pytest.mark.parametrize(("changes", "status", "labels"), [
    ({}, "current", ["N"]),
    ({"hidden_from_patient": True}, "current", ["INVISIBLE_PATIENT"]),
    ({"masked": True, "hidden_from_patient": True}, "current", ["MASQUE_PS", "INVISIBLE_PATIENT"]),
    ({"status": DocStatus.SUPERSEDED, "superseded_by": "x"}, "superseded", ["N"]),
    ({"status": DocStatus.PENDING}, "current", ["N"]),
    ({"status": DocStatus.REJECTED}, "entered-in-error", ["N"]),
])
def test_document_status_and_visibility_codes(changes, status, labels):
    data = r4(build.document_reference(document(**changes), "Binary/1"))
    assert data["status"] == status
    assert [label["coding"][0]["code"] for label in data["securityLabel"]] == labels


def test_a_document_an_establishment_sent_names_the_establishment_and_the_signing_professional():
    finess = make_finess()
    data = r4(build.document_reference(document(author=Author("establishment", finess, rpps="10000000009")),
                                       "Binary/1"))
    assert [a["identifier"]["system"] for a in data["author"]] == [codes.IDNAT_STRUCT, codes.IDNAT_PS]
    assert data["author"][0]["identifier"]["value"] == "1" + finess


def test_a_patients_own_upload_is_authored_by_the_patient():
    ins = make_nir()
    data = r4(build.document_reference(document(ins=ins, author=Author("patient", ins)), "Binary/1"))
    assert data["author"][0]["reference"] == f"Patient/{ins}"


@pytest.mark.parametrize(("code", "value", "unit"), [("29463-7", 71.5, "kg"), ("8480-6", 128, "mm[Hg]"),
                                                     ("2339-0", 95, "mg/dL"), ("8867-4", 62, "/min")])
def test_observation_is_a_vital_sign_in_loinc_and_ucum(code, value, unit):
    ins = make_nir()
    item = MeasurementInput("m1", code, value, unit, T0, PartyInput("app", "suivi-tension"), device="d1")
    data = r4(build.observation(ins, item))
    assert data["category"][0]["coding"][0]["code"] == "vital-signs"
    assert data["code"]["coding"][0]["system"] == "http://loinc.org" and data["code"]["coding"][0]["code"] == code
    assert data["valueQuantity"] == {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                                     "code": unit}
    assert data["effectiveDateTime"] == "2026-11-22T09:00:00Z"
    assert data["device"] == {"reference": "Device/d1"}


def test_measurement_input_reads_the_rest_view():
    view = {"measurement_id": "m9", "code": "8302-2", "label": "Taille", "value": 172.0, "unit": "cm",
            "effective_at": "2026-11-20T07:00:00Z", "source": {"role": "patient", "id": make_nir()},
            "recorded_at": "2026-11-20T07:01:00Z"}
    item = MeasurementInput.from_view(view)
    assert item.effective_at == dt.datetime(2026, 11, 20, 7, tzinfo=dt.UTC) and item.recorded_by.role == "patient"
    r4(build.observation(view["source"]["id"], item))


def test_immunization_and_allergy():
    ins = make_nir()
    vaccination = VaccinationInput.from_view({"vaccination_id": "v1", "vaccine": "DTP", "date": "2020-03-01",
                                              "dose": "rappel", "lot": "A12",
                                              "recorded_by": {"role": "professional", "id": "10000000009",
                                                              "profession": "infirmier"},
                                              "recorded_at": "2020-03-01T10:00:00Z"})
    data = r4(build.immunization(ins, vaccination))
    assert data["vaccineCode"] == {"text": "DTP"} and data["occurrenceDateTime"] == "2020-03-01"
    assert data["lotNumber"] == "A12" and data["protocolApplied"] == [{"doseNumberString": "rappel"}]
    assert data["primarySource"] is True

    profile = {"allergies": ["pollen", {"name": "pénicilline", "since": "2001-02-03", "severity": "severe",
                                        "reaction": "urticaire", "note": "depuis l'enfance"},
                             {"name": "lactose", "until": "2010-01-01"}], "updated_at": "2026-01-01T00:00:00Z"}
    allergies = [r4(build.allergy_intolerance(ins, a, dt.date(2026, 1, 1))) for a in AllergyInput.from_profile(profile)]
    assert [a["code"]["text"] for a in allergies] == ["pollen", "pénicilline", "lactose"]
    assert allergies[1]["criticality"] == "high" and allergies[1]["reaction"][0]["severity"] == "severe"
    assert allergies[1]["onsetDateTime"] == "2001-02-03"
    assert [a["clinicalStatus"]["coding"][0]["code"] for a in allergies] == ["active", "active", "resolved"]


@pytest.mark.parametrize(("entry", "action", "purpose"), [
    ({"action": "list_documents", "mode": "normal"}, "R", "TREAT"),
    ({"action": "read_document", "mode": "emergency", "document_id": "d1", "reason": "inconscient"}, "R", "ETREAT"),
    ({"action": "add_measurement", "mode": "app"}, "C", None),
    ({"action": "delete_document", "mode": "normal", "document_id": "d2"}, "D", "TREAT"),
    ({"action": "export_agenda", "mode": "app"}, "R", None),
    ({"action": "update_document", "mode": "normal", "document_id": "d3"}, "U", "TREAT"),
])
def test_an_access_log_entry_is_an_audit_event(entry, action, purpose):
    ins = make_nir()
    actor = {"role": "app", "id": "suivi"} if entry["mode"] == "app" else {"role": "professional",
                                                                            "id": "10000000009",
                                                                            "profession": "medecin"}
    item = AccessEntryInput.from_view({"at": "2026-11-22T09:00:00Z", "actor": actor, **entry})
    data = r4(build.audit_event(ins, item))
    assert data["action"] == action and data["recorded"] == "2026-11-22T09:00:00Z"
    assert data["subtype"][1] == {"system": codes.ENS_ACCESS, "code": entry["action"]}
    assert (data.get("purposeOfEvent") or [{"coding": [{"code": None}]}])[0]["coding"][0]["code"] == purpose
    assert data["entity"][0]["what"]["reference"] == f"Patient/{ins}"
    if entry.get("document_id"):
        assert data["entity"][1]["what"]["reference"] == f"DocumentReference/{entry['document_id']}"
    assert ins not in data["id"]  # ids never carry the INS
    assert build.audit_event(ins, item).id == data["id"]  # stable across pages


def test_binary_round_trips_its_bytes():
    data = r4(build.binary("application/pdf", PDF, "b1", make_nir()))
    assert base64.b64decode(data["data"]) == PDF
