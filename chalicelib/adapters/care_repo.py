"""Profile, vaccinations and measurements on DynamoDB, in the patient's records partition ``PAT#{ins}``:

    PROFILE                          the medical profile (one item)
    VAC#{date}#{id}                  vaccinations, by date
    MEAS#{effective_at}#{id}         measurements, by time;  LATEST#{code}: the latest of each code
    DEVICE#{digest of its identifier} the measuring devices (ANS Mesures de santé), created once each

Every listing is one Query on the partition with a key prefix; cursors, never offsets. This repository owns
these keys, and erases exactly them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Sequence
from typing import Any

from chalicelib.adapters.dynamo import Table, dump, is_conditional_failure, values
from chalicelib.adapters.records_repo import patient_pk
from chalicelib.domain.care import Device, Measurement, MedicalProfile, Vaccination
from chalicelib.domain.identity import Party
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse

PROFILE_SK = "PROFILE"
VACCINATION, MEASUREMENT, LATEST, DEVICE = "VAC#", "MEAS#", "LATEST#", "DEVICE#"
OWNED = (VACCINATION, MEASUREMENT, LATEST, DEVICE)  # and PROFILE_SK
MAX_TRANSACTION = 100  # items of one DynamoDB transaction


def vaccination_sk(vaccination: Vaccination) -> str:
    return f"{VACCINATION}{vaccination.date.isoformat()}#{vaccination.vaccination_id}"


def measurement_sk(measurement: Measurement) -> str:
    return f"{MEASUREMENT}{iso_ms(measurement.effective_at)}#{measurement.measurement_id}"


def _t(value: dt.datetime | None) -> str | None:
    return iso_ms(value) if value else None


def profile_item(ins: str, profile: MedicalProfile) -> dict[str, Any]:
    return {"pk": patient_pk(ins), "sk": PROFILE_SK, **profile.content(), "updated_at": _t(profile.updated_at),
            "updated_by": profile.updated_by.as_dict() if profile.updated_by else None}


def profile_from(item: dict[str, Any]) -> MedicalProfile:
    return MedicalProfile(
        allergies=list(item.get("allergies") or []), conditions=list(item.get("conditions") or []),
        treatments=list(item.get("treatments") or []), hospitalisations=list(item.get("hospitalisations") or []),
        family_history=list(item.get("family_history") or []), blood_group=item.get("blood_group"),
        advance_directives=item.get("advance_directives"), organ_donation=item.get("organ_donation"),
        updated_at=parse(item["updated_at"]) if item.get("updated_at") else None,
        updated_by=Party.from_dict(item["updated_by"]) if item.get("updated_by") else None)


def vaccination_item(ins: str, vaccination: Vaccination) -> dict[str, Any]:
    return {"pk": patient_pk(ins), "sk": vaccination_sk(vaccination), "vaccination_id": vaccination.vaccination_id,
            "vaccine": vaccination.vaccine, "date": vaccination.date.isoformat(), "dose": vaccination.dose,
            "lot": vaccination.lot, "recorded_by": vaccination.recorded_by.as_dict(),
            "recorded_at": _t(vaccination.recorded_at)}


def vaccination_from(item: dict[str, Any]) -> Vaccination:
    return Vaccination(vaccination_id=item["vaccination_id"], vaccine=item["vaccine"],
                       date=dt.date.fromisoformat(item["date"]), dose=item.get("dose"), lot=item.get("lot"),
                       recorded_by=Party.from_dict(item["recorded_by"]), recorded_at=parse(item["recorded_at"]))


def measurement_fields(measurement: Measurement) -> dict[str, Any]:
    return {"measurement_id": measurement.measurement_id, "code": measurement.code, "label": measurement.label,
            "value": measurement.value, "unit": measurement.unit, "effective_at": _t(measurement.effective_at),
            "source": measurement.source.as_dict(), "recorded_at": _t(measurement.recorded_at),
            "device": measurement.device}


def measurement_from(item: dict[str, Any]) -> Measurement:
    return Measurement(measurement_id=item["measurement_id"], code=item["code"], label=item["label"],
                       value=float(item["value"]), unit=item["unit"], effective_at=parse(item["effective_at"]),
                       source=Party.from_dict(item["source"]), recorded_at=parse(item["recorded_at"]),
                       device=item.get("device"))


def device_sk(system: str, value: str) -> str:
    return DEVICE + hashlib.sha256(f"{system}|{value}".encode()).hexdigest()[:32]


def device_from(item: dict[str, Any]) -> Device:
    return Device(device_id=item["device_id"], system=item["system"], value=item["value"],
                  registered_at=parse(item["registered_at"]), registered_by=Party.from_dict(item["registered_by"]),
                  manufacturer=item.get("manufacturer"), model=item.get("model"), name=item.get("name"))


class DynamoCare:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    # -- profile ---------------------------------------------------------------------------------------------------
    def profile(self, ins: str) -> MedicalProfile | None:
        item = self.table.get(patient_pk(ins), PROFILE_SK)
        return profile_from(item) if item else None

    def put_profile(self, ins: str, profile: MedicalProfile) -> None:
        self.table.put(profile_item(ins, profile))

    # -- vaccinations ----------------------------------------------------------------------------------------------
    def add_vaccination(self, ins: str, vaccination: Vaccination) -> None:
        self.table.put(vaccination_item(ins, vaccination))

    def vaccinations(self, ins: str, limit: int, cursor: str | None) -> Page[Vaccination]:
        items, next_cursor = self.table.page(patient_pk(ins), limit, cursor, sk_prefix=VACCINATION)
        return Page([vaccination_from(i) for i in items], next_cursor)

    # -- measurements ----------------------------------------------------------------------------------------------
    def add_measurement(self, ins: str, measurement: Measurement) -> None:
        """The measurement, then ``LATEST#{code}``, which follows the most recent measurement of that code (an
        older one arriving late never replaces it)."""
        fields = measurement_fields(measurement)
        self.table.put({"pk": patient_pk(ins), "sk": measurement_sk(measurement), **fields})
        self._latest(ins, measurement)

    def add_measurements(self, ins: str, measurements: Sequence[Measurement]) -> None:
        """Several measurements in one transaction (all or none: a Mesures de santé Bundle), then the latest of
        each code as :meth:`add_measurement` keeps it."""
        if len(measurements) > MAX_TRANSACTION:
            raise ValueError(f"at most {MAX_TRANSACTION} measurements at once")
        items = [{"Put": {"TableName": self.table.name, "Item": dump(
            {"pk": patient_pk(ins), "sk": measurement_sk(m), **measurement_fields(m)})}} for m in measurements]
        if len(items) == 1:
            self.table.client.put_item(**items[0]["Put"])
        elif items:
            self.table.client.transact_write_items(TransactItems=items)
        latest: dict[str, Measurement] = {}
        for m in measurements:
            if m.code not in latest or latest[m.code].effective_at < m.effective_at:
                latest[m.code] = m
        for m in latest.values():
            self._latest(ins, m)

    def _latest(self, ins: str, measurement: Measurement) -> None:
        fields = measurement_fields(measurement)
        try:
            self.table.put({"pk": patient_pk(ins), "sk": f"{LATEST}{measurement.code}", **fields},
                           condition="attribute_not_exists(pk) OR effective_at < :at",
                           expression_values=values(at=fields["effective_at"]))
        except Exception as error:
            if not is_conditional_failure(error):
                raise

    def measurements(self, ins: str, limit: int, cursor: str | None, code: str | None = None, *,
                     codes: Collection[str] = (), since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> Page[Measurement]:
        """Most recent first; ``code`` or any of ``codes``; measured at or after ``since`` and before ``until`` (a
        range of the sort key: the Query reads only those)."""
        wanted = sorted({code} if code else set(codes))
        bounds = (f"{MEASUREMENT}{iso_ms(since)}" if since else MEASUREMENT,
                  f"{MEASUREMENT}{iso_ms(until)}" if until else f"{MEASUREMENT}~")  # "~" sorts after every time
        names = {f":c{i}": c for i, c in enumerate(wanted)}
        items, next_cursor = self.table.page(
            patient_pk(ins), limit, cursor, sk_prefix=MEASUREMENT, sk_between=bounds,
            filter_expression=f"#code IN ({', '.join(names)})" if wanted else None,
            filter_values=values(**{k[1:]: v for k, v in names.items()}) if wanted else None,
            names={"#code": "code"} if wanted else None)
        return Page([measurement_from(i) for i in items], next_cursor)

    # -- measuring devices ---------------------------------------------------------------------------------------
    def device_once(self, ins: str, device: Device) -> tuple[Device, bool]:
        """Register ``device`` unless one with its identifier is known (a conditional create): (the device as stored,
        whether it was created now)."""
        sk = device_sk(device.system, device.value)
        item = {"pk": patient_pk(ins), "sk": sk, "device_id": device.device_id, "system": device.system,
                "value": device.value, "registered_at": _t(device.registered_at),
                "registered_by": device.registered_by.as_dict(), "manufacturer": device.manufacturer,
                "model": device.model, "name": device.name}
        try:
            self.table.put(item, condition="attribute_not_exists(pk)")
            return device, True
        except Exception as error:
            if not is_conditional_failure(error):
                raise
        stored = self.table.get(patient_pk(ins), sk)
        assert stored is not None  # a device is never deleted but with the whole space
        return device_from(stored), False

    def latest_measurements(self, ins: str) -> list[Measurement]:
        return [measurement_from(i) for i in self.table.query_all(patient_pk(ins), sk_prefix=LATEST)]

    # -- the archive -----------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        return self.table.erase_prefixes(patient_pk(ins), OWNED, exact=(PROFILE_SK,))
