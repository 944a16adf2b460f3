"""Every service over the in-memory fakes (no AWS): fast tests of the use cases, each through the one decision.

The fakes keep the repositories' contracts (``tests/contract`` checks them against DynamoDB)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import fakes
import pytest
from helpers import make_finess, make_nir, make_rpps

from chalicelib.adapters.system import FixedClock
from chalicelib.domain.accounts import Account, Contact, Status
from chalicelib.domain.documents import Status as DocStatus
from chalicelib.domain.identity import Actor
from chalicelib.domain.results import InvalidRow
from chalicelib.errors import Busy, Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.models.care import (
    AppointmentCreate,
    AppointmentPatch,
    MeasurementCreate,
    Profile,
    ReimbursementBatch,
    ReminderStatusUpdate,
    VaccinationCreate,
)
from chalicelib.models.catalogue import AppChange, AppCreate, ConsentRequest
from chalicelib.models.messaging import ConversationStart, MessageCreate
from chalicelib.models.notifications import PreferencesUpdate
from chalicelib.models.records import DocumentCreate, DocumentPatch, EmergencySettings
from chalicelib.ports import ConcurrentUpdate
from chalicelib.services.access import AccessService
from chalicelib.services.agenda import AgendaService
from chalicelib.services.care import CareService
from chalicelib.services.catalogue import CatalogueService
from chalicelib.services.family import FamilyService
from chalicelib.services.ingest import IngestService, flag, inbox_owner
from chalicelib.services.messaging import MessagingService
from chalicelib.services.notices import Messenger
from chalicelib.services.notifications import NotificationService
from chalicelib.services.records import RecordService
from chalicelib.services.reimbursements import ReimbursementService
from chalicelib.services.sharing import SharingService
from chalicelib.services.submissions import SubmissionService, staging_key
from chalicelib.services.versioned import MAX_ATTEMPTS, retrying

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% unit\n"
AGENT = Actor("agent")


@dataclass
class World:
    """Every service wired over fakes, as ``chalicelib.bootstrap.Container`` wires them over AWS."""

    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    ids: fakes.SequenceIds = field(default_factory=fakes.SequenceIds)
    accounts: fakes.FakeAccounts = field(default_factory=fakes.FakeAccounts)
    sharing_repo: fakes.FakeSharing = field(default_factory=fakes.FakeSharing)
    apps: fakes.FakeApps = field(default_factory=fakes.FakeApps)
    consents: fakes.FakeConsents = field(default_factory=fakes.FakeConsents)
    log: fakes.FakeAccessLog = field(default_factory=fakes.FakeAccessLog)
    documents: fakes.FakeDocuments = field(default_factory=fakes.FakeDocuments)
    store: fakes.FakeStore = field(default_factory=fakes.FakeStore)
    notifier: fakes.FakeNotifier = field(default_factory=fakes.FakeNotifier)
    rejections: fakes.FakeRejections = field(default_factory=fakes.FakeRejections)
    care_repo: fakes.FakeCare = field(default_factory=fakes.FakeCare)
    agenda_repo: fakes.FakeAgenda = field(default_factory=fakes.FakeAgenda)
    reimbursements_repo: fakes.FakeReimbursements = field(default_factory=fakes.FakeReimbursements)
    pdf: fakes.RecordingRenderer = field(default_factory=fakes.RecordingRenderer)
    ics: fakes.RecordingRenderer = field(default_factory=fakes.RecordingRenderer)
    centre: fakes.FakeCentre = field(default_factory=fakes.FakeCentre)
    preferences: fakes.FakePreferences = field(default_factory=fakes.FakePreferences)
    alerts: list = field(default_factory=list)
    family_repo: fakes.FakeFamily = field(default_factory=fakes.FakeFamily)

    def __post_init__(self) -> None:
        self.access = AccessService(fakes.FakeFacts(self.accounts, self.sharing_repo, self.apps, self.consents,
                                                    self.family_repo), self.log, self.clock)
        self.messenger = Messenger(self.accounts, self.notifier, self.preferences, self.centre, self.clock, self.ids)
        self.notifications = NotificationService(self.centre, self.preferences, self.accounts, self.access, self.clock)
        self.records = RecordService(self.documents, self.store, self.access, self.clock, self.ids, "docs")
        self.ingest = IngestService(self.documents, self.store, self.accounts, self.rejections, self.messenger,
                                    self.access, self.clock, "docs", "inbox",
                                    alert=lambda message, details: self.alerts.append((message, details)))
        self.sharing = SharingService(self.sharing_repo, self.access, self.log, self.rejections, self.messenger,
                                      self.clock)
        self.care = CareService(self.care_repo, self.accounts, self.access, self.clock, self.ids, self.pdf)
        self.agenda = AgendaService(self.agenda_repo, self.accounts, self.access, self.messenger, self.clock,
                                    self.ids, self.ics)
        self.reimbursements = ReimbursementService(self.reimbursements_repo, self.accounts, self.access, self.clock)
        self.catalogue = CatalogueService(self.apps, self.consents, self.access, self.clock)
        self.messaging = MessagingService(fakes.FakeConversations(), self.documents, self.store, self.access,
                                          self.messenger, self.clock, self.ids, "docs")
        self.family = FamilyService(self.family_repo, self.accounts, self.access, self.messenger, self.clock,
                                    self.ids)
        self.submissions = SubmissionService(self.documents, self.store, self.access, self.clock, self.ids, "docs",
                                             300)

    def patient(self, status: Status = Status.ACTIVE, born: dt.date = dt.date(1980, 5, 1), sex: int = 1) -> Actor:
        nir = make_nir(sex, born)
        self.accounts.add(Account(nir=nir, given_name="Camille", family_name="Martin", birth_date=born, status=status,
                                  notified_at=NOW, contact=Contact(email="c@example.org")))
        return Actor("patient", ins=nir)

    def professional(self, authorised_for: Actor | None = None, profession: str = "medecin") -> Actor:
        pro = Actor("professional", rpps=make_rpps(), profession=profession)
        if authorised_for is not None:
            self.sharing.declare_care(pro, authorised_for.ins)
        return pro

    def document(self, author: Actor, ins: str, **extra) -> str:
        """A document declared then made available, as the S3 event would."""
        ticket = self.records.start_upload(author, ins, DocumentCreate(title="CR", type_code="11488-4",
                                                                       content_type="application/pdf",
                                                                       size=len(PDF), **extra))
        self.store.put("docs", f"documents/{ticket.document_id}", PDF)
        assert self.ingest.handle(event("docs", f"documents/{ticket.document_id}"))["outcome"] == "available"
        return ticket.document_id


def event(bucket: str, key: str) -> dict:
    return {"detail": {"bucket": {"name": bucket}, "object": {"key": key}}}


@pytest.fixture
def world() -> World:
    return World()


# -- access ---------------------------------------------------------------------------------------------------------
def test_a_grant_logs_others_accesses_only(world):
    me = world.patient()
    pro = world.professional(me)
    world.records.listing(me, me.ins, 10, None)
    world.records.listing(pro, me.ins, 10, None)
    assert [(e.actor.id, e.action) for e in world.log.of(me.ins)] == [(pro.rpps, "declare_care"),
                                                                      (pro.rpps, "list_documents")]


# -- records --------------------------------------------------------------------------------------------------------
def test_records_replaces_supersedes_and_refuses_what_one_cannot_see(world):
    me = world.patient()
    author = world.professional()  # feeds the record without reading it
    first = world.document(author, me.ins)
    second = world.document(author, me.ins, replaces=first)
    assert world.documents.get(me.ins, first).status == DocStatus.SUPERSEDED
    assert world.documents.get(me.ins, first).superseded_by == second
    stranger = world.professional()
    with pytest.raises(NotFound):
        world.records.start_upload(stranger, me.ins, DocumentCreate(title="x", type_code="11488-4",
                                                                    content_type="application/pdf", size=3,
                                                                    replaces=second))
    world.records.delete(author, me.ins, second)  # their own, without a read authorisation
    assert [d.document_id for d in world.records.listing(me, me.ins, 10, None).items] == [first]  # superseded


def test_records_masking_is_the_patients_hiding_the_authors(world):
    me = world.patient()
    pro = world.professional(me)
    doc = world.document(pro, me.ins)
    with pytest.raises(Forbidden):
        world.records.update(pro, me.ins, doc, DocumentPatch(masked=True))
    assert world.records.update(me, me.ins, doc, DocumentPatch(masked=True)).masked is True
    with pytest.raises(Forbidden):
        world.records.update(me, me.ins, doc, DocumentPatch(hidden_from_patient=True))
    assert world.records.update(pro, me.ins, doc, DocumentPatch(hidden_from_patient=True)).hidden_from_patient
    with pytest.raises(NotFound):
        world.records.get(me, me.ins, doc)
    read = world.records.get(pro, me.ins, doc)
    assert read.document_id == doc and read.download_url.startswith("get://docs/documents/")


def test_a_versioned_write_that_keeps_losing_is_one_busy_answer(world, monkeypatch):
    me = world.patient()
    doc = world.document(me, me.ins)

    def always_overtaken(*docs):
        raise ConcurrentUpdate("x")

    monkeypatch.setattr(world.documents, "save", always_overtaken)
    with pytest.raises(Busy) as busy:
        world.records.update(me, me.ins, doc, DocumentPatch(masked=True))
    assert busy.value.code == "busy"
    attempts = []
    with pytest.raises(Busy):
        retrying(lambda: attempts.append(1) or always_overtaken(), "the thing")
    assert len(attempts) == MAX_ATTEMPTS


# -- ingest ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "owner", "name", "well_formed"), [
    ("750000002/r.pdf", "750000002", "r.pdf", True),
    ("750000002/sub/r.pdf", "750000002", "sub/r.pdf", True),
    ("750000002", "750000002", "", False),
    ("/750000002/r.pdf", "750000002", "r.pdf", False),
    ("750000002//r.pdf", "750000002", "r.pdf", False),
    ("r.pdf", None, "r.pdf", False),
    ("123/r.pdf", None, "123/r.pdf", False),
])
def test_the_establishment_is_read_from_the_inbox_key(key, owner, name, well_formed):
    assert inbox_owner(key) == (owner, name, well_formed)


@pytest.mark.parametrize(("raw", "value"), [(None, False), ("true", True), (" TRUE ", True), ("false", False),
                                            ("1", None), ("yes", None), ("oui", None), ("", None), ("tru", None)])
def test_flags_are_true_false_or_a_doubt(raw, value):
    assert flag({} if raw is None else {"hidden-from-patient": raw}, "hidden-from-patient") is value


def test_an_inbox_drop_becomes_one_document_or_a_rejection_listed_to_its_establishment(world):
    me = world.patient()
    finess = make_finess()
    world.store.put("inbox", f"inbox/{finess}/r.pdf", PDF, metadata={"ins": me.ins, "type-code": "11502-2"})
    assert world.ingest.handle(event("inbox", f"inbox/{finess}/r.pdf"))["outcome"] == "available"
    world.store.put("inbox", f"inbox/{finess}/h.pdf", PDF, metadata={"ins": me.ins, "type-code": "11502-2",
                                                                   "hidden-from-patient": "oui"})
    assert world.ingest.handle(event("inbox", f"inbox/{finess}/h.pdf"))["reason"] == "invalid_flag"
    world.store.put("inbox", "inbox/h.pdf", PDF, metadata={"ins": me.ins})
    assert world.ingest.handle(event("inbox", "inbox/h.pdf"))["reason"] == "invalid_finess"
    assert [r.reason for r in world.rejections.page(finess, 10, None).items] == ["invalid_flag"]
    assert [r.reason for r in world.rejections.page("_unknown", 10, None).items] == ["invalid_finess"]
    assert world.alerts and me.ins not in str(world.alerts)
    assert len(world.records.listing(me, me.ins, 10, None).items) == 1
    assert ("inbox", f"quarantine/{finess}") not in world.store.objects  # kept under its rejection's folder
    assert any(k[1].startswith(f"quarantine/{finess}/") for k in world.store.objects)


# -- sharing --------------------------------------------------------------------------------------------------------
def test_sharing_blocks_names_the_attending_doctor_and_breaks_the_glass(world):
    me = world.patient()
    doctor, blocked = world.professional(), world.professional()
    world.sharing.set_professional(me, me.ins, blocked.rpps, "blocked")
    with pytest.raises(Conflict):
        world.sharing.set_attending_doctor(me, me.ins, blocked.rpps)
    world.sharing.set_attending_doctor(me, me.ins, doctor.rpps)
    listed = {r.rpps: r.attending_doctor for r in world.sharing.professionals(me, me.ins, 10, None).items}
    assert listed == {blocked.rpps: False, doctor.rpps: True}
    world.sharing.set_emergency_settings(me, me.ins, EmergencySettings(other_professionals=False))
    with pytest.raises(Forbidden):
        world.sharing.emergency_access(world.professional(), me.ins, "malaise", 2)
    samu = Actor("professional", rpps=make_rpps(), profession="medecin", samu=True)
    access = world.sharing.emergency_access(samu, me.ins, "malaise", 30)
    assert access.expires_at - access.granted_at == dt.timedelta(hours=24)  # capped
    assert world.notifier.to(me.ins, "emergency_access")
    with pytest.raises(Forbidden):
        world.sharing.rejections_of(Actor("establishment", finess=make_finess()), make_finess(), 10, None)


# -- care -----------------------------------------------------------------------------------------------------------
def test_care_profile_vaccinations_measurements_and_the_summary(world):
    me = world.patient()
    pro = world.professional(me)
    world.care.put_profile(me, me.ins, Profile(allergies=["pénicilline"], blood_group="O+"))
    assert world.care.profile(pro, me.ins).allergies == [{"name": "pénicilline"}]
    world.care.add_vaccination(pro, me.ins, VaccinationCreate(vaccine="DTP", date=dt.date(2020, 1, 1)))
    world.care.add_measurement(me, me.ins, MeasurementCreate(code="29463-7", value=70, unit="kg",
                                                             effective_at=NOW - dt.timedelta(hours=1)))
    with pytest.raises(Forbidden) as refused:
        world.care.measurements(pro, me.ins, 10, None)
    assert "not shared with professionals" in refused.value.message
    with pytest.raises(InvalidInput):
        world.care.add_measurement(me, me.ins, MeasurementCreate(code="29463-7", value=70, unit="lb",
                                                                 effective_at=NOW))
    assert world.care.summary_pdf(me, me.ins) == b"rendered"
    assert world.care.summary_pdf(pro, me.ins) == b"rendered"
    own, theirs = world.pdf.rendered
    assert [m.code for m in own.measurements] == ["29463-7"] and theirs.measurements == []
    assert [v.vaccine for v in own.vaccinations] == ["DTP"] and own.profile.blood_group == "O+"


# -- agenda ---------------------------------------------------------------------------------------------------------
def test_agenda_appointments_export_and_reminders_sent_once(world):
    me = world.patient(born=dt.date(1961, 12, 1))
    start = NOW + dt.timedelta(days=1)
    world.agenda.add_appointment(me, me.ins, AppointmentCreate(title="Dentiste", start=start))
    assert world.agenda.appointments(me, me.ins, 10, None).items[0].end == start + dt.timedelta(minutes=30)
    assert world.agenda.calendar(me, me.ins) == b"rendered"
    export = world.ics.rendered[0]
    assert [a.title for a in export.appointments] == ["Dentiste"] and export.reminders
    world.agenda.space_opened(me.ins, dt.date(1961, 12, 1), NOW)
    due_on = world.agenda_repo.reminders(me.ins).next_on
    later = dt.datetime.combine(due_on, dt.time(8), tzinfo=dt.UTC)
    assert world.agenda.run(later).processed >= 1
    assert world.agenda.run(later).processed == 0
    assert world.notifier.to(me.ins, "reminder")


def test_an_appointment_reminder_that_fails_to_go_is_sent_by_the_next_run_and_only_once(world):
    me = world.patient()
    start = NOW + dt.timedelta(days=2)
    appointment = world.agenda.add_appointment(me, me.ins, AppointmentCreate(
        title="Dentiste", start=start, reminder_at=start - dt.timedelta(days=1)))
    due = start - dt.timedelta(days=1)
    world.notifier.fail = True
    with pytest.raises(RuntimeError):
        world.agenda.run(due)
    world.notifier.fail = False
    assert world.agenda.run(due).details["appointment_reminders"] == 1  # released, not lost
    assert world.agenda.run(due + dt.timedelta(hours=1)).details["appointment_reminders"] == 0
    [notice] = world.notifier.to(me.ins, "appointment_reminder")
    assert notice.data["appointment_id"] == appointment.appointment_id and "Dentiste" not in str(notice.data)


def test_a_claimed_alarm_is_another_run_s_and_a_moved_appointment_keeps_its_new_reminder(world):
    me = world.patient()
    start = NOW + dt.timedelta(days=2)
    appointment = world.agenda.add_appointment(me, me.ins, AppointmentCreate(
        title="Dentiste", start=start, reminder_at=start - dt.timedelta(days=1)))
    [alarm] = world.agenda_repo.due_alarms(me.ins, start)
    assert world.agenda_repo.claim_alarm(alarm, start)  # another run holds it
    assert world.agenda.run(start - dt.timedelta(days=1)).processed == 0
    world.agenda.update_appointment(me, me.ins, appointment.appointment_id,
                                    AppointmentPatch(start=start + dt.timedelta(days=7)))
    world.agenda_repo.finish_alarm(alarm, start)  # the other run finishes: the moved reminder stays
    assert world.agenda.run(start + dt.timedelta(days=6)).details["appointment_reminders"] == 1


def test_prevention_statuses_done_postponed_and_overdue_at_opening(world):
    me = world.patient(born=dt.date(1970, 6, 1), sex=2)  # 56 since June: breast and colorectal screening overdue
    world.agenda.space_opened(me.ins, dt.date(1970, 6, 1), NOW)
    world.agenda.set_reminder_status(me, me.ins, "colorectal-screening:2026-06-01", ReminderStatusUpdate(
        status="postponed", postponed_until=dt.date(2027, 1, 15)))
    assert world.agenda.run(NOW).processed == 1  # breast screening; colorectal waits for its new day
    assert world.agenda.run(dt.datetime(2027, 1, 15, 8, tzinfo=dt.UTC)).processed == 1
    assert [n.data["due_on"] for n in world.notifier.to(me.ins, "reminder")] == ["2026-06-01", "2027-01-15"]
    listed = {r.reminder_id: r for r in world.agenda.reminders(me, me.ins).items}
    assert listed["colorectal-screening:2026-06-01"].status == "postponed"
    with pytest.raises(NotFound):
        world.agenda.set_reminder_status(me, me.ins, "cervical-screening:2026-06-02", ReminderStatusUpdate(
            status="done"))


def test_the_messenger_honours_the_recipient_s_preferences_and_keeps_no_code(world):
    parent = world.patient()
    child_nir = make_nir(born=dt.date(2016, 1, 1))
    world.accounts.add_with_dependant_link(Account(
        nir=child_nir, given_name="Léo", family_name="Martin", birth_date=dt.date(2016, 1, 1), status=Status.ACTIVE,
        notified_at=NOW, legal_representative_nir=parent.ins), parent.ins)
    world.notifications.set_preferences(parent, PreferencesUpdate(document=False))
    assert world.messenger.tell(child_nir, "document_added") is None  # the parent, who receives it, said no
    assert world.messenger.tell(child_nir, "emergency_access", {"at": "now"}) == "email"  # the law's: always
    world.messenger.tell(parent.ins, "activation_code", {"code": "SECRETCODE12", "expires_at": "later"})
    kept = world.centre.page([parent.ins, child_nir], 10, None).items
    assert {(n.ins, n.kind) for n in kept} == {(child_nir, "emergency_access"), (parent.ins, "activation_code")}
    assert all("code" not in n.data for n in kept)
    page = world.notifications.notifications(parent, 10, None)
    assert {n.ins for n in page.items} == {parent.ins, child_nir}  # the spaces they manage
    first = page.items[0]
    assert world.notifications.mark_read(parent, first.notification_id).read is True
    stranger = world.patient()
    with pytest.raises(NotFound):
        world.notifications.mark_read(stranger, first.notification_id)


def test_a_failing_centre_never_stops_a_notice(world, monkeypatch):
    me = world.patient()

    def broken(notification):
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(world.centre, "record", broken)
    assert world.messenger.tell(me.ins, "new_message") == "email"
    assert world.notifier.to(me.ins, "new_message")


# -- reimbursements -------------------------------------------------------------------------------------------------
def test_reimbursements_line_by_line(world):
    me = world.patient()
    line = {"ins": me.ins, "date": "2026-10-01", "act": "Consultation", "amount_paid": "26.50",
            "amount_reimbursed": "18.55"}
    batch = ReimbursementBatch(items=[line, line, {"ins": make_nir(), **{k: v for k, v in line.items() if k != "ins"}},
                                      "not a line", {**line, "amount_reimbursed": "99"}])
    assert isinstance(batch.lines()[3], InvalidRow)
    results = world.reimbursements.load(AGENT, batch)
    assert [r.status for r in results] == ["recorded", "duplicate", "invalid", "invalid", "invalid"]
    assert [r.amount_paid for r in world.reimbursements.listing(me, me.ins, 10, None).items] == [26.5]
    with pytest.raises(Forbidden):
        world.reimbursements.load(me, batch)


# -- catalogue ------------------------------------------------------------------------------------------------------
def test_catalogue_consent_within_the_agreement_and_re_approval_when_it_grows(world):
    me = world.patient()
    world.catalogue.reference(AGENT, AppCreate(name="Glyco", category="prevention",
                                               data_access=[{"category": "measurements", "access": "write"}]))
    with pytest.raises(InvalidInput):
        world.catalogue.grant(me, me.ins, "glyco", ConsentRequest(grants=[{"category": "documents",
                                                                           "access": "read"}]))
    view = world.catalogue.grant(me, me.ins, "glyco", ConsentRequest(grants=[{"category": "measurements",
                                                                              "access": "write"}]))
    assert view.effective_grants == frozenset({("measurements", "write")})
    world.catalogue.change(AGENT, "glyco", AppChange(data_access=[{"category": "measurements", "access": "write"},
                                                                  {"category": "agenda", "access": "read"}]))
    assert world.catalogue.consents_of(me, me.ins).items[0].needs_reapproval is True


# -- messaging ------------------------------------------------------------------------------------------------------
def test_messaging_participants_status_and_closed_spaces(world):
    me = world.patient()
    pro = world.professional()
    posted = world.messaging.start(pro, ConversationStart(patient_ins=me.ins, subject="Résultats", body="Bonjour"))
    world.messaging.post(me, posted.conversation_id, MessageCreate(body="Merci"))
    with pytest.raises(Forbidden):
        world.messaging.close(me, posted.conversation_id)
    world.messaging.close(pro, posted.conversation_id)
    with pytest.raises(Conflict):
        world.messaging.post(me, posted.conversation_id, MessageCreate(body="Encore"))
    with pytest.raises(NotFound):
        world.messaging.get(world.professional(), posted.conversation_id, 10, None)
    assert len(world.messaging.listing(pro, 10, None).items) == 1
    closing = world.accounts.get(me.ins)
    closing.close(NOW, False)
    world.accounts.save(closing)
    assert world.messaging.listing(pro, 10, None).items == []
    assert world.notifier.to(me.ins, "new_message") and "Résultats" not in str(world.notifier.sent)


# -- FHIR's entry points into the same services --------------------------------------------------------------------
@dataclass(frozen=True)
class Content:
    """One document of a submission, as chalicelib.fhir.provide.NewDocument carries it."""

    title: str = "CR"
    type_code: str = "11488-4"
    content_type: str = "application/pdf"
    content: bytes | None = PDF
    staged: str | None = None
    replaces: str | None = None
    hidden_from_patient: bool = False
    size: int = len(PDF)
    sha1: str = ""

    def __post_init__(self) -> None:
        if not self.sha1 and self.content is not None:
            object.__setattr__(self, "sha1", fakes._sha1(self.content))


def test_a_submission_adds_every_document_available_with_its_hash_and_owes_the_notice(world):
    me = world.patient()
    pro = world.professional()  # feeds the record without reading it
    done = world.submissions.provide(pro, me.ins, [Content(title="un"), Content(title="deux")])
    assert [d.title for d in done.documents] == ["un", "deux"]
    for doc in done.documents:
        stored = world.documents.get(me.ins, doc.document_id)
        assert stored.status == DocStatus.AVAILABLE and stored.sha1 == fakes._sha1(PDF) and stored.source == "fhir"
        assert stored.extra["follow_up"] == ["notice"]  # sent by its bytes' S3 event, as for any upload
        assert ("docs", f"documents/{doc.document_id}") in world.store.objects
    assert [(e.action, e.document_id) for e in world.log.of(me.ins)][-2:] == [
        ("add_document", d.document_id) for d in done.documents]
    # the S3 event of the bytes finishes what is owed, once
    assert world.ingest.handle(event("docs", f"documents/{done.documents[0].document_id}"))["outcome"] == "provided"
    assert [n.kind for n in world.notifier.to(me.ins)] == ["document_added"]


def test_a_submission_is_all_or_nothing_bytes_included(world):
    me = world.patient()
    pro = world.professional()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10
    with pytest.raises(InvalidInput) as caught:
        world.submissions.provide(pro, me.ins, [Content(), Content(content=png, size=len(png))])
    assert caught.value.code == "content_mismatch" and caught.value.details["item"] == 1
    assert world.documents.items == {} and not [k for k in world.store.objects if k[1].startswith("documents/")]


def test_a_failed_transaction_removes_the_bytes_already_written(world, monkeypatch):
    me = world.patient()
    pro = world.professional()

    def fail(*args, **kwargs):
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(world.documents, "add_all", fail)
    with pytest.raises(RuntimeError):
        world.submissions.provide(pro, me.ins, [Content(), Content()])
    assert not [k for k in world.store.objects if k[1].startswith("documents/")]
    # and their S3 events find nothing to wait for
    assert world.ingest.handle(event("docs", "documents/0190aabbccdd0011223344556677"))["outcome"] == "gone"


def test_a_submission_replaces_only_what_its_author_may_and_supersedes_in_the_same_transaction(world):
    me = world.patient()
    pro = world.professional()
    old = world.document(pro, me.ins)
    done = world.submissions.provide(pro, me.ins, [Content(replaces=old)])
    assert world.documents.get(me.ins, old).superseded_by == done.documents[0].document_id
    other = world.professional()
    with pytest.raises(NotFound) as caught:  # one they cannot see is absent
        world.submissions.provide(other, me.ins, [Content(replaces=done.documents[0].document_id)])
    assert caught.value.details["item"] == 0
    with pytest.raises(Conflict):  # superseded already
        world.submissions.provide(pro, me.ins, [Content(replaces=old)])
    with pytest.raises(InvalidInput):
        world.submissions.provide(pro, me.ins, [Content(replaces=done.documents[0].document_id)] * 2)


def test_a_visibility_flag_at_submission_is_the_authors_and_never_an_apps(world):
    me = world.patient()
    with pytest.raises(Forbidden):
        world.submissions.provide(me, me.ins, [Content(hidden_from_patient=True)])
    pro = world.professional()
    done = world.submissions.provide(pro, me.ins, [Content(hidden_from_patient=True)])
    assert done.documents[0].hidden_from_patient


def test_a_staged_upload_is_its_uploaders_for_its_patient_and_checked_by_sha1(world):
    me = world.patient()
    pro = world.professional()

    @dataclass(frozen=True)
    class Declared:
        content_type: str = "application/pdf"
        size: int = len(PDF)
        sha1: str = fakes._sha1(PDF)

    staged = world.submissions.stage(pro, me.ins, Declared())
    assert staged.upload_headers["x-amz-checksum-sha1"] == fakes._sha1(PDF)
    key = staging_key(me.ins, pro, staged.binary_id)
    with pytest.raises(InvalidInput) as caught:  # nothing PUT yet
        world.submissions.provide(pro, me.ins, [Content(content=None, staged=staged.binary_id, sha1=fakes._sha1(PDF))])
    assert caught.value.code == "unknown_upload"
    world.store.put("docs", key, PDF)
    other = world.professional()
    with pytest.raises(InvalidInput):  # someone else's upload does not exist for them
        world.submissions.provide(other, me.ins, [Content(content=None, staged=staged.binary_id,
                                                          sha1=fakes._sha1(PDF))])
    with pytest.raises(InvalidInput) as caught:  # the SHA-1 S3 computes on the copy differs
        world.submissions.provide(pro, me.ins, [Content(content=None, staged=staged.binary_id,
                                                        sha1=fakes._sha1(b"other"))])
    assert caught.value.code == "hash_mismatch"
    assert not [k for k in world.store.objects if k[1].startswith("documents/")]
    done = world.submissions.provide(pro, me.ins, [Content(content=None, staged=staged.binary_id,
                                                           sha1=fakes._sha1(PDF))])
    assert ("docs", done.documents[0].object_key) in world.store.objects
    assert ("docs", key) not in world.store.objects  # not kept twice
    assert world.submissions.erase(me.ins) == 0


def test_a_search_decides_each_document_as_the_listing_and_counts_the_matches(world):
    me = world.patient()
    pro = world.professional(me)
    ids = [world.document(world.professional(), me.ins) for _ in range(5)]
    world.records.update(me, me.ins, ids[0], DocumentPatch(masked=True))  # the professional no longer sees it
    listed = [d.document_id for d in world.records.listing(pro, me.ins, 50, None).items]
    first = world.records.search(pro, me.ins, 2, None, lambda d: True)
    assert [d.document_id for d in first.items] == listed[:2] and first.total == 4
    rest = world.records.search(pro, me.ins, 2, first.next_cursor, lambda d: True, before=2)
    assert rest.total == 4  # the last page knows it for free
    uncounted = world.records.search(pro, me.ins, 2, None, lambda d: True, total=False)
    assert uncounted.total is None and uncounted.next_cursor
    only = world.records.search(pro, me.ins, 50, None, lambda d: d.document_id == ids[1])
    assert [d.document_id for d in only.items] == [ids[1]] and only.total == 1
    assert [e.action for e in world.log.of(me.ins)].count("list_documents") == 5


def test_a_document_known_by_its_id_alone_answers_as_its_rest_twin(world):
    me = world.patient()
    pro = world.professional(me)
    doc = world.document(pro, me.ins)
    assert world.records.get_by_id(me, doc).download_url
    other = world.patient()
    with pytest.raises(NotFound):  # someone else's: exactly like an unknown id
        world.records.get_by_id(other, doc)
    with pytest.raises(Forbidden):  # a professional without an authorisation, as REST says it
        world.records.get_by_id(world.professional(), doc)
    with pytest.raises(NotFound):
        world.records.get_by_id(me, "0" * 28)


@dataclass(frozen=True)
class Change:
    masked: bool | None = None
    hidden_from_patient: bool | None = None
    delete: bool = False


def test_amending_decides_each_change_as_patch_and_delete_do(world):
    me = world.patient()
    pro = world.professional(me)
    doc = world.document(pro, me.ins)
    seen = []
    assert world.records.amend(me, doc, lambda d: seen.append(d.document_id) or Change(masked=True)).masked
    assert seen == [doc]
    with pytest.raises(Forbidden):  # masking is the patient's
        world.records.amend(pro, doc, lambda d: Change(masked=False))
    assert world.records.amend(pro, doc, lambda d: Change(hidden_from_patient=True)).hidden_from_patient
    stranger = world.professional()
    with pytest.raises(NotFound):  # never shown to the change: absent
        world.records.amend(stranger, doc, lambda d: pytest.fail("the change saw a document it may not see"))
    world.records.amend(pro, doc, lambda d: Change(delete=True))
    assert world.documents.get(me.ins, doc).deleted


def test_measurements_from_a_device_are_recorded_together_and_the_device_once(world):
    me = world.patient()

    @dataclass(frozen=True)
    class Value:
        code: str
        value: float
        unit: str
        effective_at: dt.datetime = NOW

    @dataclass(frozen=True)
    class Scale:
        system: str = "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680"
        value: str = "FE-ED"
        manufacturer: str | None = "Omron"
        model: str | None = None
        name: str | None = None

    added = world.care.add_measurements(me, me.ins, [Value("29463-7", 71, "kg"), Value("8867-4", 60, "bpm")],
                                        Scale())
    assert added.device_created and [m.unit for m in added.measurements] == ["kg", "/min"]
    again = world.care.add_measurements(me, me.ins, [Value("29463-7", 70, "kg")], Scale())
    assert not again.device_created and again.device.device_id == added.device.device_id
    assert again.measurements[0].device == added.device.device_id
    with pytest.raises(InvalidInput) as caught:
        world.care.add_measurements(me, me.ins, [Value("29463-7", 70, "kg"), Value("29463-7", 7000, "kg")])
    assert caught.value.details["item"] == 1
    assert len(world.care.measurements(me, me.ins, 50, None).items) == 3  # nothing of the refused batch
    weights = world.care.measurements(me, me.ins, 50, None, codes={"29463-7"}, since=NOW, until=NOW + dt.timedelta(1))
    assert sorted(m.value for m in weights.items) == [70, 71]


def test_looking_a_patient_up_shows_the_identity_to_readers_and_the_existence_to_feeders(world):
    me = world.patient()
    from chalicelib.services.lifecycle import LifecycleService

    lifecycle = LifecycleService(world.accounts, world.notifier, world.clock, fakes.SequenceSecrets(), "pepper",
                                 world.access)
    reader = world.professional(me)
    assert lifecycle.patient(reader, me.ins).family_name == "Martin"
    feeder = world.professional()
    found = lifecycle.patient(feeder, me.ins)
    assert found.status == "active" and found.family_name is None and found.birth_date is None
    assert lifecycle.patient(feeder, make_nir()) is None  # no space: nothing found
    with pytest.raises(Forbidden):  # someone else's space, as REST says it
        lifecycle.patient(world.patient(), me.ins)
    assert [e.action for e in world.log.of(me.ins)].count("read_patient") == 2
