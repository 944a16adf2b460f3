"""Bodies of bulk enrolment by file (CONTRACT §8)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from chalicelib.models.common import Strict


class BatchRequest(Strict):
    noun: ClassVar[str] = "an enrolment batch request"

    rows: int | None = Field(None, ge=0, le=10_000_000,
                             description="How many people the file lists (optional; shown beside the count found).")
