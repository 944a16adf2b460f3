"""Measurements: known LOINC codes, the right unit, physiological values."""

from __future__ import annotations

import math

import pytest

from chalicelib.domain.measurements import MeasurementType, check_measurement, measurement_types
from chalicelib.errors import InvalidInput

EXPECTED_UNITS = {
    "29463-7": "kg",
    "8302-2": "cm",
    "8480-6": "mm[Hg]",
    "8462-4": "mm[Hg]",
    "2339-0": "mg/dL",
    "39156-5": "kg/m2",
    "8310-5": "Cel",
    "8867-4": "/min",
}


def _error(code, value, unit) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_measurement(code, value, unit)
    return caught.value


def test_catalogue_has_the_profile_measurements_with_ucum_units():
    types = measurement_types()
    assert {code: t.unit for code, t in types.items()} == EXPECTED_UNITS
    for code, mtype in types.items():
        assert isinstance(mtype, MeasurementType)
        assert mtype.code == code
        assert mtype.label_fr
        assert mtype.accepted_units[0] == mtype.unit
        assert 0 < mtype.minimum < mtype.maximum


def test_catalogue_cannot_be_changed_by_callers():
    measurement_types().pop("29463-7")
    assert "29463-7" in measurement_types()
    with pytest.raises(AttributeError):
        measurement_types()["29463-7"].maximum = 10  # type: ignore[misc]


@pytest.mark.parametrize(
    ("code", "value", "unit", "expected"),
    [
        ("29463-7", 72.5, "kg", ("kg", 72.5)),
        ("29463-7", 3, "kg", ("kg", 3.0)),
        ("8302-2", 178, "cm", ("cm", 178.0)),
        ("8480-6", 120, "mm[Hg]", ("mm[Hg]", 120.0)),
        ("8480-6", 120, "mmHg", ("mm[Hg]", 120.0)),
        ("8462-4", 80, "mmHg", ("mm[Hg]", 80.0)),
        ("2339-0", 95, "mg/dL", ("mg/dL", 95.0)),
        ("39156-5", 22.9, "kg/m2", ("kg/m2", 22.9)),
        ("39156-5", 22.9, "kg/m²", ("kg/m2", 22.9)),
        ("8310-5", 37.2, "Cel", ("Cel", 37.2)),
        ("8310-5", 37.2, "°C", ("Cel", 37.2)),
        ("8867-4", 64, "/min", ("/min", 64.0)),
        ("8867-4", 64, "bpm", ("/min", 64.0)),
    ],
)
def test_valid_measurements_return_the_canonical_unit(code, value, unit, expected):
    result = check_measurement(code, value, unit)
    assert result == expected
    assert isinstance(result[1], float)


@pytest.mark.parametrize(
    ("code", "value", "unit"),
    [
        ("29463-7", 0.2, "kg"),
        ("29463-7", 650, "kg"),
        ("8302-2", 20, "cm"),
        ("8302-2", 280, "cm"),
        ("8480-6", 40, "mm[Hg]"),
        ("8480-6", 300, "mm[Hg]"),
        ("8462-4", 20, "mm[Hg]"),
        ("8462-4", 200, "mm[Hg]"),
        ("2339-0", 10, "mg/dL"),
        ("2339-0", 2000, "mg/dL"),
        ("39156-5", 5, "kg/m2"),
        ("39156-5", 200, "kg/m2"),
        ("8310-5", 25, "Cel"),
        ("8310-5", 45, "Cel"),
        ("8867-4", 15, "/min"),
        ("8867-4", 350, "/min"),
    ],
)
def test_range_bounds_are_inclusive(code, value, unit):
    assert check_measurement(code, value, unit)[1] == value


def test_unknown_code_names_the_field_and_the_known_codes():
    error = _error("1234-5", 70, "kg")
    assert error.code == "unknown_measurement"
    assert error.details == {"field": "code"}
    assert error.message.startswith("The field 'code' is not a known measurement: '1234-5'.")
    assert "29463-7 (body weight)" in error.message


@pytest.mark.parametrize("code", [None, 29463, "", "85354-9"])
def test_other_unknown_codes(code):
    assert _error(code, 70, "kg").code == "unknown_measurement"


def test_wrong_unit_says_which_unit_is_expected():
    error = _error("29463-7", 160, "lb")
    assert error.code == "wrong_unit"
    assert error.details == {"field": "unit"}
    assert error.message == "The field 'unit' must be 'kg' for body weight (29463-7), not 'lb'."


def test_wrong_unit_mentions_accepted_spellings():
    error = _error("8480-6", 16, "kPa")
    assert error.code == "wrong_unit"
    assert "'mm[Hg]'" in error.message and "'mmHg'" in error.message and "'kPa'" in error.message
    assert "systolic blood pressure (8480-6)" in error.message


@pytest.mark.parametrize(
    ("code", "unit"),
    [("2339-0", "mmol/L"), ("2339-0", "g/L"), ("8310-5", "°F"), ("8302-2", "m"), ("29463-7", "g"), ("29463-7", None)],
)
def test_no_unit_conversion_is_made(code, unit):
    assert _error(code, 1, unit).code == "wrong_unit"


def test_out_of_range_value_gives_the_range():
    error = _error("29463-7", 900, "kg")
    assert error.code == "out_of_range"
    assert error.details == {"field": "value"}
    assert error.message == (
        "The field 'value' 900 kg is outside the physiological range for body weight (0.2–650 kg)."
    )


@pytest.mark.parametrize(
    ("code", "value", "unit"),
    [
        ("29463-7", 0.1, "kg"),
        ("29463-7", -70, "kg"),
        ("8302-2", 1.78, "cm"),  # metres typed as centimetres
        ("8480-6", 12, "mmHg"),  # cmHg habit: "12/8"
        ("8462-4", 201, "mm[Hg]"),
        ("2339-0", 0.95, "mg/dL"),  # g/L typed as mg/dL
        ("39156-5", 250, "kg/m2"),
        ("8310-5", 98.6, "°C"),  # Fahrenheit typed as Celsius
        ("8867-4", 400, "bpm"),
        ("8867-4", 0, "/min"),
    ],
)
def test_out_of_range_values(code, value, unit):
    assert _error(code, value, unit).code == "out_of_range"


def test_out_of_range_message_for_a_decimal_value():
    error = _error("8310-5", 98.6, "°C")
    assert error.message == (
        "The field 'value' 98.6 Cel is outside the physiological range for body temperature (25–45 Cel)."
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, False, "70", None, [70]])
def test_non_numbers_nan_infinities_and_booleans_are_rejected(value):
    error = _error("29463-7", value, "kg")
    assert error.code == "invalid_value"
    assert error.details == {"field": "value"}
    assert error.message.startswith("The field 'value' must be")
    assert "body weight (29463-7)" in error.message


def test_unknown_code_is_reported_before_other_problems():
    assert _error("nope", math.nan, "lb").code == "unknown_measurement"
