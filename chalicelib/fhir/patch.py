"""PATCH of a DocumentReference (PDSm "mise à jour des métadonnées", DMP mapping TD3.3a-c): a JSON Patch
(RFC 6902, applied by the ``jsonpatch`` library) restricted to ``status`` and ``securityLabel``, read as the one
change of CONTRACT §5 it means:

* ``securityLabel`` gains or loses ``MASQUE_PS`` -> the patient masks or unmasks (``N`` lifts every restriction);
* ``securityLabel`` gains or loses ``INVISIBLE_PATIENT`` -> the author hides the document from the patient or
  shows it;
* ``status`` becomes ``entered-in-error`` (the DMP mapping's deletion) or ``superseded`` (IHE MHD) -> logical
  deletion, as ``DELETE`` does.

Any other element, a status back to ``current``, or a code ens does not apply is refused with 422 (PDSm answers 405
for other elements; ens keeps CONTRACT §9's 422). Who may do which is the access decision's business, not this
module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput, MalformedRequest
from chalicelib.fhir import codes

ALLOWED = ("/status", "/securityLabel")
OPERATIONS = ("add", "remove", "replace", "test", "move", "copy")
DELETE_STATUSES = ("entered-in-error", "superseded")


@dataclass(frozen=True)
class DocumentChange:
    """What a PATCH asks: None leaves a flag as it is."""

    masked: bool | None = None
    hidden_from_patient: bool | None = None
    delete: bool = False

    @property
    def empty(self) -> bool:
        return self.masked is None and self.hidden_from_patient is None and not self.delete


def _labels(resource: dict[str, Any]) -> tuple[set[str], list[str]]:
    """(TRE_A07 codes, codes ens does not apply) of a DocumentReference's securityLabel."""
    found, unknown = set(), []
    for label in resource.get("securityLabel") or []:
        for item in (label or {}).get("coding") or [] if isinstance(label, dict) else []:
            code = item.get("code") if isinstance(item, dict) else None
            if code in (codes.MASQUE_PS, codes.INVISIBLE_PATIENT):
                found.add(code)
            elif code != codes.NORMAL:
                unknown.append(str(code))
    return found, unknown


def parse_patch(operations: Any, current: dict[str, Any]) -> DocumentChange:
    """Apply ``operations`` (the decoded JSON Patch) to ``current`` (the DocumentReference as ens answers it, from
    :func:`chalicelib.fhir.build.document_reference`) and say what changed."""
    import jsonpatch

    check_operations(operations)
    try:
        patched = jsonpatch.apply_patch(current, operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
        raise InvalidInput(f"The JSON Patch cannot be applied to this DocumentReference: {error}.",
                           code="patch_failed") from error
    return _change(current, patched)


def check_operations(operations: Any) -> None:
    """What can be said of a JSON Patch without the document: its shape (400) and the elements it touches (422).
    Nothing here depends on the document, so it may run before the decision on it."""
    if not isinstance(operations, list) or not operations:
        raise MalformedRequest("The body must be a JSON Patch: a list of operations such as "
                               '[{"op": "replace", "path": "/securityLabel/0", "value": {...}}].',
                               code="invalid_patch")
    for position, operation in enumerate(operations):
        if not isinstance(operation, dict) or operation.get("op") not in OPERATIONS \
                or not isinstance(operation.get("path"), str):
            raise MalformedRequest(f"The operation {position} of the JSON Patch needs 'op' ({', '.join(OPERATIONS)}) "
                                   "and 'path'.", code="invalid_patch")
        for key in ("path", "from"):
            path = operation.get(key)
            if path is not None and not any(path == a or path.startswith(a + "/") for a in ALLOWED):
                raise InvalidInput(f"The operation {position} changes '{path}': only status and securityLabel can "
                                   "be changed on a DocumentReference.", code="not_patchable", field=path)


def _change(before: dict[str, Any], after: dict[str, Any]) -> DocumentChange:
    old_labels, _ = _labels(before)
    new_labels, unknown = _labels(after)
    if unknown:
        raise InvalidInput(f"The securityLabel '{unknown[0]}' is not a visibility ens applies: use "
                           f"{codes.MASQUE_PS} or {codes.INVISIBLE_PATIENT} ({codes.TRE_A07}), or {codes.NORMAL}.",
                           code="unknown_security_label", field="securityLabel")
    old_status, new_status = before.get("status"), after.get("status")
    delete = False
    if new_status != old_status:
        if new_status in DELETE_STATUSES and old_status in ("current", "superseded"):
            delete = True
        else:
            raise InvalidInput(f"The status cannot go from '{old_status}' to '{new_status}': a document is deleted "
                               "with 'entered-in-error' and a deletion cannot be undone.", code="invalid_status",
                               field="status")
    masked = (codes.MASQUE_PS in new_labels) if (codes.MASQUE_PS in new_labels) != (
        codes.MASQUE_PS in old_labels) else None
    hidden = (codes.INVISIBLE_PATIENT in new_labels) if (codes.INVISIBLE_PATIENT in new_labels) != (
        codes.INVISIBLE_PATIENT in old_labels) else None
    return DocumentChange(masked=masked, hidden_from_patient=hidden, delete=delete)
