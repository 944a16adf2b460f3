"""The access decision against a plain table of the rules (CONTRACT §2, §5-§7), on random worlds.

The tables below are written from the contract, one row a rule, first match wins: they are the specification, and
``decide`` must agree with them on every actor, action, document, conversation and setting hypothesis can think of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.access import (
    APPOINTMENT_ACTIONS,
    CONVERSATION_ACTIONS,
    EXPORT_ACTIONS,
    OWN_SPACE_ACTIONS,
    ROLE_ACTIONS,
    AccountFacts,
    Action,
    AppFacts,
    AppointmentFacts,
    CarerFacts,
    ConsentFacts,
    ConversationFacts,
    DocumentFacts,
    EmergencySettings,
    PatientFacts,
    decide,
    roles_for,
)
from chalicelib.domain.authorization_matrix import profession_may_see
from chalicelib.domain.identity import PROFESSIONS, Actor

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
PATIENT, PARENT, STRANGER = "180057512345602", "280057512345602", "190057512345602"
SECOND, CARER = "270057512345602", "160057512345602"  # a second legal representative, a carer
TYPES = ["11488-4", "11502-2", "68599-0", "83901-9", "89601-9", "57833-6", "28617-9", "15508-5"]


@dataclass(frozen=True)
class World:
    actor: Actor
    facts: PatientFacts
    document: DocumentFacts
    author_is_caller: bool


@st.composite
def worlds(draw) -> World:
    role = draw(st.sampled_from(["patient", "professional", "establishment", "app", "agent"]))
    rpps, finess = "10000000009", "750000002"
    profession = draw(st.sampled_from(PROFESSIONS))
    samu = draw(st.booleans())
    caller_ins = draw(st.sampled_from([PATIENT, PARENT, STRANGER, SECOND, CARER]))
    actor = {
        "patient": Actor("patient", ins=caller_ins),
        "professional": Actor("professional", rpps=rpps, profession=profession, samu=samu),
        "establishment": Actor("establishment", finess=finess),
        "app": Actor("app", app_id="glyco", ins=draw(st.sampled_from([PATIENT, PATIENT, STRANGER])),
                     scopes=draw(st.sampled_from([None, None, frozenset(), frozenset({("documents", "read")}),
                                                  frozenset({("measurements", "write")})]))),
        "agent": Actor("agent"),
    }[role]
    minor = draw(st.booleans())
    patient = draw(st.one_of(st.none(), st.builds(
        AccountFacts, ins=st.just(PATIENT),
        status=st.sampled_from(["notified", "opposed", "open", "active", "closed"]),
        birth_date=st.sampled_from([dt.date(2015, 1, 1), dt.date(2008, 11, 23)] if minor else
                                   [dt.date(1990, 1, 1), dt.date(2008, 11, 22)]),  # 18 tomorrow / today
        legal_representative_nir=st.sampled_from([None, PARENT]),
        other_representatives=st.sampled_from([frozenset(), frozenset({SECOND})]))))
    caller_status = draw(st.sampled_from(["active", "open", "closed"]))
    caller_account = None
    if role == "patient":
        if caller_ins == PATIENT:
            caller_account = patient
        else:
            caller_account = AccountFacts(caller_ins, caller_status, dt.date(1980, 1, 1))
    emergency_until = draw(st.sampled_from([None, NOW - dt.timedelta(minutes=1), NOW + dt.timedelta(hours=3)]))
    grants = draw(st.frozensets(st.sampled_from([("documents", "read"), ("documents", "write"),
                                                 ("measurements", "read")])))
    facts = PatientFacts(
        patient=patient,
        caller_account=caller_account,
        relation=draw(st.sampled_from([None, "authorized", "blocked"])) if role == "professional" else None,
        emergency_until=emergency_until if role == "professional" else None,
        attending_doctor=draw(st.sampled_from([None, rpps, "10000000017"])),
        emergency=EmergencySettings(*draw(st.tuples(st.booleans(), st.booleans(), st.booleans()))),
        app=draw(st.one_of(st.none(), st.builds(AppFacts, status=st.sampled_from(["online", "suspended",
                                                                                     "dereferenced"]),
                                                   data_access=st.just(frozenset({("documents", "read")}))))),
        consent=draw(st.one_of(st.none(), st.builds(ConsentFacts, grants=st.just(grants),
                                                    needs_reapproval=st.booleans(),
                                                    granted_for_minor=st.booleans()))),
        carer=draw(st.one_of(st.none(), st.builds(CarerFacts, status=st.sampled_from(["pending", "accepted",
                                                                                     "refused", "ended"]),
                                                  by_representative=st.booleans()))) if role == "patient" else None,
        carer_concerned=draw(st.sampled_from([None, caller_ins, STRANGER])),
    )
    author_is_caller = draw(st.booleans())
    author = (actor.role, actor.id) if author_is_caller and role != "agent" else draw(
        st.sampled_from([("professional", "10000000017"), ("establishment", "130000009"), ("patient", PATIENT)]))
    document = DocumentFacts(author_role=author[0], author_id=author[1], type_code=draw(st.sampled_from(TYPES)),
                             status=draw(st.sampled_from(["pending", "available", "rejected", "superseded"])),
                             masked=draw(st.booleans()), hidden_from_patient=draw(st.booleans()),
                             deleted=draw(st.booleans()), hidden_from_representatives=draw(st.booleans()))
    # whether the caller wrote it is a fact of the document, not of the draw: a patient may have written it too
    wrote_it = role != "agent" and (document.author_role, document.author_id) == (actor.role, actor.id)
    return World(actor, facts, document, wrote_it)


# -- the table ---------------------------------------------------------------------------------------------------
ALLOW, FORBIDDEN, NOT_FOUND, CONSENT = "allow", "forbidden", "not_found", "consent_required"


def _live(w: World) -> bool:
    return w.facts.patient is not None and w.facts.patient.status in ("open", "active")


def _self(w: World) -> bool:
    return w.actor.role == "patient" and w.actor.ins == PATIENT


def _adult(w: World) -> bool:
    return w.facts.patient is not None and w.facts.patient.birth_date <= dt.date(2008, 11, 22)  # 18 on NOW's day


def _representative(w: World) -> bool:
    """The enrolment's legal representative, or the second one, of a minor: never once the child is 18."""
    p = w.facts.patient
    return (w.actor.role == "patient" and p is not None and not _self(w) and not _adult(w)
            and (p.legal_representative_nir == w.actor.ins or w.actor.ins in p.other_representatives))


def _carer(w: World) -> bool:
    """An accepted carer; one a representative chose for a minor stops at 18."""
    c = w.facts.carer
    return (w.actor.role == "patient" and w.facts.patient is not None and not _self(w) and not _representative(w)
            and c is not None and c.status == "accepted" and not (c.by_representative and _adult(w)))


def _caller_active(w: World) -> bool:
    return w.facts.caller_account is not None and w.facts.caller_account.status == "active"


def _emergency(w: World) -> bool:
    return w.facts.relation != "authorized" and w.facts.emergency_until is not None and w.facts.emergency_until > NOW


def _app_consented(w: World) -> bool:
    f = w.facts
    adult = f.patient is not None and f.patient.birth_date <= dt.date(2008, 11, 22)
    return (f.app is not None and f.app.status == "online" and f.consent is not None
            and not f.consent.needs_reapproval and not (f.consent.granted_for_minor and adult)
            and ("documents", "read") in f.consent.grants and ("documents", "read") in f.app.data_access)


# Access to the record (reading a document): first matching row wins.
SPACE_RULES = [
    ("the back office never reads records", lambda w: w.actor.role == "agent", FORBIDDEN),
    ("a patient's token needs an active account", lambda w: w.actor.role == "patient" and not _caller_active(w),
     FORBIDDEN),
    ("the patient reads their own space", _self, ALLOW),
    ("someone else's space is not a patient's", lambda w: w.actor.role == "patient" and not _representative(w)
     and not _carer(w), FORBIDDEN),
    ("no space, no record", lambda w: not _live(w), NOT_FOUND),
    ("a legal representative reads a minor's space", _representative, ALLOW),
    ("a carer reads the space of the person they help", _carer, ALLOW),
    ("a blocked professional is refused, always", lambda w: w.actor.role == "professional"
     and w.facts.relation == "blocked", FORBIDDEN),
    ("a professional needs an authorisation or a live emergency access", lambda w: w.actor.role == "professional"
     and w.facts.relation != "authorized" and not _emergency(w), FORBIDDEN),
    ("an app token acts for one patient only", lambda w: w.actor.role == "app" and w.actor.ins != PATIENT,
     FORBIDDEN),
    ("an app needs an online listing and a current consent", lambda w: w.actor.role == "app"
     and not _app_consented(w), CONSENT),
    ("a SMART scope claim narrows the consent, never widens it", lambda w: w.actor.role == "app"
     and w.actor.scopes is not None and ("documents", "read") not in w.actor.scopes, FORBIDDEN),
]

# Then, for one document (invisible = absent = 404): first matching row wins.
DOCUMENT_RULES = [
    ("deleted documents are gone", lambda w: w.document.deleted, NOT_FOUND),
    ("a minor's secret: never to legal representatives or carers, whoever wrote it", lambda w: (
        _representative(w) or _carer(w)) and w.document.hidden_from_representatives, NOT_FOUND),
    ("apps never see masked or hidden documents, their own included", lambda w: w.actor.role == "app"
     and (w.document.masked or w.document.hidden_from_patient or w.document.hidden_from_representatives),
     NOT_FOUND),
    ("pending and rejected files are their author's", lambda w: w.document.status in ("pending", "rejected")
     and not w.author_is_caller, NOT_FOUND),
    ("the author sees their document", lambda w: w.author_is_caller, ALLOW),
    ("hidden from the patient, the representatives and the carers", lambda w: w.actor.role == "patient"
     and w.document.hidden_from_patient, NOT_FOUND),
    ("the patient, the representatives and the carers see the rest", lambda w: w.actor.role == "patient", ALLOW),
    ("apps see the rest", lambda w: w.actor.role == "app", ALLOW),
    ("establishments read what they authored", lambda w: w.actor.role == "establishment", NOT_FOUND),
    ("masked: the attending doctor sees it", lambda w: w.document.masked
     and w.facts.attending_doctor == w.actor.rpps, None),  # falls through to the matrix
    ("masked: in an emergency only if the patient allows it", lambda w: w.document.masked and _emergency(w)
     and w.facts.emergency.masked_documents, None),
    ("masked: nobody else", lambda w: w.document.masked, NOT_FOUND),
]


def expected(w: World) -> str:
    for _, applies, outcome in SPACE_RULES:
        if applies(w):
            if outcome != ALLOW:
                return outcome
            break
    for _, applies, outcome in DOCUMENT_RULES:
        if applies(w):
            if outcome is not None:
                return outcome
            break
    return ALLOW if profession_may_see(w.actor.profession or "", w.document.type_code) else NOT_FOUND


def outcome_of(w: World) -> str:
    decision = decide(w.actor, Action.READ_DOCUMENT, w.facts, NOW, w.document)
    return ALLOW if decision.allowed else decision.denial.value


@settings(max_examples=3000, deadline=None)
@given(worlds())
def test_the_decision_follows_the_table(world):
    assert outcome_of(world) == expected(world)


@settings(max_examples=1000, deadline=None)
@given(worlds())
def test_apps_and_professionals_never_see_hidden_or_deleted_documents_they_did_not_write(world):
    if world.actor.role in ("app", "professional", "establishment") and not world.author_is_caller and (
            world.document.deleted or (world.actor.role == "app" and world.document.hidden_from_patient)):
        assert outcome_of(world) != ALLOW


@settings(max_examples=1000, deadline=None)
@given(worlds())
def test_a_blocked_professional_gets_nothing_even_in_an_emergency(world):
    if world.actor.role == "professional" and world.facts.relation == "blocked" and _live(world):
        for action in (Action.READ_DOCUMENT, Action.LIST_DOCUMENTS, Action.EMERGENCY_ACCESS, Action.ADD_DOCUMENT,
                       Action.DECLARE_CARE):
            assert not decide(world.actor, action, world.facts, NOW).allowed


@settings(max_examples=1000, deadline=None)
@given(worlds())
def test_listing_and_reading_agree(world):
    """What a list shows is exactly what a read returns (lists never leak what reads hide)."""
    listing = decide(world.actor, Action.LIST_DOCUMENTS, world.facts, NOW, world.document).allowed
    reading = decide(world.actor, Action.READ_DOCUMENT, world.facts, NOW, world.document).allowed
    assert listing == reading


# -- the role stage: one table, and who may call what derived from it --------------------------------------------------
ROLES = ("patient", "professional", "establishment", "app", "agent")


@settings(max_examples=2000, deadline=None)
@given(worlds(), st.sampled_from(list(Action)), st.booleans())
def test_a_role_the_table_does_not_list_is_refused_whatever_the_facts(world, action, with_document):
    decision = decide(world.actor, action, world.facts, NOW, world.document if with_document else None)
    if world.actor.role not in roles_for(action):
        assert not decision.allowed and decision.denial.value == FORBIDDEN and decision.code == "forbidden"
        assert decision.message  # says why, in a sentence


def test_roles_for_is_the_table_read_the_other_way():
    for action in Action:
        assert set(roles_for(action)) == {r for r in ROLES if action in ROLE_ACTIONS[r]}
    # PATCH of a document is masking (the patient) or hiding (authors): its callers are exactly theirs
    assert set(roles_for(Action.UPDATE_DOCUMENT)) == set(roles_for(Action.MASK_DOCUMENT)) | set(
        roles_for(Action.HIDE_DOCUMENT))
    assert roles_for(Action.HIDE_DOCUMENT) == ("professional", "establishment")  # never an app, never the patient
    assert "professional" not in roles_for(Action.READ_MEASUREMENTS)


def test_a_refusal_says_why_when_the_reason_is_no_secret():
    pro = Actor("professional", rpps="10000000009", profession="medecin")
    refusal = decide(pro, Action.READ_MEASUREMENTS, PatientFacts(None), NOW)
    assert "not shared with professionals" in refusal.message
    hiding = decide(Actor("app", app_id="glyco", ins=PATIENT), Action.HIDE_DOCUMENT, PatientFacts(None), NOW)
    assert not hiding.allowed and "app cannot hide" in hiding.message


# -- #10.1/#10.2: what an app writes the patient sees; an app never sees a masked or hidden document ------------------
@settings(max_examples=2000, deadline=None)
@given(worlds(), st.sampled_from([Action.READ_DOCUMENT, Action.LIST_DOCUMENTS, Action.REPLACE_DOCUMENT]))
def test_an_app_never_reaches_a_masked_or_hidden_document_even_its_own(world, action):
    d = world.document
    if world.actor.role == "app" and (d.masked or d.hidden_from_patient or d.hidden_from_representatives):
        assert not decide(world.actor, action, world.facts, NOW, world.document).allowed


@settings(max_examples=500, deadline=None)
@given(worlds())
def test_no_app_ever_sets_a_visibility_flag(world):
    if world.actor.role == "app":
        for action in (Action.HIDE_DOCUMENT, Action.MASK_DOCUMENT, Action.UPDATE_DOCUMENT, Action.DELETE_DOCUMENT,
                       Action.HIDE_FROM_REPRESENTATIVES):
            assert not decide(world.actor, action, world.facts, NOW, world.document).allowed
            assert not decide(world.actor, action, world.facts, NOW).allowed


# -- #10.5: an id the caller passes answers alike whether it does not exist or the caller cannot see it ----------------
def _sees(world: World) -> bool:
    """The caller can see the document: it reads it, or it is its author (and it is not deleted, nor an app's
    masked or hidden one)."""
    if decide(world.actor, Action.READ_DOCUMENT, world.facts, NOW, world.document).allowed:
        return True
    d = world.document
    return world.author_is_caller and not d.deleted and not (
        world.actor.role == "app" and (d.masked or d.hidden_from_patient or d.hidden_from_representatives)) and not (
        (_representative(world) or _carer(world)) and d.hidden_from_representatives)


CHANGES = [Action.DELETE_DOCUMENT, Action.REPLACE_DOCUMENT, Action.HIDE_DOCUMENT, Action.UPDATE_DOCUMENT,
           Action.MASK_DOCUMENT, Action.HIDE_FROM_REPRESENTATIVES]


@settings(max_examples=3000, deadline=None)
@given(worlds(), st.sampled_from(CHANGES))
def test_changing_a_document_one_cannot_see_is_exactly_like_changing_one_that_does_not_exist(world, action):
    space = decide(world.actor, action, world.facts, NOW)  # what a missing document gets: the space's answer
    on_document = decide(world.actor, action, world.facts, NOW, world.document)
    if not space.allowed:
        assert on_document == space  # the document changes nothing of a refusal about the space
        return
    if not _sees(world):
        assert on_document.denial is not None and on_document.denial.value == NOT_FOUND, on_document
    if on_document.code == "not_author":
        assert _sees(world)  # "not the author" is said only to someone who sees the document anyway


@settings(max_examples=1000, deadline=None)
@given(worlds(), st.sampled_from([Action.DELETE_DOCUMENT, Action.REPLACE_DOCUMENT]))
def test_an_author_changes_their_own_document_without_an_authorisation_to_read(world, action):
    w = world
    if w.actor.role == "professional" and w.author_is_caller and not w.document.deleted and _live(w) \
            and w.facts.relation is None:
        assert decide(w.actor, action, w.facts, NOW, w.document).allowed


# -- messaging: the conversation's two participants, its status, the patient's space and blocks ---------------------
@st.composite
def conversation_worlds(draw) -> tuple[Actor, PatientFacts, Action]:
    world = draw(worlds())
    starter = draw(st.sampled_from([("professional", "10000000009"), ("establishment", "750000002"),
                                    ("professional", "10000000017")]))
    conversation = ConversationFacts(starter[0], starter[1], PATIENT, draw(st.sampled_from(["open", "closed"])))
    facts = PatientFacts(**{**world.facts.__dict__, "conversation": draw(st.one_of(st.none(), st.just(conversation)))})
    action = draw(st.sampled_from([Action.READ_CONVERSATION, Action.POST_MESSAGE, Action.CLOSE_CONVERSATION,
                                   Action.READ_ATTACHMENT, Action.FILE_ATTACHMENT]))
    return world.actor, facts, action


CONVERSATION_RULES = [
    ("the role table first", lambda a, f, x: a.role not in roles_for(x), FORBIDDEN),
    ("a patient's token needs an active account", lambda a, f, x: a.role == "patient" and (
        f.caller_account is None or f.caller_account.status != "active"), FORBIDDEN),
    ("no such conversation", lambda a, f, x: f.conversation is None, NOT_FOUND),
    ("strangers: it does not exist", lambda a, f, x: not (
        (a.role == "patient" and a.ins == f.conversation.patient_ins)
        or (a.role == f.conversation.starter_role and a.id == f.conversation.starter_id)), NOT_FOUND),
    ("a closed space takes its conversations with it", lambda a, f, x: a.role != "patient" and (
        f.patient is None or f.patient.status not in ("open", "active")), NOT_FOUND),
    ("a blocked professional is refused", lambda a, f, x: a.role == "professional" and f.relation == "blocked",
     FORBIDDEN),
    ("the starter alone closes and reopens", lambda a, f, x: x == Action.CLOSE_CONVERSATION
     and a.role == "patient", FORBIDDEN),
    ("nobody writes once it is closed", lambda a, f, x: x == Action.POST_MESSAGE
     and f.conversation.status != "open", "conflict"),
]


@settings(max_examples=3000, deadline=None)
@given(conversation_worlds())
def test_conversations_follow_their_table(case):
    actor, facts, action = case
    decision = decide(actor, action, facts, NOW)
    expected_outcome = ALLOW
    for _, applies, outcome in CONVERSATION_RULES:
        if applies(actor, facts, action):
            expected_outcome = outcome
            break
    assert (ALLOW if decision.allowed else decision.denial.value) == expected_outcome, (actor, facts, action)


# -- carers, the second legal representative, coming of age (CONTRACT §10) ----------------------------------------
@st.composite
def family_worlds(draw) -> World:
    """Worlds around a person and the people around them: a patient caller who may be their carer, their legal
    representative (the enrolment's or the second), or a stranger, in a space that mostly exists."""
    world = draw(worlds())
    caller = draw(st.sampled_from([CARER, CARER, PARENT, SECOND, STRANGER]))
    actor = Actor("patient", ins=caller)
    patient = AccountFacts(PATIENT, draw(st.sampled_from(["open", "active", "active", "closed"])),
                           draw(st.sampled_from([dt.date(2015, 1, 1), dt.date(2008, 11, 23), dt.date(2008, 11, 22),
                                                 dt.date(1990, 1, 1)])),
                           legal_representative_nir=draw(st.sampled_from([None, PARENT])),
                           other_representatives=draw(st.sampled_from([frozenset(), frozenset({SECOND})])))
    carer = draw(st.one_of(st.none(), st.builds(CarerFacts, status=st.sampled_from(["accepted", "accepted",
                                                                                   "pending", "ended"]),
                                                by_representative=st.booleans())))
    facts = PatientFacts(**{**world.facts.__dict__, "patient": patient, "relation": None, "emergency_until": None,
                            "caller_account": AccountFacts(caller, "active", dt.date(1980, 1, 1)), "carer": carer,
                            "carer_concerned": draw(st.sampled_from([None, caller, STRANGER]))})
    author = (actor.role, actor.id) if draw(st.booleans()) else (world.document.author_role, world.document.author_id)
    document = DocumentFacts(**{**world.document.__dict__, "author_role": author[0], "author_id": author[1]})
    return World(actor, facts, document, author == (actor.role, actor.id))


@settings(max_examples=3000, deadline=None)
@given(family_worlds())
def test_the_decision_follows_the_table_around_a_person(world):
    assert outcome_of(world) == expected(world)


# What a carer may do in the space of the person they help, written from the contract: read and add. Everything else
# (manage sharing, app consents or carers; the access log and reimbursements, which are the person's and their
# representatives'; writing the profile; deleting, masking, replacing; exporting; anything added later) is refused.
CARER_MAY = {Action.LIST_DOCUMENTS, Action.READ_DOCUMENT, Action.ADD_DOCUMENT, Action.READ_PROFILE,
             Action.READ_VACCINATIONS, Action.WRITE_VACCINATIONS, Action.READ_MEASUREMENTS,
             Action.WRITE_MEASUREMENTS, Action.READ_AGENDA, Action.WRITE_AGENDA, Action.READ_REMINDERS,
             Action.READ_SUMMARY, Action.READ_SHARING}
CARER_NEVER = {Action.MANAGE_SHARING, Action.MANAGE_APP_CONSENTS, Action.MANAGE_CARERS, Action.READ_CARERS,
               Action.INVITE_REPRESENTATIVE, Action.READ_ACCESS_LOG, Action.READ_REIMBURSEMENTS,
               Action.WRITE_PROFILE, Action.DELETE_DOCUMENT, Action.MASK_DOCUMENT, Action.UPDATE_DOCUMENT,
               Action.REPLACE_DOCUMENT, Action.HIDE_FROM_REPRESENTATIVES}
SPACE_ACTIONS = sorted(ROLE_ACTIONS["patient"] - OWN_SPACE_ACTIONS - CONVERSATION_ACTIONS
                       - {Action.LIST_CONVERSATIONS, Action.START_CONVERSATION})


@settings(max_examples=3000, deadline=None)
@given(family_worlds(), st.sampled_from(SPACE_ACTIONS))
def test_a_carer_reads_and_adds_and_never_manages(world, action):
    if not (_carer(world) and _live(world) and _caller_active(world)):
        return
    decision = decide(world.actor, action, world.facts, NOW)
    if action == Action.REVOKE_CARER:  # stepping down: themselves only
        assert decision.allowed == (world.facts.carer_concerned == world.actor.ins)
    else:
        assert decision.allowed == (action in CARER_MAY), action
    if not decision.allowed:
        assert decision.code == "carer_forbidden" and decision.message
    if action in CARER_NEVER:
        assert not decision.allowed, action
    if decision.allowed:
        assert decision.logged  # every access by a carer lands in the access log


@settings(max_examples=3000, deadline=None)
@given(family_worlds(), st.sampled_from(SPACE_ACTIONS), st.booleans())
def test_at_18_representatives_lose_access_whatever_their_token_says(world, action, with_document):
    p = world.facts.patient
    if world.actor.role != "patient" or p is None or _self(world) or _carer(world) or not _adult(world):
        return
    if world.actor.ins in p.representatives:
        decision = decide(world.actor, action, world.facts, NOW, world.document if with_document else None)
        assert not decision.allowed, (action, p)


@settings(max_examples=2000, deadline=None)
@given(family_worlds(), st.sampled_from(SPACE_ACTIONS), st.booleans())
def test_a_second_representative_decides_exactly_like_the_first(world, action, with_document):
    p = world.facts.patient
    if world.actor.ins != SECOND or p is None or SECOND not in p.other_representatives:
        return
    as_first = PatientFacts(**{**world.facts.__dict__, "patient": AccountFacts(
        p.ins, p.status, p.birth_date, legal_representative_nir=SECOND)})
    document = world.document if with_document else None
    assert decide(world.actor, action, world.facts, NOW, document) == decide(world.actor, action, as_first, NOW,
                                                                              document)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(worlds(), family_worlds()), st.booleans())
def test_only_the_author_or_the_minor_sets_a_minors_secret(world, with_document):
    decision = decide(world.actor, Action.HIDE_FROM_REPRESENTATIVES, world.facts, NOW,
                      world.document if with_document else None)
    if decision.allowed:
        assert world.actor.role in ("professional", "establishment") or _self(world)
        if with_document:
            assert world.author_is_caller


# -- #15: appointments changed or cancelled, and the patient's own controls -------------------------------------------
@st.composite
def appointment_worlds(draw) -> tuple[World, AppointmentFacts, Action]:
    world = draw(worlds())
    if world.actor.role == "app" and draw(st.booleans()):  # an agenda app, with some of the agenda's consent
        agenda = frozenset({("agenda", "read"), ("agenda", "write")})
        grants = draw(st.frozensets(st.sampled_from(sorted(agenda)), min_size=1))
        facts = PatientFacts(**{**world.facts.__dict__, "app": AppFacts("online", agenda),
                                "consent": ConsentFacts(grants)})
        world = World(world.actor, facts, world.document, world.author_is_caller)
    own = (world.actor.role, world.actor.id or "")
    source = draw(st.sampled_from([own, ("patient", PATIENT), ("professional", "10000000017"),
                                   ("app", "other-app")]))
    return world, AppointmentFacts(*source), draw(st.sampled_from(sorted(APPOINTMENT_ACTIONS)))


def _expected_on_appointment(w: World, appointment: AppointmentFacts, action: Action) -> str:
    """First, the space (as for adding an appointment); then, for anyone but the patient, the appointment's source."""
    space = decide(w.actor, Action.WRITE_AGENDA, w.facts, NOW)
    if not space.allowed:
        return space.denial.value
    if _carer(w):  # a carer adds appointments; changing or cancelling one stays the person's (CARER_ACTIONS)
        return FORBIDDEN
    if w.actor.role == "patient" or (appointment.source_role, appointment.source_id) == (w.actor.role, w.actor.id):
        return ALLOW
    sees = w.actor.role == "app" and w.facts.consent is not None and ("agenda", "read") in w.facts.consent.grants
    return FORBIDDEN if sees else NOT_FOUND


@settings(max_examples=3000, deadline=None)
@given(appointment_worlds())
def test_appointments_are_changed_by_the_patient_or_by_whoever_added_them(case):
    world, appointment, action = case
    decision = decide(world.actor, action, world.facts, NOW, appointment=appointment)
    assert (ALLOW if decision.allowed else decision.denial.value) == _expected_on_appointment(
        world, appointment, action), (world, appointment, action)


OWNER_ACTIONS = (Action.REQUEST_EXPORT, Action.READ_EXPORT, Action.SET_REMINDER_STATUS, Action.READ_NOTIFICATIONS,
                 Action.MARK_NOTIFICATION_READ)


def test_the_patient_s_own_controls_are_the_patient_s_alone():
    for action in (*OWNER_ACTIONS, Action.READ_NOTIFICATION_PREFERENCES, Action.SET_NOTIFICATION_PREFERENCES):
        assert roles_for(action) == ("patient",), action
    assert {Action.REQUEST_EXPORT, Action.READ_EXPORT} == EXPORT_ACTIONS  # what the carer rule refuses


@settings(max_examples=2000, deadline=None)
@given(worlds(), st.sampled_from(OWNER_ACTIONS))
def test_exports_statuses_and_the_centre_follow_the_space_rules(world, action):
    """The patient in their own space, a legal representative in a minor's live space; nobody else."""
    decision = decide(world.actor, action, world.facts, NOW)
    if world.actor.role != "patient":
        assert not decision.allowed
        return
    table = FORBIDDEN
    if _caller_active(world):
        if _self(world):
            table = ALLOW
        elif _representative(world):
            table = ALLOW if _live(world) else NOT_FOUND
        elif _carer(world):  # a carer never exports nor sets the person's reminders; a closed space is absent
            table = FORBIDDEN if _live(world) else NOT_FOUND
    assert (ALLOW if decision.allowed else decision.denial.value) == table


@settings(max_examples=1000, deadline=None)
@given(worlds(), st.sampled_from([Action.READ_DOCUMENT, Action.LIST_DOCUMENTS, Action.ADD_DOCUMENT,
                                  Action.READ_MEASUREMENTS, Action.WRITE_MEASUREMENTS]))
def test_a_scope_claim_only_narrows_what_the_consent_allows(world, action):
    """Whatever the token's scopes, an app never gets more than without them; and without a claim, the consent
    alone decides (the app tokens of today)."""
    from dataclasses import replace

    if world.actor.role != "app":
        return
    scoped = decide(world.actor, action, world.facts, NOW, world.document)
    unscoped = decide(replace(world.actor, scopes=None), action, world.facts, NOW, world.document)
    if scoped.allowed:
        assert unscoped.allowed
    if unscoped.allowed and world.actor.scopes is not None and not scoped.allowed:
        assert scoped.code == "insufficient_scope" and "scope" in scoped.message
