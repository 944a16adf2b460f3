"""The medical profile, vaccinations, measurements and the PDF summary.

Who: the patient (or a legal representative) writes the profile; authorised professionals read the profile and
the vaccinations, never the measurements; consenting apps reach what the patient granted. Every question goes
to the one access decision, and accesses by others land in the access log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.care import Device, Measurement, MedicalProfile, Summary, Vaccination
from chalicelib.domain.identity import Actor, Party, sex_of
from chalicelib.domain.measurements import check_measurement, measurement_types
from chalicelib.domain.results import Page
from chalicelib.errors import DomainError, InvalidInput, NotFound
from chalicelib.ports import AccountRepository, Clock, Ids
from chalicelib.services.access import AccessService

if TYPE_CHECKING:
    from chalicelib.models.care import MeasurementCreate, Profile, VaccinationCreate

SUMMARY_VACCINATIONS = 500  # the most a summary lists (a lifetime is far fewer)
FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # a phone's clock may run a little ahead (as the REST body's check)
MAX_MEASUREMENTS = 100  # at once: one DynamoDB transaction


class MeasurementValue(Protocol):
    """One measurement to record (FHIR's :class:`chalicelib.fhir.measures.MeasurementToAdd` is one)."""

    @property
    def code(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def effective_at(self) -> dt.datetime: ...


class DeviceIdentity(Protocol):
    """The device that measured them (FHIR's :class:`chalicelib.fhir.measures.DeviceIdentity` is one)."""

    @property
    def system(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def manufacturer(self) -> str | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...


@dataclass(frozen=True)
class MeasurementsAdded:
    """What a batch of measurements became: each one recorded, and the device, created now or known already."""

    measurements: list[Measurement]
    device: Device | None
    device_created: bool


class CareRepository(Protocol):
    """Profile, vaccinations and measurements of a space (and the latest measurement of each code)."""

    def profile(self, ins: str) -> MedicalProfile | None: ...
    def put_profile(self, ins: str, profile: MedicalProfile) -> None: ...
    def add_vaccination(self, ins: str, vaccination: Vaccination) -> None: ...
    def vaccinations(self, ins: str, limit: int, cursor: str | None) -> Page[Vaccination]:
        """Most recent first."""
        ...
    def add_measurement(self, ins: str, measurement: Measurement) -> None:
        """Record it, and keep it as the latest of its code unless a more recent one is there."""
        ...
    def add_measurements(self, ins: str, measurements: Sequence[Measurement]) -> None:
        """Record them all or none (one transaction), and the latest of each code as :meth:`add_measurement`."""
        ...
    def measurements(self, ins: str, limit: int, cursor: str | None, code: str | None = None, *,
                     codes: Collection[str] = (), since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> Page[Measurement]:
        """Most recent first, of one code (or any of ``codes``) when given, measured in [since, until)."""
        ...
    def device_once(self, ins: str, device: Device) -> tuple[Device, bool]:
        """Register a measuring device unless one with its identifier is known: (as stored, created now)."""
        ...
    def latest_measurements(self, ins: str) -> list[Measurement]: ...
    def erase(self, ins: str) -> int: ...


class SummaryRenderer(Protocol):
    def render(self, summary: Summary) -> bytes:
        """The summary as a PDF document."""
        ...


class CareService:
    def __init__(self, care: CareRepository, accounts: AccountRepository, access: AccessService, clock: Clock,
                 ids: Ids, renderer: SummaryRenderer) -> None:
        self.care = care
        self.accounts = accounts
        self.access = access
        self.clock = clock
        self.ids = ids
        self.renderer = renderer

    # -- profile -------------------------------------------------------------------------------------------------
    def profile(self, actor: Actor, ins: str) -> MedicalProfile:
        grant = self.access.check(actor, Action.READ_PROFILE, ins)
        grant.log("read_profile")
        return self.care.profile(ins) or MedicalProfile()

    def put_profile(self, actor: Actor, ins: str, body: Profile) -> MedicalProfile:
        grant = self.access.check(actor, Action.WRITE_PROFILE, ins)
        profile = MedicalProfile(**body.model_dump(mode="json", exclude_none=True), updated_at=self.clock.now(),
                                 updated_by=Party.of(actor))
        self.care.put_profile(ins, profile)
        grant.log("write_profile")
        return profile

    # -- vaccinations --------------------------------------------------------------------------------------------
    def add_vaccination(self, actor: Actor, ins: str, body: VaccinationCreate) -> Vaccination:
        grant = self.access.check(actor, Action.WRITE_VACCINATIONS, ins)
        now = self.clock.now()
        vaccination = Vaccination(vaccination_id=self.ids.new(now), vaccine=body.vaccine, date=body.date,
                                  dose=body.dose, lot=body.lot, recorded_by=Party.of(actor), recorded_at=now)
        self.care.add_vaccination(ins, vaccination)
        grant.log("add_vaccination")
        return vaccination

    def vaccinations(self, actor: Actor, ins: str, limit: int, cursor: str | None) -> Page[Vaccination]:
        grant = self.access.check(actor, Action.READ_VACCINATIONS, ins)
        page = self.care.vaccinations(ins, limit, cursor)
        grant.log("list_vaccinations")
        return page

    # -- measurements --------------------------------------------------------------------------------------------
    def add_measurement(self, actor: Actor, ins: str, body: MeasurementCreate) -> Measurement:
        grant = self.access.check(actor, Action.WRITE_MEASUREMENTS, ins)
        unit, value = check_measurement(body.code, body.value, body.unit)
        now = self.clock.now()
        measurement = Measurement(measurement_id=self.ids.new(now), code=body.code,
                                  label=measurement_types()[body.code].label_fr, value=value, unit=unit,
                                  effective_at=body.effective_at, source=Party.of(actor), recorded_at=now)
        self.care.add_measurement(ins, measurement)
        grant.log("add_measurement")
        return measurement

    def add_measurements(self, actor: Actor, ins: str, values: Sequence[MeasurementValue],
                         device: DeviceIdentity | None = None) -> MeasurementsAdded:
        """Several measurements from one device (a Mesures de santé Bundle), all or none, each under the rules of
        :meth:`add_measurement`; the device is registered once (known already: the same one)."""
        grant = self.access.check(actor, Action.WRITE_MEASUREMENTS, ins)
        if not 1 <= len(values) <= MAX_MEASUREMENTS:
            raise InvalidInput(f"Send from 1 to {MAX_MEASUREMENTS} measurements at once.", code="too_many_measurements")
        now = self.clock.now()
        checked = []
        for index, value in enumerate(values):
            try:
                unit, number = check_measurement(value.code, value.value, value.unit)
                if value.effective_at > now + FUTURE_TOLERANCE:
                    raise InvalidInput("The field 'effective_at' cannot be in the future: a measurement is taken "
                                       "before it is recorded.", code="invalid_effective_at", field="effective_at")
            except DomainError as error:
                error.details.update(item=index)
                raise
            checked.append((value, unit, number))
        registered, created = None, False
        if device is not None:
            registered, created = self.care.device_once(ins, Device(
                device_id=self.ids.new(now), system=device.system, value=device.value, registered_at=now,
                registered_by=Party.of(actor), manufacturer=device.manufacturer, model=device.model,
                name=device.name))
        measurements = [Measurement(measurement_id=self.ids.new(now), code=value.code,
                                    label=measurement_types()[value.code].label_fr, value=number, unit=unit,
                                    effective_at=value.effective_at, source=Party.of(actor), recorded_at=now,
                                    device=registered.device_id if registered else None)
                        for value, unit, number in checked]
        self.care.add_measurements(ins, measurements)
        for _ in measurements:
            grant.log("add_measurement")
        return MeasurementsAdded(measurements, registered, created)

    def measurements(self, actor: Actor, ins: str, limit: int, cursor: str | None, code: str | None = None, *,
                     codes: Collection[str] = (), since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> Page[Measurement]:
        """Most recent first; one ``code`` (REST) or any of ``codes``, measured in [``since``, ``until``) (FHIR)."""
        grant = self.access.check(actor, Action.READ_MEASUREMENTS, ins)
        page = self.care.measurements(ins, limit, cursor, code, codes=codes, since=since, until=until)
        grant.log("list_measurements")
        return page

    # -- the PDF summary -----------------------------------------------------------------------------------------
    def summary_pdf(self, actor: Actor, ins: str) -> bytes:
        """Identity, profile, vaccinations and, for the patient, the latest measurements (never for others)."""
        grant = self.access.check(actor, Action.READ_SUMMARY, ins)
        account = self.accounts.get(ins)
        if account is None:
            raise NotFound("No health space exists for this INS.", code="no_space")
        measurements = sorted(self.care.latest_measurements(ins), key=lambda m: m.code) if grant.by_patient else []
        summary = Summary(ins=ins, given_name=account.given_name, family_name=account.family_name,
                          birth_date=account.birth_date, sex=sex_of(ins), generated_at=self.clock.now(),
                          profile=self.care.profile(ins) or MedicalProfile(),
                          vaccinations=self.care.vaccinations(ins, SUMMARY_VACCINATIONS, None).items,
                          measurements=measurements, professional_copy=not grant.by_patient)
        grant.log("read_summary")
        return self.renderer.render(summary)

    # -- the archive ---------------------------------------------------------------------------------------------
    def erase(self, ins: str) -> int:
        return self.care.erase(ins)
