"""Mesures de santé Bundles: the guide's rules, then ens's LOINC codes, UCUM units and ranges."""

import datetime as dt

import pytest
from fhir_support import T0, measurement_bundle, r4
from helpers import make_nir

from chalicelib.errors import InvalidInput
from chalicelib.fhir import bundles
from chalicelib.fhir.measures import is_measurement_bundle, parse_measurement_bundle

INS = make_nir()
NOW = T0


def test_the_guides_example_gives_one_weight_and_its_device():
    parsed = parse_measurement_bundle(measurement_bundle(INS), NOW)
    assert parsed.ins == INS
    (item,) = parsed.measurements
    assert (item.code, item.value, item.unit) == ("29463-7", 71.0, "kg")
    assert item.effective_at == dt.datetime(2026, 11, 22, 7, 56, 16, tzinfo=dt.UTC)
    assert parsed.device.key == "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680|FE-ED-AB-AA-DE-AD-77-C5"
    assert parsed.device.manufacturer == "OMRONHEALTHCARE" and parsed.device.name == "Ma balance"
    answer = r4(bundles.transaction_response(parsed.results(["m1"], "dev1", device_created=False)))
    assert [e["response"]["status"] for e in answer["entry"]] == ["200 OK", "201 Created"]
    assert answer["entry"][1]["response"]["location"] == "Observation/m1"
    assert is_measurement_bundle(measurement_bundle(INS))


def test_a_blood_pressure_panel_is_two_measurements():
    bundle = measurement_bundle(INS, code="85354-9", device=False)
    observation = bundle["entry"][0]["resource"]
    del observation["valueQuantity"]
    observation["component"] = [
        {"code": {"coding": [{"system": "http://loinc.org", "code": code}]},
         "valueQuantity": {"value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
        for code, value in (("8480-6", 128), ("8462-4", 82))]
    parsed = parse_measurement_bundle(bundle, NOW)
    assert [(m.code, m.value, m.unit) for m in parsed.measurements] == [("8480-6", 128.0, "mm[Hg]"),
                                                                       ("8462-4", 82.0, "mm[Hg]")]
    assert parsed.device is None
    answer = r4(bundles.transaction_response(parsed.results(["s1", "d1"])))
    assert answer["entry"][0]["response"]["location"] == "Observation/s1"


@pytest.mark.parametrize(("bundle", "where", "code"), [
    (measurement_bundle(INS, value=7000), ".valueQuantity.value", "out_of_range"),
    (measurement_bundle(INS, unit="[lb_av]"), ".valueQuantity.code", "wrong_unit"),
    (measurement_bundle(INS, code="1234-5"), ".code", "unknown_measurement"),
    (measurement_bundle(INS, effective="2027-01-01T00:00:00Z"), ".effectiveDateTime", "invalid_effective_at"),
    (measurement_bundle(INS, meta={"source": "urn:oid:1.2.3"}), ".meta.profile", "missing_profile"),
    (measurement_bundle(INS, device=False, effectivePeriod={"start": "2026-11-01T00:00:00Z"},
                        effectiveDateTime=None), ".effective[x]", "missing_field"),
    (measurement_bundle(INS, subject={"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.9", "value": INS}}),
     ".subject", "unsupported_identifier"),
])
def test_the_element_at_fault_is_named(bundle, where, code):
    bundle = {**bundle, "entry": [{**e, "resource": {k: v for k, v in e["resource"].items() if v is not None}}
                                  for e in bundle["entry"]]}
    with pytest.raises(InvalidInput) as caught:
        parse_measurement_bundle(bundle, NOW)
    assert where in caught.value.message
    if code:
        assert caught.value.code == code


def test_the_observation_references_the_bundles_device():
    bundle = measurement_bundle(INS)
    bundle["entry"][1]["resource"]["device"] = {"reference": "Device/other"}
    with pytest.raises(InvalidInput, match="not linked by id"):
        parse_measurement_bundle(bundle, NOW)
    alone = measurement_bundle(INS, device=False)
    alone["entry"][0]["resource"]["device"] = {"reference": "Device/other"}
    with pytest.raises(InvalidInput, match="which is not in the Bundle"):
        parse_measurement_bundle(alone, NOW)


def test_the_device_is_a_conditional_create_with_its_identifier():
    bundle = measurement_bundle(INS)
    bundle["entry"][0]["request"]["ifNoneExist"] = "identifier=FE-ED"
    with pytest.raises(InvalidInput, match="valid ifNoneExist"):
        parse_measurement_bundle(bundle, NOW)
    bundle = measurement_bundle(INS)
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = "AA-BB"
    with pytest.raises(InvalidInput, match="must include the identifier of ifNoneExist"):
        parse_measurement_bundle(bundle, NOW)


def test_only_observations_and_devices_by_post():
    bundle = measurement_bundle(INS)
    bundle["entry"].append({"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}})
    with pytest.raises(InvalidInput, match="Resource of type Patient is not acceptable"):
        parse_measurement_bundle(bundle, NOW)
