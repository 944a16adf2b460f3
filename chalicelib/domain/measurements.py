"""Self-measurements a patient records in the profile: which ones, in which unit, within which bounds.

Codes are LOINC (https://loinc.org), as listed in DOMAIN.md ("Measurements and their LOINC codes") and used by the
official app; units are UCUM (https://ucum.org), the spellings of the HL7 FHIR vital-signs profiles (``kg``, ``cm``,
``mm[Hg]``, ``mg/dL``, ``kg/m2``, ``Cel``, ``/min``), with a few everyday spellings also accepted (``mmHg``,
``kg/m²``, ``°C``, ``bpm``). Values are stored in the canonical unit; nothing is converted (a weight in ``lb`` is
refused, not converted).

The ranges are deliberately generous: they catch typing and unit mistakes (a weight of 7000, a temperature of 98.6),
not unusual patients. Standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

from chalicelib.errors import InvalidInput


@dataclass(frozen=True)
class MeasurementType:
    """One kind of measurement: LOINC ``code``, French label, canonical UCUM ``unit``, inclusive bounds.

    ``accepted_units`` lists every spelling accepted on input, the canonical one first.
    """

    code: str
    label_fr: str
    unit: str
    accepted_units: tuple[str, ...]
    minimum: float
    maximum: float
    label_en: str

    def range_text(self) -> str:
        """The physiological range for messages, e.g. ``0.2–650 kg``."""
        return f"{_number(self.minimum)}–{_number(self.maximum)} {self.unit}"


def _type(
    code: str, label_fr: str, label_en: str, units: tuple[str, ...], minimum: float, maximum: float
) -> MeasurementType:
    return MeasurementType(code, label_fr, units[0], units, float(minimum), float(maximum), label_en)


# code (LOINC), French label, English label (messages), accepted UCUM spellings (canonical first), minimum, maximum
_CATALOGUE: tuple[MeasurementType, ...] = (
    _type("29463-7", "Poids", "body weight", ("kg",), 0.2, 650),
    _type("8302-2", "Taille", "body height", ("cm",), 20, 280),
    _type("8480-6", "Pression artérielle systolique", "systolic blood pressure", ("mm[Hg]", "mmHg"), 40, 300),
    _type("8462-4", "Pression artérielle diastolique", "diastolic blood pressure", ("mm[Hg]", "mmHg"), 20, 200),
    _type("2339-0", "Glycémie", "blood glucose", ("mg/dL",), 10, 2000),
    _type("39156-5", "Indice de masse corporelle (IMC)", "body mass index", ("kg/m2", "kg/m²"), 5, 200),
    _type("8310-5", "Température corporelle", "body temperature", ("Cel", "°C"), 25, 45),
    _type("8867-4", "Fréquence cardiaque", "heart rate", ("/min", "bpm", "{beats}/min"), 15, 350),
)

_BY_CODE = MappingProxyType({mtype.code: mtype for mtype in _CATALOGUE})


def measurement_types() -> dict[str, MeasurementType]:
    """The catalogue, keyed by LOINC code (a fresh dict: callers may not change the catalogue)."""
    return dict(_BY_CODE)


def _number(value: float) -> str:
    """A number as people write it: 900, 0.2, 37.5 (no trailing .0, no exponent for everyday magnitudes)."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _quoted(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def check_measurement(code: str, value: float, unit: str) -> tuple[str, float]:
    """Check one measurement; return ``(canonical unit, value as float)``.

    Raises ``InvalidInput`` naming the field and the reason:

    - ``unknown_measurement`` (field ``code``): not one of the catalogue's LOINC codes;
    - ``invalid_value`` (field ``value``): not a finite number (booleans, strings, NaN and infinities are refused);
    - ``wrong_unit`` (field ``unit``): not the unit of this measurement (no conversion is made);
    - ``out_of_range`` (field ``value``): outside the physiological range.
    """
    mtype = _BY_CODE.get(code) if isinstance(code, str) else None
    if mtype is None:
        known = ", ".join(f"{m.code} ({m.label_en})" for m in _CATALOGUE)
        raise InvalidInput(
            f"The field 'code' is not a known measurement: {_quoted(code)}. Known LOINC codes: {known}.",
            code="unknown_measurement",
            field="code",
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(
            f"The field 'value' must be a number for {mtype.label_en} ({mtype.code}), not {_quoted(value)}.",
            code="invalid_value",
            field="value",
        )
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(
            f"The field 'value' must be a finite number for {mtype.label_en} ({mtype.code}), not {value!r}.",
            code="invalid_value",
            field="value",
        )
    spelled = unit.strip() if isinstance(unit, str) else None
    if spelled not in mtype.accepted_units:
        others = [u for u in mtype.accepted_units if u != mtype.unit]
        also = f" (or {', '.join(repr(u) for u in others)})" if others else ""
        raise InvalidInput(
            f"The field 'unit' must be '{mtype.unit}'{also} for {mtype.label_en} ({mtype.code}), not {_quoted(unit)}.",
            code="wrong_unit",
            field="unit",
        )
    if not mtype.minimum <= number <= mtype.maximum:
        raise InvalidInput(
            f"The field 'value' {_number(number)} {mtype.unit} is outside the physiological range for "
            f"{mtype.label_en} ({mtype.range_text()}).",
            code="out_of_range",
            field="value",
        )
    return mtype.unit, number
