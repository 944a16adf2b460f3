"""FHIR R4 resources from ens's domain objects, each built with the model library (so validated as it is made).

Every builder returns a model instance; :func:`chalicelib.fhir.model.dump` writes it as FHIR JSON. Identifiers
follow the French guides (:mod:`chalicelib.fhir.codes`): the patient by INS-NIR, professionals by IdNat_PS,
establishments by IdNat_Struct. References to ens's own resources are relative (``Patient/{ins}``,
``DocumentReference/{id}``), as the DMP mapping's examples write them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from chalicelib.domain.documents import Author, Document, Status
from chalicelib.fhir import codes
from chalicelib.fhir.inputs import AccessEntryInput, AllergyInput, MeasurementInput, PartyInput, VaccinationInput
from chalicelib.fhir.model import resource

LIVE_SPACE = ("open", "active")


def instant(value: dt.datetime) -> str:
    """An instant as ens writes times: UTC, seconds, ``Z``."""
    from chalicelib.domain.timeutil import iso

    return iso(value)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha1_b64(data: bytes) -> str:
    """``Attachment.hash``: the SHA-1 of the bytes, base64 (FHIR base64Binary)."""
    return b64(hashlib.sha1(data, usedforsecurity=False).digest())


def coding(system: str, code: str, display: str | None = None) -> Any:
    return resource("Coding", system=system, code=code, display=display)


def concept(system: str | None = None, code: str | None = None, display: str | None = None,
            text: str | None = None) -> Any:
    return resource("CodeableConcept", coding=[coding(system, code, display)] if system and code else None,
                    text=text)


def patient_reference(ins: str) -> Any:
    return resource("Reference", reference=f"Patient/{ins}",
                    identifier=resource("Identifier", system=codes.INS_NIR, value=ins))


def party_reference(party: PartyInput | Author) -> Any:
    """Who acted, as a Reference: a patient by INS, a professional by IdNat_PS, an establishment by IdNat_Struct,
    an app by its catalogue id."""
    role, ident = party.role, party.id
    if role in ("patient", "carer"):
        return patient_reference(ident) if role == "patient" else resource(
            "Reference", type="RelatedPerson", display="Aidant",
            identifier=resource("Identifier", system=codes.INS_NIR, value=ident))
    if role == "professional":
        return resource("Reference", type="Practitioner", display=party.profession,
                        identifier=resource("Identifier", system=codes.IDNAT_PS, value=codes.idnat_ps(ident)))
    if role == "establishment":
        return resource("Reference", type="Organization",
                        identifier=resource("Identifier", system=codes.IDNAT_STRUCT, value=codes.idnat_struct(ident)))
    return resource("Reference", type="Device", display="Application référencée",
                    identifier=resource("Identifier", system=codes.ENS_APP, value=ident))


# -- Patient ------------------------------------------------------------------------------------------------------
def patient(account: Any) -> Any:
    """The Patient of a space (DMP mapping TD0.2): INS-NIR identifier, ``active`` while the space is open or
    active. ``account`` is a :class:`chalicelib.services.lifecycle.PatientRecord` (or an
    :class:`~chalicelib.domain.accounts.Account`): without a name (a caller who may only feed the record), the
    Patient carries its identifier, sex (read from the INS) and state only."""
    from chalicelib.domain.identity import sex_of

    ins = getattr(account, "ins", None) or account.nir
    status = getattr(account.status, "value", account.status)
    named = bool(account.family_name or account.given_name)
    return resource(
        "Patient", id=ins, meta=resource("Meta", profile=[codes.FR_CORE_PATIENT]),
        identifier=[resource("Identifier", use="official", system=codes.INS_NIR, value=ins,
                             type=concept(codes.FR_CORE_V2_0203, "INS-NIR", "NIR définitif"))],
        active=status in LIVE_SPACE,
        name=[resource("HumanName", use="official", family=account.family_name,
                       given=[account.given_name] if account.given_name else None)] if named else None,
        gender="male" if sex_of(ins) == "M" else "female",
        birthDate=account.birth_date.isoformat() if account.birth_date else None)


# -- DocumentReference (PDSm / MHD) ---------------------------------------------------------------------------
def security_labels(doc: Document) -> list[Any]:
    """TRE_A07 visibility codes; ``N`` (normal) when the document is visible to all who may see it."""
    labels = []
    if doc.masked:
        labels.append(concept(codes.TRE_A07, codes.MASQUE_PS, "Masqué aux professionnels de santé"))
    if doc.hidden_from_patient:
        labels.append(concept(codes.TRE_A07, codes.INVISIBLE_PATIENT, "Non visible par le patient"))
    return labels or [concept(codes.V3_CONFIDENTIALITY, codes.NORMAL, "normal")]


def document_status(doc: Document) -> tuple[str, str | None]:
    """(``status``, ``docStatus``): available is current/final, an upload in progress current/preliminary,
    a replaced document superseded, a rejected file entered-in-error (only its author sees either of the last)."""
    if doc.status == Status.SUPERSEDED:
        return "superseded", "final"
    if doc.status == Status.REJECTED or doc.deleted:
        return "entered-in-error", None
    if doc.status == Status.PENDING:
        return "current", "preliminary"
    return "current", "final"


def authors(author: Author) -> list[Any]:
    out = [party_reference(author)]
    if author.role == "establishment" and author.rpps:  # the professional who signed what the establishment sent
        out.append(party_reference(PartyInput("professional", author.rpps)))
    return out


def document_reference(doc: Document, attachment_url: str, sha1: str | None = None) -> Any:
    """A document as ITI-67 answers it. ``attachment_url`` is where ITI-68 serves the bytes (ens's
    ``Binary/{id}`` URL); ``sha1`` the base64 SHA-1 of the bytes when known (PDSm requires it)."""
    from chalicelib.domain.authorization_matrix import categories, document_type

    kind = document_type(doc.type_code)
    status, doc_status = document_status(doc)
    return resource(
        "DocumentReference", id=doc.document_id, status=status, docStatus=doc_status,
        masterIdentifier=resource("Identifier", system=codes.RFC3986, value=f"urn:ens:document:{doc.document_id}"),
        type=concept(codes.LOINC, doc.type_code, kind.label_fr if kind else None),
        category=[concept(codes.ENS_CATEGORY, doc.category, categories().get(doc.category))],
        subject=patient_reference(doc.ins), date=instant(doc.created_at), author=authors(doc.author),
        relatesTo=[resource("DocumentReferenceRelatesTo", code="replaces",
                            target=resource("Reference", reference=f"DocumentReference/{doc.replaces}"))]
        if doc.replaces else None,
        description=doc.title, securityLabel=security_labels(doc),
        content=[resource("DocumentReferenceContent",
                          attachment=resource("Attachment", contentType=doc.content_type, size=doc.size,
                                              hash=sha1, url=attachment_url, title=doc.title,
                                              creation=instant(doc.created_at)),
                          format=coding(codes.IHE_FORMAT, codes.MIME_SUFFICIENT, "mimeType Sufficient"))])


def binary(content_type: str, data: bytes | None = None, binary_id: str | None = None,
           ins: str | None = None) -> Any:
    """A Binary; ``data`` inline (base64) only for small contents: ens serves documents by redirect (ITI-68)."""
    return resource("Binary", id=binary_id, contentType=content_type, data=b64(data) if data is not None else None,
                    securityContext=patient_reference(ins) if ins else None)


# -- Observation (vital signs) ----------------------------------------------------------------------------------
def observation(ins: str, measurement: MeasurementInput) -> Any:
    """A measurement as a vital-sign Observation: LOINC code, UCUM quantity (the canonical unit of
    :mod:`chalicelib.domain.measurements`), ``effectiveDateTime``."""
    from chalicelib.domain.measurements import measurement_types

    kind = measurement_types().get(measurement.code)
    return resource(
        "Observation", id=measurement.measurement_id, status="final",
        category=[concept(codes.OBSERVATION_CATEGORY, "vital-signs", "Signes vitaux")],
        code=concept(codes.LOINC, measurement.code, kind.label_fr if kind else None),
        subject=patient_reference(ins), effectiveDateTime=instant(measurement.effective_at),
        performer=[party_reference(measurement.recorded_by)] if measurement.recorded_by else None,
        device=resource("Reference", reference=f"Device/{measurement.device}") if measurement.device else None,
        valueQuantity=resource("Quantity", value=measurement.value, unit=measurement.unit, system=codes.UCUM,
                               code=measurement.unit))


# -- Immunization, AllergyIntolerance ---------------------------------------------------------------------------
def immunization(ins: str, vaccination: VaccinationInput) -> Any:
    source = vaccination.recorded_by
    return resource(
        "Immunization", id=vaccination.vaccination_id, status="completed",
        vaccineCode=concept(text=vaccination.vaccine), patient=patient_reference(ins),
        occurrenceDateTime=vaccination.date.isoformat(),
        recorded=instant(vaccination.recorded_at) if vaccination.recorded_at else None,
        primarySource=source.role in ("professional", "establishment") if source else None,
        lotNumber=vaccination.lot,
        performer=[resource("ImmunizationPerformer", actor=party_reference(source))]
        if source and source.role in ("professional", "establishment") else None,
        protocolApplied=[resource("ImmunizationProtocolApplied", doseNumberString=vaccination.dose)]
        if vaccination.dose else None)


CRITICALITY = {"mild": "low", "moderate": "low", "severe": "high", "unknown": "unable-to-assess"}


def allergy_intolerance(ins: str, allergy: AllergyInput, today: dt.date | None = None) -> Any:
    """A profile allergy. ``until`` in the past makes it resolved; severity becomes criticality."""
    resolved = allergy.until is not None and allergy.until <= (today or dt.date.today())
    clinical = "resolved" if resolved else "active"
    return resource(
        "AllergyIntolerance", id=f"{ins}-{allergy.index}", type="allergy",
        clinicalStatus=concept(codes.ALLERGY_CLINICAL, clinical),
        criticality=CRITICALITY.get(allergy.severity or ""), code=concept(text=allergy.name),
        patient=patient_reference(ins), onsetDateTime=allergy.since.isoformat() if allergy.since else None,
        recordedDate=instant(allergy.recorded_at) if allergy.recorded_at else None,
        reaction=[resource("AllergyIntoleranceReaction", manifestation=[concept(text=allergy.reaction)],
                           severity=allergy.severity if allergy.severity in ("mild", "moderate", "severe") else None)]
        if allergy.reaction else None,
        note=[resource("Annotation", text=allergy.note)] if allergy.note else None)


# -- AuditEvent (the access log) --------------------------------------------------------------------------------
def audit_action(action: str) -> tuple[str, str]:
    """(AuditEvent.action, restful interaction) of an ens access-log action such as ``list_documents``."""
    verb = action.split("_", 1)[0]
    if verb == "list":
        return "R", "search-type"
    if verb in ("read", "download", "export", "attach"):  # attach: a document read into a message
        return "R", "read"
    if verb in ("add", "write", "start", "declare", "emergency"):
        return "C", "create"
    if verb == "update":
        return "U", "update"
    if verb == "delete":
        return "D", "delete"
    return "E", "operation"


def audit_id(ins: str, entry: AccessEntryInput) -> str:
    if entry.entry_id:
        return entry.entry_id
    key = f"{ins}|{instant(entry.at)}|{entry.actor.role}|{entry.actor.id}|{entry.action}|{entry.document_id}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def audit_event(ins: str, entry: AccessEntryInput) -> Any:
    """An access-log entry (CONTRACT §5) as an AuditEvent: who (agent), when (recorded), what (entity: the
    patient and the document), how (purposeOfEvent: treatment, emergency treatment; an app's access)."""
    action, interaction = audit_action(entry.action)
    purpose = {"normal": concept(codes.V3_ACT_REASON, "TREAT", "treatment"),
               "emergency": concept(codes.V3_ACT_REASON, "ETREAT", "Emergency Treatment", text=entry.reason)}
    entities = [resource("AuditEventEntity", what=patient_reference(ins))]
    if entry.document_id:
        entities.append(resource("AuditEventEntity", what=resource(
            "Reference", reference=f"DocumentReference/{entry.document_id}")))
    return resource(
        "AuditEvent", id=audit_id(ins, entry), type=coding(codes.DICOM, "110110", "Patient Record"),
        subtype=[coding(codes.RESTFUL_INTERACTION, interaction), coding(codes.ENS_ACCESS, entry.action)],
        action=action, recorded=instant(entry.at), outcome="0",
        purposeOfEvent=[purpose[entry.mode]] if entry.mode in purpose else None,
        agent=[resource("AuditEventAgent", who=party_reference(entry.actor), requestor=True,
                        type=concept(codes.V3_PARTICIPATION, "IRCP" if entry.actor.role == "app" else "AUT"))],
        source=resource("AuditEventSource", observer=resource("Reference", display="ens"),
                        type=[coding(codes.AUDIT_SOURCE_TYPE, "4", "Application Server")]),
        entity=entities)
