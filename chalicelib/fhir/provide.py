"""ITI-65 Provide Document Bundle: a transaction Bundle -> the typed documents to add, or one 422 naming every
fault. Nothing is written here; an invalid entry rejects the whole Bundle (IHE MHD: processed atomically).

What a Bundle holds (IHE MHD 4.2 / PDSm): one SubmissionSet List, one or more DocumentReferences, zero or more
Binaries carrying the documents as base64 (or, for large documents, ``attachment.url`` = ``Binary/{id}`` of a staged
upload: :mod:`chalicelib.fhir.payload`), and optionally, for a replacement, the "UpdateDocumentRefs" entry that
marks the replaced DocumentReference superseded. Every document is checked with ens's own rules before the
service writes anything: the published LOINC types, the formats, 5,000,000 bytes, the magic bytes, the size and
SHA-1 the DocumentReference declares.

Not supported, and refused with 422 (docs/fhir.md): Folders, Patient resources (ens knows its patients: reference
them by INS-NIR), relatesTo other than ``replaces``, a document fetched from another server, MASQUE_PS at
submission (only the patient masks, by PATCH).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import DomainError, InvalidInput
from chalicelib.fhir import codes
from chalicelib.fhir.bundles import EntryResult
from chalicelib.fhir.model import invalid, parse
from chalicelib.fhir.payload import sha1_bytes, staged_binary

MAX_DOCUMENTS = 25  # one DynamoDB transaction writes each document and the one it replaces: 2 x 25 < 100 items
Problem = tuple[str, str]


@dataclass(frozen=True)
class NewDocument:
    """One document to add, checked. ``content`` holds the bytes of an inline Binary; ``staged`` the id of a staged
    upload otherwise (the service checks the stored object against ``size`` and ``sha1``)."""

    entry: int  # index of the DocumentReference entry in the Bundle
    title: str
    type_code: str
    category: str
    content_type: str
    size: int
    sha1: str  # base64
    content: bytes | None = None
    staged: str | None = None
    binary_entry: int | None = None
    replaces: str | None = None
    hidden_from_patient: bool = False


@dataclass(frozen=True)
class ProvideBundle:
    """A valid ITI-65 Bundle for one patient."""

    ins: str
    documents: tuple[NewDocument, ...]
    submission_set: int  # entry index
    confirmations: tuple[tuple[int, str], ...] = ()  # (entry, replaced document id): "UpdateDocumentRefs"
    entries: int = 0

    def results(self, document_ids: list[str], submission_id: str) -> list[EntryResult]:
        """The transaction-response entries, in the Bundle's order, once the service has created the documents
        (``document_ids`` in the order of :attr:`documents`)."""
        by_entry: dict[int, EntryResult] = {
            self.submission_set: EntryResult("201 Created", f"List/{submission_id}")}
        for doc, new_id in zip(self.documents, document_ids, strict=True):
            by_entry[doc.entry] = EntryResult("201 Created", f"DocumentReference/{new_id}")
            if doc.binary_entry is not None:
                by_entry[doc.binary_entry] = EntryResult("201 Created", f"Binary/{new_id}")
        for entry, old in self.confirmations:
            by_entry[entry] = EntryResult("200 OK", f"DocumentReference/{old}")
        return [by_entry[i] for i in range(self.entries)]


def is_provide_bundle(data: Any) -> bool:
    """Does this transaction Bundle look like ITI-65 (rather than Mesures de santé)?"""
    kinds = {(e.get("resource") or {}).get("resourceType") for e in data.get("entry") or [] if isinstance(e, dict)}
    return bool(kinds & {"DocumentReference", "List", "Binary"})


def _where(index: int, rest: str = "") -> str:
    return f"Bundle.entry[{index}].resource{rest}"


class _Reader:
    """One pass over a parsed Bundle, collecting problems instead of stopping at the first."""

    def __init__(self, bundle: Any, base: str | None) -> None:
        self.bundle = bundle
        self.base = (base or "").rstrip("/")
        self.entries = list(bundle.entry or [])
        self.problems: list[Problem] = []
        self.codes: list[str] = []
        self.patients: set[str] = set()

    def fault(self, path: str, message: str, code: str = "invalid_bundle") -> None:
        self.problems.append((path, message))
        self.codes.append(code)

    def domain(self, path: str, error: DomainError) -> None:
        self.fault(path, error.message[0].lower() + error.message[1:].rstrip("."), error.code)

    # references --------------------------------------------------------------------------------------------
    def find(self, reference: str | None) -> int | None:
        """The entry a reference names: its fullUrl, or Type/id of a resource in the Bundle."""
        if not reference:
            return None
        for index, entry in enumerate(self.entries):
            if entry.fullUrl and entry.fullUrl == reference:
                return index
        if "/" in reference and not reference.startswith("urn:"):
            kind, _, ident = reference.rstrip("/").rpartition("/")
            for index, entry in enumerate(self.entries):
                res = entry.resource
                if res is not None and res.id == ident and kind.endswith(res.get_resource_type()):
                    return index
        return None

    def subject(self, index: int, resource: Any, element: str = "subject") -> None:
        """Collect the patient a resource names: INS-NIR identifier, Patient/{ins}, a conditional reference
        ``Patient?identifier=...``, or a contained Patient with an INS-NIR."""
        from chalicelib.fhir.search import patient_from_identifier, patient_from_reference

        ref = getattr(resource, element, None)
        path = _where(index, f".{element}")
        if ref is None:
            self.fault(path, "is required: the patient's INS-NIR", "missing_field")
            return
        try:
            if ref.identifier is not None and ref.identifier.value:
                self.patients.add(patient_from_identifier(f"{ref.identifier.system or ''}|{ref.identifier.value}",
                                                          path))
            elif ref.reference and ref.reference.startswith("Patient?identifier="):
                self.patients.add(patient_from_identifier(ref.reference.split("=", 1)[1], path))
            elif ref.reference and ref.reference.startswith("#"):
                self.patients.add(self._contained_patient(resource, ref.reference[1:], path))
            elif ref.reference:
                self.patients.add(patient_from_reference(ref.reference, path))
            else:
                self.fault(path, "must name the patient by INS-NIR", "missing_field")
        except DomainError as error:
            self.domain(path, error)

    @staticmethod
    def _contained_patient(resource: Any, local: str, path: str) -> str:
        from chalicelib.fhir.search import patient_from_identifier

        for item in resource.contained or []:
            if item.get_resource_type() == "Patient" and item.id == local:
                for identifier in item.identifier or []:
                    if identifier.system == codes.INS_NIR:
                        return patient_from_identifier(f"{identifier.system}|{identifier.value}", path)
        raise InvalidInput(f"The element '{path}' references a contained Patient without an INS-NIR.",
                           code="missing_ins", field=path)


def parse_provide_bundle(data: Any, base: str | None = None) -> ProvideBundle:
    """Validate an ITI-65 Bundle (FHIR R4, then IHE MHD, then ens's rules) into a :class:`ProvideBundle`.

    ``base`` is ens's FHIR base URL (``attachment.url`` may name a staged upload under it). Raises
    InvalidInput (422) naming every element at fault, or MalformedRequest (400) for a body that is not a Bundle.
    """
    bundle = parse(data, "Bundle")
    reader = _Reader(bundle, base)
    if bundle.type != "transaction":
        reader.fault("Bundle.type", f"must be 'transaction' for a Provide Document Bundle, not '{bundle.type}'")
    submission: list[int] = []
    references: list[int] = []
    binaries: list[int] = []
    updates: list[int] = []
    for index, entry in enumerate(reader.entries):
        res = entry.resource
        request = entry.request
        if res is None or request is None:
            reader.fault(f"Bundle.entry[{index}]", "needs a resource and a request (method, url)")
            continue
        kind = res.get_resource_type()
        method = request.method
        if method in ("PUT", "PATCH") and kind in ("DocumentReference", "Parameters", "Binary"):
            updates.append(index)
            continue
        if method != "POST" or request.url.split("?")[0].rstrip("/") != kind:
            reader.fault(f"Bundle.entry[{index}].request", f"must be POST {kind} (it is {method} {request.url})")
            continue
        if kind == "List":
            code = res.code.coding[0] if res.code and res.code.coding else None
            if code is not None and code.system == codes.MHD_LIST_TYPES and code.code == codes.SUBMISSIONSET:
                submission.append(index)
            elif code is not None and code.code == codes.FOLDER:
                reader.fault(_where(index), "is a Folder: ens does not keep folders (send the documents without)",
                             "unsupported")
            else:
                reader.fault(_where(index, ".code"), f"must be {codes.MHD_LIST_TYPES}|{codes.SUBMISSIONSET}")
        elif kind == "DocumentReference":
            references.append(index)
        elif kind == "Binary":
            binaries.append(index)
        elif kind == "Patient":
            reader.fault(_where(index), "is a Patient: ens knows its patients; reference them by INS-NIR "
                                        f"({codes.INS_NIR}|{{INS}})", "unsupported")
        else:
            reader.fault(_where(index), f"is a {kind}: a Provide Document Bundle holds a SubmissionSet, "
                                        "DocumentReferences and Binaries", "unsupported")
    if len(submission) != 1:
        reader.fault("Bundle.entry", f"must hold exactly one SubmissionSet List (it holds {len(submission)})")
    if not references:
        reader.fault("Bundle.entry", "must hold at least one DocumentReference")
    if len(references) > MAX_DOCUMENTS:
        reader.fault("Bundle.entry", f"holds {len(references)} DocumentReferences; send at most {MAX_DOCUMENTS} "
                                     "in one Bundle", "too_many_documents")

    documents: list[NewDocument] = []
    used_binaries: dict[int, int] = {}
    for index in references:
        doc = _document(reader, index, used_binaries)
        if doc is not None:
            documents.append(doc)
    for index in binaries:
        if index not in used_binaries:
            reader.fault(_where(index), "is not the content of any DocumentReference of the Bundle")
    if submission:
        _submission_set(reader, submission[0], references)
    confirmations = _confirmations(reader, updates, {d.replaces for d in documents if d.replaces})
    if len(reader.patients) > 1:
        reader.fault("Bundle.entry", "names several patients; one Bundle feeds one patient's record",
                     "several_patients")
    if reader.problems:
        raise invalid(reader.problems, code=reader.codes[0] if len(set(reader.codes)) == 1 else "invalid_bundle")
    return ProvideBundle(ins=next(iter(reader.patients)), documents=tuple(documents), submission_set=submission[0],
                         confirmations=tuple(confirmations), entries=len(reader.entries))


def _document(reader: _Reader, index: int, used_binaries: dict[int, int]) -> NewDocument | None:
    from chalicelib.domain.authorization_matrix import document_type
    from chalicelib.domain.documents import SNIFF_BYTES, check_declaration, check_file

    res = reader.entries[index].resource
    before = len(reader.problems)
    reader.subject(index, res)
    if res.status != "current":
        reader.fault(_where(index, ".status"), f"must be 'current' for a new document, not '{res.status}'")
    # type: a published LOINC document type
    type_code = None
    loinc = [c for c in (res.type.coding or [])] if res.type else []
    loinc = [c for c in loinc if c.system == codes.LOINC]
    if not loinc:
        reader.fault(_where(index, ".type"), f"must carry a LOINC document type ({codes.LOINC})", "unknown_type_code")
    elif document_type(loinc[0].code or "") is None:
        reader.fault(_where(index, ".type"), f"'{loinc[0].code}' is not in the published list of document types "
                                             "(GET /document-types)", "unknown_type_code")
    else:
        type_code = loinc[0].code
    # visibility
    hidden = False
    for position, label in enumerate(res.securityLabel or []):
        for item in label.coding or []:
            if item.code == codes.INVISIBLE_PATIENT:
                hidden = True
            elif item.code == codes.MASQUE_PS:
                reader.fault(_where(index, f".securityLabel[{position}]"),
                             "MASQUE_PS is the patient's choice, made afterwards by PATCH; it cannot be set at "
                             "submission", "not_allowed")
            elif item.code != codes.NORMAL:
                reader.fault(_where(index, f".securityLabel[{position}]"),
                             f"'{item.code}' is not a visibility ens applies ({codes.INVISIBLE_PATIENT} or "
                             f"{codes.NORMAL})", "unknown_security_label")
    # replacement
    replaces = None
    for position, relation in enumerate(res.relatesTo or []):
        path = _where(index, f".relatesTo[{position}]")
        target = relation.target.reference if relation.target else None
        if relation.code != "replaces":
            reader.fault(path, f"'{relation.code}' is not supported: ens only replaces documents", "unsupported")
        elif not target or not target.rsplit("/", 1)[0].endswith("DocumentReference") or replaces:
            reader.fault(path, "must be one 'replaces' of DocumentReference/{id}")
        else:
            replaces = target.rsplit("/", 1)[1]
    # content: exactly one attachment
    contents = res.content or []
    if len(contents) != 1:
        reader.fault(_where(index, ".content"), f"must hold exactly one attachment (it holds {len(contents)})")
        return None
    attachment = contents[0].attachment
    path = _where(index, ".content[0].attachment")
    title = (attachment.title or res.description or "").strip()
    if not title:
        reader.fault(f"{path}.title", "is required: the document's title", "missing_field")
    if len(title) > 200:
        reader.fault(f"{path}.title", "must have at most 200 characters")
    content_type = None
    try:
        content_type = check_declaration(attachment.contentType or "", attachment.size or 1)
    except DomainError as error:
        reader.domain(f"{path}.contentType" if error.code == "unsupported_format" else f"{path}.size", error)
    declared_hash = None
    if attachment.hash is not None:
        declared_hash = attachment.hash if isinstance(attachment.hash, bytes) else sha1_bytes(
            str(attachment.hash), f"{path}.hash")
        if len(declared_hash) != 20:
            reader.fault(f"{path}.hash", "must be the SHA-1 of the document (20 bytes)", "invalid_hash")
    # the bytes: a Binary of the Bundle, or a staged upload
    url = attachment.url or ""
    binary_index = reader.find(url) if attachment.data is None else None
    content = staged = None
    if attachment.data is not None:  # inline in the attachment itself (as ITI-105 writes it)
        content = attachment.data if isinstance(attachment.data, bytes) else base64.b64decode(attachment.data)
        if content_type:
            refusal = check_file(content_type, len(content), content[:SNIFF_BYTES], attachment.size)
            if refusal:
                reader.fault(f"{path}.data", refusal[1], refusal[0])
    elif binary_index is not None:
        binary = reader.entries[binary_index].resource
        if binary.get_resource_type() != "Binary":
            reader.fault(f"{path}.url", "must point at a Binary of the Bundle")
        elif binary_index in used_binaries:
            reader.fault(f"{path}.url", "points at a Binary another DocumentReference already uses")
        else:
            used_binaries[binary_index] = index
            content = binary.data if isinstance(binary.data, bytes) else (
                base64.b64decode(binary.data) if binary.data else b"")
            if binary.contentType and content_type and binary.contentType.split(";")[0].strip().lower() \
                    != content_type:
                reader.fault(_where(binary_index, ".contentType"),
                             f"'{binary.contentType}' differs from the DocumentReference's '{content_type}'")
            if content_type:
                refusal = check_file(content_type, len(content), content[:SNIFF_BYTES], attachment.size)
                if refusal:
                    reader.fault(_where(binary_index, ".data"), refusal[1], refusal[0])
    elif url and staged_binary(url) and (url.startswith("Binary/") or (reader.base and url.startswith(
            reader.base + "/Binary/"))):
        staged = staged_binary(url)
        if attachment.size is None or declared_hash is None:
            reader.fault(path, "must give size and hash for a document uploaded beforehand", "missing_field")
    else:
        reader.fault(f"{path}.url", "must point at a Binary of the Bundle (its fullUrl) or at a Binary/{id} ens "
                                    "gave for an upload; ens does not fetch documents from other servers")
    if len(reader.problems) > before or type_code is None or content_type is None:
        return None
    if content is not None:
        digest = hashlib.sha1(content, usedforsecurity=False).digest()
        if declared_hash is not None and declared_hash != digest:
            reader.fault(f"{path}.hash", "is not the SHA-1 of the Binary's bytes", "hash_mismatch")
            return None
        size = len(content)
    else:
        assert declared_hash is not None and attachment.size is not None
        digest, size = declared_hash, attachment.size
    kind = document_type(type_code)
    assert kind is not None
    return NewDocument(entry=index, title=title, type_code=type_code, category=kind.category,
                       content_type=content_type, size=size, sha1=base64.b64encode(digest).decode(),
                       content=content, staged=staged, binary_entry=binary_index,
                       replaces=replaces, hidden_from_patient=hidden)


def _submission_set(reader: _Reader, index: int, references: list[int]) -> None:
    res = reader.entries[index].resource
    reader.subject(index, res)
    if res.status != "current" or res.mode != "working":
        reader.fault(_where(index), "must have status 'current' and mode 'working' (IHE MHD SubmissionSet)")
    listed = {reader.find(item.item.reference if item.item else None) for item in res.entry or []}
    for doc in references:
        if doc not in listed:
            reader.fault(_where(index, ".entry"), f"must list the DocumentReference of Bundle.entry[{doc}]")


def _confirmations(reader: _Reader, updates: list[int], replaced: set[str]) -> list[tuple[int, str]]:
    """IHE MHD's UpdateDocumentRefs entries: accepted when they mark superseded a document the Bundle replaces
    (ens supersedes it itself once the replacement is available)."""
    out = []
    for index in updates:
        url = reader.entries[index].request.url.split("?")[0]
        old = url.rsplit("/", 1)[1] if url.startswith("DocumentReference/") else None
        if old is None or old not in replaced:
            reader.fault(f"Bundle.entry[{index}].request", "may only update a DocumentReference the Bundle replaces "
                                                          "(IHE MHD UpdateDocumentRefs)", "unsupported")
        else:
            out.append((index, old))
    return out
