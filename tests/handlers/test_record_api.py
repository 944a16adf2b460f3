"""The shared medical record through the API and the S3 event chain (moto), as CONTRACT §5 pins it."""

import datetime as dt

import pytest
import requests
from helpers import make_finess, make_nir

PDF = b"%PDF-1.4\n% ens test\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.fixture
def patient(api):
    row, token = api.patient()
    return row["nir"], token


def test_professional_upload_becomes_available_and_the_patient_downloads_it(api, patient):
    ins, patient_token = patient
    rpps, pro = api.professional()
    assert api.get(f"/patients/{ins}/documents", pro).status == 403  # no authorisation yet
    assert api.post(f"/patients/{ins}/care-relationship", pro).status == 201
    doc_id = api.upload(ins, pro, PDF)
    meta = api.get(f"/patients/{ins}/documents/{doc_id}", patient_token).json
    assert meta["status"] == "available" and meta["category"] == "CPT_REND"
    assert meta["author"] == {"role": "professional", "id": rpps, "profession": "medecin"}
    assert requests.get(meta["download_url"], timeout=10).content == PDF
    assert doc_id in api.docs(ins, patient_token)


def test_a_new_document_from_someone_else_notifies_without_medical_content(api, patient):
    ins, patient_token = patient
    _, pro = api.professional()
    api.upload(ins, pro, PDF, title="Résultat VIH", type_code="11502-2")
    api.upload(ins, patient_token, PDF, title="Mon ordonnance", type_code="57833-6")
    notices = api.outbox(ins, "document_added")
    assert len(notices) == 1  # the patient's own upload tells nobody
    assert "VIH" not in str(notices) and "11502-2" not in str(notices)


@pytest.mark.parametrize(("content", "content_type", "declared"), [
    (b"MZ\x90\x00 not a pdf", "application/pdf", None),       # bytes of another type
    (PNG, "image/jpeg", None),                                # a png declared jpeg
    (PDF, "application/pdf", len(PDF) + 5),                   # fewer bytes than declared
    (b"plain\x00binary", "text/plain", None),                 # NUL bytes are not text
])
def test_bad_bytes_end_rejected_never_available(api, patient, content, content_type, declared):
    ins, token = patient
    reply = api.post(f"/patients/{ins}/documents", token, {"title": "x", "type_code": "11488-4",
                                                           "content_type": content_type,
                                                           "size": declared or len(content)})
    assert reply.status == 201
    api.put_bytes(reply.json, content, content_type)
    api.deliver()
    doc = api.get(f"/patients/{ins}/documents/{reply.json['document_id']}", token).json
    assert doc["status"] == "rejected" and "download_url" not in doc and doc["rejection"]


def test_declarations_are_checked_before_any_upload(api, patient):
    ins, token = patient
    base = {"title": "x", "type_code": "11488-4", "content_type": "application/pdf", "size": 10}
    for change, field in (({"type_code": "99999-9"}, "type_code"), ({"content_type": "application/zip"},
                          "content_type"), ({"size": 5_000_001}, "size"), ({"title": ""}, "title")):
        reply = api.post(f"/patients/{ins}/documents", token, {**base, **change})
        assert reply.status == 422 and field in reply.json["message"], reply
    assert api.post(f"/patients/{make_nir()[:-1]}/documents", token, base).status == 422


def test_every_accepted_format(api, patient):
    ins, token = patient
    samples = {"text/plain": "Compte rendu en texte, accentué.".encode(), "application/rtf": b"{\\rtf1 hello}",
               "image/jpeg": b"\xff\xd8\xff\xe0" + b"\x00" * 10, "image/png": PNG,
               "image/tiff": b"II*\x00" + b"\x00" * 8,
               "application/pdf": PDF}
    for content_type, content in samples.items():
        doc_id = api.upload(ins, token, content, content_type=content_type)
        assert api.get(f"/patients/{ins}/documents/{doc_id}", token).json["status"] == "available", content_type


def test_lab_drop_is_ingested_as_the_establishments_document(api, patient):
    ins, token = patient
    finess = make_finess()
    api.drop(finess, "res-1.pdf", PDF, {"ins": ins, "type-code": "11502-2", "title": "Bilan sanguin",
                                        "author-rpps": "10000000009"})
    items = api.get(f"/patients/{ins}/documents", token).json["items"]
    assert len(items) == 1
    doc = items[0]
    assert doc["type_code"] == "11502-2" and doc["category"] == "BIOLOGIE" and doc["status"] == "available"
    assert doc["author"]["role"] == "establishment" and doc["author"]["id"] == finess and doc["source"] == "inbox"
    meta = api.get(f"/patients/{ins}/documents/{doc['document_id']}", token).json
    assert requests.get(meta["download_url"], timeout=10).content == PDF
    assert api.outbox(ins, "document_added")
    log = api.get(f"/patients/{ins}/access-log", token).json["items"]
    assert any(e["actor"] == {"role": "establishment", "id": finess} and e["action"] == "add_document" for e in log)


def test_the_same_event_twice_and_events_in_reverse_order_make_one_document_each(api, patient):
    ins, token = patient
    finess = make_finess()
    meta = {"ins": ins, "type-code": "11502-2", "title": "Bilan"}
    api.drop(finess, "same.pdf", PDF, meta, deliver=False)
    api.drop(finess, "same.pdf", PDF, meta, deliver=False)           # the lab sends the same file again
    api.drop(finess, "other.pdf", PDF + b"2", meta, deliver=False)
    events = api.events()
    assert len(events) == 3
    api.ingest(list(reversed(events)) + events)                       # reordered and replayed
    assert len(api.docs(ins, token)) == 2
    # presigned uploads: replaying the event does nothing more
    doc_id = api.upload(ins, token, PDF, deliver=False)
    upload_events = api.events()
    api.ingest(upload_events * 3)
    assert api.docs(ins, token).count(doc_id) == 1


def test_inbox_files_that_cannot_be_ingested_are_quarantined_and_listed_to_their_establishment(api, patient):
    ins, _ = patient
    finess, other = make_finess(), make_finess()
    closed_row, closed_token = api.patient()
    api.post("/me/closure", closed_token, {"delete_requested": False})
    cases = {
        "no-ins.pdf": ({"type-code": "11502-2"}, PDF, "missing_ins"),
        "bad-ins.pdf": ({"ins": ins[:-2] + f"{(int(ins[-2:]) + 1) % 100:02d}", "type-code": "11502-2"}, PDF,
                        "invalid_ins"),
        "unknown-type.pdf": ({"ins": ins, "type-code": "00000-0"}, PDF, "unknown_type_code"),
        "closed.pdf": ({"ins": closed_row["nir"], "type-code": "11502-2"}, PDF, "no_space"),
        "fake.pdf": ({"ins": ins, "type-code": "11502-2"}, b"MZ not a pdf", "content_mismatch"),
    }
    for name, (meta, content, _) in cases.items():
        api.drop(finess, name, content, meta)
    s3 = api.container.clients("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=api.settings.bucket("inbox")).get("Contents", [])]
    assert not [k for k in keys if k.startswith("inbox/")]                      # nothing left waiting
    assert len([k for k in keys if k.startswith(f"quarantine/{finess}/")]) == len(cases)  # nothing lost
    establishment = api.token("establishment", finess=finess)
    listing = api.get(f"/establishments/{finess}/rejections", establishment)
    assert listing.status == 200
    reasons = {r["key"].rsplit("/", 1)[1]: r["reason"] for r in listing.json["items"]}
    assert reasons == {name: reason for name, (_, _, reason) in cases.items()}
    assert api.get(f"/establishments/{finess}/rejections", api.token("establishment", finess=other)).status == 403
    assert api.get(f"/establishments/{other}/rejections",
                   api.token("establishment", finess=other)).json["items"] == []


def test_replacement_supersedes_the_old_document(api, patient):
    ins, token = patient
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    first = api.upload(ins, pro, PDF)
    second = api.upload(ins, pro, PDF + b"v2", replaces=first)
    listing = {d["document_id"]: d for d in api.get(f"/patients/{ins}/documents", token).json["items"]}
    assert listing[first]["status"] == "superseded" and listing[first]["superseded_by"] == second
    assert listing[second]["status"] == "available"
    _, someone_else = api.professional()
    api.post(f"/patients/{ins}/care-relationship", someone_else)
    reply = api.post(f"/patients/{ins}/documents", someone_else, {"title": "x", "type_code": "11488-4",
                     "content_type": "application/pdf", "size": 9, "replaces": second})
    assert reply.status == 403  # only the author replaces


def test_deletion_by_author_or_patient_is_logical(api, patient):
    ins, token = patient
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    by_pro, by_patient = api.upload(ins, pro, PDF), api.upload(ins, pro, PDF)
    _, other_pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", other_pro)
    assert api.delete(f"/patients/{ins}/documents/{by_pro}", other_pro).status == 403
    assert api.delete(f"/patients/{ins}/documents/{by_pro}", pro).status == 204
    assert api.delete(f"/patients/{ins}/documents/{by_patient}", token).status == 204
    assert api.docs(ins, token) == [] and api.docs(ins, pro) == []
    assert api.get(f"/patients/{ins}/documents/{by_pro}", token).status == 404
    assert len(api.container.documents.all_for(ins)) == 2  # kept in the archive


def test_masked_documents_only_for_author_patient_and_attending_doctor(api, patient):
    ins, token = patient
    author_rpps, author = api.professional()
    doctor_rpps, doctor = api.professional()
    _, other = api.professional()
    for pro in (author, doctor, other):
        api.post(f"/patients/{ins}/care-relationship", pro)
    doc_id = api.upload(ins, author, PDF)
    assert api.patch(f"/patients/{ins}/documents/{doc_id}", other, {"masked": True}).status == 403
    assert api.patch(f"/patients/{ins}/documents/{doc_id}", token, {"masked": True}).json["masked"] is True
    assert api.put(f"/patients/{ins}/attending-doctor", token, {"rpps": doctor_rpps}).status == 200
    assert doc_id in api.docs(ins, author) and doc_id in api.docs(ins, doctor) and doc_id in api.docs(ins, token)
    assert doc_id not in api.docs(ins, other)
    missing = api.get(f"/patients/{ins}/documents/{doc_id}", other)
    absent = api.get(f"/patients/{ins}/documents/{'0' * 28}", other)
    assert missing.status == absent.status == 404 and missing.json == absent.json  # indistinguishable


def test_hidden_from_patient_until_the_author_lifts_it(api, patient):
    ins, token = patient
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    doc_id = api.upload(ins, pro, PDF, hidden_from_patient=True)
    assert doc_id not in api.docs(ins, token)
    assert api.get(f"/patients/{ins}/documents/{doc_id}", token).status == 404
    assert api.patch(f"/patients/{ins}/documents/{doc_id}", token, {"hidden_from_patient": False}).status in (403, 404)
    assert api.patch(f"/patients/{ins}/documents/{doc_id}", pro, {"hidden_from_patient": False}).status == 200
    assert doc_id in api.docs(ins, token)


def test_the_matrix_leaves_out_types_a_profession_may_not_see(api, patient):
    ins, token = patient
    _, doctor = api.professional("medecin")
    _, nurse = api.professional("infirmier")
    api.post(f"/patients/{ins}/care-relationship", doctor)
    api.post(f"/patients/{ins}/care-relationship", nurse)
    psychiatric = api.upload(ins, doctor, PDF, type_code="68599-0")
    report = api.upload(ins, doctor, PDF, type_code="11488-4")
    assert set(api.docs(ins, doctor)) == {psychiatric, report}
    assert api.docs(ins, nurse) == [report]
    assert api.get(f"/patients/{ins}/documents/{psychiatric}", nurse).status == 404


def test_blocked_professional_is_refused_always(api, patient):
    ins, token = patient
    rpps, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    assert api.put(f"/patients/{ins}/professionals/{rpps}", token, {"status": "blocked"}).status == 200
    assert api.get(f"/patients/{ins}/documents", pro).status == 403
    assert api.post(f"/patients/{ins}/care-relationship", pro).status == 403
    assert api.post(f"/patients/{ins}/emergency-access", pro, {"reason": "unconscious"}).status == 403
    listing = api.get(f"/patients/{ins}/professionals", token).json["items"]
    assert [(p["rpps"], p["status"]) for p in listing] == [(rpps, "blocked")]
    assert api.put(f"/patients/{ins}/professionals/{rpps}", token, {"status": "authorized"}).status == 200
    assert api.get(f"/patients/{ins}/documents", pro).status == 200


def test_emergency_access_is_temporary_reported_and_follows_the_settings(api, patient):
    ins, token = patient
    author_rpps, author = api.professional()
    api.post(f"/patients/{ins}/care-relationship", author)
    masked = api.upload(ins, author, PDF)
    api.patch(f"/patients/{ins}/documents/{masked}", token, {"masked": True})
    rpps, urgentiste = api.professional()
    reply = api.post(f"/patients/{ins}/emergency-access", urgentiste, {"reason": "patient inconscient"})
    assert reply.status == 201
    assert reply.json["expires_at"] <= (api.clock.now() + dt.timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert api.outbox(ins, "emergency_access")
    assert masked in api.docs(ins, urgentiste)  # settings allow masked documents by default
    api.put(f"/patients/{ins}/emergency-settings", token, {"masked_documents": False})
    assert masked not in api.docs(ins, urgentiste)
    api.clock.advance(hours=25)
    assert api.get(f"/patients/{ins}/documents", urgentiste).status == 403  # expired
    log = api.get(f"/patients/{ins}/access-log", token).json["items"]
    assert any(e["mode"] == "emergency" and e["actor"]["id"] == rpps for e in log)
    # the patient refuses emergency access by the SAMU and by others
    assert api.put(f"/patients/{ins}/emergency-settings", token,
                   {"samu": False, "other_professionals": False}).json == {
        "samu": False, "other_professionals": False, "masked_documents": False}
    _, samu = api.professional(samu=True)
    assert api.post(f"/patients/{ins}/emergency-access", samu, {"reason": "arrêt cardiaque"}).status == 403
    assert api.post(f"/patients/{ins}/emergency-access", urgentiste, {"reason": "again"}).status == 403


def test_access_log_newest_first_with_cursors_for_patient_and_representative(api):
    parent_row, parent = api.patient()
    from helpers import person

    child = person(born=dt.date(2015, 2, 1), email=None, legal_representative_nir=parent_row["nir"],
                   notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())
    api.post("/enrolments", api.agent, {"beneficiaries": [child]})
    api.run_job("opt-out-expiry")
    ins = child["nir"]
    rpps, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    for _ in range(3):
        api.clock.advance(seconds=1)
        api.get(f"/patients/{ins}/documents", pro)
    first = api.get(f"/patients/{ins}/access-log?limit=2", parent)
    assert first.status == 200 and len(first.json["items"]) == 2 and first.json["next_cursor"]
    rest = api.get(f"/patients/{ins}/access-log?limit=2&cursor={first.json['next_cursor']}", parent).json
    entries = first.json["items"] + rest["items"]
    assert [e["action"] for e in entries] == ["list_documents"] * 3 + ["declare_care"]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    assert all(e["actor"] == {"role": "professional", "id": rpps, "profession": "medecin"} for e in entries)
    assert api.get(f"/patients/{ins}/access-log", pro).status == 403
    assert api.get(f"/patients/{ins}/access-log?cursor=garbage", parent).status == 400
    other_ins, other = api.patient()
    foreign = api.get(f"/patients/{other_ins['nir']}/access-log?cursor={first.json['next_cursor']}", other)
    assert foreign.status == 400


def test_listing_pages_newest_first_with_filters(api, patient):
    ins, token = patient
    ids = []
    for type_code in ("11488-4", "11502-2", "11488-4", "57833-6", "11488-4"):
        api.clock.advance(seconds=1)
        ids.append(api.upload(ins, token, PDF, type_code=type_code))
    seen, cursor = [], None
    while True:
        page = api.get(f"/patients/{ins}/documents?limit=2" + (f"&cursor={cursor}" if cursor else ""), token).json
        seen += [d["document_id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert api.docs(ins, token, type_code="11488-4") == [ids[4], ids[2], ids[0]]
    assert api.docs(ins, token, category="BIOLOGIE") == [ids[1]]
    assert api.docs(ins, token, category="Ordonnances et soins") == [ids[3]]
    assert api.get(f"/patients/{ins}/documents?category=nope", token).status == 422
    assert api.get(f"/patients/{ins}/documents?limit=0", token).status == 422


def test_closed_space_is_gone_for_professionals_and_the_archive_is_purged(api):
    row, token = api.patient()
    ins = row["nir"]
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    doc_id = api.upload(ins, pro, PDF)
    api.post("/me/closure", token, {"delete_requested": True})
    assert api.get(f"/patients/{ins}/documents", pro).status == 404
    assert api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=95))["processed"] == 1
    s3 = api.container.clients("s3")
    versions = s3.list_object_versions(Bucket=api.settings.bucket("documents"), Prefix=f"documents/{doc_id}")
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    assert api.container.documents.all_for(ins) == []


def test_listing_costs_one_query_whatever_the_size_of_the_tables(api, patient):
    from collections import Counter

    ins, token = patient
    api.upload(ins, token, PDF)
    calls: Counter = Counter()
    api.container.clients("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda event_name, **_: calls.update([event_name.rsplit(".", 1)[-1]]))

    def listing_calls() -> Counter:
        calls.clear()
        _, pro = api.professional()
        api.post(f"/patients/{ins}/care-relationship", pro)
        calls.clear()
        assert api.get(f"/patients/{ins}/documents", pro).status == 200
        return Counter(calls)

    before = listing_calls()
    for _ in range(15):  # other patients with documents
        _, other = api.patient()
        for _ in range(3):
            api.upload(_other_ins(api, other), other, PDF)
    after = listing_calls()
    assert before == after and before["Query"] == 1 and "Scan" not in before


def _other_ins(api, token):
    return api.get("/me", token).json["ins"]
