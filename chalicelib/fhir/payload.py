"""How big a FHIR request may be, and the path for documents too big to travel inline.

The arithmetic (docs/fhir.md, "Payload limits"):

* API Gateway (REST API) takes request bodies of at most 10 MB (10,485,760 bytes).
* The Lambda function behind it is invoked synchronously: the *event* (body as a JSON string, headers twice -
  ``headers`` and ``multiValueHeaders`` - query string, request context) must stay under 6 MB, 6,291,456 bytes
  ("Request must be smaller than 6291456 bytes for the InvokeFunction operation"). Decompressing
  ``Content-Encoding: gzip`` happens in API Gateway, before that limit, so it does not help.
* Base64 grows data by 4/3: a Binary of n bytes is 4·⌈n/3⌉ characters. 5,000,000 bytes are 6,666,668 characters,
  375,212 more than the whole Lambda event may hold - before any header or metadata. A 5,000,000-byte document
  therefore cannot travel inline in a transaction Bundle through API Gateway and Lambda, whatever the Bundle.
  (Registering application/fhir+json as a binary media type would make it worse: API Gateway would base64 the body
  once more, 8,888,892 bytes.)

So ens takes Bundles of at most :data:`MAX_INLINE_BODY` bytes (6,000,000: the event limit less 291,456 bytes for
the envelope and JSON escaping), which carries documents up to :func:`max_inline_document` bytes (about 4.48 MB)
inline, as IHE MHD expects. Larger documents - up to ens's 5,000,000-byte limit - take two steps that keep their
bytes out of Lambda, as IHE MHD allows for content "hosted elsewhere" (ITI-65 §2:3.65.4.1.2.1):

1. ``POST /fhir/Binary/$upload`` with a Parameters resource (``patient``: the INS-NIR identifier or
   ``Patient/{ins}`` of the record it is for, ``contentType``, ``size``, ``hash`` = base64 SHA-1)
   answers a Parameters resource with ``binary`` (``Binary/{id}``), a short-lived presigned ``uploadUrl`` and the
   headers to send (:func:`upload_headers`: S3 itself checks the SHA-1 through ``x-amz-checksum-sha1``);
2. the client PUTs the bytes to S3, then POSTs the ITI-65 Bundle whose DocumentReference has
   ``content[0].attachment.url`` = ``Binary/{id}`` with the same ``size`` and ``hash``, and no Binary entry. ens
   checks the staged object (size, checksum, magic bytes from a ranged read) before anything is written, then
   copies it inside S3.

Reading is symmetrical: ITI-68 answers a 302 to a presigned GET, never the bytes (:mod:`chalicelib.fhir.build`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput, PayloadTooLarge
from chalicelib.fhir import codes
from chalicelib.fhir.model import resource

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024  # 10,485,760 bytes
LAMBDA_MAX_EVENT = 6 * 1024 * 1024  # 6,291,456 bytes, synchronous invocation
ENVELOPE_ALLOWANCE = 291_456  # headers x2 (10,240 each at most), query, request context, JSON escaping
MAX_INLINE_BODY = LAMBDA_MAX_EVENT - ENVELOPE_ALLOWANCE  # 6,000,000 bytes
BUNDLE_METADATA = 16_384  # what a one-document ITI-65 Bundle carries besides its base64 data
UPLOAD_OPERATION = "$upload"
SHA1_BYTES = 20


def base64_length(size: int) -> int:
    """Characters of the base64 text of ``size`` bytes."""
    return 4 * -(-size // 3)


def max_inline_document(metadata: int = BUNDLE_METADATA) -> int:
    """The largest document that fits inline in a Bundle of at most :data:`MAX_INLINE_BODY` bytes."""
    return (MAX_INLINE_BODY - metadata) // 4 * 3


def check_body(length: int) -> None:
    """Refuse (413) a request body ens cannot take, with the way to send a large document instead."""
    if length > MAX_INLINE_BODY:
        raise PayloadTooLarge(
            f"This request has {length:,} bytes; ens takes FHIR requests of up to {MAX_INLINE_BODY:,} bytes, which "
            f"carries documents of up to {max_inline_document():,} bytes inline. For a larger document, ask "
            f"POST /fhir/Binary/{UPLOAD_OPERATION} for an upload URL, PUT the bytes there, then send the Bundle "
            "with content[0].attachment.url set to the Binary it names and no Binary entry.", code="too_large")


_STAGED = re.compile(r"(?:^|/)Binary/([A-Za-z0-9\-.]{1,64})$")


def staged_binary(url: str) -> str | None:
    """The id of a staged upload named by ``Binary/{id}`` (relative or under ens's base), else None."""
    match = _STAGED.search(url or "")
    return match.group(1) if match else None


def sha1_bytes(value: str, field: str) -> bytes:
    """Decode a base64 SHA-1 (``Attachment.hash``); 422 naming ``field`` unless it is 20 bytes of base64."""
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput(f"The element '{field}' must be the base64 SHA-1 of the document.", code="invalid_hash",
                           field=field) from error
    if len(digest) != SHA1_BYTES:
        raise InvalidInput(f"The element '{field}' must be a SHA-1 (20 bytes, 28 base64 characters), not "
                           f"{len(digest)} bytes.", code="invalid_hash", field=field)
    return digest


@dataclass(frozen=True)
class UploadRequest:
    """A request for a staged upload: what the client will PUT, for which patient's record."""

    content_type: str
    size: int
    sha1: str  # base64, as Attachment.hash
    ins: str = ""  # the patient the document is for (the access decision is that of adding a document to them)


def parse_upload_request(data: Any) -> UploadRequest:
    """Read the Parameters of ``POST /fhir/Binary/$upload``: ``patient``, ``contentType``, ``size``, ``hash``."""
    from chalicelib.domain.documents import check_declaration
    from chalicelib.fhir.model import parse
    from chalicelib.fhir.search import patient_from_identifier, patient_from_reference

    parameters = parse(data, "Parameters")
    values: dict[str, Any] = {}
    for parameter in parameters.parameter or []:
        for attribute in ("valueCode", "valueString", "valueUnsignedInt", "valueInteger", "valuePositiveInt",
                          "valueBase64Binary", "valueIdentifier", "valueReference"):
            value = getattr(parameter, attribute, None)
            if value is not None:
                values[parameter.name] = value
    missing = [name for name in ("patient", "contentType", "size", "hash") if name not in values]
    if missing:
        raise InvalidInput(f"The Parameters must give {', '.join(missing)} (patient: the INS-NIR identifier, "
                           "contentType, size in bytes, hash: base64 SHA-1).", code="missing_field",
                           expressions=[f"Parameters.parameter:{m}" for m in missing])
    patient = values["patient"]
    if isinstance(patient, str):
        ins = patient_from_identifier(patient, "patient")
    elif getattr(patient, "value", None) is not None:  # an Identifier
        ins = patient_from_identifier(f"{patient.system or ''}|{patient.value}", "patient")
    elif getattr(patient, "reference", None):
        ins = patient_from_reference(patient.reference, "patient")
    elif getattr(patient, "identifier", None) is not None and patient.identifier.value:
        ins = patient_from_identifier(f"{patient.identifier.system or ''}|{patient.identifier.value}", "patient")
    else:
        raise InvalidInput(f"The parameter 'patient' must name the patient by INS-NIR ({codes.INS_NIR}).",
                           code="missing_field", field="patient")
    size = values["size"]
    if not isinstance(size, int) or isinstance(size, bool):
        raise InvalidInput("The parameter 'size' must be a whole number of bytes.", code="invalid_size", field="size")
    content_type = check_declaration(str(values["contentType"]), size)
    raw_hash = values["hash"]
    digest = raw_hash if isinstance(raw_hash, bytes) else sha1_bytes(str(raw_hash), "hash")
    if len(digest) != SHA1_BYTES:
        raise InvalidInput("The parameter 'hash' must be a SHA-1 (20 bytes).", code="invalid_hash", field="hash")
    return UploadRequest(content_type, size, base64.b64encode(digest).decode(), ins)


def upload_headers(upload: UploadRequest) -> dict[str, str]:
    """The headers the presigned PUT signs: S3 refuses bytes of another type, length or SHA-1."""
    return {"Content-Type": upload.content_type, "x-amz-checksum-sha1": upload.sha1}


def upload_answer(binary_id: str, url: str, headers: dict[str, str], expires_at: str) -> Any:
    """The Parameters answered by ``$upload``."""
    parts = [resource("ParametersParameter", name=name, valueString=value) for name, value in headers.items()]
    return resource("Parameters", parameter=[
        resource("ParametersParameter", name="binary",
                 valueReference=resource("Reference", reference=f"Binary/{binary_id}")),
        resource("ParametersParameter", name="uploadUrl", valueUrl=url),
        resource("ParametersParameter", name="expires", valueInstant=expires_at),
        resource("ParametersParameter", name="uploadHeaders", part=parts or None),
    ])
