"""Answers shared by every capability: errors and health."""

from __future__ import annotations

from typing import Annotated

from chalicelib.models.answers import Describe, answer


@answer
class Error:
    code: Annotated[str, Describe("Stable, machine-readable.")]
    message: Annotated[str, Describe("A sentence a person understands, naming the field at fault.")]


@answer
class Health:
    status: str

