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
    ROLE_ACTIONS,
    AccountFacts,
    Action,
    AppFacts,
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
    caller_ins = draw(st.sampled_from([PATIENT, PARENT, STRANGER]))
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
        birth_date=st.just(dt.date(2015, 1, 1) if minor else dt.date(1990, 1, 1)),
        legal_representative_nir=st.sampled_from([None, PARENT]))))
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
    )
    author_is_caller = draw(st.booleans())
    author = (actor.role, actor.id) if author_is_caller and role != "agent" else draw(
        st.sampled_from([("professional", "10000000017"), ("establishment", "130000009"), ("patient", PATIENT)]))
    document = DocumentFacts(author_role=author[0], author_id=author[1], type_code=draw(st.sampled_from(TYPES)),
                             status=draw(st.sampled_from(["pending", "available", "rejected", "superseded"])),
                             masked=draw(st.booleans()), hidden_from_patient=draw(st.booleans()),
                             deleted=draw(st.booleans()))
    # whether the caller wrote it is a fact of the document, not of the draw: a patient may have written it too
    wrote_it = role != "agent" and (document.author_role, document.author_id) == (actor.role, actor.id)
    return World(actor, facts, document, wrote_it)


# -- the table ---------------------------------------------------------------------------------------------------
ALLOW, FORBIDDEN, NOT_FOUND, CONSENT = "allow", "forbidden", "not_found", "consent_required"


def _live(w: World) -> bool:
    return w.facts.patient is not None and w.facts.patient.status in ("open", "active")


def _self(w: World) -> bool:
    return w.actor.role == "patient" and w.actor.ins == PATIENT


def _representative(w: World) -> bool:
    p = w.facts.patient
    return (w.actor.role == "patient" and p is not None and p.legal_representative_nir == w.actor.ins
            and p.birth_date > dt.date(2008, 11, 22))


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
    ("someone else's space is not a patient's", lambda w: w.actor.role == "patient" and not _representative(w),
     FORBIDDEN),
    ("no space, no record", lambda w: not _live(w), NOT_FOUND),
    ("a legal representative reads a minor's space", _representative, ALLOW),
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
    ("apps never see masked or hidden documents, their own included", lambda w: w.actor.role == "app"
     and (w.document.masked or w.document.hidden_from_patient), NOT_FOUND),
    ("pending and rejected files are their author's", lambda w: w.document.status in ("pending", "rejected")
     and not w.author_is_caller, NOT_FOUND),
    ("the author sees their document", lambda w: w.author_is_caller, ALLOW),
    ("hidden from the patient and the representatives", lambda w: w.actor.role == "patient"
     and w.document.hidden_from_patient, NOT_FOUND),
    ("the patient and the representatives see the rest", lambda w: w.actor.role == "patient", ALLOW),
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
    if world.actor.role == "app" and (world.document.masked or world.document.hidden_from_patient):
        assert not decide(world.actor, action, world.facts, NOW, world.document).allowed


@settings(max_examples=500, deadline=None)
@given(worlds())
def test_no_app_ever_sets_a_visibility_flag(world):
    if world.actor.role == "app":
        for action in (Action.HIDE_DOCUMENT, Action.MASK_DOCUMENT, Action.UPDATE_DOCUMENT, Action.DELETE_DOCUMENT):
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
        world.actor.role == "app" and (d.masked or d.hidden_from_patient))


CHANGES = [Action.DELETE_DOCUMENT, Action.REPLACE_DOCUMENT, Action.HIDE_DOCUMENT, Action.UPDATE_DOCUMENT,
           Action.MASK_DOCUMENT]


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
