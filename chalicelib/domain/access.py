"""The one authorisation decision of ens: who may see or do what.

Every path (routes, downloads, attachments, conversations, app access, jobs, exports) asks :func:`decide`. It is a
pure function of the caller, the action, the facts about what is concerned (a patient's space, a conversation, an
establishment's own files; loaded in a constant number of reads by
:class:`chalicelib.services.access.AccessService`), the time, and, for a document, the document itself.

It decides in two stages:

1. **the role stage** (:func:`role_decision`): may this *kind* of caller do this at all? One table,
   :data:`ROLE_ACTIONS`, says it; :func:`roles_for` derives from it who may call each action (the routes' OpenAPI
   ``x-roles``), and the route decorator asks this stage before it reads a request's body;
2. **the fact stage**: the space, the caller's standing with the patient, the conversation, the document.

Rules (CONTRACT.md §2, §4-§7; Code de la santé publique L1111-15 to L1111-17, R1111-46):

* a patient's token works only once their account is active; a legal representative (the one of the enrolment, or
  a second one who accepted the first's invitation) acts for a minor child, never once the child is 18, whatever
  the token says; a carer (aidant) who accepted the person's invitation reads and adds to their space, never
  manages its sharing (professionals, attending doctor, emergency settings, app consents, carers), closes or
  exports it (``CARER_ACTIONS``); a carer invited by a legal representative for a minor stops at 18 too;
* a space must exist (``open`` or ``active``) for anyone else; otherwise it does not exist for them (404);
* a professional the patient blocked is refused, always, even in an emergency;
* reading the record needs an authorisation (declared care relationship or the patient's consent) or a live
  emergency access; feeding it does not (professionals must feed the record, L1111-15);
* per document: the profession x type matrix, masking, hidden-from-patient, a minor's secret
  (``hidden_from_representatives``, L1111-5: never shown to legal representatives or carers), deletion (see
  ``document_visible``);
  a document the caller cannot see is absent for them (404), whatever they ask of it; an author may change only
  their own documents (403 ``not_author`` when they can see it);
* an app reaches only the categories and directions its patient granted, while the app is online and its
  consent is current (``consent_required``); a SMART ``scope`` claim in its token narrows that further
  (``insufficient_scope``), never widens it; an app never sets a visibility flag and never sees a masked or hidden
  document, its own included;
* a conversation exists only for its two participants: the professional or establishment who started it, and
  the patient; the starter alone closes and reopens it; nobody writes in it once closed (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain.accounts import MAJORITY_AGE
from chalicelib.domain.authorization_matrix import profession_may_see
from chalicelib.domain.identity import Actor
from chalicelib.domain.timeutil import age_on


class Action(StrEnum):
    # back office
    ENROL = "enrol"
    OPT_OUT_BY_PHONE = "opt_out_by_phone"
    MANAGE_CATALOGUE = "manage_catalogue"
    LOAD_REIMBURSEMENTS = "load_reimbursements"
    # the caller's own space
    READ_ME = "read_me"
    CLOSE_SPACE = "close_space"
    READ_NOTIFICATION_PREFERENCES = "read_notification_preferences"
    SET_NOTIFICATION_PREFERENCES = "set_notification_preferences"
    # the notification centre: what was sent about a space, read by those who manage it
    READ_NOTIFICATIONS = "read_notifications"
    MARK_NOTIFICATION_READ = "mark_notification_read"
    # establishments' own data
    READ_REJECTIONS = "read_rejections"
    # messaging
    START_CONVERSATION = "start_conversation"
    LIST_CONVERSATIONS = "list_conversations"
    READ_CONVERSATION = "read_conversation"
    POST_MESSAGE = "post_message"
    CLOSE_CONVERSATION = "close_conversation"  # close or reopen
    READ_ATTACHMENT = "read_attachment"
    FILE_ATTACHMENT = "file_attachment"
    # a patient's space
    LIST_DOCUMENTS = "list_documents"
    READ_DOCUMENT = "read_document"
    ADD_DOCUMENT = "add_document"
    REPLACE_DOCUMENT = "replace_document"
    UPDATE_DOCUMENT = "update_document"  # PATCH: masking or hiding, each decided on its own below
    MASK_DOCUMENT = "mask_document"
    HIDE_DOCUMENT = "hide_document"  # set or lift hidden_from_patient (at creation too)
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
    UPDATE_APPOINTMENT = "update_appointment"  # PATCH: the patient any appointment, anyone else their own
    CANCEL_APPOINTMENT = "cancel_appointment"  # DELETE: likewise
    READ_REMINDERS = "read_reminders"
    SET_REMINDER_STATUS = "set_reminder_status"  # planned, done, not done, postponed
    READ_SUMMARY = "read_summary"
    READ_REIMBURSEMENTS = "read_reimbursements"
    MANAGE_APP_CONSENTS = "manage_app_consents"
    # family: carers (aidants), a second legal representative, a minor's secret (CONTRACT §10)
    READ_CARERS = "read_carers"
    MANAGE_CARERS = "manage_carers"  # invite a carer (and withdraw the invitation, revoke a carer)
    REVOKE_CARER = "revoke_carer"  # end a carer's link: the person, their representative, or the carer leaving
    INVITE_REPRESENTATIVE = "invite_representative"  # a legal representative invites a second one
    HIDE_FROM_REPRESENTATIVES = "hide_from_representatives"  # set or lift hidden_from_representatives
    READ_INVITATIONS = "read_invitations"  # the caller's own invitations
    ANSWER_INVITATION = "answer_invitation"  # accept or refuse one of them
    # portability (GDPR art. 20): the patient or a legal representative; never a carer (EXPORT_ACTIONS)
    REQUEST_EXPORT = "request_export"
    READ_EXPORT = "read_export"


A = Action
BACK_OFFICE_ACTIONS = frozenset({A.ENROL, A.OPT_OUT_BY_PHONE, A.MANAGE_CATALOGUE, A.LOAD_REIMBURSEMENTS})
OWN_SPACE_ACTIONS = frozenset({A.READ_ME, A.CLOSE_SPACE, A.READ_INVITATIONS, A.ANSWER_INVITATION,
                               A.READ_NOTIFICATION_PREFERENCES, A.SET_NOTIFICATION_PREFERENCES})
CONVERSATION_ACTIONS = frozenset({A.READ_CONVERSATION, A.POST_MESSAGE, A.CLOSE_CONVERSATION, A.READ_ATTACHMENT,
                                  A.FILE_ATTACHMENT})
PARTICIPANT_ACTIONS = frozenset({A.LIST_CONVERSATIONS, A.READ_CONVERSATION, A.POST_MESSAGE, A.READ_ATTACHMENT})
STARTER_ACTIONS = PARTICIPANT_ACTIONS | {A.START_CONVERSATION, A.CLOSE_CONVERSATION}
# Reading the record: a professional needs an authorisation or a live emergency access.
PRO_READ_ACTIONS = frozenset({A.LIST_DOCUMENTS, A.READ_DOCUMENT, A.READ_PROFILE, A.READ_VACCINATIONS,
                              A.READ_SUMMARY})
# Feeding the record and the agenda: any professional the patient did not block (L1111-15).
PRO_WRITE_ACTIONS = frozenset({A.ADD_DOCUMENT, A.REPLACE_DOCUMENT, A.UPDATE_DOCUMENT, A.HIDE_DOCUMENT,
                               A.HIDE_FROM_REPRESENTATIVES, A.DELETE_DOCUMENT, A.WRITE_VACCINATIONS,
                               A.WRITE_MEASUREMENTS, A.WRITE_AGENDA, A.UPDATE_APPOINTMENT, A.CANCEL_APPOINTMENT})
# Actions on one document that only its author may take (the patient masks and deletes any they see).
AUTHOR_ACTIONS = frozenset({A.REPLACE_DOCUMENT, A.HIDE_DOCUMENT, A.HIDE_FROM_REPRESENTATIVES, A.DELETE_DOCUMENT})
# What a carer may do in the space of the person they help: read, and add (CONTRACT §10; DOMAIN: carers cannot
# manage sharing, close the profile, delete or export data). A list of what is allowed, so that an action added
# later is refused to carers until it is put here on purpose. Reimbursements and the access log are the person's
# and their legal representatives' alone (CONTRACT §5, §6); the profile is written by them (a carer reads it).
CARER_ACTIONS = frozenset({A.LIST_DOCUMENTS, A.READ_DOCUMENT, A.ADD_DOCUMENT, A.READ_PROFILE, A.READ_VACCINATIONS,
                           A.WRITE_VACCINATIONS, A.READ_MEASUREMENTS, A.WRITE_MEASUREMENTS, A.READ_AGENDA,
                           A.WRITE_AGENDA, A.READ_REMINDERS, A.READ_SUMMARY, A.READ_SHARING, A.REVOKE_CARER})
# Managing a space's people: the person and their legal representatives.
FAMILY_MANAGER_ACTIONS = frozenset({A.READ_CARERS, A.MANAGE_CARERS})
# Changing or cancelling an appointment: the patient (or a legal representative) any of them; a professional, an
# establishment or an app only one it added (as for adding, a professional needs no authorisation to read).
APPOINTMENT_ACTIONS = frozenset({A.UPDATE_APPOINTMENT, A.CANCEL_APPOINTMENT})
# Exporting a space is the patient's right or a legal representative's, never a carer's (CONTRACT §10; the carer
# rule of the decision refuses these).
EXPORT_ACTIONS = frozenset({A.REQUEST_EXPORT, A.READ_EXPORT})

# What an app may do, as (data category, direction) of the consent it needs (CONTRACT §7). Nothing else: an app
# never masks, hides or deletes, and never sets a visibility flag.
APP_SCOPES: Mapping[Action, tuple[str, str]] = {
    A.LIST_DOCUMENTS: ("documents", "read"),
    A.READ_DOCUMENT: ("documents", "read"),
    A.ADD_DOCUMENT: ("documents", "write"),
    A.REPLACE_DOCUMENT: ("documents", "write"),
    A.READ_MEASUREMENTS: ("measurements", "read"),
    A.WRITE_MEASUREMENTS: ("measurements", "write"),
    A.READ_AGENDA: ("agenda", "read"),
    A.WRITE_AGENDA: ("agenda", "write"),
    A.UPDATE_APPOINTMENT: ("agenda", "write"),
    A.CANCEL_APPOINTMENT: ("agenda", "write"),
    A.READ_PROFILE: ("profile", "read"),
    A.WRITE_PROFILE: ("profile", "write"),
    A.READ_VACCINATIONS: ("vaccinations", "read"),
    A.WRITE_VACCINATIONS: ("vaccinations", "write"),
}

# Looking a patient up (FHIR ``Patient?identifier=``, the DMP's "does a record exist" TD0.2): whoever may read the
# patient's data (the first group) sees their identity; whoever may only feed or list the record (the second) sees
# that the space exists and whether it is active. Each is decided as its own action, by the rules below.
IDENTITY_ACTIONS = (A.READ_PROFILE, A.READ_VACCINATIONS, A.READ_MEASUREMENTS)
EXISTENCE_ACTIONS = (A.LIST_DOCUMENTS, A.ADD_DOCUMENT, A.WRITE_MEASUREMENTS, A.WRITE_VACCINATIONS, A.WRITE_AGENDA)
PATIENT_LOOKUP_ACTIONS = IDENTITY_ACTIONS + EXISTENCE_ACTIONS

# -- the role stage: one table ------------------------------------------------------------------------------------
ROLE_ACTIONS: Mapping[str, frozenset[Action]] = {
    "agent": BACK_OFFICE_ACTIONS,
    "patient": frozenset(Action) - BACK_OFFICE_ACTIONS - {
        A.READ_REJECTIONS, A.START_CONVERSATION, A.CLOSE_CONVERSATION, A.DECLARE_CARE, A.EMERGENCY_ACCESS,
        A.HIDE_DOCUMENT},
    "professional": PRO_READ_ACTIONS | PRO_WRITE_ACTIONS | STARTER_ACTIONS | {A.DECLARE_CARE, A.EMERGENCY_ACCESS},
    "establishment": STARTER_ACTIONS | APPOINTMENT_ACTIONS | {
        A.READ_REJECTIONS, A.ADD_DOCUMENT, A.REPLACE_DOCUMENT, A.LIST_DOCUMENTS, A.READ_DOCUMENT, A.UPDATE_DOCUMENT,
        A.HIDE_DOCUMENT, A.HIDE_FROM_REPRESENTATIVES, A.DELETE_DOCUMENT, A.WRITE_AGENDA},
    "app": frozenset(APP_SCOPES),
}

# Why a kind of caller may not do something, when the reason is no secret (the default is "<role> cannot do this").
ROLE_REASONS: Mapping[tuple[str, Action], str] = {
    ("professional", A.READ_MEASUREMENTS): "Measurements are not shared with professionals: only the patient and "
                                           "the apps they chose see them.",
    ("professional", A.READ_AGENDA): "The agenda is not shared with professionals: only the patient and the apps "
                                     "they chose see it.",
    ("professional", A.READ_REIMBURSEMENTS): "Reimbursements are shown to the patient and their legal "
                                             "representatives alone.",
    ("professional", A.READ_REMINDERS): "Prevention reminders are shown to the patient and their legal "
                                        "representatives alone.",
    ("professional", A.SET_REMINDER_STATUS): "The patient (or a legal representative) says where a recommended "
                                             "vaccination or screening stands.",
    ("professional", A.REQUEST_EXPORT): "Exporting a space is the patient's right (or a legal representative's).",
    ("establishment", A.REQUEST_EXPORT): "Exporting a space is the patient's right (or a legal representative's).",
    ("app", A.REQUEST_EXPORT): "Exporting a space is the patient's right (or a legal representative's).",
    ("professional", A.WRITE_PROFILE): "The medical profile is written by the patient (or a legal representative).",
    ("professional", A.MASK_DOCUMENT): "Masking a document is the patient's choice (or a legal representative's).",
    ("establishment", A.MASK_DOCUMENT): "Masking a document is the patient's choice (or a legal representative's).",
    ("patient", A.HIDE_DOCUMENT): "A patient cannot hide a document from themselves: 'hidden_from_patient' is for "
                                  "the professional or establishment who announces a result.",
    ("patient", A.START_CONVERSATION): "Only professionals and establishments start conversations; a patient "
                                       "replies in the ones they receive.",
    ("patient", A.CLOSE_CONVERSATION): "Only the professional or establishment who started the conversation "
                                       "closes or reopens it.",
    ("app", A.HIDE_DOCUMENT): "An app cannot hide a document from the patient: what an app writes, the patient "
                              "sees and may delete.",
    ("app", A.MASK_DOCUMENT): "An app cannot mask documents: masking is the patient's choice.",
    ("app", A.HIDE_FROM_REPRESENTATIVES): "An app cannot set a document's visibility: a minor's secret is kept by "
                                          "the document's author, at the minor's request.",
}

# Why a carer may not do something in the space of the person they help (default: CARER_DEFAULT_REASON).
CARER_REASONS: Mapping[Action, str] = {
    A.MANAGE_SHARING: "A carer cannot manage sharing: the person (or their legal representative) chooses which "
                      "professionals see the record, the attending doctor and the emergency settings.",
    A.MANAGE_APP_CONSENTS: "A carer cannot manage app consents: the person (or their legal representative) "
                           "chooses the apps that reach their data.",
    A.MANAGE_CARERS: "A carer cannot invite or remove carers: the person (or their legal representative) does.",
    A.READ_CARERS: "The list of carers is shown to the person and their legal representatives.",
    A.INVITE_REPRESENTATIVE: "A carer cannot invite a legal representative.",
    A.READ_ACCESS_LOG: "The access log is shown to the person and their legal representatives.",
    A.READ_REIMBURSEMENTS: "Reimbursements are shown to the person and their legal representatives alone.",
    A.WRITE_PROFILE: "A carer reads the medical profile; the person (or their legal representative) writes it.",
    A.DELETE_DOCUMENT: "A carer cannot delete documents: only the person, their legal representative and the "
                       "document's author do.",
    A.MASK_DOCUMENT: "A carer cannot mask documents: masking is the person's choice (or a legal representative's).",
    A.UPDATE_DOCUMENT: "A carer cannot change a document's visibility: it is the person's choice (or the author's).",
    A.HIDE_FROM_REPRESENTATIVES: "A carer cannot change a document's visibility: it is the author's choice.",
    A.REPLACE_DOCUMENT: "A carer adds documents; replacing one is its author's or the person's business.",
}
CARER_DEFAULT_REASON = ("A carer reads and adds to the space of the person they help, but cannot manage it, close "
                        "it or export it.")
ROLE_NAMES = {"patient": "A patient", "professional": "A professional", "establishment": "An establishment",
              "app": "An app", "agent": "The back office"}
ROLE_PLURALS = {"patient": "patients", "professional": "professionals", "establishment": "establishments",
                "app": "apps", "agent": "the back office"}
ROLES: tuple[str, ...] = tuple(ROLE_ACTIONS)

LIVE = ("open", "active")  # a space exists


def roles_for(action: Action) -> tuple[str, ...]:
    """The roles whose callers may ever be allowed ``action`` (the OpenAPI ``x-roles`` of its routes)."""
    return tuple(role for role, actions in ROLE_ACTIONS.items() if action in actions)


class Mode(StrEnum):
    SELF = "self"
    REPRESENTATIVE = "representative"
    CARER = "carer"  # a carer in the space of the person they help (logged, as actor role "carer")
    NORMAL = "normal"
    EMERGENCY = "emergency"
    APP = "app"
    BACK_OFFICE = "back_office"


class Denial(StrEnum):
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404: absent and invisible are one answer
    CONSENT_REQUIRED = "consent_required"  # 403 with its own code
    CONFLICT = "conflict"  # 409: the state forbids it now (a closed conversation)


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
        return self.allowed and self.mode in (Mode.NORMAL, Mode.EMERGENCY, Mode.APP, Mode.CARER)


def allow(mode: Mode) -> Decision:
    return Decision(True, mode)


def deny(denial: Denial, code: str, message: str) -> Decision:
    return Decision(False, denial=denial, code=code, message=message)


@dataclass(frozen=True)
class AccountFacts:
    ins: str
    status: str
    birth_date: dt.date
    legal_representative_nir: str | None = None  # the enrolment's legal representative
    other_representatives: frozenset[str] = frozenset()  # a second one, who accepted the first's invitation

    @property
    def representatives(self) -> frozenset[str]:
        """Every legal representative of this person (they act for them while they are a minor)."""
        first = frozenset({self.legal_representative_nir}) if self.legal_representative_nir else frozenset()
        return first | self.other_representatives


@dataclass(frozen=True)
class CarerFacts:
    """The caller's carer link with the patient, as stored: the invitation may still be pending."""

    status: str  # pending | accepted
    by_representative: bool = False  # invited by a legal representative for a minor: ends at 18


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
class ConversationFacts:
    """A conversation, as the decision needs it: who takes part, and whether it is open."""

    starter_role: str
    starter_id: str
    patient_ins: str
    status: str  # open | closed


@dataclass(frozen=True)
class PatientFacts:
    """What the decision needs to know about what is concerned and the caller's standing with it: the patient's
    space (always, but for the back office), a conversation of that patient, an establishment's own files."""

    patient: AccountFacts | None  # the space concerned (None: no such person)
    caller_account: AccountFacts | None = None  # a patient caller's own account
    relation: str | None = None  # professional: "authorized" | "blocked" | None
    emergency_until: dt.datetime | None = None  # professional: a live emergency access ends then
    attending_doctor: str | None = None  # RPPS of the attending doctor (médecin traitant)
    emergency: EmergencySettings = field(default_factory=EmergencySettings)
    app: AppFacts | None = None
    consent: ConsentFacts | None = None
    conversation: ConversationFacts | None = None  # messaging: the conversation concerned (None: no such one)
    finess: str | None = None  # READ_REJECTIONS: the establishment whose files are asked for
    carer: CarerFacts | None = None  # a patient caller: their carer link with the patient (None: not a carer)
    carer_concerned: str | None = None  # REVOKE_CARER: the INS of the carer whose link ends


@dataclass(frozen=True)
class DocumentFacts:
    author_role: str
    author_id: str
    type_code: str
    status: str  # pending | available | rejected | superseded
    masked: bool = False
    hidden_from_patient: bool = False
    deleted: bool = False
    hidden_from_representatives: bool = False  # a minor's secret (L1111-5)


@dataclass(frozen=True)
class AppointmentFacts:
    """Who added an appointment (its source): they alone, besides the patient, change or cancel it."""

    source_role: str
    source_id: str


def is_legal_representative(caller_ins: str, patient: AccountFacts, today: dt.date) -> bool:
    """A legal representative acts for the child while the child is a minor (then the child takes over): decided
    from the birth date at every access, whatever the token says."""
    return caller_ins in patient.representatives and age_on(patient.birth_date, today) < MAJORITY_AGE


def is_carer(carer: CarerFacts | None, patient: AccountFacts, today: dt.date) -> bool:
    """An accepted carer helps the person; one a legal representative invited for a minor stops at 18 (the young
    adult chooses their own carers)."""
    if carer is None or carer.status != "accepted":
        return False
    return not (carer.by_representative and age_on(patient.birth_date, today) >= MAJORITY_AGE)


def _no_space() -> Decision:
    return deny(Denial.NOT_FOUND, "no_space", "No health space exists for this INS.")


def _document_not_found() -> Decision:
    return deny(Denial.NOT_FOUND, "not_found", "No such document.")


def _no_conversation() -> Decision:
    return deny(Denial.NOT_FOUND, "not_found", "No such conversation.")


def _no_appointment() -> Decision:
    return deny(Denial.NOT_FOUND, "not_found", "No such appointment.")


def _appointment(actor: Actor, appointment: AppointmentFacts | None, sees_agenda: bool) -> Decision | None:
    """Someone other than the patient changes or cancels only an appointment they added: one they cannot see is
    absent (404); one they see but did not add is theirs to read, not to change (403)."""
    if appointment is None or (appointment.source_role, appointment.source_id) == (actor.role, actor.id):
        return None
    if not sees_agenda:
        return _no_appointment()
    return deny(Denial.FORBIDDEN, "not_source", "Only the patient, or whoever added this appointment, may change "
                                                "or cancel it.")


def role_decision(role: str, action: Action) -> Decision | None:
    """The role stage: a refusal when this kind of caller may never do ``action``, else None (go on)."""
    if action in ROLE_ACTIONS.get(role, frozenset()):
        return None
    reason = ROLE_REASONS.get((role, action))
    if reason is None:
        allowed = ", ".join(ROLE_PLURALS[r] for r in roles_for(action))
        reason = f"{ROLE_NAMES.get(role, 'This caller')} cannot do this" + (f" (only {allowed} may)." if allowed
                                                                             else ".")
    return deny(Denial.FORBIDDEN, "forbidden", reason)


def decide(actor: Actor, action: Action, facts: PatientFacts | None, now: dt.datetime,
           document: DocumentFacts | None = None, appointment: AppointmentFacts | None = None) -> Decision:
    """May ``actor`` do ``action`` (on what ``facts`` describe, on ``document`` or ``appointment``) at ``now``?
    Pure; the single source."""
    refused = role_decision(actor.role, action)
    if refused:
        return refused
    facts = facts or PatientFacts(None)
    role = actor.role

    if action in BACK_OFFICE_ACTIONS:
        return allow(Mode.BACK_OFFICE)
    if role == "patient":
        inactive = _caller_active(facts)
        if inactive:
            return inactive
    if action in OWN_SPACE_ACTIONS:
        return allow(Mode.SELF)
    if action == A.READ_REJECTIONS:
        if facts.finess is None or facts.finess != actor.finess:
            return deny(Denial.FORBIDDEN, "forbidden", "An establishment sees only its own rejected files.")
        return allow(Mode.NORMAL)
    if action == A.LIST_CONVERSATIONS:
        return allow(Mode.SELF if role == "patient" else Mode.NORMAL)  # one's own list; items: READ_CONVERSATION
    if action in CONVERSATION_ACTIONS:
        return _conversation(actor, action, facts)
    if action == A.START_CONVERSATION:
        if facts.patient is None or facts.patient.status not in LIVE:
            return _no_space()
        if role == "professional" and facts.relation == "blocked":
            return _blocked()
        return allow(Mode.NORMAL)

    # -- a patient's space ---------------------------------------------------------------------------------------
    if role == "patient":
        return _patient(actor, action, facts, now, document)
    if facts.patient is None or facts.patient.status not in LIVE:
        return _no_space()
    if role == "professional":
        decision = _professional(actor, action, facts, now, document)
    elif role == "establishment":
        decision = _establishment(actor, action, facts, document)
    else:
        decision = _app(actor, action, facts, now, document)
    if decision.allowed and action in APPOINTMENT_ACTIONS:
        # professionals and establishments never read the agenda; an app does with its patient's consent
        sees = role == "app" and facts.consent is not None and ("agenda", "read") in facts.consent.grants
        return _appointment(actor, appointment, sees) or decision
    return decision


def _caller_active(facts: PatientFacts) -> Decision | None:
    """A patient token works only once its account is active (CONTRACT §4)."""
    caller = facts.caller_account
    if caller is None or caller.status != "active":
        return deny(Denial.FORBIDDEN, "account_not_active",
                    "This space is not active: activate it with your Vitale card serial and provisional code.")
    return None


def _blocked() -> Decision:
    return deny(Denial.FORBIDDEN, "blocked", "The patient has blocked this professional.")


def _conversation(actor: Actor, action: Action, facts: PatientFacts) -> Decision:
    """Messaging: the two participants alone see a conversation; the starter keeps it only while the patient's
    space exists and the patient has not blocked them; nobody writes once it is closed."""
    conversation = facts.conversation
    if conversation is None:
        return _no_conversation()
    is_patient = actor.role == "patient" and actor.ins == conversation.patient_ins
    is_starter = actor.role == conversation.starter_role and actor.id == conversation.starter_id
    if not (is_patient or is_starter):
        return _no_conversation()
    if is_starter:
        if facts.patient is None or facts.patient.status not in LIVE:
            return _no_conversation()  # a closed space leaves with its conversations
        if actor.role == "professional" and facts.relation == "blocked":
            return _blocked()
    if action == A.CLOSE_CONVERSATION and not is_starter:
        return deny(Denial.FORBIDDEN, "not_starter", "Only the professional or establishment who started the "
                                                     "conversation closes or reopens it.")
    if action == A.POST_MESSAGE and conversation.status != "open":
        return deny(Denial.CONFLICT, "conversation_closed",
                    "This conversation is closed: the professional who started it may reopen it.")
    return allow(Mode.SELF if is_patient else Mode.NORMAL)


def _patient(actor: Actor, action: Action, facts: PatientFacts, now: dt.datetime,
             document: DocumentFacts | None) -> Decision:
    """The patient in their own space, a legal representative in a minor child's, or a carer in the space of the
    person they help (the caller is active)."""
    caller, patient = facts.caller_account, facts.patient
    assert caller is not None
    today = now.date()
    if patient is not None and caller.ins == patient.ins:
        mode = Mode.SELF
    elif patient is not None and is_legal_representative(caller.ins, patient, today):
        mode = Mode.REPRESENTATIVE
    elif patient is not None and is_carer(facts.carer, patient, today):
        mode = Mode.CARER
    else:
        return deny(Denial.FORBIDDEN, "forbidden", "This space belongs to someone else.")
    assert patient is not None
    if mode != Mode.SELF and patient.status not in LIVE:
        return _no_space()
    refused = _standing(action, mode, actor, facts)
    if refused:
        return refused
    if document is not None:
        if not document_visible(actor, mode, facts, document):
            return _document_not_found()
        if action in (A.REPLACE_DOCUMENT, A.HIDE_FROM_REPRESENTATIVES) and not is_author(actor, document):
            return _not_author()
    return allow(mode)


def _standing(action: Action, mode: Mode, actor: Actor, facts: PatientFacts) -> Decision | None:
    """What the caller's standing with the person (self, legal representative, carer) lets them do."""
    if mode == Mode.CARER:
        if action == A.REVOKE_CARER:
            if facts.carer_concerned != actor.ins:
                return deny(Denial.FORBIDDEN, "carer_forbidden", "A carer steps down themselves; the other "
                                                                 "carers are the person's choice.")
            return None
        if action not in CARER_ACTIONS:
            return deny(Denial.FORBIDDEN, "carer_forbidden", CARER_REASONS.get(action, CARER_DEFAULT_REASON))
        return None
    if action == A.INVITE_REPRESENTATIVE and mode != Mode.REPRESENTATIVE:
        return deny(Denial.FORBIDDEN, "not_representative",
                    "Only a legal representative of a minor invites a second legal representative.")
    if action == A.HIDE_FROM_REPRESENTATIVES and mode != Mode.SELF:
        return deny(Denial.FORBIDDEN, "forbidden", "A minor's secret is kept from the legal representatives: only "
                                                   "the document's author sets or lifts it.")
    return None


def is_author(actor: Actor, document: DocumentFacts) -> bool:
    return document.author_role == actor.role and document.author_id == actor.id


def _not_author() -> Decision:
    return deny(Denial.FORBIDDEN, "not_author", "Only the document's author may do this.")


def _professional(actor: Actor, action: Action, facts: PatientFacts, now: dt.datetime,
                  document: DocumentFacts | None) -> Decision:
    if facts.relation == "blocked":
        return _blocked()
    if action == A.DECLARE_CARE:
        return allow(Mode.NORMAL)
    if action == A.EMERGENCY_ACCESS:
        if (actor.samu and not facts.emergency.samu) or (not actor.samu and not facts.emergency.other_professionals):
            return deny(Denial.FORBIDDEN, "emergency_refused",
                        "The patient has refused emergency access to their record.")
        return allow(Mode.EMERGENCY)
    if facts.relation == "authorized":
        reading: Mode | None = Mode.NORMAL
    elif facts.emergency_until is not None and now < facts.emergency_until:
        reading = Mode.EMERGENCY
    else:
        reading = None
    if action not in PRO_WRITE_ACTIONS and reading is None:
        return deny(Denial.FORBIDDEN, "not_authorized",
                    "This professional has no authorisation to read this record: declare the care relationship "
                    "with the patient's agreement.")
    if document is not None:
        # Whatever is asked of a document, one the professional cannot see is absent (404); their own documents
        # they always see, with or without an authorisation to read the rest.
        own = is_author(actor, document) and document_visible(actor, Mode.NORMAL, facts, document)
        if not own and (reading is None or not document_visible(actor, reading, facts, document)):
            return _document_not_found()
        if action in AUTHOR_ACTIONS and not own:
            return _not_author()
    return allow(reading if reading is not None and action not in PRO_WRITE_ACTIONS else Mode.NORMAL)


def _establishment(actor: Actor, action: Action, facts: PatientFacts, document: DocumentFacts | None) -> Decision:
    if document is not None:
        if not document_visible(actor, Mode.NORMAL, facts, document):
            return _document_not_found()
        if action in AUTHOR_ACTIONS and not is_author(actor, document):
            return _not_author()
    return allow(Mode.NORMAL)


def _app(actor: Actor, action: Action, facts: PatientFacts, now: dt.datetime,
         document: DocumentFacts | None) -> Decision:
    scope = APP_SCOPES[action]
    assert facts.patient is not None
    if actor.ins != facts.patient.ins:
        return deny(Denial.FORBIDDEN, "wrong_patient", "This app token acts for another patient.")
    app, consent = facts.app, facts.consent
    if app is None or app.status != "online":
        return deny(Denial.CONSENT_REQUIRED, "consent_required",
                    "This app is not online in the catalogue: it cannot reach the patient's data.")
    if consent is not None and (consent.needs_reapproval or (
            consent.granted_for_minor and age_on(facts.patient.birth_date, now.date()) >= 18)):
        return deny(Denial.CONSENT_REQUIRED, "consent_required",
                    "The patient must approve this app's access again before it can reach their data.")
    if consent is None or scope not in consent.grants or scope not in app.data_access:
        return deny(Denial.CONSENT_REQUIRED, "consent_required",
                    f"The patient has not granted this app {scope[1]} access to {scope[0]}.")
    if actor.scopes is not None and scope not in actor.scopes:  # a SMART scope claim narrows, never widens
        return deny(Denial.FORBIDDEN, "insufficient_scope",
                    f"This app's token does not carry a SMART scope for {scope[1]} access to {scope[0]}, although "
                    "the patient granted it: ask the authorisation server for that scope.")
    if document is not None:
        if not document_visible(actor, Mode.APP, facts, document):
            return _document_not_found()
        if action in AUTHOR_ACTIONS and not is_author(actor, document):
            return _not_author()
    return allow(Mode.APP)


def document_visible(actor: Actor, mode: Mode, facts: PatientFacts, document: DocumentFacts) -> bool:
    """May this caller, in this mode, see this document at all (lists and reads alike)?"""
    if document.deleted:
        return False
    if mode in (Mode.REPRESENTATIVE, Mode.CARER) and document.hidden_from_representatives:
        return False  # a minor's secret: never shown to legal representatives or carers (L1111-5)
    hidden = document.hidden_from_patient or document.hidden_from_representatives
    if mode == Mode.APP and (document.masked or hidden):
        return False  # an app never sees a masked or hidden document, its own included (CONTRACT §7)
    author = is_author(actor, document)
    if document.status not in ("available", "superseded") and not author:
        return False  # an upload in progress or a rejected file is its author's business
    if mode in (Mode.SELF, Mode.REPRESENTATIVE, Mode.CARER):
        return not document.hidden_from_patient or author
    if author or mode == Mode.APP:
        return True
    if actor.role == "establishment":
        return False  # an establishment reads what it authored; its professionals read the rest
    if document.masked:
        is_attending = facts.attending_doctor is not None and facts.attending_doctor == actor.rpps
        if mode == Mode.EMERGENCY:
            if not (facts.emergency.masked_documents or is_attending):
                return False
        elif not is_attending:
            return False
    return profession_may_see(actor.profession or "", document.type_code)
