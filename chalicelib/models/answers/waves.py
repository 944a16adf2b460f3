"""Answers of bulk enrolment by file (CONTRACT §8)."""

from __future__ import annotations

from typing import Annotated, Literal

from chalicelib.models.answers import Describe, Time, answer


@answer
class BatchTicket:
    batch_id: str
    status: Literal["awaiting_upload"]
    upload_url: Annotated[str, Describe("Presigned PUT for the CSV file (UTF-8, a header line, one person a line).")]
    upload_headers: Annotated[dict[str, str], Describe("Headers the PUT must carry.")]


@answer
class UnitProgress:
    sent: int
    done: int
    failed: int


@answer
class Batch:
    batch_id: str
    status: Literal["awaiting_upload", "running", "done", "failed"]
    total: Annotated[int, Describe("Rows read so far (all of them once done).")]
    notified: int
    duplicate: int
    invalid: int
    not_processed: Annotated[int | None, Describe("Rows of units that failed for good (see the report).")] = None
    expected_rows: int | None = None
    units: UnitProgress | None = None
    created_at: Time
    started_at: Time | None = None
    finished_at: Time | None = None
    reason: Annotated[str | None, Describe("Why the file failed, or why its end could not be read.")] = None
    report_url: Annotated[str | None, Describe("Once done: presigned GET of the CSV line,nir,status,reason.")] = None
