"""Answers shared by every capability: errors, health, and the local stage's development sign-in."""

from __future__ import annotations

from typing import Annotated

from chalicelib.models.answers import Describe, answer


@answer
class FieldError:
    field: Annotated[str, Describe("The field at fault, as a dotted path into the body (beneficiaries.0.nir).")]
    code: Annotated[str, Describe("Stable, machine-readable.")]
    message: Annotated[str, Describe("A sentence a person understands, naming the field.")]


@answer
class Error:
    code: Annotated[str, Describe("Stable, machine-readable (the first problem's, when there are several).")]
    message: Annotated[str, Describe("Sentences a person understands, naming every field at fault.")]
    errors: Annotated[list[FieldError] | None, Describe("422: one entry per field at fault, in order.")] = None


@answer
class Health:
    status: str



@answer
class DevSignIn:
    token: Annotated[str, Describe("A patient bearer token signed with the local development key.")]
    expires_in: Annotated[int, Describe("Seconds until the token expires.")]
