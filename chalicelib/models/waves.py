"""Bodies and answers of bulk enrolment by file (CONTRACT §8)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.models.common import Out, Strict


class BatchRequest(Strict):
    rows: int | None = Field(None, ge=0, le=10_000_000,
                             description="How many people the file lists (optional; shown beside the count found).")


class BatchTicket(Out):
    batch_id: str
    status: Literal["awaiting_upload"]
    upload_url: str = Field(description="Presigned PUT for the CSV file (UTF-8, a header line, one person a line).")
    upload_headers: dict[str, str] = Field(description="Headers the PUT must carry.")


class UnitProgress(Out):
    sent: int
    done: int
    failed: int


class Batch(Out):
    batch_id: str
    status: Literal["awaiting_upload", "running", "done", "failed"]
    total: int = Field(description="Rows read so far (all of them once done).")
    notified: int
    duplicate: int
    invalid: int
    not_processed: int | None = Field(None, description="Rows of units that failed for good (see the report).")
    expected_rows: int | None = None
    units: UnitProgress | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    reason: str | None = Field(None, description="Why the file failed, or why its end could not be read.")
    report_url: str | None = Field(None, description="Once done: presigned GET of the CSV line,nir,status,reason.")
