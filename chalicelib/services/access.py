"""Applies the authorisation decision to a request, and writes the access log.

:meth:`AccessService.check` loads the facts once and returns a :class:`Grant`; per-document checks reuse the
same facts (``grant.sees(document)``), so a listing costs one Query plus the constant reads of the facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.access import Action, Decision, Denial, DocumentFacts, Mode, PatientFacts, decide
from chalicelib.errors import DomainError, Forbidden, NotFound
from chalicelib.ports import Clock


class FactsLoader(Protocol):
    def load(self, actor: Any, ins: str | None) -> PatientFacts: ...


class AccessLog(Protocol):
    def append(self, ins: str, entry: dict[str, Any]) -> None: ...


def refusal(decision: Decision) -> DomainError:
    message = decision.message or "Not allowed."
    if decision.denial == Denial.NOT_FOUND:
        return NotFound(message, code=decision.code)
    return Forbidden(message, code=decision.code)


@dataclass
class Grant:
    """An allowed action on one patient's space, with the facts it was decided on."""

    actor: Any
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

    def sees(self, document: DocumentFacts, action: Action | None = None) -> bool:
        return decide(self.actor, action or self.action, self.facts, self.now, document).allowed

    def require(self, document: DocumentFacts, action: Action | None = None) -> None:
        decision = decide(self.actor, action or self.action, self.facts, self.now, document)
        if not decision.allowed:
            raise refusal(decision)

    def log(self, action: str | None = None, document_id: str | None = None) -> None:
        """Record the access in the patient's log if someone other than the patient made it."""
        if self.ins and self.decision.logged:
            self.service.record(self.ins, self.actor, action or self.action.value, self.mode, document_id)


class AccessService:
    def __init__(self, facts: FactsLoader, log: AccessLog, clock: Clock) -> None:
        self.facts = facts
        self.access_log = log
        self.clock = clock

    def check(self, actor: Any, action: Action, ins: str | None = None) -> Grant:
        """Decide; raise 403/404 on refusal; return the grant otherwise."""
        now = self.clock.now()
        needs_facts = ins or getattr(actor, "role", None) == "patient"
        facts = self.facts.load(actor, ins) if needs_facts else PatientFacts(None)
        decision = decide(actor, action, facts, now)
        if not decision.allowed:
            raise refusal(decision)
        return Grant(actor, action, ins, decision, facts, now, self)

    def record(self, ins: str, actor: Any, action: str, mode: Mode, document_id: str | None = None,
               reason: str | None = None) -> None:
        actor_view: dict[str, Any] = {"role": actor.role, "id": actor.id}
        if getattr(actor, "profession", None):
            actor_view["profession"] = actor.profession
        entry: dict[str, Any] = {"at": self.clock.now(), "actor": actor_view, "action": action,
                                 "mode": mode.value}
        if document_id:
            entry["document_id"] = document_id
        if reason:
            entry["reason"] = reason
        self.access_log.append(ins, entry)
