"""Errors under ``/fhir``: an OperationOutcome, with the HTTP status the REST routes give for the same error.

The status comes from the REST layer's own table (:data:`chalicelib.api.http.ERROR_STATUS`, a standard-library
module), so the two interfaces cannot drift. The issue carries ens's stable ``code`` (``details``), the sentence a
person understands (``diagnostics``) and, when known, the elements at fault (``expression``). Mesures de santé's
own wording is kept where the guide fixes it: a refused consent is "Consent not given, access refused.".
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    InvalidInput,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)
from chalicelib.fhir import codes
from chalicelib.fhir.model import resource

# FHIR issue type (http://hl7.org/fhir/ValueSet/issue-type) of each error class.
ISSUE_TYPE: dict[type[DomainError], str] = {
    MalformedRequest: "structure",
    InvalidInput: "invalid",
    Unauthenticated: "login",
    Forbidden: "forbidden",
    NotFound: "not-found",
    Conflict: "conflict",
    Gone: "deleted",
    PayloadTooLarge: "too-long",
    UnsupportedMediaType: "not-supported",
    TooManyAttempts: "throttled",
    Unavailable: "transient",
}
CONSENT_NOT_GIVEN = "Consent not given, access refused."  # ANS Mesures de santé, 403


def status_of(error: BaseException) -> int:
    """The REST status of ``error`` (500 for anything that is not a DomainError)."""
    from chalicelib.api.http import status_of as rest_status

    return rest_status(error) if isinstance(error, DomainError) else 500


def _issue_type(error: BaseException) -> str:
    for cls in type(error).__mro__:
        if cls in ISSUE_TYPE:
            return ISSUE_TYPE[cls]
    return "exception"


def issue(severity: str, code: str, diagnostics: str, ens_code: str | None = None,
          expressions: list[str] | None = None) -> Any:
    return resource("OperationOutcomeIssue", severity=severity, code=code, diagnostics=diagnostics,
                    details=resource("CodeableConcept", text=diagnostics,
                                     coding=[resource("Coding", system=codes.ENS_ERROR, code=ens_code)])
                    if ens_code else None,
                    # FHIR strings are never blank: a field named only by whitespace is left unnamed
                    expression=[e for e in expressions or () if e.strip()] or None)


def expressions_of(error: DomainError) -> list[str]:
    found = error.details.get("expressions")
    if isinstance(found, list | tuple):
        return [str(e) for e in found]
    field = error.details.get("field")
    return [str(field)] if field else []


def operation_outcome(error: BaseException) -> tuple[int, Any]:
    """(status, OperationOutcome) for an error raised anywhere below a FHIR route."""
    status = status_of(error)
    if not isinstance(error, DomainError):
        return 500, resource("OperationOutcome", issue=[issue(
            "fatal", "exception", "Something went wrong on our side; nothing was lost, try again.", "internal_error")])
    message = error.message
    if error.code == "consent_required":
        message = f"{CONSENT_NOT_GIVEN} {message}"
    severity = "fatal" if status >= 500 else "error"
    return status, resource("OperationOutcome", issue=[issue(severity, _issue_type(error), message, error.code,
                                                             expressions_of(error))])


def information(message: str) -> Any:
    """An informational OperationOutcome (e.g. in a transaction-response entry)."""
    return resource("OperationOutcome", issue=[issue("information", "informational", message)])
