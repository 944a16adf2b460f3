"""Domain errors: what went wrong, said so that a person understands it.

Each error carries a stable machine-readable ``code`` and a ``message`` naming what was wrong. The HTTP layer
(`chalicelib.api.http`) maps each class to a status; the domain never speaks HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``code`` is stable for clients, ``message`` is for people."""

    code = "error"

    def __init__(self, message: str, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class InvalidInput(DomainError):
    """The request is well-formed but a field's value breaks a rule (422)."""

    code = "invalid_field"


class MalformedRequest(DomainError):
    """The request cannot be read at all: not JSON, wrong shape (400)."""

    code = "malformed_request"


class Unauthenticated(DomainError):
    """No valid credentials: missing, expired, malformed or badly signed token; wrong code (401)."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but this caller may not do this (403)."""

    code = "forbidden"


class NotFound(DomainError):
    """Absent, or not visible to this caller: the two are indistinguishable (404)."""

    code = "not_found"


class Conflict(DomainError):
    """The resource's state forbids this now (409)."""

    code = "conflict"


class Gone(DomainError):
    """It existed and has expired (410)."""

    code = "gone"


class TooManyAttempts(DomainError):
    """Slow down: try again after ``retry_after`` seconds (429)."""

    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    """The request is larger than the service accepts (413): the FHIR layer's uploads through Lambda."""

    code = "too_large"


class UnsupportedMediaType(DomainError):
    """The body is sent in a format other than JSON (415)."""

    code = "unsupported_media_type"


class Unavailable(DomainError):
    """A dependency failed; nothing was changed, the call can be retried (503)."""

    code = "unavailable"


class Busy(Unavailable):
    """Others kept changing the same thing while this request tried to (a versioned write lost every retry):
    nothing was changed, the call can be retried (503 ``busy``)."""

    code = "busy"


class SendLater(Unavailable):
    """A notice cannot go out now: the sending rate (the SES account's, or SES itself) is reached. Nothing was
    sent; the caller keeps the notice to send later (503 if it reaches a client)."""

    code = "sending_rate_reached"
