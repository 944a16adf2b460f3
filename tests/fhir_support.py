"""Test support for the FHIR layer: the R4 oracle every produced resource goes through, and sample inputs.

``r4(resource)`` validates with the model library ens uses (fhir.resources, R4B models, plus ens's checks of
required codes) and, independently, with fhirclient's models generated from FHIR 4.0.1 (strict: unknown elements,
wrong types, missing required elements and malformed dates are errors). A resource passes only if both accept it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import importlib
from typing import Any

from helpers import make_nir

from chalicelib.domain.documents import Author, Document, Status

T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% ens test document\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def r4_client(data: dict[str, Any]) -> Any:
    """fhirclient's FHIR 4.0.1 model of ``data``, built strictly (raises FHIRValidationError)."""
    kind = data["resourceType"]
    module = importlib.import_module(f"fhirclient.models.{kind.lower()}")
    return getattr(module, kind)(data, strict=True)


def r4(resource: Any) -> dict[str, Any]:
    """FHIR JSON of ``resource`` (a model or a dict), after both validators accepted it."""
    from chalicelib.fhir.model import dump, validated

    data = resource if isinstance(resource, dict) else dump(resource)
    again = validated(data)
    assert again == data, "the model library changes what ens produced"
    r4_client(data)
    return data


def sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def document(ins: str | None = None, **changes: Any) -> Document:
    base = {"document_id": "0190aabbccdd0011223344556677", "ins": ins or make_nir(), "title": "Compte rendu",
            "type_code": "11488-4", "category": "CPT_REND", "content_type": "application/pdf", "size": len(PDF),
            "author": Author("professional", "10000000009", "medecin"), "created_at": T0,
            "status": Status.AVAILABLE}
    base.update(changes)
    return Document(**base)


def provide_bundle(ins: str, content: bytes = PDF, content_type: str = "application/pdf", type_code: str = "11488-4",
                   **document_changes: Any) -> dict[str, Any]:
    """An ITI-65 Bundle shaped like the DMP mapping's example (TD2): SubmissionSet, DocumentReference, Binary."""
    doc: dict[str, Any] = {
        "resourceType": "DocumentReference", "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": type_code}]},
        "subject": {"reference": f"Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|{ins}"},
        "date": "2026-11-22T10:00:00+01:00",
        "securityLabel": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                                       "code": "N"}]}],
        "content": [{"attachment": {"contentType": content_type,
                                    "url": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000003",
                                    "size": len(content), "hash": sha1(content),
                                    "title": "Compte rendu de consultation",
                                    "creation": "2026-11-22T10:00:00+01:00"}}],
    }
    doc.update(document_changes)
    return {
        "resourceType": "Bundle", "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000001",
             "resource": {"resourceType": "List", "status": "current", "mode": "working",
                          "code": {"coding": [{"system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes",
                                               "code": "submissionset"}]},
                          "subject": {"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": ins}},
                          "date": "2026-11-22T10:00:00+01:00",
                          "entry": [{"item": {"reference": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000002"}}]},
             "request": {"method": "POST", "url": "List"}},
            {"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000002", "resource": doc,
             "request": {"method": "POST", "url": "DocumentReference"}},
            {"fullUrl": "urn:uuid:aaaaaaaa-0000-0000-0000-000000000003",
             "resource": {"resourceType": "Binary", "contentType": content_type,
                          "data": base64.b64encode(content).decode()},
             "request": {"method": "POST", "url": "Binary"}},
        ],
    }


def measurement_bundle(ins: str, code: str = "29463-7", value: float = 71, unit: str = "kg",
                       effective: str = "2026-11-22T08:56:16+01:00", device: bool = True,
                       **observation_changes: Any) -> dict[str, Any]:
    """A Mesures de santé Bundle shaped like the guide's example: a PhdDevice and a body-weight Observation."""
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "meta": {"profile": ["http://esante.gouv.fr/ci-sis/fhir/StructureDefinition/ENS_FrObservationBodyWeight"]},
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": ins}},
        "effectiveDateTime": effective,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }
    entries = []
    if device:
        observation["device"] = {"reference": "Device/3bc44de3-069d-442d-829b-f3ef68cae371"}
        entries.append({
            "resource": {"resourceType": "Device", "id": "3bc44de3-069d-442d-829b-f3ef68cae371",
                         "meta": {"profile": ["http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice"]},
                         "identifier": [{"system": "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680",
                                         "value": "FE-ED-AB-AA-DE-AD-77-C5"}],
                         "manufacturer": "OMRONHEALTHCARE", "modelNumber": "HEM-9200T",
                         "deviceName": [{"name": "Ma balance", "type": "patient-reported-name"}]},
            "request": {"method": "POST", "url": "Device",
                        "ifNoneExist": "identifier=urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680|"
                                       "FE-ED-AB-AA-DE-AD-77-C5"}})
    observation.update(observation_changes)
    entries.append({"fullUrl": "urn:uuid:3bc44de3-069d-442d-829b-f3ef68cae372", "resource": observation,
                    "request": {"method": "POST", "url": "Observation"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
