"""The medical profile, vaccinations, measurements and the PDF summary.

Who: the patient (or a legal representative) writes the profile; authorised professionals read the profile and
the vaccinations, never the measurements; consenting apps reach what the patient granted. Every question goes
to the one access decision, and accesses by others land in the access log.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.timeutil import iso, iso_ms
from chalicelib.errors import NotFound
from chalicelib.ports import AccountRepository, Clock
from chalicelib.services.access import AccessService, Grant

PROFILE_LISTS = ("allergies", "conditions", "treatments", "hospitalisations", "family_history")


class CareRepository(Protocol):
    def profile(self, ins: str) -> dict[str, Any] | None: ...
    def put_profile(self, ins: str, profile: dict[str, Any]) -> None: ...
    def add(self, ins: str, sk: str, entry: dict[str, Any], once: bool = False) -> bool: ...
    def page(self, ins: str, prefix: str, limit: int, cursor: str | None, newest_first: bool = True,
             filters: dict[str, str] | None = None, start_at: str | None = None) -> tuple[list[dict[str, Any]],
                                                                                         str | None]: ...
    def all(self, ins: str, prefix: str, limit: int = 1000) -> list[dict[str, Any]]: ...
    def keep_latest(self, ins: str, code: str, measurement: dict[str, Any]) -> None: ...
    def latest(self, ins: str) -> list[dict[str, Any]]: ...


def source_of(grant: Grant) -> dict[str, Any]:
    """Who recorded an entry: the patient, a professional (with profession), an establishment or an app."""
    actor = grant.actor
    out = {"role": actor.role, "id": actor.ins if actor.role == "patient" else actor.id}
    if getattr(actor, "profession", None):
        out["profession"] = actor.profession
    return out


def empty_profile() -> dict[str, Any]:
    return {**{name: [] for name in PROFILE_LISTS}, "blood_group": None, "advance_directives": None,
            "organ_donation": None}


class CareService:
    def __init__(self, care: CareRepository, accounts: AccountRepository, access: AccessService, clock: Clock) -> None:
        self.care = care
        self.accounts = accounts
        self.access = access
        self.clock = clock

    # -- profile -------------------------------------------------------------------------------------------------
    def profile(self, actor: Any, ins: str) -> dict[str, Any]:
        grant = self.access.check(actor, Action.READ_PROFILE, ins)
        grant.log("read_profile")
        return {**empty_profile(), **(self.care.profile(ins) or {})}

    def put_profile(self, actor: Any, ins: str, profile: Any) -> dict[str, Any]:
        grant = self.access.check(actor, Action.WRITE_PROFILE, ins)
        stored = {**profile.model_dump(mode="json", exclude_none=True), "updated_at": iso(self.clock.now()),
                  "updated_by": source_of(grant)}
        self.care.put_profile(ins, stored)
        grant.log("write_profile")
        return {**empty_profile(), **stored}

    # -- vaccinations --------------------------------------------------------------------------------------------
    def add_vaccination(self, actor: Any, ins: str, body: Any) -> dict[str, Any]:
        from chalicelib.adapters.system import new_id

        grant = self.access.check(actor, Action.WRITE_VACCINATIONS, ins)
        now = self.clock.now()
        entry = {"vaccination_id": new_id(now), "vaccine": body.vaccine, "date": body.date.isoformat(),
                 "dose": body.dose, "lot": body.lot, "recorded_by": source_of(grant), "recorded_at": iso(now)}
        self.care.add(ins, f"VAC#{entry['date']}#{entry['vaccination_id']}", entry)
        grant.log("add_vaccination")
        return {k: v for k, v in entry.items() if v is not None}

    def vaccinations(self, actor: Any, ins: str, limit: int, cursor: str | None) -> dict[str, Any]:
        grant = self.access.check(actor, Action.READ_VACCINATIONS, ins)
        items, next_cursor = self.care.page(ins, "VAC#", limit, cursor)
        grant.log("list_vaccinations")
        return {"items": items, "next_cursor": next_cursor}

    # -- measurements --------------------------------------------------------------------------------------------
    def add_measurement(self, actor: Any, ins: str, body: Any) -> dict[str, Any]:
        from chalicelib.adapters.system import new_id
        from chalicelib.domain.measurements import check_measurement, measurement_types

        grant = self.access.check(actor, Action.WRITE_MEASUREMENTS, ins)
        unit, value = check_measurement(body.code, body.value, body.unit)
        now = self.clock.now()
        entry = {"measurement_id": new_id(now), "code": body.code, "label": measurement_types()[body.code].label_fr,
                 "value": value, "unit": unit, "effective_at": iso_ms(body.effective_at),
                 "source": source_of(grant), "recorded_at": iso(now)}
        self.care.add(ins, f"MEAS#{entry['effective_at']}#{entry['measurement_id']}", entry)
        self.care.keep_latest(ins, body.code, entry)
        grant.log("add_measurement")
        return _measurement_view(entry)

    def measurements(self, actor: Any, ins: str, limit: int, cursor: str | None,
                     code: str | None = None) -> dict[str, Any]:
        grant = self.access.check(actor, Action.READ_MEASUREMENTS, ins)
        items, next_cursor = self.care.page(ins, "MEAS#", limit, cursor, filters={"code": code} if code else None)
        grant.log("list_measurements")
        return {"items": [_measurement_view(i) for i in items], "next_cursor": next_cursor}

    # -- the PDF summary -----------------------------------------------------------------------------------------
    def summary_pdf(self, actor: Any, ins: str) -> bytes:
        """Identity, profile, vaccinations and, for the patient, the latest measurements (never for others)."""
        from chalicelib.adapters.summary_pdf import PatientSummary, render_summary
        from chalicelib.domain.identity import sex_of

        grant = self.access.check(actor, Action.READ_SUMMARY, ins)
        account = self.accounts.get(ins)
        if account is None:
            raise NotFound("No health space exists for this INS.", code="no_space")
        profile = {**empty_profile(), **(self.care.profile(ins) or {})}
        vaccinations = self.care.all(ins, "VAC#", limit=500)
        own = grant.mode.value in ("self", "representative")
        measurements = sorted((_measurement_view(m) for m in self.care.latest(ins)), key=lambda m: m["code"]) \
            if own else []
        summary = PatientSummary(ins=ins, given_name=account.given_name, family_name=account.family_name,
                                 birth_date=account.birth_date, sex=sex_of(ins), generated_at=self.clock.now(),
                                 profile=profile, vaccinations=vaccinations, measurements=measurements,
                                 professional_copy=grant.actor.role == "professional")
        grant.log("read_summary")
        return render_summary(summary)


def _measurement_view(entry: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.domain.timeutil import parse

    return {**entry, "effective_at": iso(parse(entry["effective_at"]))}
