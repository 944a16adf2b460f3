"""One suite, two implementations: every repository port against its in-memory fake (``tests/fakes.py``) and its
DynamoDB adapter (moto), as Chalice's todo sample runs one suite over its in-memory and DynamoDB stores. A fake
that drifts from the real repository fails here, before a service test trusts it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import fakes
import pytest
from helpers import make_nir, make_rpps

from chalicelib.domain.access import EmergencySettings
from chalicelib.domain.accounts import Account, Contact, Status
from chalicelib.domain.agenda import Alarm, Appointment, RecommendationStatus
from chalicelib.domain.audit import AccessEntry, AccessLogQuery, Rejection
from chalicelib.domain.care import Measurement, MedicalProfile, Vaccination
from chalicelib.domain.catalogue import CatalogueApp, Consent
from chalicelib.domain.documents import Author, Document
from chalicelib.domain.documents import Status as DocStatus
from chalicelib.domain.exports import Export
from chalicelib.domain.identity import Actor, Party
from chalicelib.domain.notices import Notification, NotificationPreferences
from chalicelib.domain.reimbursements import Reimbursement, line_id
from chalicelib.domain.sharing import AttendingDoctor, EmergencyAccess, Relation
from chalicelib.errors import MalformedRequest
from chalicelib.ports import AlreadyExists, ConcurrentUpdate

T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
ME = Party("patient", "180057512345602")
IMPLEMENTATIONS = ["fake", "dynamodb"]


@pytest.fixture(params=IMPLEMENTATIONS)
def kind(request):
    return request.param


@pytest.fixture
def tables(kind, request):
    """(kind, the moto settings and clients) — moto only for the DynamoDB side."""
    if kind == "fake":
        return None
    return request.getfixturevalue("aws")


def repo(tables, fake, dynamo, table):
    if tables is None:
        return fake()
    settings, clients = tables
    return dynamo(clients("dynamodb"), settings.table(table))


def walk(page_of, limit=2):
    """Every item of a listing, page by page, following the cursors."""
    items, cursor, pages = [], None, 0
    while True:
        page = page_of(limit, cursor)
        items += page.items
        pages += 1
        cursor = page.next_cursor
        assert pages < 100
        if not cursor:
            return items


# -- documents --------------------------------------------------------------------------------------------------
def document(ins, n, **extra):
    return Document(document_id=f"{n:028x}", ins=ins, title=f"doc {n}", type_code="11488-4", category="CPT_REND",
                    content_type="application/pdf", size=10, author=Author("patient", ins), created_at=T0, **extra)


@pytest.fixture
def documents(tables):
    from chalicelib.adapters.records_repo import DynamoDocuments

    return repo(tables, fakes.FakeDocuments, DynamoDocuments, "records")


def test_documents_add_get_save_versioned(documents):
    ins = make_nir()
    doc = document(ins, 1)
    documents.add(doc)
    with pytest.raises(AlreadyExists):
        documents.add(document(ins, 1))
    first, second = documents.get(ins, doc.document_id), documents.get(ins, doc.document_id)
    first.masked = True
    documents.save(first)
    second.title = "late"
    with pytest.raises(ConcurrentUpdate):
        documents.save(second)
    assert documents.get(ins, doc.document_id).masked is True
    assert documents.find(doc.document_id).ins == ins
    assert documents.get(make_nir(), doc.document_id) is None


def test_documents_list_newest_first_without_deleted_with_filters_and_cursors(documents):
    ins = make_nir()
    for n in range(1, 6):
        documents.add(document(ins, n))
    gone = documents.get(ins, f"{3:028x}")
    gone.delete("patient#x", T0)
    documents.save(gone)
    listed = walk(lambda limit, cursor: documents.page(ins, limit, cursor, lambda d: True))
    assert [d.document_id for d in listed] == [f"{n:028x}" for n in (5, 4, 2, 1)]
    picky = walk(lambda limit, cursor: documents.page(ins, limit, cursor, lambda d: d.document_id.endswith("4")))
    assert [d.document_id for d in picky] == [f"{4:028x}"]
    assert documents.page(ins, 10, None, lambda d: True, category="BIOLOGIE").items == []
    assert len(documents.all_for(ins)) == 5  # the archive keeps the deleted one


def test_documents_add_once_and_erase_only_their_own(documents, tables):
    ins = make_nir()
    assert documents.add_once(document(ins, 7, status=DocStatus.AVAILABLE), "fp") is True
    assert documents.add_once(document(ins, 8, status=DocStatus.AVAILABLE), "fp") is False
    assert documents.seen(ins, "fp") == f"{7:028x}"
    assert documents.erase(ins) >= 1
    assert documents.all_for(ins) == [] and documents.seen(ins, "fp") is None


def test_a_cursor_from_another_listing_is_refused(documents):
    ins, other = make_nir(), make_nir()
    for n in range(3):
        documents.add(document(ins, n + 1))
        documents.add(document(other, n + 1))
    page = documents.page(ins, 1, None, lambda d: True)
    with pytest.raises(MalformedRequest):
        documents.page(other, 1, page.next_cursor, lambda d: True)


def test_documents_added_together_or_not_at_all_with_what_they_supersede(documents):
    ins = make_nir()
    old = document(ins, 1, status=DocStatus.AVAILABLE, sha1="hZg+s6C84HLCNt/btzuNSEsBfpk=")
    documents.add(old)
    old = documents.get(ins, old.document_id)
    assert old.sha1 == "hZg+s6C84HLCNt/btzuNSEsBfpk="
    stale = documents.get(ins, old.document_id)
    old.supersede(f"{2:028x}")
    documents.add_all([document(ins, 2, status=DocStatus.AVAILABLE), document(ins, 3)], [old])
    assert documents.get(ins, old.document_id).superseded_by == f"{2:028x}"
    assert documents.get(ins, f"{3:028x}") is not None
    stale.supersede(f"{4:028x}")  # read before the transaction above: its condition fails, and nothing is written
    with pytest.raises(ConcurrentUpdate):
        documents.add_all([document(ins, 4)], [stale])
    assert documents.get(ins, f"{4:028x}") is None
    assert documents.get(ins, old.document_id).superseded_by == f"{2:028x}"


def test_documents_are_counted_through_what_the_decision_reads(documents):
    ins = make_nir()
    for n in range(1, 8):
        documents.add(document(ins, n, masked=n % 2 == 0))
    gone = documents.get(ins, f"{7:028x}")
    gone.delete("patient#x", T0)
    documents.save(gone)
    seen = []
    assert documents.count(ins, lambda d: seen.append(d) or not d.masked) == 3  # 1, 3, 5 (7 is deleted)
    assert {d.facts() for d in seen} == {documents.get(ins, d.document_id).facts() for d in seen}
    assert {d.created_at for d in seen} == {T0} and {d.category for d in seen} == {"CPT_REND"}
    assert documents.count(make_nir(), lambda d: True) == 0


# -- care ------------------------------------------------------------------------------------------------------------
@pytest.fixture
def care(tables):
    from chalicelib.adapters.care_repo import DynamoCare

    return repo(tables, fakes.FakeCare, DynamoCare, "records")


def test_care_profile_vaccinations_and_measurements(care):
    ins = make_nir()
    assert care.profile(ins) is None
    profile = MedicalProfile(allergies=[{"name": "pénicilline"}], blood_group="O+", updated_at=T0, updated_by=ME)
    care.put_profile(ins, profile)
    assert care.profile(ins) == profile
    for n, day in enumerate(("2020-01-01", "2024-06-01", "2022-03-01")):
        care.add_vaccination(ins, Vaccination(f"v{n}", "DTP", dt.date.fromisoformat(day), ME, T0, dose="1"))
    assert [v.date.year for v in walk(lambda n, c: care.vaccinations(ins, n, c))] == [2024, 2022, 2020]
    weights = [(T0 - dt.timedelta(days=d), 70 + d) for d in (3, 1, 2)]
    for n, (at, value) in enumerate(weights):
        care.add_measurement(ins, Measurement(f"m{n}", "29463-7", "Poids", float(value), "kg", at, ME, T0))
    care.add_measurement(ins, Measurement("g", "2339-0", "Glycémie", 100.0, "mg/dL", T0, ME, T0))
    assert [m.value for m in walk(lambda n, c: care.measurements(ins, n, c, "29463-7"))] == [71.0, 72.0, 73.0]
    latest = {m.code: m.value for m in care.latest_measurements(ins)}
    assert latest == {"29463-7": 71.0, "2339-0": 100.0}  # the most recent, not the last written
    care.erase(ins)
    assert care.profile(ins) is None and care.vaccinations(ins, 10, None).items == []
    assert care.latest_measurements(ins) == []


def test_care_measurements_together_by_codes_and_time_and_devices_once(care):
    from chalicelib.domain.care import Device

    ins = make_nir()
    batch = [Measurement(f"b{n}", code, "x", float(value), unit, T0 - dt.timedelta(hours=n), ME, T0, device="dev")
             for n, (code, value, unit) in enumerate((("8480-6", 120, "mm[Hg]"), ("8462-4", 80, "mm[Hg]"),
                                                      ("29463-7", 70, "kg"), ("29463-7", 69, "kg")))]
    care.add_measurements(ins, batch)
    pressure = walk(lambda n, c: care.measurements(ins, n, c, codes={"8480-6", "8462-4"}))
    assert [m.measurement_id for m in pressure] == ["b0", "b1"] and pressure[0].device == "dev"
    window = walk(lambda n, c: care.measurements(ins, n, c, since=T0 - dt.timedelta(hours=2),
                                                 until=T0 - dt.timedelta(hours=1)))
    assert [m.measurement_id for m in window] == ["b2"]  # [since, until)
    assert {m.code: m.value for m in care.latest_measurements(ins)}["29463-7"] == 70.0
    scale = Device("d1", "urn:oid:1.2.3", "FE-ED", T0, ME, manufacturer="Omron")
    assert care.device_once(ins, scale) == (scale, True)
    again, created = care.device_once(ins, Device("d2", "urn:oid:1.2.3", "FE-ED", T0, ME))
    assert (again.device_id, again.manufacturer, created) == ("d1", "Omron", False)
    assert care.device_once(make_nir(), Device("d3", "urn:oid:1.2.3", "FE-ED", T0, ME))[1] is True  # per space
    care.erase(ins)
    assert care.device_once(ins, Device("d4", "urn:oid:1.2.3", "FE-ED", T0, ME))[1] is True


# -- agenda ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def agenda(tables):
    from chalicelib.adapters.agenda_repo import DynamoAgenda

    return repo(tables, fakes.FakeAgenda, DynamoAgenda, "records")


def test_agenda_appointments_chronological_from_a_time(agenda):
    ins = make_nir()
    for n, hours in enumerate((5, 1, 3)):
        start = T0 + dt.timedelta(hours=hours)
        agenda.add_appointment(ins, Appointment(f"a{n}", f"rdv {hours}", start, start + dt.timedelta(minutes=30),
                                                ME, T0))
    assert [a.title for a in walk(lambda n, c: agenda.appointments(ins, n, c))] == ["rdv 1", "rdv 3", "rdv 5"]
    later = walk(lambda n, c: agenda.appointments(ins, n, c, T0 + dt.timedelta(hours=2)))
    assert [a.title for a in later] == ["rdv 3", "rdv 5"]


def test_agenda_reminders_claimed_once_advanced_once(agenda):
    ins = make_nir()
    day = dt.date(2026, 12, 1)
    agenda.schedule_reminder(ins, day, T0)
    assert agenda.reminders(ins).next_on == day and ins in agenda.due_reminders(T0)
    assert agenda.claim_reminder(ins, "dtp:2026-12-01") is True
    assert agenda.claim_reminder(ins, "dtp:2026-12-01") is False
    agenda.release_reminder(ins, "dtp:2026-12-01")
    assert agenda.claim_reminder(ins, "dtp:2026-12-01") is True
    assert agenda.reminders(ins).sent == frozenset({"dtp:2026-12-01"})
    assert agenda.advance_reminders(ins, day, dt.date(2027, 1, 1), T0 + dt.timedelta(days=40)) is True
    assert agenda.advance_reminders(ins, day, None, None) is False  # another run moved on
    assert ins not in agenda.due_reminders(T0)
    agenda.erase(ins)
    assert agenda.reminders(ins).next_on is None


def test_agenda_appointments_changed_and_cancelled_with_their_reminder_and_versions(agenda):
    ins = make_nir()
    start = T0 + dt.timedelta(days=3)
    first = Appointment("a1", "rdv", start, start + dt.timedelta(minutes=30), ME, T0,
                        reminder_at=start - dt.timedelta(days=1))
    agenda.add_appointment(ins, first)
    stored = agenda.appointment(ins, "a1")
    assert stored is not None and stored.version == 1 and stored.reminder_at == first.reminder_at
    [alarm] = agenda.due_alarms(ins, start)
    assert alarm.kind == "appointment" and alarm.ref == "a1" and ins in agenda.due_reminders(start)
    later = start + dt.timedelta(days=7)
    moved = agenda.update_appointment(ins, stored, Appointment("a1", "rdv", later, later + dt.timedelta(hours=1), ME,
                                                               T0, reminder_at=later - dt.timedelta(hours=2)))
    assert moved.version == 2 and [a.start for a in walk(lambda n, c: agenda.appointments(ins, n, c))] == [later]
    assert agenda.due_alarms(ins, start) == [] and agenda.due_alarms(ins, later)[0].at == moved.reminder_at
    with pytest.raises(ConcurrentUpdate):
        agenda.update_appointment(ins, stored, stored)  # an old version
    with pytest.raises(ConcurrentUpdate):
        agenda.delete_appointment(ins, stored)
    agenda.delete_appointment(ins, moved)
    assert agenda.appointment(ins, "a1") is None and agenda.due_alarms(ins, later) == []
    assert walk(lambda n, c: agenda.appointments(ins, n, c)) == []


def test_agenda_alarms_claimed_once_released_and_finished(agenda):
    ins = make_nir()
    alarm = Alarm.for_recommendation(ins, "dtp-adult:2026-12-01", "postponed", T0)
    agenda.put_alarm(alarm)
    [due] = agenda.due_alarms(ins, T0)
    until = T0 + dt.timedelta(minutes=15)
    assert agenda.claim_alarm(due, until) is True
    assert agenda.claim_alarm(due, until) is False  # another run
    assert agenda.due_alarms(ins, T0) == []  # held until the lease ends
    agenda.release_alarm(due, until)
    [again] = agenda.due_alarms(ins, T0)
    assert agenda.claim_alarm(again, until) is True
    agenda.finish_alarm(again, until)
    assert agenda.due_alarms(ins, until) == [] and ins not in agenda.due_reminders(until)


def test_agenda_statuses_and_erase(agenda):
    ins = make_nir()
    status = RecommendationStatus("dtp-adult:2026-12-01", "postponed", T0, ME, dt.date(2027, 2, 1))
    agenda.put_status(ins, status)
    assert agenda.statuses(ins) == {"dtp-adult:2026-12-01": status}
    agenda.put_alarm(Alarm.for_recommendation(ins, "dtp-adult:2026-12-01", "postponed", T0))
    agenda.add_appointment(ins, Appointment("a1", "rdv", T0, T0 + dt.timedelta(hours=1), ME, T0,
                                            reminder_at=T0 - dt.timedelta(hours=1)))
    agenda.erase(ins)
    assert agenda.statuses(ins) == {} and agenda.due_alarms(ins, T0) == [] and agenda.appointment(ins, "a1") is None


# -- notification centre and preferences ------------------------------------------------------------------------------
@pytest.fixture
def centre(tables):
    from chalicelib.adapters.notices_repo import DynamoNotificationCentre

    return repo(tables, fakes.FakeCentre, DynamoNotificationCentre, "records")


@pytest.fixture
def preferences(tables):
    from chalicelib.adapters.notices_repo import DynamoPreferences

    return repo(tables, fakes.FakePreferences, DynamoPreferences, "accounts")


def test_preferences_default_on_and_kept(preferences):
    nir = make_nir()
    assert preferences.get(nir) == NotificationPreferences()
    chosen = NotificationPreferences(document=False, prevention=False, updated_at=T0)
    preferences.put(nir, chosen)
    assert preferences.get(nir) == chosen
    preferences.erase(nir)
    assert preferences.get(nir) == NotificationPreferences()


def test_the_centre_merges_spaces_newest_first_with_read_state_per_reader(centre):
    mine, child, other = make_nir(), make_nir(), make_nir()
    for n, ins in enumerate([mine, child, mine, other, child, mine]):
        centre.record(Notification(f"{n:012x}{'0' * 16}", ins, "document_added", T0 + dt.timedelta(seconds=n),
                                   "email", {"n": str(n)}))
    seen = walk(lambda n, c: centre.page([mine, child], n, c))
    assert [x.data["n"] for x in seen] == ["5", "4", "2", "1", "0"]
    assert [x.data["n"] for x in centre.page([child], 10, None).items] == ["4", "1"]
    found = centre.find([mine, child], seen[1].notification_id)
    assert found is not None and found.ins == child
    assert centre.find([mine], seen[1].notification_id) is None  # not one of these spaces
    read = centre.mark_read(found, mine)
    assert read.read_for(mine) and not read.read_for(child)
    assert centre.mark_read(read, mine).read_by == frozenset({mine})  # idempotent
    with pytest.raises(MalformedRequest):
        centre.page([mine], 1, centre.page([mine, child], 1, None).next_cursor)  # another listing's cursor
    centre.erase(child)
    assert [x.data["n"] for x in walk(lambda n, c: centre.page([mine, child], n, c))] == ["5", "2", "0"]


# -- reimbursements --------------------------------------------------------------------------------------------------
@pytest.fixture
def reimbursements(tables):
    from chalicelib.adapters.reimbursements_repo import DynamoReimbursements

    return repo(tables, fakes.FakeReimbursements, DynamoReimbursements, "records")


def test_reimbursements_once_each_newest_first(reimbursements):
    ins = make_nir()
    lines = [Reimbursement(line_id(ins, None, dt.date(2026, m, 1), "G", Decimal("25"), Decimal("17.5")),
                           dt.date(2026, m, 1), "G", 25.0, 17.5, T0) for m in (3, 9, 6)]
    assert [reimbursements.add_once(ins, line) for line in lines] == [True, True, True]
    assert reimbursements.add_once(ins, lines[0]) is False
    assert [r.date.month for r in walk(lambda n, c: reimbursements.page(ins, n, c))] == [9, 6, 3]
    reimbursements.erase(ins)
    assert reimbursements.page(ins, 10, None).items == []


# -- sharing ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def sharing(tables):
    from chalicelib.adapters.sharing_repo import DynamoSharing

    return repo(tables, fakes.FakeSharing, DynamoSharing, "accounts")


def test_sharing_relations_settings_and_emergencies(sharing):
    ins, rpps = make_nir(), make_rpps()
    assert sharing.settings(ins).emergency == EmergencySettings()
    sharing.put_relation(ins, Relation(rpps, "authorized", "care_relationship", T0, "infirmier"))
    kept = sharing.put_relation(ins, Relation(rpps, "blocked", "patient", T0))
    assert kept.profession == "infirmier" and sharing.relation(ins, rpps).status == "blocked"
    others = sorted(make_rpps() for _ in range(3))
    for other in others:
        sharing.put_relation(ins, Relation(other, "authorized", "patient", T0))
    assert len(walk(lambda n, c: sharing.relations_page(ins, n, c))) == 4
    sharing.set_attending_doctor(ins, AttendingDoctor(rpps, T0))
    sharing.set_emergency_settings(ins, EmergencySettings(samu=False))
    settings = sharing.settings(ins)
    assert settings.attending_doctor == AttendingDoctor(rpps, T0) and settings.emergency.samu is False
    assert settings.emergency.other_professionals is True
    sharing.put_emergency(ins, EmergencyAccess.starting(rpps, "urgence", T0, 2, False))


# -- the access log and rejections -----------------------------------------------------------------------------------
@pytest.fixture
def access_log(tables):
    from chalicelib.adapters.audit_repo import DynamoAccessLog

    if tables is None:
        return fakes.FakeAccessLog()
    settings, clients = tables
    return DynamoAccessLog(clients("dynamodb"), settings.table("audit"), fakes.SequenceIds())


def test_the_access_log_appends_and_lists_newest_first(access_log):
    ins = make_nir()
    for minutes in range(5):
        access_log.append(ins, AccessEntry(T0 + dt.timedelta(minutes=minutes), Party("professional", "x", "medecin"),
                                           "read_document", "normal", document_id=f"d{minutes}"))
    entries = walk(lambda n, c: access_log.page(ins, n, c))
    assert [e.document_id for e in entries] == ["d4", "d3", "d2", "d1", "d0"]
    assert entries[0].actor == Party("professional", "x", "medecin")
    period = AccessLogQuery(since=T0 + dt.timedelta(minutes=1), until=T0 + dt.timedelta(minutes=3, milliseconds=-1))
    window = walk(lambda n, c: access_log.page(ins, n, c, period))  # FHIR's [start, end): end - 1 ms inclusive
    assert [e.document_id for e in window] == ["d2", "d1"]
    later = access_log.page(ins, 10, None, AccessLogQuery(since=T0 + dt.timedelta(minutes=4)))
    assert [e.document_id for e in later.items] == ["d4"]
    assert access_log.erase(ins) == 5 and access_log.page(ins, 10, None).items == []


@pytest.fixture
def rejections(tables):
    from chalicelib.adapters.audit_repo import DynamoRejections

    return repo(tables, fakes.FakeRejections, DynamoRejections, "audit")


def test_rejections_once_each_for_their_establishment(rejections):
    rejection = Rejection("r1", T0, T0, "inbox/x/a.pdf", "quarantine/x/r1/a.pdf", "invalid_ins", "why", 3)
    assert rejections.add("750000002", rejection) is True
    assert rejections.add("750000002", rejection) is False
    assert rejections.page("750000002", 10, None).items == [rejection]
    assert rejections.page("130000009", 10, None).items == []


# -- the catalogue and consents --------------------------------------------------------------------------------------
@pytest.fixture
def apps(tables):
    from chalicelib.adapters.catalogue_repo import DynamoCatalogue

    return repo(tables, fakes.FakeApps, DynamoCatalogue, "catalogue")


def test_apps_versioned_and_listed_without_the_dereferenced(apps):
    for n, status in enumerate(("online", "dereferenced", "suspended")):
        apps.add(CatalogueApp(f"app-{n}", f"App {n}", "prevention", status, frozenset({("documents", "read")})))
    with pytest.raises(AlreadyExists):
        apps.add(CatalogueApp("app-0", "again", "prevention", "online", frozenset()))
    listed = walk(lambda n, c: apps.page(n, c, None), limit=1)
    assert [a.app_id for a in listed] == ["app-0", "app-2"]
    assert [a.app_id for a in apps.page(10, None, "dereferenced").items] == ["app-1"]
    first, second = apps.get("app-0"), apps.get("app-0")
    first.change(status="suspended")
    apps.save(first)
    with pytest.raises(ConcurrentUpdate):
        apps.save(second)
    assert set(apps.get_many(["app-0", "app-9"])) == {"app-0"}


@pytest.fixture
def consents(tables):
    from chalicelib.adapters.catalogue_repo import DynamoConsents

    return repo(tables, fakes.FakeConsents, DynamoConsents, "accounts")


def test_consents_put_all_delete(consents):
    ins = make_nir()
    consent = Consent("glyco", frozenset({("measurements", "write")}), 1, T0, ins, granted_for_minor=True)
    consents.put(ins, consent)
    assert consents.all(ins) == [consent]
    consents.delete(ins, "glyco")
    assert consents.all(ins) == []


# -- accounts and the decision's facts -------------------------------------------------------------------------------
@pytest.fixture
def accounts(tables):
    from chalicelib.adapters.accounts_repo import DynamoAccountRepository

    return repo(tables, fakes.FakeAccounts, DynamoAccountRepository, "accounts")


def account(nir, status=Status.ACTIVE, **extra):
    return Account(nir=nir, given_name="Camille", family_name="Martin", birth_date=dt.date(1980, 5, 1),
                   status=status, notified_at=T0, contact=Contact(email="c@example.org"), **extra)


def test_accounts_versioned_writes(accounts):
    nir = make_nir()
    accounts.add(account(nir))
    with pytest.raises(AlreadyExists):
        accounts.add(account(nir))
    first, second = accounts.get(nir), accounts.get(nir)
    first.close(T0, delete_requested=False)
    accounts.save(first)
    with pytest.raises(ConcurrentUpdate):
        accounts.save(second)
    assert accounts.get(nir).status == Status.CLOSED and set(accounts.get_many([nir, make_nir()])) == {nir}


def test_the_facts_loader_reads_what_the_repositories_wrote(kind, tables, accounts, sharing, apps, consents):
    from chalicelib.adapters.access_repo import DynamoAccessFacts

    if tables is None:
        facts = fakes.FakeFacts(accounts, sharing, apps, consents)
    else:
        settings, clients = tables
        facts = DynamoAccessFacts(clients("dynamodb"), settings.table("accounts"), settings.table("catalogue"))
    ins, rpps = make_nir(), make_rpps()
    accounts.add(account(ins))
    sharing.put_relation(ins, Relation(rpps, "blocked", "patient", T0))
    sharing.set_attending_doctor(ins, AttendingDoctor(rpps, T0))
    sharing.set_emergency_settings(ins, EmergencySettings(masked_documents=False))
    pro = facts.load(Actor("professional", rpps=rpps, profession="medecin"), ins)
    assert pro.patient.status == "active" and pro.relation == "blocked" and pro.attending_doctor == rpps
    assert pro.emergency.masked_documents is False
    apps.add(CatalogueApp("glyco", "Glyco", "prevention", "online", frozenset({("measurements", "write")})))
    consents.put(ins, Consent("glyco", frozenset({("measurements", "write")}), 1, T0, ins))
    app = facts.load(Actor("app", app_id="glyco", ins=ins), ins)
    assert app.app.status == "online" and app.consent.grants == frozenset({("measurements", "write")})
    assert app.consent.needs_reapproval is False
    me = facts.load(Actor("patient", ins=ins), None)
    assert me.caller_account.ins == ins and me.patient is None
    assert set(facts.accounts([ins, make_nir()])) == {ins}


# -- exports ----------------------------------------------------------------------------------------------------
@pytest.fixture
def exports(tables):
    from chalicelib.adapters.exports_repo import DynamoExports

    return repo(tables, fakes.FakeExports, DynamoExports, "records")


def test_exports_versioned_newest_first_and_erased(exports):
    first = Export(f"{1:028x}", ME.id, ME, T0)
    exports.add(first)
    with pytest.raises(AlreadyExists):
        exports.add(Export(f"{1:028x}", ME.id, ME, T0))
    second = Export(f"{2:028x}", ME.id, ME, T0 + dt.timedelta(hours=1))
    exports.add(second)
    exports.add(Export(f"{3:028x}", "280057512345611", Party("patient", "280057512345611"), T0))
    assert exports.latest(ME.id).export_id == second.export_id
    stale = exports.get(ME.id, first.export_id)
    current = exports.get(ME.id, first.export_id)
    current.complete(T0 + dt.timedelta(minutes=5), 1234)
    exports.save(current)
    stale.fail("late")
    with pytest.raises(ConcurrentUpdate):
        exports.save(stale)
    got = exports.get(ME.id, first.export_id)
    assert (got.status, got.size, got.ready_at, got.expires_at) == ("ready", 1234, T0 + dt.timedelta(minutes=5),
                                                                    T0 + dt.timedelta(days=2, minutes=5))
    assert [e.export_id for e in exports.all_for(ME.id)] == [first.export_id, second.export_id]
    assert exports.erase(ME.id) == 2
    assert exports.all_for(ME.id) == [] and exports.latest("280057512345611") is not None

