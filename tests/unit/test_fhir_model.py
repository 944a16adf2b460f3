"""The model library: R4B models stand for R4 (4.0.1) for every resource ens serves, and ens's gateway names
every fault."""

import importlib
import inspect
import typing

import pytest

from chalicelib.errors import InvalidInput, MalformedRequest
from chalicelib.fhir import model

USED = ["Patient", "DocumentReference", "Observation", "Immunization", "AllergyIntolerance", "AuditEvent", "Binary",
        "OperationOutcome", "Bundle", "CapabilityStatement", "List", "Device", "Parameters"]


def _r4_tree(cls, path, out, seen):
    from fhirclient.models.fhirabstractbase import FHIRAbstractBase

    for _name, js, typ, is_list, _of_many, _required in cls().elementProperties():
        here = f"{path}.{js}"
        out[here] = bool(is_list)
        if inspect.isclass(typ) and issubclass(typ, FHIRAbstractBase) and typ.__name__ not in seen \
                and "BackboneElement" in [b.__name__ for b in typ.__mro__]:
            _r4_tree(typ, here, out, seen | {typ.__name__})


def _r4b_tree(cls, path, out, seen):
    def model_of(annotation):
        for arg in typing.get_args(annotation) or [annotation]:
            if hasattr(arg, "get_model_klass"):
                return arg.get_model_klass()
            if typing.get_args(arg):
                found = model_of(arg)
                if found is not None:
                    return found
        return None

    for name, info in cls.model_fields.items():
        alias = info.alias or name
        if alias.startswith("_") or alias in ("resourceType", "fhir_comments"):
            continue
        here = f"{path}.{alias}"
        out[here] = "List[" in str(info.annotation) or "list[" in str(info.annotation)
        child = model_of(info.annotation)
        if child is not None and "BackboneElement" in [b.__name__ for b in child.__mro__] \
                and child.__name__ not in seen:
            _r4b_tree(child, here, out, seen | {child.__name__})


@pytest.mark.parametrize("kind", USED)
def test_r4b_models_have_the_r4_structure_of_every_resource_ens_serves(kind):
    r4, r4b = {}, {}
    _r4_tree(getattr(importlib.import_module(f"fhirclient.models.{kind.lower()}"), kind), kind, r4, {kind})
    _r4b_tree(model.model_class(kind), kind, r4b, {kind})
    assert len(r4) > 5
    assert r4 == r4b  # same elements, same repetitions, down every backbone element


def test_parse_names_every_faulty_element():
    with pytest.raises(InvalidInput) as caught:
        model.parse({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": {"resourceType": "DocumentReference", "status": "current", "colour": "blue",
                          "content": [{"attachment": {"size": -1}}]}}]})
    message = caught.value.message
    assert "'Bundle.entry[0].resource.colour' is not an element of this resource in FHIR R4" in message
    assert "Bundle.entry[0].resource.content[0].attachment.size" in message
    assert caught.value.details["expressions"] == ["Bundle.entry[0].resource.content[0].attachment.size",
                                                   "Bundle.entry[0].resource.colour"]


def test_parse_checks_what_the_library_leaves_out():
    with pytest.raises(InvalidInput) as caught:
        model.parse({"resourceType": "DocumentReference", "status": "archived", "content": [{"attachment": {
            "url": "Binary/1"}}], "author": []})
    assert "'DocumentReference.status' must be one of current, entered-in-error, superseded" in caught.value.message
    assert "'DocumentReference.author' must not be an empty list" in caught.value.message


def test_parse_tells_a_body_that_is_no_resource_from_a_wrong_resource():
    with pytest.raises(MalformedRequest):
        model.parse(["not", "a", "resource"])
    with pytest.raises(MalformedRequest):
        model.parse({"status": "current"})
    with pytest.raises(InvalidInput, match="must be a Bundle, not a Patient"):
        model.parse({"resourceType": "Patient"}, "Bundle")
    with pytest.raises(InvalidInput, match="'Sandwich' is not a FHIR R4 resource type"):
        model.parse({"resourceType": "Sandwich"})


def test_a_long_list_of_faults_stays_readable():
    entries = [{"resource": {"resourceType": "Patient", "gender": 3}} for _ in range(30)]
    with pytest.raises(InvalidInput) as caught:
        model.parse({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert "and 20 more" in caught.value.message
