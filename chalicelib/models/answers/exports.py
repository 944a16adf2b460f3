"""Answers of the data export (CONTRACT §10)."""

from __future__ import annotations

from typing import Annotated, Literal

from chalicelib.models.answers import Describe, Time, answer


@answer
class ExportAccepted:
    export_id: str
    status: Literal["running", "ready", "failed"]


@answer
class ExportStatus:
    export_id: str
    status: Literal["running", "ready", "failed"]
    requested_at: Time
    download_url: Annotated[str | None, Describe("ready: a presigned GET of the ZIP, short-lived (ask again for a "
                                                 "fresh one until expires_at).")] = None
    expires_at: Annotated[Time | None, Describe("ready: when the file is erased.")] = None
    size: Annotated[int | None, Describe("ready: the ZIP's size in bytes.")] = None
    failure: Annotated[str | None, Describe("failed: why, in a sentence.")] = None
