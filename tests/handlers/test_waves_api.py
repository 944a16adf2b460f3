"""Bulk enrolment by file (CONTRACT §8) through the app's functions against moto: the presigned upload, the S3
event that starts the split, the unit workers, the report."""

from __future__ import annotations

import csv
import io
from typing import Any

import requests
from helpers import person

HEADER = "nir,given_name,family_name,birth_date,email,phone,postal_address,vitale_serial,notified_at," \
         "legal_representative_nir\n"


def line(row: dict[str, Any]) -> str:
    cells = [row.get(c, "") for c in HEADER.strip().split(",")]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def upload(api, content: bytes, rows: int | None = None) -> str:
    ticket = api.post("/enrolment-batches", api.agent, {"rows": rows} if rows is not None else {})
    assert ticket.status == 201, ticket
    put = requests.put(ticket.json["upload_url"], data=content, headers=ticket.json["upload_headers"], timeout=10)
    assert put.status_code == 200, put.text
    return ticket.json["batch_id"]


def batch(api, batch_id: str) -> dict[str, Any]:
    reply = api.get(f"/enrolment-batches/{batch_id}", api.agent)
    assert reply.status == 200, reply
    return reply.json


def report(api, batch_id: str) -> list[dict[str, str]]:
    url = batch(api, batch_id)["report_url"]
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))


def test_a_small_file_is_enrolled_row_by_row_with_a_report(api):
    people = [person() for _ in range(5)]
    bad = {**person(), "birth_date": "1990-13-01"}
    content = HEADER + "".join(line(p) for p in people) + line(bad) + line(people[0])
    batch_id = upload(api, content.encode(), rows=7)
    assert batch(api, batch_id)["status"] == "awaiting_upload"
    api.drain()
    done = batch(api, batch_id)
    assert done["status"] == "done", done
    assert (done["total"], done["notified"], done["duplicate"], done["invalid"]) == (7, 5, 1, 1)
    rows = report(api, batch_id)
    assert [r["line"] for r in rows] == ["2", "3", "4", "5", "6", "7", "8"]
    assert [r["status"] for r in rows] == ["notified"] * 5 + ["invalid", "duplicate"]
    assert "birth_date" in rows[5]["reason"]
    for p in people:
        assert len(api.outbox(p["nir"], "enrolment_notice")) == 1


def test_only_an_agent_starts_or_reads_a_batch_and_an_unknown_batch_is_404(api):
    row, patient = api.patient()
    assert api.post("/enrolment-batches", patient, {}).status == 403
    assert api.post("/enrolment-batches", None, {}).status == 401
    assert api.post("/enrolment-batches", api.agent, {"rows": -1}).status == 422
    assert api.post("/enrolment-batches", api.agent, {"lines": 3}).status == 422
    ticket = api.post("/enrolment-batches", api.agent, {}).json
    assert api.get(f"/enrolment-batches/{ticket['batch_id']}", patient).status == 403
    missing = api.get("/enrolment-batches/0123456789abcdef0123456789ab", api.agent)
    assert missing.status == 404 and missing.json["code"] == "unknown_batch"
    assert api.get("/enrolment-batches/not-a-batch", api.agent).status == 404


def test_a_file_with_a_bad_header_fails_with_a_sentence_and_enrols_nobody(api):
    someone = person()
    batch_id = upload(api, ("nir,prenom,family_name,birth_date\n" + f"{someone['nir']},A,B,1980-05-01\n").encode())
    api.drain()
    failed = batch(api, batch_id)
    assert failed["status"] == "failed" and "'prenom'" in failed["reason"] and failed["total"] == 0
    assert "report_url" not in failed
    assert api.container.accounts.get(someone["nir"]) is None


def test_an_empty_file_fails_and_a_header_alone_is_done_with_no_row(api):
    empty = upload(api, b"")
    header_only = upload(api, HEADER.encode())
    api.drain()
    assert batch(api, empty)["status"] == "failed" and "empty" in batch(api, empty)["reason"]
    done = batch(api, header_only)
    assert done["status"] == "done" and done["total"] == 0
    assert report(api, header_only) == []


def test_a_file_of_many_units_is_reported_in_file_order_through_a_multipart_upload(api):
    batches = api.container.batches
    batches.unit_rows, batches.chunk_bytes, batches.part_bytes = 4, 2048, 5 * 1024 * 1024
    people = [person(email=None, phone="+33612345678") for _ in range(37)]
    batch_id = upload(api, (HEADER + "".join(line(p) for p in people)).encode(), rows=37)
    delivered = api.drain()
    done = batch(api, batch_id)
    assert done["status"] == "done" and done["notified"] == 37 and done["units"] == {"sent": 10, "done": 10,
                                                                                     "failed": 0}
    assert delivered["enrolment_unit"] == 10
    rows = report(api, batch_id)
    assert [r["nir"] for r in rows] == [p["nir"] for p in people]
    assert [int(r["line"]) for r in rows] == list(range(2, 39))
    assert all(len(api.outbox(p["nir"], "enrolment_notice")) == 1 for p in people)
    # the parts are gone once assembled; the report stays until its lifecycle expires it
    listed = api.container.clients("s3").list_objects_v2(Bucket=api.settings.bucket("batches"),
                                                         Prefix=f"reports/{batch_id}/")
    assert listed.get("KeyCount", 0) == 0


def test_rows_follow_exactly_the_rules_of_post_enrolments(api):
    """The same rows by file and by POST /enrolments get the same statuses and reasons."""
    child = person(born=__import__("datetime").date(2015, 3, 1), email=None)
    parent = person()
    rows = [parent, {**child, "legal_representative_nir": parent["nir"]}, {**person(), "email": "not-an-email"},
            {**person(), "nir": "180057512345600"}, {"nir": "", "given_name": "A", "family_name": "B",
                                                     "birth_date": "1980-05-01"}]
    batch_id = upload(api, (HEADER + "".join(line(r) for r in rows)).encode())
    api.drain()
    by_file = [(r["status"], r["reason"]) for r in report(api, batch_id)]
    again = [{**r, "nir": r["nir"]} for r in rows]
    by_post = api.post("/enrolments", api.agent, {"beneficiaries": [{k: v for k, v in r.items() if v}
                                                                    for r in again]}).json["results"]
    assert [s for s, _ in by_file] == ["notified", "notified", "invalid", "invalid", "invalid"]
    assert [r["status"] for r in by_post[2:]] == ["invalid", "invalid", "invalid"]
    assert [reason for _, reason in by_file[2:]] == [r["reason"] for r in by_post[2:]]
