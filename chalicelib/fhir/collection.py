"""The FHIR R4 ``collection`` Bundle of a data export (CONTRACT §10), and the resources :mod:`.build` does not make:
the rest of the medical profile (conditions, treatments, hospitalisations, family history, blood group), the
agenda (Appointment), the messages (Communication), the app consents (Consent) and the reimbursements
(ExplanationOfBenefit). Each is built with the model library, so validated as it is made.

The Bundle is written entry by entry (:func:`stream`): a space's access log of years or a thousand documents never
sit in memory as one Bundle. Entries are identified by a ``urn:uuid`` derived from their type and id (stable from
one export to the next); references inside resources stay relative (``Patient/{ins}``), as :mod:`.build` writes
them. A document's ``attachment.url`` is its file's path in the ZIP.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib.fhir import codes
from chalicelib.fhir.build import coding, concept, party_reference, patient_reference
from chalicelib.fhir.model import dump, resource

NAMESPACE = uuid.UUID("6f0f6c1e-4a55-5b8e-9d2c-0e5e0a1f2b3c")  # ens's exports
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def entry_url(model: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{model.get_resource_type()}/{model.id}')}"


def stream(resources: Iterable[Any], timestamp: str) -> Iterator[bytes]:
    """A ``collection`` Bundle as JSON, one entry at a time."""
    head = dump(resource("Bundle", type="collection", timestamp=timestamp))
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    yield (text[:-1] + ',"entry":[').encode()
    first = True
    for model in resources:
        entry = dump(resource("BundleEntry", fullUrl=entry_url(model), resource=model))
        yield (("" if first else ",") + json.dumps(entry, ensure_ascii=False, separators=(",", ":"))).encode()
        first = False
    yield b"]}"


def _entries(profile: dict[str, Any], name: str) -> list[tuple[int, dict[str, Any]]]:
    return [(n, {"name": e} if isinstance(e, str) else e) for n, e in enumerate(profile.get(name) or [])]


def _annotation(entry: dict[str, Any]) -> list[Any] | None:
    return [resource("Annotation", text=entry["note"])] if entry.get("note") else None


# -- the rest of the profile --------------------------------------------------------------------------------------
def profile_resources(ins: str, profile: dict[str, Any]) -> Iterator[Any]:
    """Conditions, treatments, hospitalisations, family history and blood group of a profile as the REST route
    answers it (allergies: :func:`chalicelib.fhir.build.allergy_intolerance`)."""
    recorded = profile.get("updated_at")
    for n, entry in _entries(profile, "conditions"):
        yield resource(
            "Condition", id=f"{ins}-condition-{n}",
            clinicalStatus=concept(CONDITION_CLINICAL, "resolved" if entry.get("until") else "active"),
            code=concept(text=entry["name"]), subject=patient_reference(ins), onsetDateTime=entry.get("since"),
            abatementDateTime=entry.get("until"), recordedDate=recorded, note=_annotation(entry))
    for n, entry in _entries(profile, "treatments"):
        yield resource(
            "MedicationStatement", id=f"{ins}-treatment-{n}", status="completed" if entry.get("until") else "active",
            medicationCodeableConcept=concept(text=entry["name"]), subject=patient_reference(ins),
            effectivePeriod=resource("Period", start=entry.get("since"), end=entry.get("until"))
            if entry.get("since") or entry.get("until") else None,
            dosage=[resource("Dosage", text=entry["dose"])] if entry.get("dose") else None, note=_annotation(entry))
    for n, entry in _entries(profile, "hospitalisations"):
        yield resource(
            "Encounter", id=f"{ins}-stay-{n}", status="finished", subject=patient_reference(ins),
            **{"class": coding(ACT_CODE, "IMP", "inpatient encounter")},
            period=resource("Period", start=entry.get("since"), end=entry.get("until"))
            if entry.get("since") or entry.get("until") else None,
            reasonCode=[concept(text=entry["name"])])
    for n, entry in _entries(profile, "family_history"):
        yield resource(
            "FamilyMemberHistory", id=f"{ins}-family-{n}", status="completed", patient=patient_reference(ins),
            relationship=concept(text=entry.get("relative") or "membre de la famille"),
            condition=[resource("FamilyMemberHistoryCondition", code=concept(text=entry["name"]))],
            note=_annotation(entry))
    if profile.get("blood_group"):
        yield resource(
            "Observation", id=f"{ins}-blood-group", status="final",
            code=concept(codes.LOINC, "882-1", "ABO and Rh group [Type] in Blood"), subject=patient_reference(ins),
            valueCodeableConcept=concept(text=profile["blood_group"]))


# -- the agenda, the messages, the consents, the reimbursements ------------------------------------------------------
def appointment(ins: str, view: dict[str, Any]) -> Any:
    participants = [resource("AppointmentParticipant", actor=patient_reference(ins), status="accepted")]
    if view.get("professional"):
        participants.append(resource("AppointmentParticipant", status="accepted",
                                     actor=resource("Reference", display=view["professional"])))
    return resource(
        "Appointment", id=view["appointment_id"], status="booked", description=view["title"], start=view["start"],
        end=view["end"], created=view["created_at"][:10], comment=view.get("note"), participant=participants,
        supportingInformation=[resource("Reference", display=view["location"])] if view.get("location") else None)


def communications(conversation: dict[str, Any], messages: list[dict[str, Any]]) -> Iterator[Any]:
    """Each message of a conversation as a Communication (the conversation's subject is its topic)."""
    ins = conversation["patient_ins"]
    for message in messages:
        sender = message["sender"]
        yield resource(
            "Communication", id=message["message_id"], status="completed", subject=patient_reference(ins),
            topic=concept(text=conversation["subject"]), sent=message["sent_at"],
            sender=party_reference(_party(sender)),
            identifier=[resource("Identifier", system=codes.RFC3986,
                                 value=f"urn:ens:conversation:{conversation['conversation_id']}")],
            payload=[resource("CommunicationPayload", contentString=message["body"])] if message.get("body") else None)


def consent(ins: str, view: dict[str, Any]) -> Any:
    """An app consent (CONTRACT §7): what the patient lets a catalogue app read or write."""
    grants = view.get("effective_grants") or view.get("grants") or []
    return resource(
        "Consent", id=f"{ins}-{view['app_id']}", status="active",
        scope=concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
        category=[concept(codes.LOINC, "59284-0", "Patient Consent")], patient=patient_reference(ins),
        dateTime=view.get("granted_at"),
        organization=[resource("Reference", display=view.get("name") or view["app_id"],
                               identifier=resource("Identifier", system=codes.ENS_APP, value=view["app_id"]))],
        provision=resource("ConsentProvision", type="permit", provision=[
            resource("ConsentProvision", type="permit",
                     action=[concept(text=f"{g['access']} {g['category']}")]) for g in grants] or None))


def explanation_of_benefit(ins: str, view: dict[str, Any]) -> Any:
    """A reimbursement line (CONTRACT §6): what was paid, what the insurance reimbursed."""

    def money(amount: Any) -> Any:
        return resource("Money", value=amount, currency=view.get("currency") or "EUR")

    return resource(
        "ExplanationOfBenefit", id=view["reimbursement_id"], status="active", use="claim",
        type=concept(CLAIM_TYPE, "professional", "Professional"), patient=patient_reference(ins),
        created=view["recorded_at"], insurer=resource("Reference", display="Assurance Maladie"),
        provider=resource("Reference", display="Professionnel de santé"), outcome="complete",
        insurance=[resource("ExplanationOfBenefitInsurance", focal=True,
                            coverage=resource("Reference", display="Assurance Maladie obligatoire"))],
        item=[resource("ExplanationOfBenefitItem", sequence=1, servicedDate=view["date"],
                       productOrService=concept(text=view["act"]), net=money(view["amount_paid"]))],
        total=[resource("ExplanationOfBenefitTotal", category=concept(ADJUDICATION, "submitted", "Submitted Amount"),
                        amount=money(view["amount_paid"])),
               resource("ExplanationOfBenefitTotal", category=concept(ADJUDICATION, "benefit", "Benefit Amount"),
                        amount=money(view["amount_reimbursed"]))])


def _party(view: dict[str, Any]) -> Any:
    from chalicelib.fhir.inputs import PartyInput

    return PartyInput.from_view(view)
