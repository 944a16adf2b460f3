"""Data export (CONTRACT §10) through the routes, the export worker's function and moto: one ZIP with every
document's file, the data as JSON and as a FHIR collection Bundle; resumable; erased after its expiry."""

import datetime as dt
import io
import json
import zipfile

import pytest
import requests

PDF = b"%PDF-1.4\n% export " + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000


class Running:
    """A Lambda context whose remaining time runs out after ``calls`` looks: the unit hands over."""

    def __init__(self, calls: int) -> None:
        self.calls = calls
        self.function_name, self.aws_request_id = "export_space", "test"
        self.memory_limit_in_mb, self.invoked_function_arn = 1024, "arn:aws:lambda:eu-west-3:0:function:x"

    def get_remaining_time_in_millis(self) -> int:
        self.calls -= 1
        return 900_000 if self.calls >= 0 else 1_000


@pytest.fixture
def space(api):
    """A space with something in every part of it."""
    row, token = api.patient(given_name="Émilie", family_name="Lefèvre")
    ins = row["nir"]
    rpps, doctor = api.professional()
    api.post(f"/patients/{ins}/care-relationship", doctor)
    report = api.upload(ins, doctor, PDF, title="Compte rendu de cardiologie")
    api.upload(ins, doctor, PDF, title="Résultat à annoncer", hidden_from_patient=True)
    photo = api.upload(ins, token, PNG, title="Ordonnance photo", content_type="image/png", type_code="57833-6")
    api.put(f"/patients/{ins}/profile", token, {"allergies": ["pénicilline"], "conditions": [{"name": "asthme"}],
                                                "treatments": [{"name": "salbutamol", "dose": "2 bouffées"}],
                                                "hospitalisations": [{"name": "appendicite", "since": "2010-04-02"}],
                                                "family_history": [{"name": "diabète", "relative": "père"}],
                                                "blood_group": "A+"})
    api.post(f"/patients/{ins}/vaccinations", token, {"vaccine": "DTP", "date": "2024-03-01", "dose": "rappel"})
    api.post(f"/patients/{ins}/measurements", token, {"code": "29463-7", "value": 61.5, "unit": "kg",
                                                      "effective_at": "2026-11-01T08:00:00Z"})
    api.post(f"/patients/{ins}/appointments", token, {"title": "Cardiologue", "start": "2027-01-12T09:00:00Z",
                                                      "professional": "Dr Roux"})
    api.post("/reimbursements", api.agent, {"items": [{"ins": ins, "date": "2026-10-01", "act": "Consultation (G)",
                                                       "amount_paid": 30, "amount_reimbursed": 21}]})
    api.post("/catalogue", api.agent, {"app_id": "glyco", "name": "Glyco", "category": "prevention",
                                       "data_access": [{"category": "measurements", "access": "read"}]})
    api.put(f"/patients/{ins}/app-consents/glyco", token, {"grants": [{"category": "measurements",
                                                                        "access": "read"}]})
    api.post("/conversations", doctor, {"patient_ins": ins, "subject": "Vos résultats", "body": "Tout va bien."})
    api.get(f"/patients/{ins}/documents", doctor)  # an access in the log
    return {"ins": ins, "token": token, "doctor": doctor, "rpps": rpps, "documents": {report: PDF, photo: PNG}}


def export_zip(api, ins, token, context=None):
    started = api.post(f"/patients/{ins}/exports", token)
    assert started.status == 202 and started.json["status"] == "running", started
    export_id = started.json["export_id"]
    assert api.get(f"/patients/{ins}/exports/{export_id}", token).json["status"] == "running"
    api.run_exports(context)
    ready = api.get(f"/patients/{ins}/exports/{export_id}", token)
    assert ready.status == 200 and ready.json["status"] == "ready", ready
    download = requests.get(ready.json["download_url"], timeout=30)
    assert download.status_code == 200 and "zip" in download.headers["content-type"]
    assert ready.json["size"] == len(download.content)
    return export_id, ready.json, zipfile.ZipFile(io.BytesIO(download.content))


def test_the_export_holds_every_file_and_the_data_as_json_and_fhir(api, space):
    ins, token = space["ins"], space["token"]
    export_id, ready, archive = export_zip(api, ins, token)
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == "LISEZMOI.txt" and "fhir/bundle-collection.json" in names
    files = [n for n in names if n.startswith("documents/")]
    assert sorted(archive.read(n) for n in files) == sorted(space["documents"].values())  # not the hidden one
    assert any(n.endswith("Compte rendu de cardiologie.pdf") for n in files)
    data = {n.removeprefix("donnees/"): json.loads(archive.read(n)) for n in names if n.startswith("donnees/")}
    assert data["identite.json"]["given_name"] == "Émilie"
    assert data["profil-medical.json"]["blood_group"] == "A+"
    assert [v["vaccine"] for v in data["vaccinations.json"]] == ["DTP"]
    assert data["mesures.json"][0]["value"] == 61.5 and data["rendez-vous.json"][0]["title"] == "Cardiologue"
    assert data["messagerie.json"][0]["messages"][0]["body"] == "Tout va bien."
    assert data["remboursements.json"][0]["amount_reimbursed"] == 21
    assert data["consentements-applications.json"][0]["app_id"] == "glyco"
    assert any(e["actor"]["id"] == space["rpps"] for e in data["historique-des-acces.json"])
    index = data["documents.json"]
    assert {d["title"] for d in index} == {"Compte rendu de cardiologie", "Ordonnance photo"}
    assert all(d["file"] in names for d in index)
    # the FHIR collection: every entry a valid R4 resource
    from chalicelib.fhir.model import parse

    bundle = json.loads(archive.read("fhir/bundle-collection.json"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = [parse(e["resource"]).get_resource_type() for e in bundle["entry"]]
    for kind in ("Patient", "DocumentReference", "Immunization", "Observation", "AllergyIntolerance", "Condition",
                 "MedicationStatement", "Encounter", "FamilyMemberHistory", "Appointment", "Communication",
                 "ExplanationOfBenefit", "Consent", "AuditEvent"):
        assert kind in kinds, kind
    attachments = [e["resource"]["content"][0]["attachment"]["url"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "DocumentReference"]
    assert sorted(attachments) == sorted(files)
    parse(bundle)  # and the Bundle as a whole
    # the person is told, without any content
    [notice] = api.outbox(ins, "export_ready")
    assert notice["data"] == {"export_id": export_id, "expires_at": ready["expires_at"]}


def test_an_export_stopped_near_its_time_limit_is_continued_by_the_next_unit(api, space):
    ins, token = space["ins"], space["token"]
    # each unit sees its time run out after a few members
    export_id, _, resumed = export_zip(api, ins, token, lambda: Running(calls=2))
    record = api.container.exports.exports.get(ins, export_id)
    assert record.units >= 3  # handed over several times
    _, _, whole = export_zip(api, ins, token)
    assert resumed.testzip() is None and resumed.namelist() == whole.namelist()
    for name in whole.namelist():
        if not name.startswith(("LISEZMOI", "donnees/historique", "fhir/")):  # those name when they were made
            assert resumed.read(name) == whole.read(name), name


def test_one_export_at_a_time_and_its_file_expires(api, space):
    ins, token = space["ins"], space["token"]
    first = api.post(f"/patients/{ins}/exports", token).json["export_id"]
    assert api.post(f"/patients/{ins}/exports", token).json["export_id"] == first  # still running: the same
    api.run_exports()
    assert api.get(f"/patients/{ins}/exports/{first}", token).json["status"] == "ready"
    api.clock.advance(days=2, seconds=1)
    gone = api.get(f"/patients/{ins}/exports/{first}", token)
    assert gone.status == 410 and gone.json["code"] == "export_expired"
    assert api.get(f"/patients/{ins}/exports/0000000000000000000000000000", token).status == 404


def test_a_legal_representative_exports_the_child_s_space_but_not_the_child_s_messages(api):
    parent_row, parent = api.patient()
    child = api.enrol(born=dt.date(2014, 3, 2), legal_representative_nir=parent_row["nir"])
    child_token = api.activate(child)
    _, doctor = api.professional()
    api.post("/conversations", doctor, {"patient_ins": child["nir"], "subject": "Vaccin", "body": "Rappel à faire"})
    _, _, archive = export_zip(api, child["nir"], parent)
    assert json.loads(archive.read("donnees/messagerie.json")) == []
    assert "représentant légal" in archive.read("LISEZMOI.txt").decode()
    _, _, own = export_zip(api, child["nir"], child_token)
    assert json.loads(own.read("donnees/messagerie.json"))[0]["subject"] == "Vaccin"


def test_nobody_else_exports_and_a_failing_export_ends_failed(api, space, monkeypatch):
    ins, token = space["ins"], space["token"]
    other_row, other = api.patient()
    assert api.post(f"/patients/{ins}/exports", other).status == 403
    assert api.post(f"/patients/{ins}/exports", space["doctor"]).status == 403
    export_id = api.post(f"/patients/{ins}/exports", token).json["export_id"]
    assert api.get(f"/patients/{ins}/exports/{export_id}", other).status == 403

    def broken(*args, **kwargs):
        raise RuntimeError("S3 unavailable")

    monkeypatch.setattr(api.container.store, "stream", broken)
    from chalicelib import resources

    queue = next(q for q in resources.QUEUES if q.logical == resources.CONSUMER["export_space"].queue)
    # each failed attempt lets go of the export and is delivered again, from the checkpoint; the last one fails it
    assert api.run_exports() == {"export_space": queue.max_receive_count}
    assert api.dead_letters("export-units-dlq") == []  # done with: the export says it failed
    failed = api.get(f"/patients/{ins}/exports/{export_id}", token).json
    assert failed["status"] == "failed" and failed["failure"]
