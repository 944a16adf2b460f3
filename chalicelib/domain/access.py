"""The one authorisation decision of ens: who may see or do what.

Every path (routes, downloads, attachments, app access) asks :func:`decide`. It is a pure function of the
caller, the action, the facts about the patient concerned (loaded in a constant number of reads by
:class:`chalicelib.services.access.AccessService`) and, for a document, the document itself.

Rules (CONTRACT.md §2, §5, §7; Code de la santé publique L1111-15 to L1111-17, R1111-46):

* a patient's token works only once their account is active; a legal representative acts for a minor child;
* a space must exist (``open`` or ``active``) for anyone else; otherwise it does not exist for them (404);
* a professional the patient blocked is refused, always, even in an emergency;
* reading the record needs an authorisation (declared care relationship or the patient's consent) or a live
  emergency access; feeding it does not (professionals must feed the record, L1111-15);
* per document: the profession × type matrix, masking, hidden-from-patient, deletion (see ``document_visible``);
* an app reaches only the categories and directions its patient granted, while the app is online and its
  consent is current (``consent_required``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    # back office
    ENROL = "enrol"
    OPT_OUT_BY_PHONE = "opt_out_by_phone"
    MANAGE_CATALOGUE = "manage_catalogue"
    LOAD_REIMBURSEMENTS = "load_reimbursements"
    # the caller's own space
    READ_ME = "read_me"
    CLOSE_SPACE = "close_space"
    # establishments' own data
    READ_REJECTIONS = "read_rejections"
    # messaging
    START_CONVERSATION = "start_conversation"
    # a patient's space
    LIST_DOCUMENTS = "list_documents"
    READ_DOCUMENT = "read_document"
    ADD_DOCUMENT = "add_document"
    MASK_DOCUMENT = "mask_document"
    HIDE_DOCUMENT = "hide_document"
    DELETE_DOCUMENT = "delete_document"
    DECLARE_CARE = "declare_care"
    EMERGENCY_ACCESS = "emergency_access"
    MANAGE_SHARING = "manage_sharing"
    READ_SHARING = "read_sharing"
    READ_ACCESS_LOG = "read_access_log"
    READ_PROFILE = "read_profile"
    WRITE_PROFILE = "write_profile"
    READ_VACCINATIONS = "read_vaccinations"
    WRITE_VACCINATIONS = "write_vaccinations"
    READ_MEASUREMENTS = "read_measurements"
    WRITE_MEASUREMENTS = "write_measurements"
    READ_AGENDA = "read_agenda"
    WRITE_AGENDA = "write_agenda"
    READ_REMINDERS = "read_reminders"
    READ_SUMMARY = "read_summary"
    READ_REIMBURSEMENTS = "read_reimbursements"
    MANAGE_APP_CONSENTS = "manage_app_consents"


AGENT_ACTIONS = frozenset({Action.ENROL, Action.OPT_OUT_BY_PHONE, Action.MANAGE_CATALOGUE,
                           Action.LOAD_REIMBURSEMENTS})
OWN_SPACE_ACTIONS = frozenset({Action.READ_ME, Action.CLOSE_SPACE})

# What an app may do, as (data category, direction) of the consent it needs (CONTRACT §7).
APP_SCOPES: dict[Action, tuple[str, str]] = {
    Action.LIST_DOCUMENTS: ("documents", "read"),
    Action.READ_DOCUMENT: ("documents", "read"),
    Action.ADD_DOCUMENT: ("documents", "write"),
    Action.READ_MEASUREMENTS: ("measurements", "read"),
    Action.WRITE_MEASUREMENTS: ("measurements", "write"),
    Action.READ_AGENDA: ("agenda", "read"),
    Action.WRITE_AGENDA: ("agenda", "write"),
    Action.READ_PROFILE: ("profile", "read"),
    Action.WRITE_PROFILE: ("profile", "write"),
    Action.READ_VACCINATIONS: ("vaccinations", "read"),
    Action.WRITE_VACCINATIONS: ("vaccinations", "write"),
}

# What the patient (or a legal representative) may do in their space: everything patient-scoped.
PATIENT_ACTIONS = frozenset(a for a in Action if a not in AGENT_ACTIONS | {Action.READ_REJECTIONS,
                                                                         Action.START_CONVERSATION,
                                                                         Action.DECLARE_CARE,
                                                                         Action.EMERGENCY_ACCESS,
                                                                         Action.HIDE_DOCUMENT})
# Reading the record: needs an authorisation or an emergency access.
PRO_READ_ACTIONS = frozenset({Action.LIST_DOCUMENTS, Action.READ_DOCUMENT, Action.READ_PROFILE,
                              Action.READ_VACCINATIONS, Action.READ_SUMMARY})
# Feeding the record and the agenda: any professional the patient did not block (L1111-15).
PRO_WRITE_ACTIONS = frozenset({Action.ADD_DOCUMENT, Action.HIDE_DOCUMENT, Action.DELETE_DOCUMENT,
                               Action.WRITE_VACCINATIONS, Action.WRITE_MEASUREMENTS, Action.WRITE_AGENDA})
ESTABLISHMENT_ACTIONS = frozenset({Action.ADD_DOCUMENT, Action.LIST_DOCUMENTS, Action.READ_DOCUMENT,
                                   Action.HIDE_DOCUMENT, Action.DELETE_DOCUMENT, Action.WRITE_AGENDA})

LIVE = ("open", "active")  # a space exists


class Mode(StrEnum):
    SELF = "self"
    REPRESENTATIVE = "representative"
    NORMAL = "normal"
    EMERGENCY = "emergency"
    APP = "app"
    BACK_OFFICE = "back_office"


class Denial(StrEnum):
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404: absent and invisible are one answer
    CONSENT_REQUIRED = "consent_required"  # 403 with its own code


@dataclass(frozen=True)
class Decision:
    allowed: bool
    mode: Mode | None = None
    denial: Denial | None = None
    code: str | None = None
    message: str | None = None

    @property
    def logged(self) -> bool:
        """Accesses by someone other than the patient land in the patient's access log."""
        return self.allowed and self.mode in (Mode.NORMAL, Mode.EMERGENCY, Mode.APP)


def allow(mode: Mode) -> Decision:
    return Decision(True, mode)


def deny(denial: Denial, code: str, message: str) -> Decision:
    return Decision(False, denial=denial, code=code, message=message)


@dataclass(frozen=True)
class AccountFacts:
    ins: str
    status: str
    birth_date: dt.date
    legal_representative_nir: str | None = None


@dataclass(frozen=True)
class EmergencySettings:
    samu: bool = True
    other_professionals: bool = True
    masked_documents: bool = True


@dataclass(frozen=True)
class AppFacts:
    status: str  # online | suspended | dereferenced
    data_access: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class ConsentFacts:
    grants: frozenset[tuple[str, str]]
    needs_reapproval: bool = False  # the app's access grew since the consent
    granted_for_minor: bool = False  # given by a legal representative: the person re-approves at 18


@dataclass(frozen=True)
class PatientFacts:
    """What the decision needs to know about the patient concerned and the caller's standing with them."""

    patient: AccountFacts | None  # the space concerned (None: no such person)
    caller_account: AccountFacts | None = None  # a patient caller's own account
    relation: str | None = None  # professional: "authorized" | "blocked" | None
    emergency_until: dt.datetime | None = None  # professional: a live emergency access ends then
    attending_doctor: str | None = None  # RPPS of the attending doctor (médecin traitant)
    emergency: EmergencySettings = field(default_factory=EmergencySettings)
    app: AppFacts | None = None
    consent: ConsentFacts | None = None


@dataclass(frozen=True)
class DocumentFacts:
    author_role: str
    author_id: str
    type_code: str
    status: str  # pending | available | rejected | superseded
    masked: bool = False
    hidden_from_patient: bool = False
    deleted: bool = False


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def is_legal_representative(caller_ins: str, patient: AccountFacts, today: dt.date) -> bool:
    """A legal representative acts for the child while the child is a minor (then the child takes over)."""
    return patient.legal_representative_nir == caller_ins and _age(patient.birth_date, today) < 18


def _no_space() -> Decision:
    return deny(Denial.NOT_FOUND, "no_space", "No health space exists for this INS.")


def decide(actor: object, action: Action, facts: PatientFacts | None = None, now: dt.datetime | None = None,
           document: DocumentFacts | None = None) -> Decision:
    """May ``actor`` do ``action`` (on the patient of ``facts``, on ``document``)? Pure; the single source."""
    from chalicelib.domain.timeutil import utcnow

    now = now or utcnow()
    role = getattr(actor, "role", None)

    if action in AGENT_ACTIONS:
        return allow(Mode.BACK_OFFICE) if role == "agent" else deny(
            Denial.FORBIDDEN, "forbidden", "Only the health-insurance back office may do this.")

    if action in OWN_SPACE_ACTIONS:
        if role != "patient":
            return deny(Denial.FORBIDDEN, "forbidden", "Only the person themselves may do this.")
        return _caller_active(facts) or allow(Mode.SELF)

    if action == Action.READ_REJECTIONS:
        return allow(Mode.NORMAL) if role == "establishment" else deny(
            Denial.FORBIDDEN, "forbidden", "Only an establishment reads its inbox rejections.")

    if action == Action.START_CONVERSATION:
        if role not in ("professional", "establishment"):
            return deny(Denial.FORBIDDEN, "forbidden", "Only professionals and establishments start conversations.")
        if facts is None or facts.patient is None or facts.patient.status not in LIVE:
            return _no_space()
        if role == "professional" and facts.relation == "blocked":
            return deny(Denial.FORBIDDEN, "blocked", "The patient has blocked this professional.")
        return allow(Mode.NORMAL)

    # -- a patient's space ---------------------------------------------------------------------------------------
    if role == "patient":
        return _patient(actor, action, facts, now, document)
    if role not in ("professional", "establishment", "app"):
        return deny(Denial.FORBIDDEN, "forbidden", "This caller has no access to patients' spaces.")
    if facts is None or facts.patient is None:
        return _no_space()
    patient = facts.patient

    if patient.status not in LIVE:
        return _no_space()

    if role == "professional":
        return _professional(actor, action, facts, now, document)
    if role == "establishment":
        if action not in ESTABLISHMENT_ACTIONS:
            return deny(Denial.FORBIDDEN, "forbidden", "An establishment cannot do this in a patient's space.")
        if document is not None and not document_visible(actor, Mode.NORMAL, facts, document):
            return _document_not_found()
        if action in (Action.HIDE_DOCUMENT, Action.DELETE_DOCUMENT) and document is not None \
                and not _is_author(actor, document):
            return deny(Denial.FORBIDDEN, "not_author", "Only the document's author may do this.")
        return allow(Mode.NORMAL)
    return _app(actor, action, facts, now, document)


def _patient(actor: object, action: Action, facts: PatientFacts | None, now: dt.datetime,
             document: DocumentFacts | None) -> Decision:
    """The patient in their own space, or a legal representative in a minor child's."""
    refused = _caller_active(facts)
    if refused:
        return refused
    assert facts is not None and facts.caller_account is not None
    caller, patient = facts.caller_account, facts.patient
    if patient is not None and caller.ins == patient.ins:
        mode = Mode.SELF
    elif patient is not None and is_legal_representative(caller.ins, patient, now.date()):
        if patient.status not in LIVE:
            return _no_space()
        mode = Mode.REPRESENTATIVE
    else:
        return deny(Denial.FORBIDDEN, "forbidden", "This space belongs to someone else.")
    if action not in PATIENT_ACTIONS:
        return deny(Denial.FORBIDDEN, "forbidden", "A patient cannot do this.")
    if document is not None and not document_visible(actor, mode, facts, document):
        return _document_not_found()
    return allow(mode)


def _caller_active(facts: PatientFacts | None) -> Decision | None:
    """A patient token works only once its account is active (CONTRACT §4)."""
    caller = facts.caller_account if facts else None
    if caller is None or caller.status != "active":
        return deny(Denial.FORBIDDEN, "account_not_active",
                    "This space is not active: activate it with your Vitale card serial and provisional code.")
    return None


def _document_not_found() -> Decision:
    return deny(Denial.NOT_FOUND, "not_found", "No such document.")


def _is_author(actor: object, document: DocumentFacts) -> bool:
    return document.author_role == getattr(actor, "role", None) and document.author_id == getattr(actor, "id", None)


def _professional(actor: object, action: Action, facts: PatientFacts, now: dt.datetime,
                  document: DocumentFacts | None) -> Decision:
    if facts.relation == "blocked":
        return deny(Denial.FORBIDDEN, "blocked", "The patient has blocked this professional.")
    if action == Action.DECLARE_CARE:
        return allow(Mode.NORMAL)
    if action == Action.EMERGENCY_ACCESS:
        samu = bool(getattr(actor, "samu", False))
        if (samu and not facts.emergency.samu) or (not samu and not facts.emergency.other_professionals):
            return deny(Denial.FORBIDDEN, "emergency_refused",
                        "The patient has refused emergency access to their record.")
        return allow(Mode.EMERGENCY)
    if action in PRO_WRITE_ACTIONS:
        if document is not None and action in (Action.HIDE_DOCUMENT, Action.DELETE_DOCUMENT) \
                and not _is_author(actor, document):
            return deny(Denial.FORBIDDEN, "not_author", "Only the document's author may do this.")
        return allow(Mode.NORMAL)
    if action not in PRO_READ_ACTIONS:
        return deny(Denial.FORBIDDEN, "forbidden", "A professional cannot do this in a patient's space.")
    if facts.relation == "authorized":
        mode = Mode.NORMAL
    elif facts.emergency_until is not None and now < facts.emergency_until:
        mode = Mode.EMERGENCY
    else:
        return deny(Denial.FORBIDDEN, "not_authorized",
                    "This professional has no authorisation to read this record: declare the care relationship "
                    "with the patient's agreement.")
    if document is not None and not document_visible(actor, mode, facts, document):
        return _document_not_found()
    return allow(mode)


def _app(actor: object, action: Action, facts: PatientFacts, now: dt.datetime,
         document: DocumentFacts | None) -> Decision:
    scope = APP_SCOPES.get(action)
    if scope is None:
        return deny(Denial.FORBIDDEN, "forbidden", "Apps cannot do this.")
    assert facts.patient is not None
    if getattr(actor, "ins", None) != facts.patient.ins:
        return deny(Denial.FORBIDDEN, "wrong_patient", "This app token acts for another patient.")
    app, consent = facts.app, facts.consent
    if app is None or app.status != "online":
        return deny(Denial.CONSENT_REQUIRED, "consent_required",
                    "This app is not online in the catalogue: it cannot reach the patient's data.")
    if consent is not None and (consent.needs_reapproval or (
            consent.granted_for_minor and _age(facts.patient.birth_date, now.date()) >= 18)):
        return deny(Denial.CONSENT_REQUIRED, "consent_required",
                    "The patient must approve this app's access again before it can reach their data.")
    if consent is None or scope not in consent.grants or scope not in app.data_access:
        return deny(Denial.CONSENT_REQUIRED, "consent_required",
                    f"The patient has not granted this app {scope[1]} access to {scope[0]}.")
    if document is not None and not document_visible(actor, Mode.APP, facts, document):
        return _document_not_found()
    return allow(Mode.APP)


def document_visible(actor: object, mode: Mode, facts: PatientFacts, document: DocumentFacts) -> bool:
    """May this caller, in this mode, see this document at all (lists and reads alike)?"""
    from chalicelib.domain.authorization_matrix import profession_may_see

    if document.deleted:
        return False
    author = _is_author(actor, document)
    if document.status != "available" and document.status != "superseded" and not author:
        return False  # an upload in progress or a rejected file is its author's business
    if mode in (Mode.SELF, Mode.REPRESENTATIVE):
        return not document.hidden_from_patient or author
    if author:
        return True
    if mode == Mode.APP:
        return not (document.masked or document.hidden_from_patient)
    role = getattr(actor, "role", None)
    if role == "establishment":
        return False  # an establishment reads what it authored; its professionals read the rest
    if document.masked:
        is_attending = facts.attending_doctor is not None and facts.attending_doctor == getattr(actor, "rpps", None)
        if mode == Mode.EMERGENCY:
            if not (facts.emergency.masked_documents or is_attending):
                return False
        elif not is_attending:
            return False
    return profession_may_see(getattr(actor, "profession", None) or "", document.type_code)
