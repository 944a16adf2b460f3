"""Faults injected on every write path: the call fails cleanly or succeeds, never half-done; retried, it succeeds.

AWS errors are injected into the app's own boto3 clients (see ``Faults`` in conftest): throttling
(ProvisionedThroughputExceeded, Throttling), conditional-check failures (a concurrent writer) and S3 errors
(InternalError, SlowDown). Most are raised where botocore's retries are already spent (``before-call``); the first
two tests inject at the HTTP layer to show what the clients' standard retries absorb and what they cannot.

Each test checks (a) the failed call answers a 5xx ``{code, message}`` (or the event/job handler raises), never a
2xx lie; (b) nothing is half-written; (c) the same call, retried, succeeds and the state is exactly the one a
fault-free run gives.
"""

import datetime as dt

import pytest
from helpers import make_finess

PDF = b"%PDF-1.4\n% fault test\n"
THROTTLES = ("ProvisionedThroughputExceededException", "ThrottlingException")


def clean_5xx(reply):
    assert reply.status >= 500, reply
    assert set(reply.json) == {"code", "message"} and reply.json["message"]
    return True


def status_of(api, nir):
    account = api.container.accounts.get(nir)
    return account.status.value if account else None


def accounts_table(api):
    return api.settings.table("accounts")


# -- the clients' retries ---------------------------------------------------------------------------------------
def test_a_transient_throttle_is_absorbed_by_the_clients_retries(api, faults):
    row = api.enrol()
    state = faults.fail_http("dynamodb", "PutItem", "ProvisionedThroughputExceededException", times=1)
    reply = api.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                          "code": api.latest_code(row["nir"])})
    assert state["left"] == 0 and reply.status == 200 and status_of(api, row["nir"]) == "active"


def test_errors_beyond_the_retries_are_a_clean_5xx_and_the_retry_succeeds(api, faults):
    """retries max_attempts=4: five attempts. DynamoDB's 500 is retried after a few ms (a throttle after up to 1, 2,
    4, 8 s), so this one uses it."""
    row = api.enrol()
    body = {"nir": row["nir"], "vitale_serial": row["vitale_serial"], "code": api.latest_code(row["nir"])}
    state = faults.fail_http("dynamodb", "PutItem", "InternalServerError", times=5)
    assert clean_5xx(api.post("/activation", body=body)) and state["left"] == 0
    assert status_of(api, row["nir"]) == "notified"  # the code is not spent, nothing changed
    reply = api.post("/activation", body=body)
    assert reply.status == 200 and status_of(api, row["nir"]) == "active"


# -- activation, opt-out -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ["GetItem", "PutItem"])
@pytest.mark.parametrize("code", THROTTLES)
def test_activation_fails_cleanly_and_the_retry_activates(api, faults, operation, code):
    row = api.enrol()
    body = {"nir": row["nir"], "vitale_serial": row["vitale_serial"], "code": api.latest_code(row["nir"])}
    faults.fail("dynamodb", operation, code)
    assert clean_5xx(api.post("/activation", body=body))
    account = api.container.accounts.get(row["nir"])
    assert account.status.value == "notified" and account.code.used_at is None and account.last_failure_at is None
    assert api.post("/activation", body=body).status == 200
    assert status_of(api, row["nir"]) == "active"
    token = api.token("patient", ins=row["nir"])
    assert api.get("/me", token).json["status"] == "active"


def test_a_concurrent_write_during_activation_is_retried_in_the_same_call(api, faults):
    row = api.enrol()
    faults.fail("dynamodb", "PutItem", "ConditionalCheckFailedException", times=2)
    reply = api.post("/activation", body={"nir": row["nir"], "vitale_serial": row["vitale_serial"],
                                          "code": api.latest_code(row["nir"])})
    assert reply.status == 200 and faults.injected == 2 and status_of(api, row["nir"]) == "active"


def test_conditional_failures_that_never_end_are_a_clean_busy_answer(api, faults):
    row = api.enrol()
    faults.fail("dynamodb", "PutItem", "ConditionalCheckFailedException", times=50)
    reply = api.post("/opt-out", api.agent, {"nir": row["nir"], "channel": "phone"})
    assert reply.status == 503 and reply.json["code"] == "busy"
    assert status_of(api, row["nir"]) == "notified"
    faults.clear()
    assert api.post("/opt-out", api.agent, {"nir": row["nir"], "channel": "phone"}).json == {"status": "opposed"}


@pytest.mark.parametrize("channel", ["online", "phone"])
def test_opt_out_fails_cleanly_and_the_retry_opposes_once(api, faults, channel):
    row = api.enrol()
    token, body = (None, {"nir": row["nir"], "code": api.latest_code(row["nir"])}) if channel == "online" \
        else (api.agent, {"nir": row["nir"], "channel": "phone"})
    faults.fail("dynamodb", "PutItem", "ThrottlingException")
    assert clean_5xx(api.post("/opt-out", token, body))
    assert status_of(api, row["nir"]) == "notified"
    assert api.post("/opt-out", token, body).json == {"status": "opposed"}
    assert api.post("/opt-out", token, body).json == {"status": "opposed"}  # idempotent
    assert status_of(api, row["nir"]) == "opposed"
    assert api.run_job("opt-out-expiry", api.clock.now() + dt.timedelta(days=60))["processed"] == 0


def test_enrolment_interrupted_by_a_throttle_is_completed_by_resending_the_batch(api, faults):
    from helpers import person

    rows = [person() for _ in range(4)]
    # two writes a row (the enrolment with its notice claimed, then the notice recorded sent): the third row's
    # enrolment is throttled
    faults.fail("dynamodb", "PutItem", "ThrottlingException", skip=4,
                when=lambda p: p["TableName"] == accounts_table(api))
    assert clean_5xx(api.post("/enrolments", api.agent, {"beneficiaries": rows}))
    done = [r["nir"] for r in rows if status_of(api, r["nir"])]
    assert len(done) == 2  # the rows before the fault, each with its notice: no account without its notice
    assert all(len(api.outbox(nir, "enrolment_notice")) == 1 for nir in done)
    results = api.post("/enrolments", api.agent, {"beneficiaries": rows}).json["results"]
    assert [r["status"] for r in results] == ["duplicate", "duplicate", "notified", "notified"]
    assert all(len(api.outbox(r["nir"], "enrolment_notice")) == 1 for r in rows)


def test_a_notice_that_cannot_be_sent_leaves_no_account(api, faults):
    from helpers import person

    row = person()
    faults.fail("ses", "SendEmail", "Throttling")
    result = api.post("/enrolments", api.agent, {"beneficiaries": [row]}).json["results"][0]
    assert result["status"] == "invalid" and "retry" in result["reason"]
    assert status_of(api, row["nir"]) is None and not api.outbox(row["nir"])
    assert api.post("/enrolments", api.agent, {"beneficiaries": [row]}).json["results"][0]["status"] == "notified"


# -- the opt-out-expiry job ---------------------------------------------------------------------------------------
def due_account(api):
    return api.enrol(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())


@pytest.mark.parametrize("operation", ["Query", "GetItem", "PutItem"])
def test_expiry_job_interrupted_then_rerun_opens_once_and_tells_once(api, faults, operation):
    row = due_account(api)
    faults.fail("dynamodb", operation, "ProvisionedThroughputExceededException")
    if operation in ("Query", "PutItem"):  # the dispatcher's (due index, run record): the scheduled invocation
        # fails, and EventBridge invokes it again
        with pytest.raises(Exception, match="injected"):
            api.run_job("opt-out-expiry")
        assert status_of(api, row["nir"]) == "notified" and not api.outbox(row["nir"], "space_created")
    # else a unit's: the queue delivers the unit again, and the run's report counts the space once
    assert api.run_job("opt-out-expiry")["processed"] == 1
    assert faults.injected == 1 and status_of(api, row["nir"]) == "open"
    assert len(api.outbox(row["nir"], "space_created")) == 1
    assert api.container.accounts.get(row["nir"]).pending_notice is None


def test_a_space_created_notice_that_fails_is_kept_pending_and_sent_by_the_next_run(api, faults):
    row = due_account(api)
    faults.fail("ses", "SendEmail", "Throttling", times=1000)  # every attempt of the unit: dead-lettered
    assert api.run_job("opt-out-expiry")["failed_units"] == 1
    faults.clear()
    account = api.container.accounts.get(row["nir"])
    assert account.status.value == "open" and account.pending_notice == "space_created"  # never lost
    report = api.run_job("opt-out-expiry")
    assert report["notices_sent"] == 1 and len(api.outbox(row["nir"], "space_created")) == 1
    assert api.container.accounts.get(row["nir"]).pending_notice is None


def test_a_crash_after_sending_before_recording_it_sends_again_never_loses_it(api, faults):
    """At-least-once by design: the notice was sent but not yet recorded as sent; the next run sends it again."""
    row = due_account(api)
    table = accounts_table(api)
    faults.fail("dynamodb", "PutItem", "ThrottlingException",
                when=lambda p: p["TableName"] == table and p["Item"]["status"]["S"] == "open"
                and "pending_notice" not in p["Item"])
    report = api.run_job("opt-out-expiry")  # the unit fails after sending; its retry finds the notice held
    # the run counts what its completed attempts did: the failed attempt opened the space, the retry found it open
    assert faults.injected == 1 and (report["processed"], report["notices_sent"]) == (0, 0)
    assert status_of(api, row["nir"]) == "open"
    assert len(api.outbox(row["nir"], "space_created")) == 1
    assert api.run_job("opt-out-expiry")["notices_sent"] == 0  # another run may still be sending it (its lease)
    after_lease = api.clock.now() + dt.timedelta(minutes=16)
    assert api.run_job("opt-out-expiry", after_lease)["notices_sent"] == 1
    assert len(api.outbox(row["nir"], "space_created")) == 2
    account = api.container.accounts.get(row["nir"])
    assert account.status.value == "open" and account.pending_notice is None
    again = api.run_job("opt-out-expiry", after_lease)
    assert (again["processed"], again["notices_sent"], again["units"]) == (0, 0, 0)


# -- document ingest: presigned uploads -----------------------------------------------------------------------------
@pytest.fixture
def patient(api):
    row, token = api.patient()
    return row["nir"], token


def doc_of(api, ins, document_id):
    return api.container.documents.get(ins, document_id)


@pytest.mark.parametrize("service,operation,code", [
    ("s3", "GetObject", "InternalError"), ("s3", "GetObject", "SlowDown"),
    ("dynamodb", "Query", "ThrottlingException"), ("dynamodb", "PutItem", "ProvisionedThroughputExceededException"),
])
def test_an_upload_event_that_fails_leaves_the_document_pending_and_its_redelivery_publishes_it(
        api, faults, patient, service, operation, code):
    ins, token = patient
    _, pro = api.professional()
    document_id = api.upload(ins, pro, PDF, deliver=False)
    events = api.events()
    faults.fail(service, operation, code)
    with pytest.raises(Exception, match="injected"):
        api.ingest(events)
    assert doc_of(api, ins, document_id).status.value == "pending"
    assert document_id not in api.docs(ins, token) and not api.outbox(ins, "document_added")
    assert api.ingest(events)[0]["outcome"] == "available"  # the queue redelivers the same event
    assert api.ingest(events)[0]["outcome"] == "duplicate"
    assert api.docs(ins, token) == [document_id]
    assert len(api.outbox(ins, "document_added")) == 1


def test_an_upload_racing_another_writer_is_published_in_the_same_delivery(api, faults, patient):
    ins, token = patient
    document_id = api.upload(ins, token, PDF, deliver=False)
    events = api.events()
    faults.fail("dynamodb", "PutItem", "ConditionalCheckFailedException")
    assert api.ingest(events)[0]["outcome"] == "available"
    assert api.docs(ins, token) == [document_id]


def test_a_document_added_notice_that_fails_is_sent_by_the_redelivery(api, faults, patient):
    ins, token = patient
    _, pro = api.professional()
    document_id = api.upload(ins, pro, PDF, deliver=False)
    events = api.events()
    faults.fail("ses", "SendEmail", "Throttling")
    with pytest.raises(Exception, match="injected"):
        api.ingest(events)
    api.ingest(events)
    assert api.docs(ins, token) == [document_id]
    assert len(api.outbox(ins, "document_added")) == 1


# -- document ingest: the laboratories' inbox -------------------------------------------------------------------
def inbox_keys(api):
    from chalicelib import resources

    s3 = api.container.clients("s3")
    listed = s3.list_objects_v2(Bucket=api.settings.bucket("inbox"), Prefix=resources.INBOX_BUCKET.prefixes["inbox"])
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.mark.parametrize("service,operation,code", [
    ("s3", "GetObject", "InternalError"), ("s3", "CopyObject", "InternalError"), ("s3", "CopyObject", "SlowDown"),
    ("dynamodb", "TransactWriteItems", "ProvisionedThroughputExceededException"),
    ("dynamodb", "GetItem", "ThrottlingException"), ("s3", "DeleteObject", "SlowDown"),
    ("dynamodb", "PutItem", "ThrottlingException"), ("ses", "SendEmail", "Throttling"),
])
def test_a_dropped_file_whose_event_fails_becomes_one_document_on_redelivery(api, faults, patient, service,
                                                                             operation, code):
    ins, token = patient
    finess = make_finess()
    api.drop(finess, "bilan.pdf", PDF, {"ins": ins, "type-code": "11502-2", "title": "Bilan"}, deliver=False)
    events = api.events()
    faults.fail(service, operation, code)
    with pytest.raises(Exception, match="injected"):
        api.ingest(events)
    assert len(api.docs(ins, token)) <= 1
    api.ingest(events)
    api.ingest(events)
    assert len(api.docs(ins, token)) == 1
    assert inbox_keys(api) == []  # handled: nothing left waiting in the inbox, nothing quarantined
    assert len(api.outbox(ins, "document_added")) == 1
    log = api.get(f"/patients/{ins}/access-log", token).json["items"]
    assert [e["action"] for e in log if e["actor"] == {"role": "establishment", "id": finess}] == ["add_document"]


# -- consent ------------------------------------------------------------------------------------------------------
GRANT = {"grants": [{"category": "measurements", "access": "read"}]}


@pytest.fixture
def app_id(api):
    assert api.post("/catalogue", api.agent, {"app_id": "glyco", "name": "Glyco", "category": "prevention",
                                              "data_access": [{"category": "measurements",
                                                               "access": "read"}]}).status == 201
    return "glyco"


def test_a_consent_that_fails_is_not_given_and_the_retry_gives_it(api, faults, patient, app_id):
    ins, token = patient
    app = api.token("app", app_id=app_id, ins=ins)
    faults.fail("dynamodb", "PutItem", "ThrottlingException")
    assert clean_5xx(api.put(f"/patients/{ins}/app-consents/{app_id}", token, GRANT))
    assert api.get(f"/patients/{ins}/app-consents", token).json["items"] == []
    assert api.get(f"/patients/{ins}/measurements", app).status == 403
    assert api.put(f"/patients/{ins}/app-consents/{app_id}", token, GRANT).status == 200
    assert api.get(f"/patients/{ins}/measurements", app).status == 200


def test_a_revocation_that_fails_leaves_the_consent_and_the_retry_revokes(api, faults, patient, app_id):
    ins, token = patient
    app = api.token("app", app_id=app_id, ins=ins)
    assert api.put(f"/patients/{ins}/app-consents/{app_id}", token, GRANT).status == 200
    faults.fail("dynamodb", "DeleteItem", "ProvisionedThroughputExceededException")
    assert clean_5xx(api.delete(f"/patients/{ins}/app-consents/{app_id}", token))
    assert api.get(f"/patients/{ins}/measurements", app).status == 200  # still in force: nothing half-done
    assert api.delete(f"/patients/{ins}/app-consents/{app_id}", token).status == 204
    assert api.get(f"/patients/{ins}/measurements", app).status == 403


# -- messaging ----------------------------------------------------------------------------------------------------
def conversations(api, token):
    return api.get("/conversations", token).json["items"]


def test_a_conversation_that_fails_to_start_leaves_nothing_and_the_retry_starts_one(api, faults, patient):
    ins, token = patient
    _, pro = api.professional()
    body = {"patient_ins": ins, "subject": "Résultats", "body": "Bonjour"}
    faults.fail("dynamodb", "TransactWriteItems", "ProvisionedThroughputExceededException")
    assert clean_5xx(api.post("/conversations", pro, body))
    assert conversations(api, token) == [] and conversations(api, pro) == []
    assert not api.outbox(ins, "new_message")
    started = api.post("/conversations", pro, body)
    assert started.status == 201
    assert [c["conversation_id"] for c in conversations(api, token)] == [started.json["conversation_id"]]
    detail = api.get(f"/conversations/{started.json['conversation_id']}", token).json
    assert [m["body"] for m in detail["messages"]] == ["Bonjour"]
    assert len(api.outbox(ins, "new_message")) == 1


def test_a_new_message_notice_that_fails_never_makes_the_sender_write_twice(api, faults, patient):
    """The conversation is written when the notice fails: the answer says so (201), so nobody sends it again."""
    ins, token = patient
    _, pro = api.professional()
    faults.fail("ses", "SendEmail", "Throttling")
    started = api.post("/conversations", pro, {"patient_ins": ins, "subject": "Résultats", "body": "Bonjour"})
    assert started.status == 201
    assert len(conversations(api, token)) == 1
    faults.fail("ses", "SendEmail", "Throttling")
    cid = started.json["conversation_id"]
    assert api.post(f"/conversations/{cid}/messages", pro, {"body": "Suite"}).status == 201
    assert api.get(f"/conversations/{cid}", token).json["message_count"] == 2


def test_a_message_that_fails_is_not_written_and_the_retry_writes_it_once(api, faults, patient):
    ins, token = patient
    _, pro = api.professional()
    cid = api.post("/conversations", pro, {"patient_ins": ins, "subject": "S", "body": "Bonjour"}).json[
        "conversation_id"]
    api.clock.advance(seconds=1)
    faults.fail("dynamodb", "TransactWriteItems", "ThrottlingException")
    assert clean_5xx(api.post(f"/conversations/{cid}/messages", token, {"body": "Merci"}))
    assert api.get(f"/conversations/{cid}", token).json["message_count"] == 1
    assert api.post(f"/conversations/{cid}/messages", token, {"body": "Merci"}).status == 201
    detail = api.get(f"/conversations/{cid}", pro).json
    assert detail["message_count"] == 2 and [m["body"] for m in detail["messages"]] == ["Bonjour", "Merci"]


# -- archive purge ------------------------------------------------------------------------------------------------
def remains(api, ins, conversation_id):
    """Every item and object left of a person."""
    from chalicelib.adapters.dynamo import Table

    client = api.container.clients("dynamodb")
    left = []
    for logical, pk in (("accounts", f"NIR#{ins}"), ("records", f"PAT#{ins}"), ("audit", f"LOG#{ins}"),
                        ("messaging", f"CONV#{conversation_id}"), ("messaging", f"PARTY#patient#{ins}")):
        left += list(Table(client, api.settings.table(logical)).query_all(pk, consistent=True))
    s3 = api.container.clients("s3")
    for prefix in ("documents/", f"attachments/{conversation_id}/"):
        listed = s3.list_object_versions(Bucket=api.settings.bucket("documents"), Prefix=prefix)
        left += listed.get("Versions", []) + listed.get("DeleteMarkers", [])
    return left


@pytest.mark.parametrize("service,operation,code,skip,when", [
    ("dynamodb", "BatchWriteItem", "ProvisionedThroughputExceededException", 1, None),
    ("dynamodb", "Query", "ThrottlingException", 2, lambda p: "IndexName" not in p),
    ("s3", "DeleteObjects", "InternalError", 1, None),
    ("s3", "ListObjectVersions", "SlowDown", 1, None),
    ("dynamodb", "DeleteItem", "ThrottlingException", 0, None),
])
def test_a_purge_that_fails_claims_nothing_and_the_next_run_erases_everything(api, faults, service, operation,
                                                                               code, skip, when):
    row, token = api.patient()
    ins = row["nir"]
    _, pro = api.professional()
    assert api.post(f"/patients/{ins}/care-relationship", pro).status == 201
    api.upload(ins, pro, PDF)
    api.upload(ins, token, PDF)
    started = api.post("/conversations", pro, {"patient_ins": ins, "subject": "S", "body": "B", "attachments": [
        {"title": "Ordonnance", "content_type": "application/pdf", "size": len(PDF)}]}).json
    assert api.put_bytes(started["uploads"][0], PDF, "application/pdf") == 200
    api.deliver()
    cid = started["conversation_id"]
    assert api.post("/me/closure", token, {"delete_requested": True}).status == 200
    later = api.clock.now() + dt.timedelta(days=100)
    faults.fail(service, operation, code, skip=skip, when=when, times=1000)  # every attempt of the unit
    assert api.run_job("archive-purge", later)["failed_units"] == 1  # dead-lettered, and the run says so
    faults.clear()
    assert status_of(api, ins) == "closed"  # the account goes last: the purge is still due
    assert api.container.accounts.get(ins).purging
    assert api.post("/activation-codes", body={"nir": ins, "vitale_serial": row["vitale_serial"]}).status == 202
    report = api.run_job("archive-purge", later)
    assert report["processed"] == 1
    assert remains(api, ins, cid) == []
    assert api.run_job("archive-purge", later)["processed"] == 0
