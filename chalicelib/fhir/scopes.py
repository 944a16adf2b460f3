"""SMART on FHIR scopes <-> ens's consent categories and directions (CONTRACT §7), and the ens action each FHIR
interaction asks the one access decision (:func:`chalicelib.domain.access.decide`) about.

An app's token carries its ``app_id`` and patient; what it may reach is what the patient granted (``grants``:
(category, direction) pairs). The FHIR view of the same thing is a set of SMART scopes:

* ``patient/DocumentReference.read`` (v2 ``.rs``) = documents read: DocumentReference search and read, Binary
  read (ITI-67, ITI-68);
* ``patient/DocumentReference.write`` (v2 ``.c``) = documents write: ITI-65 Provide Document Bundle, Binary
  ``$upload``;
* ``patient/Observation.read`` = measurements read: Observation search;
* ``patient/Observation.write`` (v2 ``.c``) = measurements write: a Mesures de santé Bundle (Observations, Device);
* ``patient/Immunization.read`` = vaccinations read; ``patient/AllergyIntolerance.read`` = profile read;
* ``patient/Patient.read`` = implied by any grant: the Patient the app acts for.

``Binary`` and ``List`` follow DocumentReference, ``Device`` follows Observation. No scope opens the access log
(AuditEvent) or the PATCH of a DocumentReference (masking, hiding, deleting): they are never an app's.
Standard library only (and the domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.access import PATIENT_LOOKUP_ACTIONS, Action
from chalicelib.domain.smart import RESOURCE_CATEGORY, Grant, grants_of_scope, grants_of_scopes
from chalicelib.errors import InvalidInput

__all__ = ["INTERACTIONS", "RESOURCE_CATEGORY", "Grant", "Interaction", "grants_of_scope", "grants_of_scopes",
           "interaction", "scope_table", "scopes_of_grants"]

SCOPED_RESOURCES = ("DocumentReference", "Observation", "Immunization", "AllergyIntolerance")
READ_INTERACTIONS = ("read", "search")
WRITE_INTERACTIONS = ("create", "update", "patch", "delete")


@dataclass(frozen=True)
class Interaction:
    """One FHIR interaction ens implements, and the ens actions that decide it (any one allowed suffices)."""

    resource: str
    interaction: str  # read | search | create | patch | operation
    actions: tuple[Action, ...]
    grant: Grant | None  # what an app needs (None: not open to apps, or any grant for Patient)
    via: str = "rest"  # rest: its own route | transaction: an entry of POST /fhir | operation name ($upload)


INTERACTIONS: tuple[Interaction, ...] = (
    Interaction("Patient", "search", PATIENT_LOOKUP_ACTIONS, None),
    Interaction("DocumentReference", "search", (Action.LIST_DOCUMENTS,), ("documents", "read")),
    Interaction("DocumentReference", "read", (Action.READ_DOCUMENT,), ("documents", "read")),
    Interaction("DocumentReference", "create", (Action.ADD_DOCUMENT,), ("documents", "write"), "transaction"),
    Interaction("DocumentReference", "patch", (Action.UPDATE_DOCUMENT, Action.DELETE_DOCUMENT),
                None),  # as REST's PATCH and DELETE: the patient's and the author's, never an app's
    Interaction("Binary", "read", (Action.READ_DOCUMENT,), ("documents", "read")),
    Interaction("Binary", "create", (Action.ADD_DOCUMENT,), ("documents", "write"), "transaction"),
    Interaction("Binary", "operation", (Action.ADD_DOCUMENT,), ("documents", "write"), "$upload"),
    Interaction("Observation", "search", (Action.READ_MEASUREMENTS,), ("measurements", "read")),
    Interaction("Observation", "create", (Action.WRITE_MEASUREMENTS,), ("measurements", "write"), "transaction"),
    Interaction("Device", "create", (Action.WRITE_MEASUREMENTS,), ("measurements", "write"), "transaction"),
    Interaction("Immunization", "search", (Action.READ_VACCINATIONS,), ("vaccinations", "read")),
    Interaction("AllergyIntolerance", "search", (Action.READ_PROFILE,), ("profile", "read")),
    Interaction("AuditEvent", "search", (Action.READ_ACCESS_LOG,), None),
)


def interaction(resource: str, kind: str) -> Interaction:
    """The declared interaction (KeyError-free: an undeclared one is a 400 the router should never reach)."""
    for item in INTERACTIONS:
        if item.resource == resource and item.interaction == kind:
            return item
    raise InvalidInput(f"ens does not implement {kind} on {resource}.", code="unsupported_interaction")


SCOPE_RESOURCE = {"Binary": "DocumentReference", "List": "DocumentReference", "Device": "Observation"}


def scope_table() -> list[tuple[str, str, str]]:
    """(SMART v1 scope, ens category, direction) of every implemented interaction open to apps: the table above,
    derived from :data:`INTERACTIONS` (docs/fhir.md and the CapabilityStatement print it)."""
    rows = {(f"patient/{SCOPE_RESOURCE.get(i.resource, i.resource)}.{i.grant[1]}", i.grant[0], i.grant[1])
            for i in INTERACTIONS if i.grant is not None}
    return sorted(rows)


def scopes_of_grants(grants: frozenset[Grant] | set[Grant], v2: bool = False) -> list[str]:
    """The SMART scopes matching a consent (what an authorisation server would put in an app's token)."""
    out = []
    for scope, category, direction in scope_table():
        if (category, direction) in grants:
            out.append(scope.rsplit(".", 1)[0] + "." + (("rs" if direction == "read" else "cud") if v2 else direction))
    if out:
        out.append("patient/Patient.rs" if v2 else "patient/Patient.read")
    return out
