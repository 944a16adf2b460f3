"""``GET /fhir/metadata``: the CapabilityStatement, generated from what is declared implemented - the interactions
of :data:`chalicelib.fhir.scopes.INTERACTIONS`, the search parameters of
:data:`chalicelib.fhir.search.SEARCH_PARAMS`, the operations below - never written by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.fhir import codes
from chalicelib.fhir.model import resource
from chalicelib.fhir.payload import UPLOAD_OPERATION
from chalicelib.fhir.scopes import INTERACTIONS, scope_table
from chalicelib.fhir.search import SEARCH_PARAMS

SOFTWARE = "ens"
IMPLEMENTATION_GUIDES = ("https://interop.esante.gouv.fr/ig/fhir/pdsm/ImplementationGuide/ans.fhir.fr.pdsm",
                         "https://interop.esante.gouv.fr/ig/fhir/mesures/ImplementationGuide/ans.fhir.fr.mesures")
OPERATIONS = {  # resource -> (name, definition, documentation)
    "Binary": (UPLOAD_OPERATION.lstrip("$"), "urn:ens:fhir:OperationDefinition:Binary-upload",
               "A presigned upload URL for a document too large to travel inline in an ITI-65 Bundle (docs/fhir.md)."),
}
REST_INTERACTION_CODE = {"read": "read", "search": "search-type", "patch": "patch", "create": "create"}


def _resource(kind: str) -> Any:
    declared = [i for i in INTERACTIONS if i.resource == kind]
    own = [i for i in declared if i.via == "rest"]
    via_transaction = [i for i in declared if i.via == "transaction"]
    notes = []
    if via_transaction:
        notes.append("Created only as an entry of a transaction Bundle (POST /fhir)"
                     + (", conditionally (ifNoneExist)" if kind == "Device" else "") + ".")
    searched = SEARCH_PARAMS.get(kind, ())
    operation = OPERATIONS.get(kind)
    return resource(
        "CapabilityStatementRestResource", type=kind,
        interaction=[resource("CapabilityStatementRestResourceInteraction", code=REST_INTERACTION_CODE[i.interaction])
                     for i in own if i.interaction in REST_INTERACTION_CODE] or None,
        conditionalCreate=True if kind == "Device" else None,
        searchParam=[resource("CapabilityStatementRestResourceSearchParam", name=p.name, type=p.type,
                              definition=p.definition, documentation=p.documentation) for p in searched] or None,
        operation=[resource("CapabilityStatementRestResourceOperation", name=operation[0], definition=operation[1],
                            documentation=operation[2])] if operation else None,
        documentation=" ".join(notes) or None)


def capability_statement(base_url: str, version: str = "0.1.0", now: dt.datetime | None = None) -> Any:
    """The server's CapabilityStatement (FHIR 4.0.1, JSON only, JSON Patch, SMART on FHIR bearer tokens)."""
    kinds = sorted({i.resource for i in INTERACTIONS} | set(SEARCH_PARAMS))
    scopes = ", ".join(f"{scope} ({category} {direction})" for scope, category, direction in scope_table())
    security = resource(
        "CapabilityStatementRestSecurity", cors=True,
        service=[resource("CodeableConcept", coding=[resource(
            "Coding", system="http://terminology.hl7.org/CodeSystem/restful-security-service", code="SMART-on-FHIR")])],
        description="Bearer tokens as for the REST API (professionals, establishments, patients, apps). An app "
                    f"reaches what its patient consented to; as SMART scopes: {scopes}.")
    return resource(
        "CapabilityStatement", status="active", date=(now or dt.datetime.now(dt.UTC)).date().isoformat(),
        kind="instance", fhirVersion=codes.FHIR_VERSION, format=[codes.FHIR_JSON, "json"],
        patchFormat=[codes.JSON_PATCH], publisher="ens", name="EnsFhirServer",
        title="ens - Espace Numérique de Santé, FHIR R4 interface",
        software=resource("CapabilityStatementSoftware", name=SOFTWARE, version=version),
        implementation=resource("CapabilityStatementImplementation", url=base_url,
                                description="Documents as ANS PDSm (IHE MHD) and measurements as ANS Mesures de "
                                            "santé, over the same rules as ens's REST API."),
        implementationGuide=list(IMPLEMENTATION_GUIDES),
        rest=[resource("CapabilityStatementRest", mode="server", security=security,
                       resource=[_resource(kind) for kind in kinds],
                       interaction=[resource("CapabilityStatementRestInteraction", code="transaction",
                                             documentation="ITI-65 Provide Document Bundle (SubmissionSet, "
                                                           "DocumentReferences, Binaries) or a Mesures de santé "
                                                           "Bundle (Observations, Device); all or nothing.")])])
