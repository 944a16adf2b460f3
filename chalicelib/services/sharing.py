"""Who may read a patient's record: care relationships, the patient's authorisations and blocks, the attending
doctor, emergency settings and emergency access ("bris de glace"), the access log shown to the patient, and the
inbox rejections an establishment reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.access import Action, EmergencySettings
from chalicelib.domain.audit import AccessEntry, Rejection
from chalicelib.domain.identity import Actor
from chalicelib.domain.results import Page
from chalicelib.domain.sharing import AttendingDoctor, EmergencyAccess, Relation, SharingSettings
from chalicelib.domain.timeutil import iso
from chalicelib.errors import Conflict
from chalicelib.ports import Clock
from chalicelib.services.access import AccessLog, AccessService
from chalicelib.services.ingest import RejectionLog
from chalicelib.services.notices import Messenger

if TYPE_CHECKING:
    from chalicelib.models.records import EmergencySettings as EmergencySettingsChange


class SharingRepository(Protocol):
    def put_relation(self, ins: str, relation: Relation) -> Relation:
        """Write the relation, keeping the profession already known when the new one has none."""
        ...
    def relation(self, ins: str, rpps: str) -> Relation | None: ...
    def relations_page(self, ins: str, limit: int, cursor: str | None) -> Page[Relation]: ...
    def settings(self, ins: str) -> SharingSettings: ...
    def set_attending_doctor(self, ins: str, doctor: AttendingDoctor) -> None: ...
    def set_emergency_settings(self, ins: str, settings: EmergencySettings) -> None: ...
    def put_emergency(self, ins: str, access: EmergencyAccess) -> None: ...


class SharingService:
    def __init__(self, sharing: SharingRepository, access: AccessService, access_log: AccessLog,
                 rejections: RejectionLog, messenger: Messenger, clock: Clock) -> None:
        self.sharing = sharing
        self.access = access
        self.access_log = access_log
        self.rejections = rejections
        self.messenger = messenger
        self.clock = clock

    def declare_care(self, actor: Actor, ins: str) -> Relation:
        """A professional declares that the patient agreed, during care, to their reading the record."""
        grant = self.access.check(actor, Action.DECLARE_CARE, ins)
        assert actor.rpps is not None
        relation = self.sharing.put_relation(ins, Relation(actor.rpps, "authorized", "care_relationship",
                                                           self.clock.now(), actor.profession))
        grant.log("declare_care")
        return relation

    def set_professional(self, actor: Actor, ins: str, rpps: str, status: str) -> Relation:
        self.access.check(actor, Action.MANAGE_SHARING, ins)
        return self.sharing.put_relation(ins, Relation(rpps, status, "patient", self.clock.now()))

    def professionals(self, actor: Actor, ins: str, limit: int, cursor: str | None) -> Page[Relation]:
        self.access.check(actor, Action.READ_SHARING, ins)
        page = self.sharing.relations_page(ins, limit, cursor)
        attending = self.sharing.settings(ins).attending_doctor.rpps
        return Page([replace(r, attending_doctor=r.rpps == attending) for r in page.items], page.next_cursor)

    def set_attending_doctor(self, actor: Actor, ins: str, rpps: str) -> AttendingDoctor:
        """Name the attending doctor (médecin traitant): authorised, and sees masked documents."""
        self.access.check(actor, Action.MANAGE_SHARING, ins)
        current = self.sharing.relation(ins, rpps)
        if current is not None and current.status == "blocked":
            raise Conflict("This professional is blocked: unblock them before naming them attending doctor.",
                           code="blocked")
        now = self.clock.now()
        self.sharing.put_relation(ins, Relation(rpps, "authorized", "attending_doctor", now, "medecin"))
        doctor = AttendingDoctor(rpps, now)
        self.sharing.set_attending_doctor(ins, doctor)
        return doctor

    def attending_doctor(self, actor: Actor, ins: str) -> AttendingDoctor:
        self.access.check(actor, Action.READ_SHARING, ins)
        return self.sharing.settings(ins).attending_doctor

    def emergency_settings(self, actor: Actor, ins: str) -> EmergencySettings:
        self.access.check(actor, Action.READ_SHARING, ins)
        return self.sharing.settings(ins).emergency

    def set_emergency_settings(self, actor: Actor, ins: str, change: EmergencySettingsChange) -> EmergencySettings:
        """Change the settings given, keep the others (default: every emergency access allowed)."""
        self.access.check(actor, Action.MANAGE_SHARING, ins)
        current = self.sharing.settings(ins).emergency
        updated = EmergencySettings(
            samu=current.samu if change.samu is None else change.samu,
            other_professionals=current.other_professionals if change.other_professionals is None
            else change.other_professionals,
            masked_documents=current.masked_documents if change.masked_documents is None
            else change.masked_documents)
        self.sharing.set_emergency_settings(ins, updated)
        return updated

    def emergency_access(self, actor: Actor, ins: str, reason: str, hours: float | None) -> EmergencyAccess:
        """"Bris de glace": a temporary access without authorisation, always reported to the patient."""
        grant = self.access.check(actor, Action.EMERGENCY_ACCESS, ins)
        assert actor.rpps is not None
        access = EmergencyAccess.starting(actor.rpps, reason, self.clock.now(), hours, actor.samu)
        self.sharing.put_emergency(ins, access)
        grant.log("emergency_access", reason=reason)
        self.messenger.tell(ins, "emergency_access", {"at": iso(access.granted_at)})
        return access

    def access_history(self, actor: Actor, ins: str, limit: int, cursor: str | None,
                       since: dt.datetime | None = None, until: dt.datetime | None = None) -> Page[AccessEntry]:
        """Newest first; the accesses made in [``since``, ``until``) when given (FHIR AuditEvent ``date``)."""
        self.access.check(actor, Action.READ_ACCESS_LOG, ins)
        return self.access_log.page(ins, limit, cursor, since=since, until=until)

    def rejections_of(self, actor: Actor, finess: str, limit: int, cursor: str | None) -> Page[Rejection]:
        self.access.check_establishment(actor, Action.READ_REJECTIONS, finess)
        return self.rejections.page(finess, limit, cursor)

