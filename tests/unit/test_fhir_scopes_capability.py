"""SMART scopes <-> consent (CONTRACT §7), and the CapabilityStatement generated from the declarations."""

import pytest
from fhir_support import r4

from chalicelib.domain.access import APP_SCOPES, Action
from chalicelib.domain.catalogue import DATA_CATEGORIES
from chalicelib.errors import InvalidInput
from chalicelib.fhir.capability import capability_statement
from chalicelib.fhir.scopes import (
    INTERACTIONS,
    grants_of_scope,
    grants_of_scopes,
    interaction,
    scope_table,
    scopes_of_grants,
)
from chalicelib.fhir.search import SEARCH_PARAMS

DIRECTIONS = ("read", "write")  # CONTRACT §7


@pytest.mark.parametrize("item", INTERACTIONS, ids=lambda i: f"{i.resource}-{i.interaction}")
def test_each_interaction_needs_the_consent_the_access_decision_asks_apps_for(item):
    app_actions = [a for a in item.actions if a in APP_SCOPES]
    if item.grant is None:
        if item.resource != "Patient":  # the Patient an app acts for is implied by any grant
            assert not app_actions  # not open to apps: the access log, masking, hiding, deleting
        return
    assert app_actions, "an interaction open to apps must be decided by an action apps may be granted"
    for action in app_actions:
        assert APP_SCOPES[action] == item.grant


def test_the_scope_table_covers_the_consent_categories_fhir_exposes():
    table = scope_table()
    assert ("patient/Observation.write", "measurements", "write") in table
    assert ("patient/DocumentReference.read", "documents", "read") in table
    for scope, category, direction in table:
        assert category in DATA_CATEGORIES and direction in DIRECTIONS
        assert grants_of_scope(scope) == {(category, direction)}


@pytest.mark.parametrize(("scope", "grants"), [
    ("patient/Observation.write", {("measurements", "write")}),
    ("patient/Observation.c", {("measurements", "write")}),
    ("patient/DocumentReference.rs", {("documents", "read")}),
    ("patient/DocumentReference.*", {("documents", "read"), ("documents", "write")}),
    ("patient/Binary.read", {("documents", "read")}),
    ("patient/Immunization.read", {("vaccinations", "read")}),
    ("patient/AllergyIntolerance.read", {("profile", "read")}),
])
def test_smart_v1_and_v2_scopes(scope, grants):
    assert grants_of_scope(scope) == grants


def test_wildcards_and_non_resource_scopes():
    assert grants_of_scope("patient/*.read") == {(c, "read") for c in DATA_CATEGORIES}
    assert grants_of_scopes("openid fhirUser launch/patient patient/Observation.write") == {("measurements", "write")}


@pytest.mark.parametrize("scope", ["patient/AuditEvent.read", "system/Observation.read", "patient/Observation.x",
                                   "Observation.read"])
def test_refused_scopes(scope):
    with pytest.raises(InvalidInput):
        grants_of_scope(scope)


def test_a_consent_as_scopes_and_back():
    grants = {("documents", "read"), ("measurements", "write")}
    scopes = scopes_of_grants(grants)
    assert scopes == ["patient/DocumentReference.read", "patient/Observation.write", "patient/Patient.read"]
    assert grants_of_scopes(scopes) == grants
    assert grants_of_scopes(scopes_of_grants(grants, v2=True)) == grants
    assert scopes_of_grants(set()) == []


def test_interactions_name_their_actions():
    assert interaction("DocumentReference", "search").actions == (Action.LIST_DOCUMENTS,)
    with pytest.raises(InvalidInput):
        interaction("Observation", "delete")


def test_the_capability_statement_says_what_is_declared():
    data = r4(capability_statement("https://api.example/fhir"))
    assert data["fhirVersion"] == "4.0.1" and data["kind"] == "instance"
    assert "application/json-patch+json" in data["patchFormat"]
    rest = data["rest"][0]
    assert rest["interaction"][0]["code"] == "transaction"
    by_type = {r["type"]: r for r in rest["resource"]}
    assert set(by_type) == {i.resource for i in INTERACTIONS} | set(SEARCH_PARAMS)
    for kind, params in SEARCH_PARAMS.items():
        assert [p["name"] for p in by_type[kind]["searchParam"]] == [p.name for p in params]
    assert {i["code"] for i in by_type["DocumentReference"]["interaction"]} == {"read", "search-type", "patch"}
    assert "interaction" not in by_type["Device"] and by_type["Device"]["conditionalCreate"] is True
    assert by_type["Binary"]["operation"][0]["name"] == "upload"
    assert "patient/Observation.write" in rest["security"]["description"]
