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
