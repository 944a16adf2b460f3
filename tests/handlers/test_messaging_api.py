"""Secure messaging through the API and the S3 event chain (moto), as CONTRACT §6 pins it."""

import datetime as dt
from collections import Counter

import pytest
import requests
from helpers import make_finess, make_nir

PDF = b"%PDF-1.4\n% ens test\n"
SUBJECT = "Résultats de votre sérologie"
BODY = "Bonjour, vos résultats sont normaux. Dr Durand"


@pytest.fixture
def patient(api):
    row, token = api.patient()
    return row["nir"], token


def start(api, token, ins, subject=SUBJECT, body=BODY, **extra):
    reply = api.post("/conversations", token, {"patient_ins": ins, "subject": subject, "body": body, **extra})
    assert reply.status == 201, reply
    return reply.json


def new_file(content=PDF, content_type="application/pdf", title="Compte rendu.pdf", size=None):
    return {"title": title, "content_type": content_type, "size": size if size is not None else len(content)}


def test_a_professional_writes_the_patient_is_told_without_content_and_replies(api, patient):
    ins, patient_token = patient
    rpps, pro = api.professional()
    started = start(api, pro, ins)
    assert started["conversation_id"] and started["message_id"] and started["uploads"] == []
    notices = api.outbox(ins, "new_message")
    assert len(notices) == 1
    assert "sérologie" not in str(notices) and "normaux" not in str(notices) and "Durand" not in str(notices)
    cid = started["conversation_id"]
    api.clock.advance(seconds=1)
    reply = api.post(f"/conversations/{cid}/messages", patient_token, {"body": "Merci docteur"})
    assert reply.status == 201 and reply.json["conversation_id"] == cid
    assert len(api.outbox(ins, "new_message")) == 1  # the patient's own reply tells nobody
    seen = api.get(f"/conversations/{cid}", patient_token).json
    assert seen["subject"] == SUBJECT and seen["status"] == "open" and seen["patient_ins"] == ins
    assert seen["starter"] == {"role": "professional", "id": rpps, "profession": "medecin"}
    assert [(m["sender"]["role"], m["body"]) for m in seen["messages"]] == [
        ("professional", BODY), ("patient", "Merci docteur")]
    assert seen["message_count"] == 2
    assert api.get(f"/conversations/{cid}", pro).json["messages"] == seen["messages"]
    api.clock.advance(seconds=1)
    assert api.post(f"/conversations/{cid}/messages", pro, {"body": "Bonne journée"}).status == 201
    assert len(api.outbox(ins, "new_message")) == 2


def test_establishments_start_too_and_patients_cannot(api, patient):
    ins, patient_token = patient
    finess = make_finess()
    hospital = api.token("establishment", finess=finess)
    started = start(api, hospital, ins, subject="Votre hospitalisation")
    starter = api.get(f"/conversations/{started['conversation_id']}", patient_token).json["starter"]
    assert starter == {"role": "establishment", "id": finess}
    other_row, _ = api.patient()
    refused = api.post("/conversations", patient_token, {"patient_ins": other_row["nir"], "subject": "x", "body": "y"})
    assert refused.status == 403
    assert api.post("/conversations", patient_token, {"patient_ins": ins, "subject": "x", "body": "y"}).status == 403
    assert api.post("/conversations", api.agent, {"patient_ins": ins, "subject": "x", "body": "y"}).status == 403
    assert api.post("/conversations", body={"patient_ins": ins, "subject": "x", "body": "y"}).status == 401


def test_only_the_participants_see_a_conversation(api, patient):
    ins, patient_token = patient
    _, pro = api.professional()
    cid = start(api, pro, ins)["conversation_id"]
    _, stranger = api.professional()
    _, other_patient = api.patient()
    hospital = api.token("establishment", finess=make_finess())
    missing = api.get(f"/conversations/{'0' * 28}", stranger)
    assert missing.status == 404
    for token in (stranger, other_patient, hospital):
        hidden = api.get(f"/conversations/{cid}", token)
        assert hidden.status == 404 and hidden.json == missing.json  # indistinguishable from a missing one
        assert api.post(f"/conversations/{cid}/messages", token, {"body": "hello"}).status == 404
        assert api.get("/conversations", token).json["items"] == []
    assert api.post(f"/conversations/{cid}/close", stranger).status == 404
    assert api.get(f"/conversations/{cid}", api.agent).status == 403
    assert api.get("/conversations/not-an-id", pro).status == 404


def test_closed_conversations_refuse_messages_until_the_starter_reopens_them(api, patient):
    ins, patient_token = patient
    _, pro = api.professional()
    cid = start(api, pro, ins)["conversation_id"]
    assert api.post(f"/conversations/{cid}/close", patient_token).status == 403  # the professional ends it
    closed = api.post(f"/conversations/{cid}/close", pro)
    assert closed.status == 200 and closed.json["status"] == "closed"
    assert api.post(f"/conversations/{cid}/close", pro).json["status"] == "closed"  # idempotent
    refused = api.post(f"/conversations/{cid}/messages", patient_token, {"body": "Encore une question"})
    assert refused.status == 409 and refused.json["code"] == "conversation_closed"
    assert api.post(f"/conversations/{cid}/messages", pro, {"body": "PS"}).status == 409
    assert api.get(f"/conversations/{cid}", patient_token).json["status"] == "closed"
    assert api.get("/conversations", patient_token).json["items"][0]["status"] == "closed"
    assert api.post(f"/conversations/{cid}/reopen", patient_token).status == 403
    reopened = api.post(f"/conversations/{cid}/reopen", pro)
    assert reopened.status == 200 and reopened.json["status"] == "open"
    assert api.post(f"/conversations/{cid}/messages", patient_token, {"body": "Encore une question"}).status == 201
    assert api.get("/conversations", pro).json["items"][0]["status"] == "open"


def test_a_reply_racing_a_closure_never_lands_after_it(api, patient):
    ins, _ = patient
    _, pro = api.professional()
    cid = start(api, pro, ins)["conversation_id"]
    repo = api.container.messaging.conversations
    stale = repo.get(cid)  # read while open
    assert api.post(f"/conversations/{cid}/close", pro).status == 200
    from chalicelib.domain.messaging import Message
    from chalicelib.ports import ConcurrentUpdate

    late = Message("f" * 28, cid, stale.patient, "trop tard", api.clock.now())
    with pytest.raises(ConcurrentUpdate):
        repo.post(stale, late, [])
    assert [m.body for m in repo.messages(cid, 10, None).items] == [BODY]


def test_blocked_professionals_and_spaces_that_are_not_open(api, patient):
    ins, patient_token = patient
    rpps, pro = api.professional()
    cid = start(api, pro, ins)["conversation_id"]
    assert api.put(f"/patients/{ins}/professionals/{rpps}", patient_token, {"status": "blocked"}).status == 200
    refused = api.post("/conversations", pro, {"patient_ins": ins, "subject": "x", "body": "y"})
    assert refused.status == 403 and refused.json["code"] == "blocked"
    assert api.post(f"/conversations/{cid}/messages", pro, {"body": "y"}).status == 403
    _, other = api.professional()
    assert api.get(f"/patients/{ins}/documents", other).status == 403  # writing granted no access to the record
    start(api, other, ins)
    notified = api.enrol()  # still in the opt-out window: no space yet
    assert api.post("/conversations", other, {"patient_ins": notified["nir"], "subject": "x",
                                              "body": "y"}).status == 404
    assert api.post("/conversations", other, {"patient_ins": make_nir(), "subject": "x", "body": "y"}).status == 404
    closing_row, closing = api.patient()
    old = start(api, other, closing_row["nir"])["conversation_id"]
    api.post("/me/closure", closing, {"delete_requested": False})
    assert api.post("/conversations", other, {"patient_ins": closing_row["nir"], "subject": "x",
                                              "body": "y"}).status == 404
    assert api.get(f"/conversations/{old}", other).status == 404  # a closed space is gone for everyone else


def test_bodies_are_checked_and_the_field_is_named(api, patient):
    ins, _ = patient
    _, pro = api.professional()
    base = {"patient_ins": ins, "subject": "Objet", "body": "Texte"}
    wrong_key = ins[:-1] + str((int(ins[-1]) + 1) % 10)
    cases = [({"subject": ""}, "subject"), ({"subject": "x" * 201}, "subject"), ({"body": " "}, "body"),
             ({"body": "x" * 10_001}, "body"), ({"patient_ins": wrong_key}, "patient_ins"),
             ({"attachments": [new_file()] * 11}, "attachments"), ({"extra": 1}, "extra"),
             ({"attachments": [new_file(content_type="application/zip")]}, "attachments.0.content_type"),
             ({"attachments": [new_file(size=5_000_001)]}, "attachments.0")]
    for change, field in cases:
        reply = api.post("/conversations", pro, {**base, **change})
        assert reply.status == 422 and f"'{field}" in reply.json["message"], (change, reply)
    assert api.get("/conversations", pro).json["items"] == []  # nothing half-written
    assert api.get("/conversations?limit=0", pro).status == 422
    assert api.get("/conversations?cursor=garbage", pro).status == 400


def test_record_attachments_are_those_the_sender_may_see(api, patient):
    ins, patient_token = patient
    _, doctor = api.professional("medecin")
    _, nurse = api.professional("infirmier")
    _, stranger = api.professional()
    for pro in (doctor, nurse):
        api.post(f"/patients/{ins}/care-relationship", pro)
    report = api.upload(ins, doctor, PDF, title="Compte rendu")
    psychiatric = api.upload(ins, doctor, PDF, type_code="68599-0")
    hidden = api.upload(ins, doctor, PDF, title="Annonce", hidden_from_patient=True)
    mine = api.upload(ins, patient_token, PDF, title="Mon ordonnance", type_code="57833-6")

    started = start(api, doctor, ins, attachments=[report, hidden])
    cid = started["conversation_id"]
    refs = {a["document_id"]: a["attachment_id"] for a in started["attachments"]}
    assert set(refs) == {report, hidden} and started["uploads"] == []
    message = api.get(f"/conversations/{cid}", patient_token).json["messages"][0]
    assert "Annonce" not in str(message)  # a record document is named by id only
    shared = api.get(f"/conversations/{cid}/attachments/{refs[report]}", patient_token)
    assert shared.status == 200 and shared.json["title"] == "Compte rendu" and shared.json["kind"] == "document"
    assert requests.get(shared.json["download_url"], timeout=10).content == PDF
    assert api.get(f"/conversations/{cid}/attachments/{refs[hidden]}", patient_token).status == 404  # the reader
    assert api.get(f"/conversations/{cid}/attachments/{refs[hidden]}", doctor).status == 200
    assert api.get(f"/conversations/{cid}/attachments/{refs[report]}", stranger).status == 404

    unknown = api.post("/conversations", nurse, {"patient_ins": ins, "subject": "x", "body": "y",
                                                 "attachments": ["0" * 28]})
    unseen = api.post("/conversations", nurse, {"patient_ins": ins, "subject": "x", "body": "y",
                                                "attachments": [psychiatric]})
    unauthorised = api.post("/conversations", stranger, {"patient_ins": ins, "subject": "x", "body": "y",
                                                         "attachments": [report]})
    assert unknown.status == unseen.status == unauthorised.status == 422
    assert unknown.json == unseen.json == unauthorised.json  # nothing tells an unseen document from none
    assert unknown.json["code"] == "invalid_attachment" and "attachments.0" in unknown.json["message"]
    assert api.get("/conversations", nurse).json["items"] == []

    # the patient attaches documents of their own record that they may see, and nothing else
    assert api.post(f"/conversations/{cid}/messages", patient_token, {"body": "ci-joint",
                                                                      "attachments": [mine]}).status == 201
    refused = api.post(f"/conversations/{cid}/messages", patient_token, {"body": "x", "attachments": [hidden]})
    assert refused.status == 422 and refused.json["code"] == "invalid_attachment"
    sent = api.get(f"/conversations/{cid}", doctor).json["messages"][-1]["attachments"][0]
    assert api.get(f"/conversations/{cid}/attachments/{sent['attachment_id']}", doctor).status == 200
    log = api.get(f"/patients/{ins}/access-log", patient_token).json["items"]
    assert any(e["action"] == "attach_document" and e.get("document_id") == report for e in log)


def test_new_files_are_uploaded_checked_downloaded_and_filed_into_the_record(api, patient):
    ins, patient_token = patient
    rpps, pro = api.professional()
    started = start(api, pro, ins, attachments=[new_file(title="Ordonnance"),
                                                new_file(b"MZ\x90 not a pdf", title="Virus")])
    cid = started["conversation_id"]
    good, bad = started["uploads"]
    assert good["title"] == "Ordonnance" and good["upload_url"].startswith("http")
    pending = api.get(f"/conversations/{cid}/attachments/{good['attachment_id']}", patient_token).json
    assert pending["status"] == "pending" and "download_url" not in pending
    assert api.put_bytes(good, PDF, "application/pdf") in (200, 201, 204)
    assert api.put_bytes(bad, b"MZ\x90 not a pdf", "application/pdf") in (200, 201, 204)
    outcomes = api.deliver()
    assert sorted(o["outcome"] for o in outcomes) == ["available", "rejected"]

    statuses = [a["status"] for a in api.get(f"/conversations/{cid}", patient_token).json["messages"][0]["attachments"]]
    assert statuses == ["available", "rejected"]
    got = api.get(f"/conversations/{cid}/attachments/{good['attachment_id']}", patient_token).json
    assert got["status"] == "available" and got["sender"]["id"] == rpps
    assert requests.get(got["download_url"], timeout=10).content == PDF
    rejected = api.get(f"/conversations/{cid}/attachments/{bad['attachment_id']}", patient_token).json
    assert rejected["status"] == "rejected" and rejected["rejection"] and "download_url" not in rejected
    _, stranger = api.professional()
    assert api.get(f"/conversations/{cid}/attachments/{good['attachment_id']}", stranger).status == 404

    path = f"/conversations/{cid}/attachments/{good['attachment_id']}/file"
    assert api.post(path, pro, {"type_code": "57833-6"}).status == 403
    assert api.post(path, patient_token, {"type_code": "00000-0"}).status == 422
    filed = api.post(path, patient_token, {"type_code": "57833-6", "title": "Ordonnance du Dr"})
    assert filed.status == 201, filed
    doc_id = filed.json["document_id"]
    assert api.post(path, patient_token, {"type_code": "57833-6"}).status == 409  # filing twice
    assert api.post(f"/conversations/{cid}/attachments/{bad['attachment_id']}/file", patient_token,
                    {"type_code": "57833-6"}).status == 409
    listed = {d["document_id"]: d for d in api.get(f"/patients/{ins}/documents", patient_token).json["items"]}
    doc = listed[doc_id]
    assert doc["status"] == "available" and doc["source"] == "messaging" and doc["category"] == "ORD_SOIN"
    assert doc["author"] == {"role": "patient", "id": ins} and doc["title"] == "Ordonnance du Dr"
    meta = api.get(f"/patients/{ins}/documents/{doc_id}", patient_token).json
    assert requests.get(meta["download_url"], timeout=10).content == PDF
    assert not api.outbox(ins, "document_added")  # the patient's own document

    api.deliver()  # the copy's own S3 event changes nothing
    assert api.get(f"/patients/{ins}/documents/{doc_id}", patient_token).json["status"] == "available"

    # the patient's own uploads go to the professional; replaying an event changes nothing
    sent = api.post(f"/conversations/{cid}/messages", patient_token, {"body": "Ma photo", "attachments": [
        new_file(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png", "photo")]}).json
    ticket = sent["uploads"][0]
    api.put_bytes(ticket, b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png")
    events = api.events()
    assert [o["outcome"] for o in api.ingest(events * 3)] == ["available", "duplicate", "duplicate"]
    own = api.get(f"/conversations/{cid}/attachments/{ticket['attachment_id']}", pro).json
    assert own["status"] == "available" and own["sender"] == {"role": "patient", "id": ins}
    assert api.post(f"/conversations/{cid}/attachments/{ticket['attachment_id']}/file", patient_token,
                    {"type_code": "11488-4"}).status == 409  # only what the patient received


def test_listing_own_conversations_newest_first_with_cursors(api, patient):
    ins, patient_token = patient
    _, pro = api.professional()
    other_row, other_token = api.patient()
    ids = []
    for n in range(5):
        api.clock.advance(seconds=1)
        ids.append(start(api, pro, ins, subject=f"Sujet {n}")["conversation_id"])
    api.clock.advance(seconds=1)
    elsewhere = start(api, pro, other_row["nir"])["conversation_id"]
    seen, cursor = [], None
    while True:
        page = api.get("/conversations?limit=2" + (f"&cursor={cursor}" if cursor else ""), patient_token)
        assert page.status == 200 and len(page.json["items"]) <= 2
        seen += [c["conversation_id"] for c in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    first = api.get("/conversations?limit=2", patient_token).json
    assert first["items"][0]["subject"] == "Sujet 4" and first["items"][0]["patient_ins"] == ins
    assert [c["conversation_id"] for c in api.get("/conversations", pro).json["items"]] == [elsewhere, *seen]
    assert [c["conversation_id"] for c in api.get("/conversations", other_token).json["items"]] == [elsewhere]
    foreign = api.get(f"/conversations?cursor={first['next_cursor']}", other_token)
    assert foreign.status == 400


def test_messages_page_oldest_first(api, patient):
    ins, patient_token = patient
    _, pro = api.professional()
    cid = start(api, pro, ins, body="message 0")["conversation_id"]
    for n in range(1, 5):
        api.clock.advance(seconds=1)
        api.post(f"/conversations/{cid}/messages", pro if n % 2 else patient_token, {"body": f"message {n}"})
    bodies, cursor = [], None
    while True:
        page = api.get(f"/conversations/{cid}?limit=2" + (f"&cursor={cursor}" if cursor else ""), pro).json
        bodies += [m["body"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert bodies == [f"message {n}" for n in range(5)]


def test_the_archive_purge_erases_conversations_and_attachment_objects(api):
    row, token = api.patient()
    ins = row["nir"]
    _, pro = api.professional()
    started = start(api, pro, ins, attachments=[new_file()])
    cid = started["conversation_id"]
    api.put_bytes(started["uploads"][0], PDF, "application/pdf")
    api.deliver()
    api.post(f"/conversations/{cid}/messages", token, {"body": "merci"})
    _, keeper = api.professional()
    other_row, _ = api.patient()
    kept = start(api, keeper, other_row["nir"])["conversation_id"]
    s3 = api.container.clients("s3")
    bucket = api.settings.bucket("documents")
    assert s3.list_object_versions(Bucket=bucket, Prefix=f"attachments/{cid}/").get("Versions")

    api.post("/me/closure", token, {"delete_requested": True})
    assert api.get(f"/conversations/{cid}", pro).status == 404
    report = api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=95))
    assert report["processed"] == 1
    versions = s3.list_object_versions(Bucket=bucket, Prefix=f"attachments/{cid}/")
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    repo = api.container.messaging.conversations
    assert repo.get(cid) is None and repo.table.query(f"CONV#{cid}")[0] == []
    assert api.get("/conversations", pro).json["items"] == []
    assert repo.table.query(f"PARTY#patient#{ins}")[0] == []
    assert repo.get(kept) is not None  # someone else's conversations stay


def test_no_scan_and_listing_cost_does_not_grow_with_the_tables(api, patient):
    ins, patient_token = patient
    calls: Counter = Counter()
    api.container.clients("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda event_name, **_: calls.update([event_name.rsplit(".", 1)[-1]]))
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    doc_id = api.upload(ins, pro, PDF)
    started = start(api, pro, ins, attachments=[doc_id, new_file()])
    cid = started["conversation_id"]
    api.put_bytes(started["uploads"][0], PDF, "application/pdf")
    api.deliver()
    api.post(f"/conversations/{cid}/messages", patient_token, {"body": "merci"})
    api.get(f"/conversations/{cid}", patient_token)
    for ref in started["attachments"]:
        api.get(f"/conversations/{cid}/attachments/{ref['attachment_id']}", patient_token)
    api.post(f"/conversations/{cid}/attachments/{started['uploads'][0]['attachment_id']}/file", patient_token,
             {"type_code": "11488-4"})
    api.post(f"/conversations/{cid}/close", pro)
    assert calls and "Scan" not in calls

    def listing() -> Counter:
        calls.clear()
        assert api.get("/conversations", patient_token).status == 200
        return Counter(calls)

    before = listing()
    for _ in range(5):  # other patients' conversations
        other_row, _ = api.patient()
        for _ in range(3):
            start(api, pro, other_row["nir"])
    after = listing()
    assert before == after and before["Query"] == 1 and "Scan" not in before


def test_an_object_nobody_declared_under_attachments_is_not_kept(api, patient):
    ins, _ = patient
    _, pro = api.professional()
    cid = start(api, pro, ins)["conversation_id"]
    s3 = api.container.clients("s3")
    bucket = api.settings.bucket("documents")
    stray = f"attachments/{cid}/{'a' * 28}"
    s3.put_object(Bucket=bucket, Key=stray, Body=PDF, ContentType="application/pdf")
    assert [o["outcome"] for o in api.deliver()] == ["orphan"]
    assert not s3.list_object_versions(Bucket=bucket, Prefix=stray).get("Versions")


def test_logs_carry_no_subject_body_or_file_name(api, patient):
    import io
    import logging

    from chalicelib.observability import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger().registered_formatter)
    raw: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            raw.append(record)

    base = logging.getLogger("ens")
    base.addHandler(handler)
    base.addHandler(keep := Keep())
    try:
        ins, patient_token = patient
        _, pro = api.professional()
        started = start(api, pro, ins, attachments=[new_file(title="Sérologie VIH")])
        cid = started["conversation_id"]
        api.put_bytes(started["uploads"][0], PDF, "application/pdf")
        api.deliver()
        api.post(f"/conversations/{cid}/messages", patient_token, {"body": "Réponse confidentielle"})
        api.get(f"/conversations/{cid}", patient_token)
        api.post(f"/conversations/{cid}/messages", patient_token, {"body": "x" * 10_001})
    finally:
        base.removeHandler(handler)
        base.removeHandler(keep)
    text = stream.getvalue() + " ".join(str(vars(r)) for r in raw)
    assert "POST /conversations" in text  # the activity was logged
    for secret in ("sérologie", "normaux", "VIH", "confidentielle", ins):
        assert secret.lower() not in text.lower(), secret
