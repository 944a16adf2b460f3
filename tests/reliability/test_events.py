"""Duplicate, reordered and replayed S3 events leave exactly one document each (CONTRACT §5: "A repeated or
replayed event never creates a second document"), however they arrive and wherever a delivery crashed."""

import random
import threading

import pytest
import requests
from helpers import make_finess

PDF = b"%PDF-1.4\n% event test\n"


@pytest.fixture
def patient(api):
    row, token = api.patient()
    return row["nir"], token


def meta(ins, title="Bilan"):
    return {"ins": ins, "type-code": "11502-2", "title": title}


def test_uploads_delivered_three_times_in_any_order_are_one_document_each(api, patient):
    ins, token = patient
    _, pro = api.professional()
    ids = [api.upload(ins, pro, PDF + str(i).encode(), title=f"CR {i}", deliver=False) for i in range(6)]
    events = api.events() * 3
    random.Random(7).shuffle(events)
    outcomes = [r["outcome"] for r in api.ingest(events)]
    assert outcomes.count("available") == 6 and outcomes.count("duplicate") == 12
    assert sorted(api.docs(ins, token)) == sorted(ids)
    assert len(api.outbox(ins, "document_added")) == 6


def test_the_same_file_dropped_twice_and_its_events_reordered_is_one_document(api, patient):
    ins, token = patient
    finess = make_finess()
    api.drop(finess, "nfs.pdf", PDF, meta(ins), deliver=False)
    api.drop(finess, "nfs.pdf", PDF, meta(ins), deliver=False)  # same name, same bytes: a new S3 version
    api.drop(finess, "crp.pdf", PDF + b"crp", meta(ins, "CRP"), deliver=False)
    events = api.events()
    assert len(events) == 3
    api.ingest(list(reversed(events)) + events + events[:1])
    titles = sorted(d["title"] for d in api.get(f"/patients/{ins}/documents", token).json["items"])
    assert titles == ["Bilan", "CRP"]
    assert len(api.outbox(ins, "document_added")) == 2


@pytest.mark.parametrize("crash_on", [("s3", "CopyObject", "InternalError"),
                                      ("dynamodb", "TransactWriteItems", "ProvisionedThroughputExceededException"),
                                      ("s3", "DeleteObject", "SlowDown")])
def test_replays_after_a_crash_between_the_copy_and_the_conditional_write_make_one_document(api, faults, patient,
                                                                                            crash_on):
    ins, token = patient
    finess = make_finess()
    api.drop(finess, "res.pdf", PDF, meta(ins), deliver=False)
    events = api.events()
    faults.fail(*crash_on)
    with pytest.raises(Exception, match="injected"):
        api.ingest(events)
    api.ingest(events * 2 + list(reversed(events)))  # the queue redelivers, maybe more than once
    items = api.get(f"/patients/{ins}/documents", token).json["items"]
    assert len(items) == 1 and items[0]["status"] == "available"
    detail = api.get(f"/patients/{ins}/documents/{items[0]['document_id']}", token).json
    assert requests.get(detail["download_url"], timeout=10).content == PDF  # the object the document points to


def test_concurrent_deliveries_of_the_same_events_make_one_document_each(api, patient):
    ins, token = patient
    finess = make_finess()
    for i in range(3):
        api.drop(finess, f"f{i}.pdf", PDF + bytes([i]), meta(ins, f"F{i}"), deliver=False)
    _, pro = api.professional()
    upload_id = api.upload(ins, pro, PDF, deliver=False)
    events = api.events()
    errors = []

    def deliver(order):
        for event in order:
            try:
                api.ingest([event])
            except Exception as error:  # a delivery that loses a race may fail: the queue redelivers it
                errors.append(type(error).__name__)

    threads = [threading.Thread(target=deliver, args=(random.Random(n).sample(events, len(events)),))
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    api.ingest(events)  # redelivery of whatever failed
    titles = sorted(d["title"] for d in api.get(f"/patients/{ins}/documents", token).json["items"])
    assert titles == ["Compte rendu", "F0", "F1", "F2"]
    assert upload_id in api.docs(ins, token)
