"""Applies the authorisation decision to a request, and writes the access log.

:meth:`AccessService.check` loads the facts once and returns a :class:`Grant`; per-document checks reuse the
same facts (``grant.sees(document)``), so a listing costs one Query plus the constant reads of the facts. The route
decorator has already asked the decision's role stage before the body was read; the service asks the whole
decision, facts included, through this class, so that every path (REST, FHIR, jobs, exports) decides alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from chalicelib.domain.access import (
    AccountFacts,
    Action,
    AppointmentFacts,
    ConversationFacts,
    Decision,
    Denial,
    DocumentFacts,
    Mode,
    PatientFacts,
    decide,
)
from chalicelib.domain.audit import AccessEntry, AccessLogQuery
from chalicelib.domain.identity import Actor, Party
from chalicelib.domain.messaging import Conversation
from chalicelib.domain.results import Page
from chalicelib.errors import Conflict, DomainError, Forbidden, NotFound
from chalicelib.ports import Clock


class FactsLoader(Protocol):
    def load(self, actor: Actor, ins: str | None) -> PatientFacts:
        """Everything the decision needs about the caller and the patient ``ins``, in a constant number of reads."""
        ...

    def accounts(self, nirs: Iterable[str]) -> dict[str, AccountFacts]:
        """The accounts of several patients (one batch read): a listing's per-item decision."""
        ...


class AccessLog(Protocol):
    def append(self, ins: str, entry: AccessEntry) -> None: ...
    def page(self, ins: str, limit: int, cursor: str | None,
             query: AccessLogQuery | None = None) -> Page[AccessEntry]:
        """Newest first; ``query`` keeps one actor, one mode and/or a period."""
        ...
    def erase(self, ins: str) -> int: ...


def refusal(decision: Decision) -> DomainError:
    """The error that says a refusal: 404 for what is absent to the caller, 409 for a state, else 403."""
    message = decision.message or "Not allowed."
    if decision.denial == Denial.NOT_FOUND:
        return NotFound(message, code=decision.code)
    if decision.denial == Denial.CONFLICT:
        return Conflict(message, code=decision.code)
    return Forbidden(message, code=decision.code)


def conversation_facts(conversation: Conversation | None) -> ConversationFacts | None:
    if conversation is None:
        return None
    return ConversationFacts(conversation.starter.role, conversation.starter.id, conversation.patient_ins,
                             conversation.status)


@dataclass(frozen=True)
class Grant:
    """An allowed action, with the facts it was decided on (reused for every document of the request)."""

    actor: Actor
    action: Action
    ins: str | None
    decision: Decision
    facts: PatientFacts
    now: dt.datetime
    service: AccessService

    @property
    def mode(self) -> Mode:
        assert self.decision.mode is not None
        return self.decision.mode

    @property
    def by_patient(self) -> bool:
        """The patient, or someone acting for them (a legal representative, a carer): they see the patient's view
        of the space (whether the access is logged is the decision's ``logged``: a carer's is)."""
        return self.mode in (Mode.SELF, Mode.REPRESENTATIVE, Mode.CARER)

    def decide(self, action: Action | None = None, document: DocumentFacts | None = None,
               appointment: AppointmentFacts | None = None) -> Decision:
        return decide(self.actor, action or self.action, self.facts, self.now, document, appointment)

    def sees(self, document: DocumentFacts, action: Action | None = None) -> bool:
        return self.decide(action, document).allowed

    def require(self, document: DocumentFacts | None = None, action: Action | None = None,
                appointment: AppointmentFacts | None = None) -> None:
        """Raise the refusal unless ``action`` (default: the granted one) is allowed on ``document`` (or
        ``appointment``)."""
        decision = self.decide(action, document, appointment)
        if not decision.allowed:
            raise refusal(decision)

    def log(self, action: str | None = None, document_id: str | None = None, reason: str | None = None) -> None:
        """Record the access in the patient's log if someone other than the patient made it."""
        if self.ins and self.decision.logged:
            self.service.record(self.ins, self.actor, action or self.action.value, self.mode, document_id, reason)


class AccessService:
    def __init__(self, facts: FactsLoader, log: AccessLog, clock: Clock) -> None:
        self.facts = facts
        self.access_log = log
        self.clock = clock

    def _grant(self, actor: Actor, action: Action, ins: str | None, facts: PatientFacts) -> Grant:
        now = self.clock.now()
        decision = decide(actor, action, facts, now)
        if not decision.allowed:
            raise refusal(decision)
        return Grant(actor, action, ins, decision, facts, now, self)

    def _load(self, actor: Actor, ins: str | None) -> PatientFacts:
        if ins or actor.role == "patient":
            return self.facts.load(actor, ins)
        return PatientFacts(None)

    def check(self, actor: Actor, action: Action, ins: str | None = None) -> Grant:
        """Decide ``action`` on the space of ``ins`` (or on the caller's own, or none); raise 403/404 on refusal."""
        return self._grant(actor, action, ins, self._load(actor, ins))

    def check_first(self, actor: Actor, actions: Sequence[Action], ins: str) -> Grant:
        """The grant of the first of ``actions`` the decision allows on the space of ``ins`` (one load of the facts);
        the refusal of the first action when none is allowed."""
        facts = self._load(actor, ins)
        refused: DomainError | None = None
        for action in actions:
            try:
                return self._grant(actor, action, ins, facts)
            except DomainError as error:
                refused = refused or error
        assert refused is not None, "no action to decide"
        raise refused

    def check_conversation(self, actor: Actor, action: Action, conversation: Conversation | None) -> Grant:
        """Decide ``action`` on a conversation (None: no such conversation, which is what strangers get too)."""
        ins = conversation.patient_ins if conversation is not None else None
        facts = self._load(actor, ins) if conversation is not None else self._load(actor, None)
        return self._grant(actor, action, ins, replace(facts, conversation=conversation_facts(conversation)))

    def check_carer(self, actor: Actor, action: Action, ins: str, carer_ins: str) -> Grant:
        """Decide ``action`` on the link between the space of ``ins`` and its carer ``carer_ins`` (REVOKE_CARER: the
        person, their legal representative, or that carer stepping down)."""
        return self._grant(actor, action, ins, replace(self._load(actor, ins), carer_concerned=carer_ins))

    def check_establishment(self, actor: Actor, action: Action, finess: str) -> Grant:
        """Decide ``action`` on an establishment's own files."""
        return self._grant(actor, action, None, PatientFacts(None, finess=finess))

    def visible_conversations(self, grant: Grant, conversations: Sequence[Conversation]) -> list[Conversation]:
        """The conversations of a listing the caller may see one by one (a closed space takes its conversations
        with it), decided with one batch read of their patients' accounts."""
        known = {a.ins: a for a in (grant.facts.caller_account, grant.facts.patient) if a is not None}
        missing = {c.patient_ins for c in conversations} - set(known)
        accounts = {**known, **(self.facts.accounts(missing) if missing else {})}
        visible = []
        for conversation in conversations:
            facts = replace(grant.facts, patient=accounts.get(conversation.patient_ins),
                            conversation=conversation_facts(conversation))
            if decide(grant.actor, Action.READ_CONVERSATION, facts, grant.now).allowed:
                visible.append(conversation)
        return visible

    def spaces_allowed(self, grant: Grant, candidates: Sequence[str]) -> list[str]:
        """The spaces among ``candidates`` on which the granted action is allowed too (the spaces a person
        manages: the notification centre), decided one by one with one batch read of their accounts."""
        if not candidates:
            return []
        accounts = self.facts.accounts(candidates)
        return [ins for ins in candidates
                if decide(grant.actor, grant.action, replace(grant.facts, patient=accounts.get(ins)),
                          grant.now).allowed]

    def record(self, ins: str, actor: Actor, action: str, mode: Mode, document_id: str | None = None,
               reason: str | None = None) -> None:
        party = Party.of(actor)
        if mode == Mode.CARER:  # a carer's access: shown as the carer's, in the normal mode
            party, mode = Party("carer", actor.id), Mode.NORMAL
        self.access_log.append(ins, AccessEntry(at=self.clock.now(), actor=party, action=action,
                                                mode=mode.value, document_id=document_id, reason=reason))
