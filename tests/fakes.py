"""In-memory adapters with the same contracts as the AWS ones: fast service tests without AWS.

``tests/contract`` runs one suite against each of these and against its DynamoDB repository (moto), so a fake
that drifts from the real thing fails there, not in a service test that trusted it.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from chalicelib.domain.access import AccountFacts, AppFacts, CarerFacts, ConsentFacts, PatientFacts
from chalicelib.domain.accounts import Account, Contact, DueKind
from chalicelib.domain.agenda import Alarm, Appointment, RecommendationStatus, ReminderState
from chalicelib.domain.audit import AccessEntry, AccessLogQuery, Rejection
from chalicelib.domain.care import Measurement, MedicalProfile, Vaccination
from chalicelib.domain.catalogue import CatalogueApp, Consent
from chalicelib.domain.documents import Document
from chalicelib.domain.family import (
    MAX_CARERS,
    MAX_HELPED,
    Delegation,
    HelpLink,
    Invitation,
    InvitationStatus,
    Kind,
    LimitReached,
)
from chalicelib.domain.identity import Actor
from chalicelib.domain.notices import Notice, Notification, NotificationPreferences, channel_for
from chalicelib.domain.reimbursements import Reimbursement
from chalicelib.domain.results import Page
from chalicelib.domain.sharing import AttendingDoctor, EmergencyAccess, EmergencySettings, Relation, SharingSettings
from chalicelib.domain.timeutil import iso_ms
from chalicelib.errors import MalformedRequest
from chalicelib.ports import AlreadyExists, ConcurrentUpdate, ObjectGone


# -- paging over sorted keys, as the DynamoDB Query does ------------------------------------------------------------
def _page(keyed: list[tuple[str, Any]], limit: int, cursor: str | None, newest_first: bool = True,
          accept: Callable[[Any], bool] | None = None, listing: str = "") -> Page[Any]:
    """``keyed``: (sort key, item). The cursor is the sort key of the last item returned, tagged with the listing,
    so that a cursor of another listing is refused as the real codec refuses it."""
    ordered = sorted(keyed, key=lambda pair: pair[0], reverse=newest_first)
    if cursor:
        tag, _, last = cursor.partition("|")
        if tag != listing or not last:
            raise MalformedRequest("The 'cursor' parameter belongs to another listing.", code="invalid_cursor")
        ordered = [p for p in ordered if (p[0] < last if newest_first else p[0] > last)]
    found: list[tuple[str, Any]] = []
    for position, (key, item) in enumerate(ordered):
        if accept is None or accept(item):
            found.append((key, item))
            if len(found) == limit:
                more = position < len(ordered) - 1
                return Page([i for _, i in found], f"{listing}|{key}" if more else None)
    return Page([i for _, i in found], None)


class SequenceIds:
    """Time-ordered ids like the real ones (12 hex digits of milliseconds), with a counter instead of randomness."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def new(self, now: dt.datetime) -> str:
        with self.lock:
            self.count += 1
            return f"{int(now.timestamp() * 1000):012x}{self.count:016x}"


class FakeAccounts:
    def __init__(self) -> None:
        self.items: dict[str, Account] = {}
        self.links: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    def get(self, nir: str) -> Account | None:
        with self.lock:
            account = self.items.get(nir)
            return copy.deepcopy(account) if account else None

    def get_many(self, nirs: Iterable[str]) -> dict[str, Account]:
        return {n: a for n in nirs if (a := self.get(n))}

    def add(self, account: Account) -> None:
        with self.lock:
            if account.nir in self.items:
                raise AlreadyExists(account.nir)
            account.version = 1
            self.items[account.nir] = copy.deepcopy(account)

    def add_with_dependant_link(self, account: Account, representative_nir: str) -> None:
        self.add(account)
        self.links.setdefault(representative_nir, set()).add(account.nir)

    def save(self, account: Account) -> None:
        with self.lock:
            stored = self.items.get(account.nir)
            if stored is None or stored.version != account.version:
                raise ConcurrentUpdate(account.nir)
            account.version += 1
            self.items[account.nir] = copy.deepcopy(account)

    def remove(self, account: Account) -> None:
        with self.lock:
            self.items.pop(account.nir, None)

    def dependants(self, representative_nir: str) -> list[str]:
        return sorted(self.links.get(representative_nir, set()))

    def due(self, kind: DueKind, now: dt.datetime) -> Iterator[str]:
        with self.lock:
            due = [a.nir for a in self.items.values() if (d := a.due()) and d[0] == kind and d[1] <= now]
        yield from due

    def erase(self, nir: str) -> int:
        with self.lock:
            return 1 if self.items.pop(nir, None) else 0


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[Notice, str]] = []
        self.fail = False

    def send(self, notice: Notice, contact: Contact) -> str:
        if self.fail:
            raise RuntimeError("mail service down")
        channel = channel_for(contact)
        assert channel, "no channel"
        self.sent.append((notice, channel))
        return channel

    def to(self, nir: str, kind: str | None = None) -> list[Notice]:
        return [n for n, _ in self.sent if n.to == nir and (kind is None or n.kind == kind)]


class SequenceSecrets:
    """Predictable provisional codes."""

    def __init__(self) -> None:
        self.count = 0

    def code(self) -> str:
        self.count += 1
        return f"CODE{self.count:08d}"


# -- the access log and rejections ------------------------------------------------------------------------------------
class FakeAccessLog:
    def __init__(self, ids: SequenceIds | None = None) -> None:
        self.ids = ids or SequenceIds()
        self.entries: dict[str, list[tuple[str, AccessEntry]]] = {}

    def append(self, ins: str, entry: AccessEntry) -> None:
        self.entries.setdefault(ins, []).append((self.ids.new(entry.at), entry))

    def page(self, ins: str, limit: int, cursor: str | None,
             query: AccessLogQuery | None = None) -> Page[AccessEntry]:
        query = query or AccessLogQuery()
        return _page(self.entries.get(ins, []), limit, cursor, listing=f"log:{ins}", accept=query.matches)

    def erase(self, ins: str) -> int:
        return len(self.entries.pop(ins, []))

    def of(self, ins: str) -> list[AccessEntry]:
        return [e for _, e in self.entries.get(ins, [])]


class FakeRejections:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Rejection]] = {}

    def add(self, finess: str, rejection: Rejection) -> bool:
        mine = self.items.setdefault(finess, {})
        if rejection.rejection_id in mine:
            return False
        mine[rejection.rejection_id] = rejection
        return True

    def page(self, finess: str, limit: int, cursor: str | None) -> Page[Rejection]:
        return _page(list(self.items.get(finess, {}).items()), limit, cursor, listing=f"rej:{finess}")


# -- the space's content ----------------------------------------------------------------------------------------------
class FakeDocuments:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Document] = {}
        self.markers: dict[tuple[str, str], str] = {}
        self.lock = threading.Lock()

    def add(self, doc: Document) -> None:
        with self.lock:
            if (doc.ins, doc.document_id) in self.items:
                raise AlreadyExists(doc.document_id)
            doc.version = 1
            self.items[(doc.ins, doc.document_id)] = copy.deepcopy(doc)

    def add_once(self, doc: Document, fingerprint: str) -> bool:
        with self.lock:
            if (doc.ins, fingerprint) in self.markers or (doc.ins, doc.document_id) in self.items:
                return False
            doc.version = 1
            self.markers[(doc.ins, fingerprint)] = doc.document_id
            self.items[(doc.ins, doc.document_id)] = copy.deepcopy(doc)
            return True

    def seen(self, ins: str, fingerprint: str) -> str | None:
        return self.markers.get((ins, fingerprint))

    def get(self, ins: str, document_id: str) -> Document | None:
        doc = self.items.get((ins, document_id))
        return copy.deepcopy(doc) if doc else None

    def find(self, document_id: str) -> Document | None:
        return next((copy.deepcopy(d) for (_, i), d in self.items.items() if i == document_id), None)

    def save(self, *docs: Document) -> None:
        with self.lock:
            for doc in docs:
                stored = self.items.get((doc.ins, doc.document_id))
                if stored is None or stored.version != doc.version:
                    raise ConcurrentUpdate(doc.document_id)
            for doc in docs:
                doc.version += 1
                self.items[(doc.ins, doc.document_id)] = copy.deepcopy(doc)

    def page(self, ins: str, limit: int, cursor: str | None, accept: Callable[[Document], bool],
             category: str | None = None, type_code: str | None = None) -> Page[Document]:
        keyed = [(d.document_id, copy.deepcopy(d)) for (i, _), d in self.items.items() if i == ins
                 and not d.deleted and (category is None or d.category == category)
                 and (type_code is None or d.type_code == type_code)]
        return _page(keyed, limit, cursor, accept=accept, listing=f"docs:{ins}")

    def add_all(self, docs: Iterable[Document], superseded: Iterable[Document] = ()) -> None:
        docs, superseded = list(docs), list(superseded)
        with self.lock:
            for doc in superseded:
                stored = self.items.get((doc.ins, doc.document_id))
                if stored is None or stored.version != doc.version:
                    raise ConcurrentUpdate(doc.document_id)
            if any((d.ins, d.document_id) in self.items for d in docs):
                raise ConcurrentUpdate(",".join(d.document_id for d in docs))
            for doc in docs:
                doc.version = 1
                self.items[(doc.ins, doc.document_id)] = copy.deepcopy(doc)
            for doc in superseded:
                doc.version += 1
                self.items[(doc.ins, doc.document_id)] = copy.deepcopy(doc)

    def count(self, ins: str, accept: Callable[[Document], bool]) -> int:
        return sum(1 for (i, _), d in self.items.items() if i == ins and not d.deleted
                   and accept(dataclasses.replace(copy.deepcopy(d), title="", content_type="", size=0)))

    def all_for(self, ins: str) -> list[Document]:
        return [copy.deepcopy(d) for (i, _), d in self.items.items() if i == ins]

    def erase(self, ins: str) -> int:
        with self.lock:
            gone = [k for k in self.items if k[0] == ins] + [k for k in self.markers if k[0] == ins]
            for key in gone:
                self.items.pop(key, None)
                self.markers.pop(key, None)
            return len(gone)


class FakeCare:
    def __init__(self) -> None:
        self.profiles: dict[str, MedicalProfile] = {}
        self.vaccination_items: dict[str, list[tuple[str, Vaccination]]] = {}
        self.measurement_items: dict[str, list[tuple[str, Measurement]]] = {}
        self.latest: dict[tuple[str, str], Measurement] = {}
        self.devices: dict[tuple[str, str, str], Any] = {}

    def profile(self, ins: str) -> MedicalProfile | None:
        return self.profiles.get(ins)

    def put_profile(self, ins: str, profile: MedicalProfile) -> None:
        self.profiles[ins] = profile

    def add_vaccination(self, ins: str, vaccination: Vaccination) -> None:
        key = f"{vaccination.date.isoformat()}#{vaccination.vaccination_id}"
        self.vaccination_items.setdefault(ins, []).append((key, vaccination))

    def vaccinations(self, ins: str, limit: int, cursor: str | None) -> Page[Vaccination]:
        return _page(self.vaccination_items.get(ins, []), limit, cursor, listing=f"vac:{ins}")

    def add_measurement(self, ins: str, measurement: Measurement) -> None:
        key = f"{iso_ms(measurement.effective_at)}#{measurement.measurement_id}"
        self.measurement_items.setdefault(ins, []).append((key, measurement))
        current = self.latest.get((ins, measurement.code))
        if current is None or current.effective_at < measurement.effective_at:
            self.latest[(ins, measurement.code)] = measurement

    def add_measurements(self, ins: str, measurements: list[Measurement]) -> None:
        for measurement in measurements:
            self.add_measurement(ins, measurement)

    def measurements(self, ins: str, limit: int, cursor: str | None, code: str | None = None, *,
                     codes: Any = (), since: dt.datetime | None = None,
                     until: dt.datetime | None = None) -> Page[Measurement]:
        wanted = {code} if code else set(codes)

        def accept(m: Measurement) -> bool:
            return ((not wanted or m.code in wanted) and (since is None or m.effective_at >= since)
                    and (until is None or m.effective_at < until))

        return _page(self.measurement_items.get(ins, []), limit, cursor, listing=f"meas:{ins}", accept=accept)

    def device_once(self, ins: str, device: Any) -> tuple[Any, bool]:
        key = (ins, device.system, device.value)
        if key in self.devices:
            return self.devices[key], False
        self.devices[key] = device
        return device, True

    def latest_measurements(self, ins: str) -> list[Measurement]:
        return sorted((m for (i, _), m in self.latest.items() if i == ins), key=lambda m: m.code)

    def erase(self, ins: str) -> int:
        erased = int(self.profiles.pop(ins, None) is not None)
        erased += len(self.vaccination_items.pop(ins, [])) + len(self.measurement_items.pop(ins, []))
        for key in [k for k in self.latest if k[0] == ins]:
            del self.latest[key]
            erased += 1
        for key in [k for k in self.devices if k[0] == ins]:
            del self.devices[key]
            erased += 1
        return erased


class FakeAgenda:
    def __init__(self) -> None:
        self.items: dict[str, list[tuple[str, Appointment]]] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.status_items: dict[str, dict[str, RecommendationStatus]] = {}
        self.alarms: dict[tuple[str, str], Alarm] = {}

    def add_appointment(self, ins: str, appointment: Appointment) -> None:
        appointment = dataclasses.replace(appointment, version=1)
        key = f"{iso_ms(appointment.start)}#{appointment.appointment_id}"
        self.items.setdefault(ins, []).append((key, appointment))
        self._alarm_of(ins, None, appointment)

    def _alarm_of(self, ins: str, before: Appointment | None, after: Appointment | None) -> None:
        if before is not None:
            self.alarms.pop((ins, before.alarm_id), None)
        alarm = Alarm.for_appointment(ins, after) if after is not None else None
        if alarm is not None:
            self.alarms[(ins, alarm.alarm_id)] = alarm

    def appointment(self, ins: str, appointment_id: str) -> Appointment | None:
        return next((a for _, a in self.items.get(ins, []) if a.appointment_id == appointment_id), None)

    def update_appointment(self, ins: str, before: Appointment, after: Appointment) -> Appointment:
        stored = self.appointment(ins, before.appointment_id)
        if stored is None or stored.version != before.version:
            raise ConcurrentUpdate(before.appointment_id)
        after = dataclasses.replace(after, version=before.version + 1)
        self.items[ins] = [(k, a) for k, a in self.items[ins] if a.appointment_id != before.appointment_id]
        self.items[ins].append((f"{iso_ms(after.start)}#{after.appointment_id}", after))
        self._alarm_of(ins, before, after)
        return after

    def delete_appointment(self, ins: str, appointment: Appointment) -> None:
        stored = self.appointment(ins, appointment.appointment_id)
        if stored is None or stored.version != appointment.version:
            raise ConcurrentUpdate(appointment.appointment_id)
        self.items[ins] = [(k, a) for k, a in self.items[ins] if a.appointment_id != appointment.appointment_id]
        self._alarm_of(ins, appointment, None)

    def appointments(self, ins: str, limit: int, cursor: str | None,
                     start_from: dt.datetime | None = None) -> Page[Appointment]:
        return _page(self.items.get(ins, []), limit, cursor, newest_first=False, listing=f"appt:{ins}",
                     accept=(lambda a: a.start >= start_from) if start_from else None)

    def statuses(self, ins: str) -> dict[str, RecommendationStatus]:
        return dict(self.status_items.get(ins, {}))

    def put_status(self, ins: str, status: RecommendationStatus) -> None:
        self.status_items.setdefault(ins, {})[status.reminder_id] = status

    def put_alarm(self, alarm: Alarm) -> None:
        self.alarms[(alarm.ins, alarm.alarm_id)] = alarm

    def delete_alarm(self, ins: str, alarm_id: str) -> None:
        self.alarms.pop((ins, alarm_id), None)

    def due_alarms(self, ins: str, now: dt.datetime) -> list[Alarm]:
        return sorted((a for (i, _), a in self.alarms.items() if i == ins and a.due <= now), key=lambda a: a.alarm_id)

    def claim_alarm(self, alarm: Alarm, until: dt.datetime) -> bool:
        stored = self.alarms.get((alarm.ins, alarm.alarm_id))
        if stored is None or stored.due != alarm.due or stored.at != alarm.at:
            return False
        self.alarms[(alarm.ins, alarm.alarm_id)] = dataclasses.replace(stored, due_at=until)
        return True

    def finish_alarm(self, alarm: Alarm, until: dt.datetime) -> None:
        stored = self.alarms.get((alarm.ins, alarm.alarm_id))
        if stored is not None and stored.due == until and stored.at == alarm.at:
            del self.alarms[(alarm.ins, alarm.alarm_id)]

    def release_alarm(self, alarm: Alarm, until: dt.datetime) -> None:
        stored = self.alarms.get((alarm.ins, alarm.alarm_id))
        if stored is not None and stored.due == until:
            self.alarms[(alarm.ins, alarm.alarm_id)] = dataclasses.replace(stored, due_at=alarm.due_at)

    def _state(self, ins: str) -> dict[str, Any]:
        return self.states.setdefault(ins, {"next_on": None, "due_at": None, "sent": set()})

    def reminders(self, ins: str) -> ReminderState:
        state = self.states.get(ins)
        return ReminderState(state["next_on"], frozenset(state["sent"])) if state else ReminderState()

    def schedule_reminder(self, ins: str, day: dt.date | None, due_at: dt.datetime | None) -> None:
        state = self._state(ins)
        state["next_on"], state["due_at"] = day, due_at

    def advance_reminders(self, ins: str, from_day: dt.date, day: dt.date | None,
                          due_at: dt.datetime | None) -> bool:
        state = self._state(ins)
        if state["next_on"] != from_day:
            return False
        state["next_on"], state["due_at"] = day, due_at
        return True

    def claim_reminder(self, ins: str, reminder_id: str) -> bool:
        sent = self._state(ins)["sent"]
        if reminder_id in sent:
            return False
        sent.add(reminder_id)
        return True

    def release_reminder(self, ins: str, reminder_id: str) -> None:
        self._state(ins)["sent"].discard(reminder_id)

    def due_reminders(self, now: dt.datetime) -> list[str]:
        return [ins for ins, s in self.states.items() if s["due_at"] is not None and s["due_at"] <= now] + [
            a.ins for a in self.alarms.values() if a.due <= now]

    def erase(self, ins: str) -> int:
        erased = len(self.items.pop(ins, [])) + int(self.states.pop(ins, None) is not None)
        erased += len(self.status_items.pop(ins, {}))
        for key in [k for k in self.alarms if k[0] == ins]:
            del self.alarms[key]
            erased += 1
        return erased


class FakePreferences:
    def __init__(self) -> None:
        self.items: dict[str, NotificationPreferences] = {}

    def get(self, nir: str) -> NotificationPreferences:
        return self.items.get(nir, NotificationPreferences())

    def put(self, nir: str, preferences: NotificationPreferences) -> None:
        self.items[nir] = preferences

    def erase(self, nir: str) -> int:
        self.items.pop(nir, None)
        return 1


class FakeCentre:
    """The notification centre: each space's notices newest first, merged across the spaces asked for, with a cursor
    per space (refused when it names a space not asked for, as the real codec refuses it)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Notification]] = {}

    def record(self, notification: Notification) -> None:
        self.items.setdefault(notification.ins, {})[notification.notification_id] = notification

    def page(self, spaces: list[str], limit: int, cursor: str | None) -> Page[Notification]:
        after = None
        if cursor:
            tag, _, after = cursor.partition("|")
            if tag != ",".join(spaces) or not after:
                raise MalformedRequest("The 'cursor' parameter belongs to another listing.", code="invalid_cursor")
        merged = sorted((n for ins in spaces for n in self.items.get(ins, {}).values()),
                        key=lambda n: n.notification_id, reverse=True)
        if after:
            merged = [n for n in merged if n.notification_id < after]
        page = merged[:limit]
        more = len(merged) > limit
        return Page(page, f"{','.join(spaces)}|{page[-1].notification_id}" if more else None)

    def find(self, spaces: list[str], notification_id: str) -> Notification | None:
        return next((self.items[i][notification_id] for i in spaces if notification_id in self.items.get(i, {})),
                    None)

    def mark_read(self, notification: Notification, reader: str) -> Notification:
        stored = self.items[notification.ins][notification.notification_id]
        updated = dataclasses.replace(stored, read_by=stored.read_by | {reader})
        self.items[notification.ins][notification.notification_id] = updated
        return updated

    def erase(self, ins: str) -> int:
        return len(self.items.pop(ins, {}))


class FakeReimbursements:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Reimbursement]] = {}

    def add_once(self, ins: str, reimbursement: Reimbursement) -> bool:
        mine = self.items.setdefault(ins, {})
        if reimbursement.reimbursement_id in mine:
            return False
        mine[reimbursement.reimbursement_id] = reimbursement
        return True

    def page(self, ins: str, limit: int, cursor: str | None) -> Page[Reimbursement]:
        keyed = [(f"{r.date.isoformat()}#{r.reimbursement_id}", r) for r in self.items.get(ins, {}).values()]
        return _page(keyed, limit, cursor, listing=f"reimb:{ins}")

    def erase(self, ins: str) -> int:
        return len(self.items.pop(ins, {}))


# -- sharing, the catalogue and consents ------------------------------------------------------------------------------
class FakeSharing:
    def __init__(self) -> None:
        self.relations: dict[str, dict[str, Relation]] = {}
        self.sharing_settings: dict[str, SharingSettings] = {}
        self.emergencies: dict[tuple[str, str], EmergencyAccess] = {}

    def put_relation(self, ins: str, relation: Relation) -> Relation:
        existing = self.relations.get(ins, {}).get(relation.rpps)
        if not relation.profession and existing is not None and existing.profession:
            relation = dataclasses.replace(relation, profession=existing.profession)
        self.relations.setdefault(ins, {})[relation.rpps] = relation
        return relation

    def relation(self, ins: str, rpps: str) -> Relation | None:
        return self.relations.get(ins, {}).get(rpps)

    def relations_page(self, ins: str, limit: int, cursor: str | None) -> Page[Relation]:
        keyed = list(self.relations.get(ins, {}).items())
        return _page(keyed, limit, cursor, newest_first=False, listing=f"pro:{ins}")

    def settings(self, ins: str) -> SharingSettings:
        return self.sharing_settings.get(ins, SharingSettings())

    def set_attending_doctor(self, ins: str, doctor: AttendingDoctor) -> None:
        self.sharing_settings[ins] = dataclasses.replace(self.settings(ins), attending_doctor=doctor)

    def set_emergency_settings(self, ins: str, settings: EmergencySettings) -> None:
        self.sharing_settings[ins] = dataclasses.replace(self.settings(ins), emergency=settings)

    def put_emergency(self, ins: str, access: EmergencyAccess) -> None:
        self.emergencies[(ins, access.rpps)] = access


class FakeApps:
    def __init__(self) -> None:
        self.items: dict[str, CatalogueApp] = {}

    def add(self, app: CatalogueApp) -> None:
        if app.app_id in self.items:
            raise AlreadyExists(app.app_id)
        app.version = 1
        self.items[app.app_id] = copy.deepcopy(app)

    def get(self, app_id: str) -> CatalogueApp | None:
        app = self.items.get(app_id)
        return copy.deepcopy(app) if app else None

    def get_many(self, app_ids: list[str]) -> dict[str, CatalogueApp]:
        return {a: app for a in app_ids if (app := self.get(a))}

    def save(self, app: CatalogueApp) -> None:
        stored = self.items.get(app.app_id)
        if stored is None or stored.version != app.version:
            raise ConcurrentUpdate(app.app_id)
        app.version += 1
        self.items[app.app_id] = copy.deepcopy(app)

    def page(self, limit: int, cursor: str | None, status: str | None) -> Page[CatalogueApp]:
        def accept(app: CatalogueApp) -> bool:
            return app.status == status if status else app.status != "dereferenced"

        return _page([(a.app_id, copy.deepcopy(a)) for a in self.items.values()], limit, cursor, newest_first=False,
                     accept=accept, listing="apps")


class FakeConsents:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Consent]] = {}

    def put(self, ins: str, consent: Consent) -> None:
        self.items.setdefault(ins, {})[consent.app_id] = consent

    def delete(self, ins: str, app_id: str) -> None:
        self.items.get(ins, {}).pop(app_id, None)

    def all(self, ins: str) -> list[Consent]:
        return [c for _, c in sorted(self.items.get(ins, {}).items())]


class FakeFamily:
    """Delegations, invitations, links, counters and coming-of-age notices, each change atomic (one lock), as the
    DynamoDB transactions are."""

    def __init__(self) -> None:
        self.delegations: dict[tuple[str, str], Delegation] = {}  # (patient, CARER#member | CO_REPRESENTATIVE)
        self.invitation_items: dict[tuple[str, str], Invitation] = {}  # (invitee, id)
        self.link_items: dict[tuple[str, str], HelpLink] = {}  # (member, kind#patient)
        self.counts: dict[tuple[str, str], int] = {}  # (nir, "carers" | "helped")
        self.of_age: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()

    @staticmethod
    def _slot(kind: Kind, member: str) -> str:
        return f"CARER#{member}" if kind == Kind.CARER else "CO_REPRESENTATIVE"

    def delegation(self, patient: str, kind: Kind, member: str) -> Delegation | None:
        return self.delegations.get((patient, self._slot(kind, member)))

    def carers(self, patient: str, limit: int, cursor: str | None, now: dt.datetime) -> Page[Delegation]:
        keyed = [(slot, d) for (p, slot), d in self.delegations.items() if p == patient and slot.startswith("CARER#")]
        return _page(keyed, limit, cursor, newest_first=False, accept=lambda d: d.live(now),
                     listing=f"carers:{patient}")

    def delegations_of(self, patient: str) -> list[Delegation]:
        return [d for (p, slot), d in sorted(self.delegations.items()) if p == patient]

    def invitation(self, invitee: str, invitation_id: str) -> Invitation | None:
        return self.invitation_items.get((invitee, invitation_id))

    def invitations(self, invitee: str, limit: int, cursor: str | None) -> Page[Invitation]:
        keyed = [(i, inv) for (who, i), inv in self.invitation_items.items() if who == invitee]
        return _page(keyed, limit, cursor, listing=f"invitations:{invitee}")

    def _within(self, nir: str, which: str, maximum: int) -> None:
        if self.counts.get((nir, which), 0) >= maximum:
            raise LimitReached(which)

    def invite(self, invitation: Invitation, delegation: Delegation, previous: Delegation | None) -> None:
        with self.lock:
            key = (delegation.patient_ins, self._slot(delegation.kind, delegation.member.ins))
            if self.delegations.get(key) != previous:
                raise ConcurrentUpdate("delegation")
            if invitation.kind == Kind.CARER:
                self._within(invitation.patient.ins, "carers", MAX_CARERS)
                self._within(invitation.invitee.ins, "helped", MAX_HELPED)
            if previous is not None:
                self.invitation_items.pop((previous.member.ins, previous.invitation_id), None)
            self.delegations[key] = delegation
            self.invitation_items[(invitation.invitee.ins, invitation.invitation_id)] = invitation

    def _pending(self, invitation: Invitation, now: dt.datetime) -> tuple[tuple[str, str], Delegation]:
        stored = self.invitation_items.get((invitation.invitee.ins, invitation.invitation_id))
        key = (invitation.patient.ins, self._slot(invitation.kind, invitation.invitee.ins))
        held = self.delegations.get(key)
        if (stored is None or stored.status != InvitationStatus.PENDING or now >= stored.expires_at or held is None
                or held.invitation_id != invitation.invitation_id or held.status != InvitationStatus.PENDING):
            raise ConcurrentUpdate("invitation")
        return key, held

    def accept(self, invitation: Invitation, now: dt.datetime) -> None:
        with self.lock:
            key, held = self._pending(invitation, now)
            patient, member = invitation.patient.ins, invitation.invitee.ins
            if invitation.kind == Kind.CARER:
                self._within(patient, "carers", MAX_CARERS)
                self._within(member, "helped", MAX_HELPED)
                self.counts[(patient, "carers")] = self.counts.get((patient, "carers"), 0) + 1
                self.counts[(member, "helped")] = self.counts.get((member, "helped"), 0) + 1
            accepted = InvitationStatus.ACCEPTED
            self.invitation_items[(member, invitation.invitation_id)] = dataclasses.replace(
                invitation, status=accepted, answered_at=now)
            self.delegations[key] = dataclasses.replace(held, status=accepted, since=now)
            self.link_items[(member, f"{invitation.kind.value}#{patient}")] = HelpLink(
                invitation.kind, patient, now, invitation.by_representative)

    def refuse(self, invitation: Invitation, now: dt.datetime) -> None:
        with self.lock:
            key, held = self._pending(invitation, now)
            refused = InvitationStatus.REFUSED
            self.invitation_items[(invitation.invitee.ins, invitation.invitation_id)] = dataclasses.replace(
                invitation, status=refused, answered_at=now)
            self.delegations[key] = dataclasses.replace(held, status=refused)

    def end(self, delegation: Delegation, now: dt.datetime) -> None:
        with self.lock:
            key = (delegation.patient_ins, self._slot(delegation.kind, delegation.member.ins))
            held = self.delegations.get(key)
            if held is None or held.invitation_id != delegation.invitation_id or held.status != delegation.status:
                raise ConcurrentUpdate("delegation")
            accepted = held.status == InvitationStatus.ACCEPTED
            status = InvitationStatus.ENDED if accepted else InvitationStatus.CANCELLED
            self.delegations[key] = dataclasses.replace(held, status=status)
            member = held.member.ins
            stored = self.invitation_items.get((member, held.invitation_id))
            if stored is not None:
                self.invitation_items[(member, held.invitation_id)] = dataclasses.replace(stored, status=status)
            if accepted:
                self.link_items.pop((member, f"{held.kind.value}#{held.patient_ins}"), None)
                if held.kind == Kind.CARER:
                    self.counts[(held.patient_ins, "carers")] -= 1
                    self.counts[(member, "helped")] -= 1

    def links(self, member: str) -> list[HelpLink]:
        return [link for (m, _), link in sorted(self.link_items.items()) if m == member]

    def schedule_of_age(self, ins: str, due_at: dt.datetime) -> None:
        self.of_age[ins] = {"due_at": due_at, "claimed_until": None}

    def due_of_age(self, now: dt.datetime) -> Iterator[str]:
        yield from [ins for ins, item in self.of_age.items() if item["due_at"] <= now]

    def claim_of_age(self, ins: str, now: dt.datetime, until: dt.datetime) -> bool:
        with self.lock:
            item = self.of_age.get(ins)
            if item is None or (item["claimed_until"] is not None and item["claimed_until"] > now):
                return False
            item["claimed_until"] = until
            return True

    def release_of_age(self, ins: str) -> None:
        if ins in self.of_age:
            self.of_age[ins]["claimed_until"] = None

    def done_of_age(self, ins: str) -> None:
        self.of_age.pop(ins, None)

    def erase(self, ins: str) -> int:
        with self.lock:
            erased = 0
            for key, held in list(self.delegations.items()):
                patient, member = held.patient_ins, held.member.ins
                if ins not in (patient, member):
                    continue
                if held.status == InvitationStatus.ACCEPTED:
                    self.link_items.pop((member, f"{held.kind.value}#{patient}"), None)
                    if held.kind == Kind.CARER:
                        other = (member, "helped") if patient == ins else (patient, "carers")
                        self.counts[other] -= 1
                self.invitation_items.pop((member, held.invitation_id), None)
                del self.delegations[key]
                erased += 1
            for key in [k for k in self.invitation_items if k[0] == ins]:
                del self.invitation_items[key]
                erased += 1
            for key in [k for k in self.link_items if k[0] == ins]:
                del self.link_items[key]
                erased += 1
            for key in [k for k in self.counts if k[0] == ins]:
                del self.counts[key]
            erased += int(self.of_age.pop(ins, None) is not None)
            return erased


class FakeFacts:
    """The access decision's facts, read from the other fakes as the DynamoDB loader reads its items."""

    def __init__(self, accounts: FakeAccounts, sharing: FakeSharing | None = None, apps: FakeApps | None = None,
                 consents: FakeConsents | None = None, family: FakeFamily | None = None) -> None:
        self.accounts_repo = accounts
        self.sharing = sharing or FakeSharing()
        self.apps = apps or FakeApps()
        self.consents = consents or FakeConsents()
        self.family = family or FakeFamily()

    def _account(self, nir: str | None) -> AccountFacts | None:
        account = self.accounts_repo.get(nir) if nir else None
        if account is None:
            return None
        return AccountFacts(account.nir, account.status.value, account.birth_date, account.legal_representative_nir)

    def accounts(self, nirs: Iterable[str]) -> dict[str, AccountFacts]:
        return {n: facts for n in nirs if (facts := self._account(n))}

    def load(self, actor: Actor, ins: str | None) -> PatientFacts:
        patient = self._account(ins)
        caller = (patient if actor.ins == ins else self._account(actor.ins)) if actor.role == "patient" else None
        carer = None
        if actor.role == "patient" and actor.ins and ins and actor.ins != ins and patient is not None:
            second = self.family.delegation(ins, Kind.REPRESENTATIVE, actor.ins)
            if second is not None and second.status == InvitationStatus.ACCEPTED:
                patient = dataclasses.replace(patient, other_representatives=frozenset({second.member.ins}))
            held = self.family.delegation(ins, Kind.CARER, actor.ins)
            if held is not None:
                carer = CarerFacts(held.status.value, held.by_representative)
        settings = self.sharing.settings(ins) if ins else SharingSettings()
        relation = emergency_until = None
        if actor.role == "professional" and ins and actor.rpps:
            found = self.sharing.relation(ins, actor.rpps)
            relation = found.status if found else None
            emergency = self.sharing.emergencies.get((ins, actor.rpps))
            emergency_until = emergency.expires_at if emergency else None
        app = consent = None
        if actor.role == "app" and actor.app_id:
            listed = self.apps.get(actor.app_id)
            if listed is not None:
                app = AppFacts(listed.status, listed.data_access)
            given = {c.app_id: c for c in self.consents.all(ins)}.get(actor.app_id) if ins else None
            if given is not None:
                consent = ConsentFacts(given.grants, given.access_version < (listed.access_version if listed else 0),
                                       given.granted_for_minor)
        return PatientFacts(patient=patient, caller_account=caller, relation=relation, emergency_until=emergency_until,
                            attending_doctor=settings.attending_doctor.rpps, emergency=settings.emergency, app=app,
                            consent=consent, carer=carer)


# -- objects and renderers --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FakeObject:
    key: str
    version_id: str | None
    size: int
    content_type: str
    metadata: dict[str, str]
    head: bytes
    last_modified: dt.datetime | None = None
    etag: str = ""
    sha1: str | None = None


def _sha1(content: bytes) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha1(content).digest()).decode()


class FakeStore:
    """Objects in memory; presigned URLs are opaque strings naming what they would allow."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], FakeObject] = {}
        self.contents: dict[tuple[str, str], bytes] = {}
        self.versions = 0

    def put(self, bucket: str, key: str, content: bytes, content_type: str = "application/pdf",
            sha1: str | None = None, metadata: dict[str, str] | None = None) -> str:
        """The port's write (``sha1`` checked, as S3 checks ``x-amz-checksum-sha1``), and the tests' way to place
        an object."""
        if sha1 is not None and _sha1(content) != sha1:
            raise ValueError("BadDigest: the checksum does not match")  # what S3 answers
        self.versions += 1
        version = f"v{self.versions}"
        self.objects[(bucket, key)] = FakeObject(key, version, len(content), content_type, metadata or {},
                                                 content[:4096], None, f"etag-{hash(content)}", _sha1(content))
        self.contents[(bucket, key)] = content
        return version

    def stream(self, bucket: str, key: str, version_id: str | None) -> Iterator[bytes]:
        content = self.contents.get((bucket, key))
        if content is None:
            raise ObjectGone(key)
        for start in range(0, len(content), 1024):
            yield content[start:start + 1024]

    def presign_put(self, bucket: str, key: str, content_type: str, size: int,
                    sha1: str | None = None) -> tuple[str, dict[str, str]]:
        headers = {"Content-Type": content_type, **({"x-amz-checksum-sha1": sha1} if sha1 else {})}
        return f"put://{bucket}/{key}?size={size}", headers

    def presign_get(self, bucket: str, key: str, version_id: str | None, content_type: str, filename: str) -> str:
        return f"get://{bucket}/{key}?version={version_id}&filename={filename}"

    def read_head(self, bucket: str, key: str, version_id: str | None, digest: bool = False) -> FakeObject:
        found = self.objects.get((bucket, key))
        if found is None or (version_id is not None and found.version_id != version_id):
            raise ObjectGone(key)
        return found if digest else dataclasses.replace(found, sha1=None)

    def copy(self, source_bucket: str, source_key: str, version_id: str | None, bucket: str,
             key: str) -> str | None:
        source = self.read_head(source_bucket, source_key, version_id, digest=True)
        self.versions += 1
        self.objects[(bucket, key)] = dataclasses.replace(source, key=key, version_id=f"v{self.versions}")
        return f"v{self.versions}"

    def copy_with_sha1(self, source_bucket: str, source_key: str, version_id: str | None, bucket: str,
                       key: str) -> tuple[str | None, str | None]:
        version = self.copy(source_bucket, source_key, version_id, bucket, key)
        return version, self.objects[(bucket, key)].sha1

    def delete_version(self, bucket: str, key: str, version_id: str | None) -> None:
        self.objects.pop((bucket, key), None)

    def erase(self, bucket: str, prefix: str) -> int:
        gone = [k for k in self.objects if k[0] == bucket and k[1].startswith(prefix)]
        for key in gone:
            del self.objects[key]
        return len(gone)


class RecordingRenderer:
    """A renderer that keeps what it was given (the service's side of the port) and answers a marker."""

    def __init__(self) -> None:
        self.rendered: list[Any] = []

    def render(self, value: Any) -> bytes:
        self.rendered.append(value)
        return b"rendered"


class FakeConversations:
    """Conversations, their messages and attachments, and each participant's list."""

    def __init__(self) -> None:
        self.conversations: dict[str, Any] = {}
        self.messages_by: dict[str, list[Any]] = {}
        self.attachment_items: dict[tuple[str, str], Any] = {}

    def start(self, conversation: Any, message: Any, attachments: list[Any]) -> None:
        self.conversations[conversation.conversation_id] = copy.deepcopy(conversation)
        self.messages_by[conversation.conversation_id] = [copy.deepcopy(message)]
        for attachment in attachments:
            self.attachment_items[(attachment.conversation_id, attachment.attachment_id)] = copy.deepcopy(attachment)

    def get(self, conversation_id: str) -> Any:
        found = self.conversations.get(conversation_id)
        return copy.deepcopy(found) if found else None

    def post(self, conversation: Any, message: Any, attachments: list[Any]) -> None:
        stored = self.conversations.get(conversation.conversation_id)
        if stored is None or stored.status != "open":
            raise ConcurrentUpdate(conversation.conversation_id)
        stored.last_message_at = message.sent_at
        stored.message_count += 1
        self.messages_by[conversation.conversation_id].append(copy.deepcopy(message))
        for attachment in attachments:
            self.attachment_items[(attachment.conversation_id, attachment.attachment_id)] = copy.deepcopy(attachment)

    def set_status(self, conversation: Any, status: str, now: dt.datetime) -> None:
        stored = self.conversations.get(conversation.conversation_id)
        if stored is None or stored.status != conversation.status:
            raise ConcurrentUpdate(conversation.conversation_id)
        stored.status, stored.closed_at = status, (now if status != "open" else None)
        conversation.status, conversation.closed_at = stored.status, stored.closed_at

    def messages(self, conversation_id: str, limit: int, cursor: str | None) -> Page[Any]:
        keyed = [(m.message_id, m) for m in self.messages_by.get(conversation_id, [])]
        return _page(keyed, limit, cursor, newest_first=False, listing=f"msg:{conversation_id}")

    def attachment(self, conversation_id: str, attachment_id: str) -> Any:
        found = self.attachment_items.get((conversation_id, attachment_id))
        return copy.deepcopy(found) if found else None

    def attachments(self, conversation_id: str, attachment_ids: list[str]) -> dict[str, Any]:
        return {a: found for a in attachment_ids if (found := self.attachment(conversation_id, a))}

    def settle(self, attachment: Any) -> bool:
        stored = self.attachment_items.get((attachment.conversation_id, attachment.attachment_id))
        if stored is None or stored.status != "pending":
            return False
        self.attachment_items[(attachment.conversation_id, attachment.attachment_id)] = copy.deepcopy(attachment)
        return True

    def claim_filing(self, attachment: Any, document_id: str, now: dt.datetime) -> bool:
        stored = self.attachment_items.get((attachment.conversation_id, attachment.attachment_id))
        if stored is None or stored.filed_document_id:
            return False
        stored.filed_document_id, stored.filed_at = document_id, now
        attachment.filed_document_id, attachment.filed_at = document_id, now
        return True

    def release_filing(self, attachment: Any, document_id: str) -> None:
        stored = self.attachment_items.get((attachment.conversation_id, attachment.attachment_id))
        if stored is not None and stored.filed_document_id == document_id:
            stored.filed_document_id = stored.filed_at = None

    def page_for(self, party: Any, limit: int, cursor: str | None) -> Page[Any]:
        keyed = [(c.conversation_id, copy.deepcopy(c)) for c in self.conversations.values()
                 if party in (c.starter, c.patient)]
        return _page(keyed, limit, cursor, listing=f"party:{party.key}")

    def all_for(self, party: Any) -> list[Any]:
        return self.page_for(party, 10_000, None).items

    def erase(self, conversation: Any) -> int:
        erased = len(self.messages_by.pop(conversation.conversation_id, [])) + 1
        self.conversations.pop(conversation.conversation_id, None)
        for key in [k for k in self.attachment_items if k[0] == conversation.conversation_id]:
            del self.attachment_items[key]
            erased += 1
        return erased


class FakeExports:
    """Exports' records, newest first (time-ordered ids), versioned like DynamoExports."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Any] = {}

    def add(self, export: Any) -> None:
        if (export.ins, export.export_id) in self.items:
            raise AlreadyExists(export.export_id)
        export.version = 1
        self.items[(export.ins, export.export_id)] = copy.deepcopy(export)

    def get(self, ins: str, export_id: str) -> Any:
        found = self.items.get((ins, export_id))
        return copy.deepcopy(found) if found else None

    def save(self, export: Any) -> None:
        stored = self.items.get((export.ins, export.export_id))
        if stored is None or stored.version != export.version:
            raise ConcurrentUpdate(export.export_id)
        export.version += 1
        self.items[(export.ins, export.export_id)] = copy.deepcopy(export)

    def latest(self, ins: str) -> Any:
        mine = self.all_for(ins)
        return mine[-1] if mine else None

    def all_for(self, ins: str) -> list[Any]:
        return [copy.deepcopy(e) for (i, _), e in sorted(self.items.items()) if i == ins]

    def erase(self, ins: str) -> int:
        gone = [k for k in self.items if k[0] == ins]
        for k in gone:
            del self.items[k]
        return len(gone)

