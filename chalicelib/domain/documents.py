"""Documents of the shared medical record (DMP): formats, checks of the bytes, and the document's life.

    pending ──bytes arrive and pass the checks──▶ available ──a replacement becomes available──▶ superseded
       └──────bytes do not pass──────────────────▶ rejected
    any ──deleted by the author or the patient──▶ (deleted: gone from lists, kept in the archive)

Formats and size limit are the real service's patient upload rules (DOMAIN.md): pdf, txt, rtf, jpeg, png, tiff,
at most 5,000,000 bytes. A file is accepted only if its first bytes are those of its declared type.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.access import DocumentFacts
from chalicelib.domain.authorization_matrix import categories
from chalicelib.errors import Conflict, InvalidInput

MAX_BYTES = 5_000_000

# content type → (short name, file extensions)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/pdf": ("pdf", ("pdf",)),
    "text/plain": ("txt", ("txt",)),
    "application/rtf": ("rtf", ("rtf",)),
    "text/rtf": ("rtf", ("rtf",)),
    "image/jpeg": ("jpeg", ("jpg", "jpeg")),
    "image/png": ("png", ("png",)),
    "image/tiff": ("tiff", ("tif", "tiff")),
}
SNIFF_BYTES = 4096  # how much of a file the checks read (a ranged GET: the rest never leaves S3)


class Status(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


def normalise_content_type(value: str) -> str:
    return value.split(";")[0].strip().lower()


def format_of(content_type: str) -> str | None:
    entry = FORMATS.get(normalise_content_type(content_type))
    return entry[0] if entry else None


def content_type_from_name(name: str) -> str | None:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for content_type, (_, extensions) in FORMATS.items():
        if extension in extensions:
            return content_type
    return None


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut by the end of the sample
            return True
    try:
        head.decode("cp1252")  # Windows-1252 text from older software
        return True
    except UnicodeDecodeError:
        return False


def bytes_match(content_type: str, head: bytes) -> bool:
    """Do the file's first bytes agree with its declared type?"""
    kind = format_of(content_type)
    if kind == "pdf":
        return head.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == b"%PDF-"
    if kind == "rtf":
        return head.startswith(b"{\\rtf")
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "tiff":
        return head.startswith((b"II*\x00", b"MM\x00*"))
    if kind == "txt":
        return len(head) > 0 and _looks_like_text(head) and not head.startswith((b"%PDF-", b"{\\rtf"))
    return False


def check_file(content_type: str, size: int, head: bytes, declared_size: int | None = None) -> tuple[str, str] | None:
    """Why a stored file cannot be accepted, as (code, message), or None when it passes."""
    if format_of(content_type) is None:
        return "unsupported_format", f"the format '{content_type}' is not accepted (pdf, txt, rtf, jpeg, png, tiff)"
    if size > MAX_BYTES:
        return "too_large", f"the file has {size} bytes, more than the {MAX_BYTES} allowed"
    if size == 0:
        return "empty_file", "the file is empty"
    if declared_size is not None and size != declared_size:
        return "size_mismatch", f"the file has {size} bytes but {declared_size} were declared"
    if not bytes_match(content_type, head):
        return "content_mismatch", f"the file's bytes are not those of a {format_of(content_type)} file"
    return None


def check_declaration(content_type: str, size: int) -> str:
    """Validate what an uploader declares before getting an upload URL; returns the normalised content type."""
    normalised = normalise_content_type(content_type)
    if normalised not in FORMATS:
        raise InvalidInput(
            f"The field 'content_type' must be one of {', '.join(sorted(FORMATS))}; '{content_type}' is not "
            "accepted.", code="unsupported_format", field="content_type")
    if size < 1 or size > MAX_BYTES:
        raise InvalidInput(f"The field 'size' must be between 1 and {MAX_BYTES} bytes.", code="invalid_size",
                           field="size")
    return normalised


def safe_filename(title: str, content_type: str, default: str) -> str:
    extension = FORMATS.get(content_type, ("bin", ("bin",)))[1][0]
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in title).strip() or default
    return f"{safe[:80]}.{extension}"


@dataclass(frozen=True)
class Author:
    role: str  # patient | professional | establishment | app
    id: str
    profession: str | None = None
    rpps: str | None = None  # the professional who signed a document an establishment sent

    def as_dict(self) -> dict[str, str]:
        out = {"role": self.role, "id": self.id}
        if self.profession:
            out["profession"] = self.profession
        if self.rpps:
            out["rpps"] = self.rpps
        return out


@dataclass
class Document:
    document_id: str
    ins: str
    title: str
    type_code: str
    category: str
    content_type: str
    size: int
    author: Author
    created_at: dt.datetime
    status: Status = Status.PENDING
    source: str = "upload"  # upload (presigned PUT) | inbox (laboratory or hospital drop) | fhir (ITI-65)
    masked: bool = False
    hidden_from_patient: bool = False
    hidden_from_representatives: bool = False  # a minor's secret (L1111-5): never shown to representatives, carers
    replaces: str | None = None
    superseded_by: str | None = None
    deleted_at: dt.datetime | None = None
    deleted_by: str | None = None
    object_version: str | None = None
    rejection: str | None = None
    available_at: dt.datetime | None = None
    sha1: str | None = None  # base64 SHA-1 of the accepted bytes (FHIR Attachment.hash); None before it was kept
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def object_key(self) -> str:
        return f"documents/{self.document_id}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def category_label(self) -> str:
        return categories().get(self.category, self.category)

    @property
    def readable(self) -> bool:
        """Its bytes passed the checks: they may be downloaded (an available or superseded document)."""
        return self.status in (Status.AVAILABLE, Status.SUPERSEDED)

    @property
    def filename(self) -> str:
        """The name a download is saved under: the title made safe, and the format's extension."""
        return safe_filename(self.title, self.content_type, "document")

    def facts(self) -> DocumentFacts:
        return DocumentFacts(author_role=self.author.role, author_id=self.author.id, type_code=self.type_code,
                             status=self.status.value, masked=self.masked,
                             hidden_from_patient=self.hidden_from_patient, deleted=self.deleted,
                             hidden_from_representatives=self.hidden_from_representatives)

    # -- rules --------------------------------------------------------------------------------------------------
    def make_available(self, version_id: str | None, now: dt.datetime, sha1: str | None = None) -> None:
        if self.status != Status.PENDING:
            raise Conflict("This document has already been processed.", code="already_processed")
        self.status = Status.AVAILABLE
        self.object_version = version_id
        self.available_at = now
        self.sha1 = sha1

    def reject(self, reason: str) -> None:
        if self.status != Status.PENDING:
            raise Conflict("This document has already been processed.", code="already_processed")
        self.status = Status.REJECTED
        self.rejection = reason

    def supersede(self, by: str) -> None:
        if self.status != Status.AVAILABLE:
            raise Conflict("Only an available document can be replaced.", code="not_replaceable")
        self.status = Status.SUPERSEDED
        self.superseded_by = by

    def delete(self, by: str, now: dt.datetime) -> bool:
        """Logical deletion; False when already deleted (idempotent)."""
        if self.deleted_at is not None:
            return False
        self.deleted_at = now
        self.deleted_by = by
        return True
