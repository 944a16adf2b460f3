"""Loads the facts the authorisation decision needs, in a constant number of reads.

One BatchGetItem on the accounts table fetches, from the patient's partition, the account, the caller's own
account (a patient acting for a child), the professional's relation and emergency access, the sharing settings
the app's consent, and the caller's standing as a carer or a second legal representative; one GetItem on the
catalogue fetches the app. The number of reads does not depend on
how many documents, patients or professionals exist. The keys are those of the repositories that write the items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from chalicelib.adapters.accounts_repo import ACCOUNT_SK, account_pk
from chalicelib.adapters.catalogue_repo import app_key, consent_sk
from chalicelib.adapters.dynamo import Table
from chalicelib.adapters.family_repo import CO_REPRESENTATIVE_SK, carer_sk, delegation_from
from chalicelib.adapters.sharing_repo import SETTINGS_SK, emergency_sk, relation_sk, settings_from
from chalicelib.domain.access import AccountFacts, AppFacts, CarerFacts, ConsentFacts, PatientFacts
from chalicelib.domain.identity import Actor
from chalicelib.domain.timeutil import parse


def account_facts(item: dict[str, Any] | None) -> AccountFacts | None:
    if not item:
        return None
    return AccountFacts(ins=item["nir"], status=item["status"], birth_date=dt.date.fromisoformat(item["birth_date"]),
                        legal_representative_nir=item.get("legal_representative_nir"))


class DynamoAccessFacts:
    def __init__(self, client: Any, accounts_table: str, catalogue_table: str) -> None:
        self.accounts_table = Table(client, accounts_table)
        self.catalogue = Table(client, catalogue_table)

    def accounts(self, nirs: Iterable[str]) -> dict[str, AccountFacts]:
        found = self.accounts_table.batch_get((account_pk(n), ACCOUNT_SK) for n in nirs)
        return {facts.ins: facts for facts in map(account_facts, found) if facts is not None}

    def load(self, actor: Actor, ins: str | None) -> PatientFacts:
        keys: list[tuple[str, str | None]] = []
        if ins:
            pk = account_pk(ins)
            keys += [(pk, ACCOUNT_SK), (pk, SETTINGS_SK)]
            if actor.role == "professional" and actor.rpps:
                keys += [(pk, relation_sk(actor.rpps)), (pk, emergency_sk(actor.rpps))]
            if actor.role == "app" and actor.app_id:
                keys.append((pk, consent_sk(actor.app_id)))
            if actor.role == "patient" and actor.ins and actor.ins != ins:
                keys += [(pk, carer_sk(actor.ins)), (pk, CO_REPRESENTATIVE_SK)]
        if actor.role == "patient" and actor.ins and actor.ins != ins:
            keys.append((account_pk(actor.ins), ACCOUNT_SK))
        items = {(i["pk"], i["sk"]): i for i in self.accounts_table.batch_get(keys)} if keys else {}

        def item(pk_nir: str | None, sk: str) -> dict[str, Any] | None:
            return items.get((account_pk(pk_nir), sk)) if pk_nir else None

        patient = account_facts(item(ins, ACCOUNT_SK))
        caller = carer = None
        if actor.role == "patient":
            caller = patient if actor.ins == ins else account_facts(item(actor.ins, ACCOUNT_SK))
            if patient is not None and actor.ins and actor.ins != ins:
                slot = item(ins, CO_REPRESENTATIVE_SK)
                second = delegation_from(slot) if slot else None
                if second is not None and second.status == "accepted":
                    patient = replace(patient, other_representatives=frozenset({second.member.ins}))
                link = item(ins, carer_sk(actor.ins))
                if link:
                    held = delegation_from(link)
                    carer = CarerFacts(held.status.value, held.by_representative)
        settings = settings_from(item(ins, SETTINGS_SK))
        relation = emergency_until = None
        if actor.role == "professional" and ins and actor.rpps:
            relation = (item(ins, relation_sk(actor.rpps)) or {}).get("status")
            emergency = item(ins, emergency_sk(actor.rpps))
            emergency_until = parse(emergency["until"]) if emergency else None
        app = consent = None
        if actor.role == "app" and actor.app_id:
            app_item = self.catalogue.get(*app_key(actor.app_id))
            consent_item = item(ins, consent_sk(actor.app_id))
            if app_item:
                app = AppFacts(status=app_item["status"],
                               data_access=frozenset((g["category"], g["access"]) for g in app_item["data_access"]))
            if consent_item:
                current = int(app_item.get("access_version", 1)) if app_item else 0
                consent = ConsentFacts(
                    grants=frozenset((g["category"], g["access"]) for g in consent_item.get("grants", [])),
                    needs_reapproval=int(consent_item.get("access_version", 0)) < current,
                    granted_for_minor=bool(consent_item.get("granted_for_minor")),
                )
        return PatientFacts(patient=patient, caller_account=caller, relation=relation, emergency_until=emergency_until,
                            attending_doctor=settings.attending_doctor.rpps, emergency=settings.emergency,
                            app=app, consent=consent, carer=carer)
