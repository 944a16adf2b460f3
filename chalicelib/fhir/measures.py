"""ANS "Mesures de santé": a transaction Bundle of vital-sign Observations and the measuring Device -> the typed
measurements to record, checked with :mod:`chalicelib.domain.measurements` (LOINC codes, UCUM units, ranges).

The guide's rules (``Le-flux-d-alimentation-des-mesures``), kept as its 422s say them:

* ``Bundle.type`` = transaction; each entry ``POST Observation`` or ``POST Device``;
* the Device (PhdDevice profile), when present, is a conditional create: ``request.ifNoneExist`` =
  ``identifier=urn:oid:{OID}|{id}``, one of the Device's identifiers; the Observation references it
  (``Observation.device.reference`` = ``Device/{Device.id}``);
* every Observation and Device gives ``meta.profile``; an Observation gives ``valueQuantity`` (UCUM ``system`` and
  ``code``) and ``effectiveDateTime``; a blood-pressure panel (85354-9) carries its systolic (8480-6) and diastolic
  (8462-4) components, recorded as two measurements;
* the subject is the patient by INS-NIR (the guide's ``idPe``); the service checks it is the caller's patient.

ens records a BMI sent by an app (the guide computes it instead): CONTRACT §6 lists it among the measurements.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import DomainError
from chalicelib.fhir import codes
from chalicelib.fhir.bundles import EntryResult
from chalicelib.fhir.model import invalid, parse

MAX_OBSERVATIONS = 50
FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # as the REST route (a phone's clock may run a little ahead)
IF_NONE_EXIST = re.compile(r"^identifier=(urn:oid:[0-9]+(?:\.[0-9]+)+)\|([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)$")
ACCEPTED_STATUSES = ("final", "amended", "corrected")


@dataclass(frozen=True)
class MeasurementToAdd:
    entry: int
    code: str
    value: float
    unit: str  # canonical UCUM
    effective_at: dt.datetime


@dataclass(frozen=True)
class DeviceIdentity:
    """The measuring device: identified by (system, value) as its ``ifNoneExist`` says."""

    entry: int
    system: str
    value: str
    resource_id: str | None
    manufacturer: str | None = None
    model: str | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.system}|{self.value}"


@dataclass(frozen=True)
class MeasurementSubmission:
    ins: str
    measurements: tuple[MeasurementToAdd, ...]
    device: DeviceIdentity | None
    source: str | None  # Observation.meta.source: the sending solution's OID
    entries: int = 0

    def results(self, measurement_ids: list[str], device_id: str | None = None,
                device_created: bool = False) -> list[EntryResult]:
        """The transaction-response entries (one per Bundle entry, in order): 201 for each Observation, 201 or 200
        for the Device (created, or already known)."""
        by_entry: dict[int, list[str]] = {}
        for item, new_id in zip(self.measurements, measurement_ids, strict=True):
            by_entry.setdefault(item.entry, []).append(new_id)
        out = []
        for index in range(self.entries):
            if self.device is not None and index == self.device.entry:
                out.append(EntryResult("201 Created" if device_created else "200 OK", f"Device/{device_id}"))
            else:
                out.append(EntryResult("201 Created", f"Observation/{by_entry[index][0]}"))
        return out


def is_measurement_bundle(data: Any) -> bool:
    kinds = {(e.get("resource") or {}).get("resourceType") for e in data.get("entry") or [] if isinstance(e, dict)}
    return "Observation" in kinds


def _where(index: int, rest: str = "") -> str:
    return f"Bundle.entry[{index}].resource{rest}"


def parse_measurement_bundle(data: Any, now: dt.datetime) -> MeasurementSubmission:
    """Validate a Mesures de santé Bundle (FHIR R4, the guide's rules, then ens's ranges and units)."""
    from chalicelib.fhir.search import patient_from_identifier, patient_from_reference

    bundle = parse(data, "Bundle")
    problems: list[tuple[str, str]] = []
    error_codes: list[str] = []

    def fault(path: str, message: str, code: str = "invalid_bundle") -> None:
        problems.append((path, message))
        error_codes.append(code)

    if bundle.type != "transaction":
        fault("Bundle.type", f"must be 'transaction', not '{bundle.type}'")
    entries = list(bundle.entry or [])
    observations: list[int] = []
    devices: list[int] = []
    for index, entry in enumerate(entries):
        res, request = entry.resource, entry.request
        kind = res.get_resource_type() if res is not None else None
        if kind not in ("Observation", "Device") or request is None or request.method != "POST" \
                or request.url.split("?")[0] != kind:
            fault(f"Bundle.entry[{index}]", f"Resource of type {kind} is not acceptable with method "
                                            f"{request.method if request else None}: only POST Observation and POST "
                                            "Device", "unsupported")
            continue
        (observations if kind == "Observation" else devices).append(index)
    if not observations:
        fault("Bundle.entry", "Bundle must contain one observation creation (POST)")
    if len(observations) > MAX_OBSERVATIONS:
        fault("Bundle.entry", f"holds {len(observations)} Observations; send at most {MAX_OBSERVATIONS}")
    if len(devices) > 1:
        fault("Bundle.entry", "holds several Devices; one Bundle comes from one measuring device")

    device = None
    if devices:
        index = devices[0]
        res, request = entries[index].resource, entries[index].request
        if not (res.meta and res.meta.profile):
            fault(_where(index, ".meta.profile"), "Device must provide meta.profile value", "missing_profile")
        match = IF_NONE_EXIST.match(request.ifNoneExist or "")
        if not match:
            fault(f"Bundle.entry[{index}].request.ifNoneExist",
                  "Device request must have a valid ifNoneExist attribute: identifier=urn:oid:<OID>|<id>")
        else:
            system, value = match.groups()
            if not any(i.system == system and i.value == value for i in res.identifier or []):
                fault(_where(index, ".identifier"), f"must include the identifier of ifNoneExist ({system}|{value})")
            names = [n.name for n in res.deviceName or [] if n.name]
            device = DeviceIdentity(entry=index, system=system, value=value, resource_id=res.id,
                                    manufacturer=res.manufacturer, model=res.modelNumber,
                                    name=names[0] if names else None)

    patients: set[str] = set()
    measurements: list[MeasurementToAdd] = []
    source = None
    for index in observations:
        res = entries[index].resource
        if not (res.meta and res.meta.profile):
            fault(_where(index, ".meta.profile"), "Observation must provide meta.profile value", "missing_profile")
        elif res.meta.source:
            source = res.meta.source
        if res.status not in ACCEPTED_STATUSES:
            fault(_where(index, ".status"), f"must be final, amended or corrected, not '{res.status}'")
        subject = res.subject
        try:
            if subject is not None and subject.identifier is not None and subject.identifier.value:
                patients.add(patient_from_identifier(
                    f"{subject.identifier.system or ''}|{subject.identifier.value}", _where(index, ".subject")))
            elif subject is not None and subject.reference:
                patients.add(patient_from_reference(subject.reference, _where(index, ".subject")))
            else:
                fault(_where(index, ".subject"), "Observation.subject.identifier is mandatory (the INS-NIR)",
                      "missing_field")
        except DomainError as error:
            fault(_where(index, ".subject"), error.message, error.code)
        reference = res.device.reference if res.device else None
        if device is not None and reference != f"Device/{device.resource_id}":
            fault(_where(index, ".device"), "Observation and device not linked by id (Observation.device.reference "
                                            "<-> Device.id)")
        if device is None and reference:
            fault(_where(index, ".device"), f"references {reference}, which is not in the Bundle")
        effective = res.effectiveDateTime
        if effective is None:
            fault(_where(index, ".effective[x]"), "must be an effectiveDateTime: ens records a measurement at one "
                                                  "instant", "missing_field")
            continue
        at = _utc(effective)
        if at > now + FUTURE_TOLERANCE:
            fault(_where(index, ".effectiveDateTime"), "a measurement cannot be taken in the future",
                  "invalid_effective_at")
            continue
        for path, code, quantity in _values(res, index, fault):
            checked = _check(path, code, quantity, fault)
            if checked is not None:
                unit, value = checked
                measurements.append(MeasurementToAdd(index, code, value, unit, at))
    if len(patients) > 1:
        fault("Bundle.entry", "names several patients; one Bundle feeds one patient", "several_patients")
    if problems:
        raise invalid(problems, code=error_codes[0] if len(set(error_codes)) == 1 else "invalid_bundle")
    return MeasurementSubmission(ins=next(iter(patients)), measurements=tuple(measurements), device=device,
                                 source=source, entries=len(entries))


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    from chalicelib.domain.timeutil import parse as parse_time

    return parse_time(str(value))


def _loinc(concept: Any) -> str | None:
    for item in (concept.coding or []) if concept else []:
        if item.system == codes.LOINC and item.code:
            return str(item.code)
    return None


def _values(res: Any, index: int, fault: Any) -> list[tuple[str, str, Any]]:
    """(path, LOINC code, Quantity) of each value an Observation carries (two for a blood-pressure panel)."""
    code = _loinc(res.code)
    if code is None:
        fault(_where(index, ".code"), f"must carry a LOINC code ({codes.LOINC})", "unknown_measurement")
        return []
    if code == codes.BP_PANEL:
        found = []
        for position, component in enumerate(res.component or []):
            part = _loinc(component.code)
            path = _where(index, f".component[{position}]")
            if component.valueQuantity is None:
                fault(f"{path}.valueQuantity", "Observation value quantity not provided", "invalid_value")
            elif part is not None:
                found.append((path, part, component.valueQuantity))
        if sorted(p for _, p, _ in found) != ["8462-4", "8480-6"]:
            fault(_where(index, ".component"), "a blood-pressure panel carries one systolic (8480-6) and one "
                                               "diastolic (8462-4) component", "invalid_value")
            return []
        return found
    if res.valueQuantity is None:
        fault(_where(index, ".valueQuantity"), "Observation value quantity not provided", "invalid_value")
        return []
    return [(_where(index), code, res.valueQuantity)]


def _check(path: str, code: str, quantity: Any, fault: Any) -> tuple[str, float] | None:
    from chalicelib.domain.measurements import check_measurement

    if quantity.system != codes.UCUM or not quantity.code:
        fault(f"{path}.valueQuantity", f"must give the unit as UCUM: system {codes.UCUM} and code", "wrong_unit")
        return None
    value = quantity.value
    if value is None:
        fault(f"{path}.valueQuantity.value", "must give the measured value", "missing_value")
        return None
    try:
        return check_measurement(code, float(value), quantity.code)
    except DomainError as error:
        element = {"code": ".code", "unit": ".valueQuantity.code", "value": ".valueQuantity.value"}.get(
            str(error.details.get("field")), "")
        fault(f"{path}{element}", error.message, error.code)
        return None
