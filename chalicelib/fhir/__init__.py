"""ens's FHIR R4 (4.0.1) layer: resources built and read with a FHIR model library, pure of AWS and Chalice.

What it does (docs/fhir.md is the conformance statement):

* :mod:`.build` turns ens's domain objects into FHIR resources (Patient, DocumentReference, Observation,
  Immunization, AllergyIntolerance, AuditEvent, Binary) and :mod:`.bundles` wraps them into searchset and
  transaction-response Bundles; :mod:`.outcome` turns a :class:`~chalicelib.errors.DomainError` into an
  OperationOutcome with the status the REST routes give;
* :mod:`.search` reads search parameters, :mod:`.provide` an ITI-65 Provide Document Bundle, :mod:`.patch` a JSON
  Patch of a DocumentReference and :mod:`.measures` a Mesures de santé Bundle, into typed commands checked with
  ens's own rules before anything is written;
* :mod:`.scopes` maps SMART on FHIR scopes to the consent categories of CONTRACT §7, :mod:`.capability` generates
  the CapabilityStatement from a declaration of what is implemented, :mod:`.payload` holds the request-size
  arithmetic of API Gateway and Lambda.

Cold start: importing this package costs nothing; the model library (``fhir.resources``) is imported by
:mod:`.model` only, which only FHIR routes import.
"""
