"""SMART on FHIR scopes read as what they stand for in ens: the consent categories and directions of CONTRACT §7.

An app's token carries its ``app_id`` and patient, and may carry a SMART ``scope`` claim. What an app may reach is
what its patient granted (the consent, read at every call by the access decision); a ``scope`` claim can only
narrow it, never widen it (:func:`chalicelib.domain.access.decide`). This module reads the claim:

* ``patient/DocumentReference.read`` (SMART v2 ``.rs``) = documents read; ``.write`` (v2 ``.c``/``.cud``) = write;
  ``Binary`` and ``List`` follow DocumentReference;
* ``patient/Observation.read`` / ``.write`` = measurements (``Device`` follows Observation);
* ``patient/Immunization.*`` = vaccinations, ``patient/AllergyIntolerance.*`` = profile, ``patient/Appointment.*``
  = agenda; ``patient/*.read`` = every category's read;
* ``patient/Patient.read`` grants nothing of its own: the Patient an app acts for follows from any grant;
* scopes that are not resource scopes (``openid``, ``fhirUser``, ``launch/patient``, ``offline_access``) are
  ignored, as SMART servers do.

Pure, standard library only. The FHIR layer's view of the same table (:mod:`chalicelib.fhir.scopes`: which FHIR
interaction needs which scope) is built on it.
"""

from __future__ import annotations

from chalicelib.errors import InvalidInput

Grant = tuple[str, str]  # (data category, direction)

RESOURCE_CATEGORY: dict[str, str] = {
    "DocumentReference": "documents",
    "Binary": "documents",
    "List": "documents",
    "Observation": "measurements",
    "Device": "measurements",
    "Immunization": "vaccinations",
    "AllergyIntolerance": "profile",
    "Appointment": "agenda",
}
V2_LETTERS = {"c": "write", "r": "read", "u": "write", "d": "write", "s": "read"}
MAX_SCOPE_CLAIM = 2048  # characters: far more than every scope ens knows, written out


def grants_of_scope(scope: str) -> frozenset[Grant]:
    """The consent a SMART scope stands for: ``patient/Observation.write`` -> {(measurements, write)};
    ``patient/*.read`` -> read of every category; v2 ``patient/DocumentReference.rs`` -> {(documents, read)}."""
    context, _, rest = scope.partition("/")
    resource, _, access = rest.partition(".")
    if context not in ("patient", "user") or not resource or not access:
        raise InvalidInput(f"'{scope}' is not a SMART on FHIR resource scope (patient/Resource.read).",
                           code="invalid_scope", field="scope")
    access = access.split("?", 1)[0]  # SMART v2 may narrow a scope by search parameters; ens reads the category
    if access in ("read", "write", "*"):
        directions = {"read", "write"} if access == "*" else {access}
    elif access and set(access) <= set(V2_LETTERS):
        directions = {V2_LETTERS[letter] for letter in access}
    else:
        raise InvalidInput(f"'{scope}' has an unknown access '{access}' (read, write, * or SMART v2 cruds).",
                           code="invalid_scope", field="scope")
    if resource == "Patient":
        return frozenset()  # implied by any grant: an app sees the Patient it acts for
    if resource == "*":
        categories = set(RESOURCE_CATEGORY.values())
    elif resource in RESOURCE_CATEGORY:
        categories = {RESOURCE_CATEGORY[resource]}
    else:
        raise InvalidInput(f"'{scope}' names {resource}, which ens does not open to apps.", code="invalid_scope",
                           field="scope")
    return frozenset((c, d) for c in categories for d in directions)


def grants_of_scopes(scopes: str | list[str]) -> frozenset[Grant]:
    """Every grant of a space-separated ``scope`` claim (or a list of scopes); non-resource scopes are ignored."""
    items = scopes.split() if isinstance(scopes, str) else scopes
    out: frozenset[Grant] = frozenset()
    for scope in items:
        if scope.startswith(("patient/", "user/")):
            out |= grants_of_scope(scope)
    return out


def scope_claim(value: object) -> frozenset[Grant] | None:
    """The grants a token's ``scope`` claim narrows an app to: None when the token has no ``scope`` claim (the
    consent alone decides); InvalidInput when the claim is not a space-separated text of scopes."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_SCOPE_CLAIM:
        raise InvalidInput("The 'scope' claim must be a space-separated text of SMART on FHIR scopes.",
                           code="invalid_scope", field="scope")
    return grants_of_scopes(value)
