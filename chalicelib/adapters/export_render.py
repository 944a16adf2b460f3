"""What an export's ZIP says, in its formats: the note in French, the JSON files, the FHIR ``collection`` Bundle.

JSON files hold each item exactly as the API answers it (the answers of ``chalicelib/models/answers``), so a
person's data reads the same in the export as through the API; lists are written item by item. The FHIR Bundle
reuses the builders of ``chalicelib/fhir`` (those the ``/fhir`` routes answer with) and adds the resources of
:mod:`chalicelib.fhir.collection`.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib.domain.exports import FILES, Export
from chalicelib.domain.timeutil import iso
from chalicelib.models import answers

A = "chalicelib.models.answers."

#: The answer each list's items are written as (the route that answers them).
ANSWERS: dict[str, str] = {
    "vaccinations": "care:Vaccination", "measurements": "care:Measurement", "appointments": "care:Appointment",
    "reimbursements": "care:Reimbursement", "consents": "catalogue:Consent", "access_log": "records:AccessEntry",
    "documents_index": "records:DocumentView", "profile": "care:ProfileView"}


@functools.cache
def _answer(ref: str) -> Any:
    module, _, name = (A + ref).partition(":")
    return getattr(importlib.import_module(module), name)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


def view(section: str, item: Any) -> Any:
    """One item of a section as the API writes it."""
    if section == "conversations":
        summary = answers.serialise(item.conversation, _answer("messaging:ConversationSummary"))
        message = _answer("messaging:MessageView")
        return {**summary, "messages": [answers.serialise(m, message) for m in item.messages]}
    if section == "documents_index":
        return {**answers.serialise(item.document, _answer(ANSWERS[section])), "file": item.path}
    if section == "identity":
        return {"ins": item.nir, "given_name": item.given_name, "family_name": item.family_name,
                "birth_date": item.birth_date.isoformat(), "status": item.status.value}
    return answers.serialise(item, _answer(ANSWERS[section]))


README = """Export de votre espace santé
=============================

Demandé le {requested} ; préparé le {generated}. {who}

Ce fichier ZIP contient tout ce que {you} pouvez voir de l'espace santé de {name} :

  donnees/          vos données, en JSON (les mêmes que dans l'application) :
    identite.json, profil-medical.json, vaccinations.json, mesures.json, rendez-vous.json,
    messagerie.json, remboursements.json, consentements-applications.json,
    historique-des-acces.json, documents.json (la liste des documents et le nom de leur fichier)
  fhir/             les mêmes données au format international FHIR R4 (un Bundle de type « collection »),
                    qu'un logiciel de santé peut importer
  documents/        le fichier de chaque document de votre dossier médical

Ces données sont personnelles et concernent votre santé : conservez ce fichier en lieu sûr.
Le lien de téléchargement ne fonctionne que 2 jours ; le fichier est ensuite effacé de nos serveurs.
"""


class ExportRenderer:
    def readme(self, export: Export, content: Any) -> bytes:
        account = content.account
        who = ("Cet export a été demandé par un représentant légal : il contient ce que les représentants légaux "
               "peuvent voir (la messagerie reste celle de l'enfant)." if content.by_representative else "")
        text = README.format(requested=iso(export.requested_at), generated=iso(content.generated_at), who=who,
                             you="vous", name=f"{account.given_name} {account.family_name}")
        return text.encode()

    def json_value(self, section: str, value: Any) -> Iterator[bytes]:
        yield _dumps(None if value is None else view(section, value)).encode()

    def json_items(self, section: str, items: Iterable[Any]) -> Iterator[bytes]:
        yield b"["
        first = True
        for item in items:
            yield ("" if first else ",").encode() + ("\n" + _dumps(view(section, item))).encode()
            first = False
        yield b"\n]\n"

    def fhir_bundle(self, content: Any) -> Iterator[bytes]:
        from chalicelib.fhir import build, collection
        from chalicelib.fhir.inputs import AccessEntryInput, AllergyInput, MeasurementInput, VaccinationInput

        ins = content.account.nir

        def resources() -> Iterator[Any]:
            yield build.patient(content.account)
            profile = content.profile()
            if profile is not None:
                profile_view = view("profile", profile)
                for allergy in AllergyInput.from_profile(profile_view):
                    yield build.allergy_intolerance(ins, allergy, content.generated_at.date())
                yield from collection.profile_resources(ins, profile_view)
            for entry in content.documents():
                yield build.document_reference(entry.document, entry.path or FILES["documents_index"])
            for vaccination in content.vaccinations():
                yield build.immunization(ins, VaccinationInput.from_view(view("vaccinations", vaccination)))
            for measurement in content.measurements():
                yield build.observation(ins, MeasurementInput.from_view(view("measurements", measurement)))
            for appointment in content.appointments():
                yield collection.appointment(ins, view("appointments", appointment))
            for thread in content.conversations():
                written = view("conversations", thread)
                yield from collection.communications(written, written["messages"])
            for line in content.reimbursements():
                yield collection.explanation_of_benefit(ins, view("reimbursements", line))
            for given in content.consents():
                yield collection.consent(ins, view("consents", given))
            for access in content.access_log():
                yield build.audit_event(ins, AccessEntryInput.from_view(view("access_log", access)))

        return collection.stream(resources(), iso(content.generated_at))
