"""JSON Patch of a DocumentReference: securityLabel and status only, read as mask, hide or delete."""

import pytest
from fhir_support import document

from chalicelib.errors import InvalidInput, MalformedRequest
from chalicelib.fhir import build
from chalicelib.fhir.model import dump
from chalicelib.fhir.patch import DocumentChange, parse_patch

TRE_A07 = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument"
NORMAL = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]}


def label(code):
    return {"coding": [{"system": TRE_A07, "code": code}]}


def current(**changes):
    return dump(build.document_reference(document(**changes), "Binary/1"))


def test_the_dmp_mappings_masking_and_unmasking():
    mask = [{"op": "replace", "path": "/securityLabel/0", "value": label("MASQUE_PS")}]
    assert parse_patch(mask, current()) == DocumentChange(masked=True)
    unmask = [{"op": "replace", "path": "/securityLabel/0", "value": NORMAL}]
    assert parse_patch(unmask, current(masked=True)) == DocumentChange(masked=False)


def test_hiding_from_the_patient_and_showing_again():
    hide = [{"op": "replace", "path": "/securityLabel", "value": [label("INVISIBLE_PATIENT")]}]
    assert parse_patch(hide, current()) == DocumentChange(hidden_from_patient=True)
    show = [{"op": "remove", "path": "/securityLabel/1"}]
    assert parse_patch(show, current(masked=True, hidden_from_patient=True)) == DocumentChange(
        hidden_from_patient=False)
    assert parse_patch([{"op": "add", "path": "/securityLabel/-", "value": label("MASQUE_PS")}],
                       current(hidden_from_patient=True)) == DocumentChange(masked=True)


@pytest.mark.parametrize("status", ["entered-in-error", "superseded"])
def test_deleting_by_status(status):
    assert parse_patch([{"op": "replace", "path": "/status", "value": status}], current()).delete


def test_a_patch_that_changes_nothing_is_empty():
    assert parse_patch([{"op": "test", "path": "/status", "value": "current"}], current()).empty


@pytest.mark.parametrize(("operations", "code"), [
    ([{"op": "replace", "path": "/description", "value": "x"}], "not_patchable"),
    ([{"op": "move", "from": "/author", "path": "/securityLabel"}], "not_patchable"),
    ([{"op": "replace", "path": "/securityLabel/0", "value": {"coding": [{"code": "R"}]}}], "unknown_security_label"),
    ([{"op": "test", "path": "/status", "value": "superseded"}], "patch_failed"),
    ([{"op": "remove", "path": "/securityLabel/5"}], "patch_failed"),
])
def test_anything_else_is_422(operations, code):
    with pytest.raises(InvalidInput) as caught:
        parse_patch(operations, current())
    assert caught.value.code == code


def test_a_deletion_cannot_be_undone():
    deleted = current()
    deleted["status"] = "entered-in-error"
    with pytest.raises(InvalidInput, match="cannot be undone"):
        parse_patch([{"op": "replace", "path": "/status", "value": "current"}], deleted)


@pytest.mark.parametrize("body", [{}, [], [{"path": "/status"}], ["replace"]])
def test_a_body_that_is_no_json_patch_is_400(body):
    with pytest.raises(MalformedRequest):
        parse_patch(body, current())
