"""The FHIR R4 interface (CONTRACT §9; docs/fhir.md is the conformance statement): the same record, under the same
rules, for software that speaks FHIR — ANS PDSm (IHE MHD) for documents, ANS Mesures de santé for measurements.

No second authorisation path: every route declares the action of its REST twin (``GET DocumentReference`` is
``GET /patients/{ins}/documents``: ``LIST_DOCUMENTS``...) and calls the same service, which asks the one access
decision and writes the same access-log entries. What differs is the vocabulary, at the two ends: the handler
reads the FHIR request into the service's typed command (:mod:`chalicelib.fhir`: search parameters, an ITI-65 or a
Mesures de santé Bundle, a JSON Patch) and builds the FHIR answer from the service's result (the builders, with the
model library). Errors are OperationOutcome resources with REST's statuses (:mod:`chalicelib.api.fhirio`).

Cold start: the FHIR layer (``chalicelib.fhir``, which loads ``fhir.resources``) is imported inside the handlers,
so that no other route ever loads it (``tests/handlers/test_fhir_cold_start.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, QueryParam, Reply, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import PATIENT_LOOKUP_ACTIONS, Action
from chalicelib.domain.audit import AccessLogQuery
from chalicelib.domain.documents import Document
from chalicelib.domain.results import Page
from chalicelib.errors import Conflict, DomainError, InvalidInput, MalformedRequest, NotFound

bp = Blueprint(__name__)
TAG = "FHIR R4"
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
PATIENT = (QueryParam("patient.identifier", f"The patient's INS-NIR: {INS_NIR}|{{INS}} (or 'patient')."),
           QueryParam("patient", "The patient: Patient/{INS}."))
PAGING = (QueryParam("_count", "Page size (1-100, default 50).", "integer", minimum=1, maximum=100),
          QueryParam("_cursor", "The cursor of the next page, as given in the Bundle's link 'next'."),
          QueryParam("_total", "accurate (default: total on every page) or none (no count).",
                     enum=("none", "estimate", "accurate")))
DATE = QueryParam("date", "A date with its prefix (ge, le, gt, lt, eq), from a year to a second, e.g. ge2026-01-01.")
SEARCH_ERRORS = (400, 403, 404, 422)


# -- helpers --------------------------------------------------------------------------------------------------------
def _base(call: Call) -> str:
    from chalicelib.api.fhirio import base_url

    return base_url(call.request)


def _search(call: Call, resource_type: str) -> Any:
    """The search parameters of the query string (repeated parameters kept), read by :mod:`chalicelib.fhir.search`;
    ``Prefer: handling=lenient`` ignores the parameters ens does not know (FHIR R4 §3.1.1.5.5)."""
    from chalicelib.fhir.search import parse_search

    raw = call.request.query_params
    params = {name: raw.getlist(name) for name in raw} if raw else {}
    lenient = "handling=lenient" in (call.header("prefer") or "").replace(" ", "").lower()
    return parse_search(resource_type, params, lenient=lenient)


def binary_url(base: str, doc: Document) -> str:
    """Where ITI-68 serves a document's bytes: ``{base}/Binary/{id}`` (a redirect to a presigned GET)."""
    return f"{base}/Binary/{doc.document_id}"


def _document_reference(base: str, doc: Document) -> Any:
    from chalicelib.fhir import build

    return build.document_reference(doc, binary_url(base, doc), doc.sha1)


def _party(party: Any) -> Any:
    from chalicelib.fhir.inputs import PartyInput

    return PartyInput(party.role, party.id, getattr(party, "profession", None))


def _located(error: DomainError, paths: list[str]) -> DomainError:
    """An error a service raised about the ``item``-th thing submitted, named where it is in the Bundle."""
    item = error.details.get("item")
    if isinstance(item, int) and 0 <= item < len(paths):
        error.details["expressions"] = [paths[item]]
        error.message = f"{paths[item]}: {error.message}"
    return error


# -- the server's capabilities -------------------------------------------------------------------------------------
@route(bp, "/fhir/metadata", "GET", tag=TAG, auth="none", fhir=True, response="CapabilityStatement",
       summary="The CapabilityStatement: what the FHIR interface implements (generated from its declarations).")
def metadata(call: Call) -> Any:
    from chalicelib.fhir.capability import capability_statement

    return capability_statement(_base(call))


# -- Patient (the DMP's "does a record exist", TD0.2) ---------------------------------------------------------------
@route(bp, "/fhir/Patient", "GET", tag=TAG, action=PATIENT_LOOKUP_ACTIONS, fhir=True, response="Bundle",
       errors=(400, 403, 422),
       query=(QueryParam("identifier", f"The INS-NIR: {INS_NIR}|{{INS}}."), QueryParam("_id", "The INS.")),
       summary="The Patient of an INS: its identity for a caller who may read the patient's data, its existence "
               "and state (active) for one who may feed the record; no space: an empty searchset.")
def search_patient(call: Call) -> Any:
    from chalicelib.fhir import build, bundles

    search = _search(call, "Patient")
    found = container().lifecycle.patient(call.caller, search.ins)
    base = _base(call)
    resources = [build.patient(found)] if found is not None else []
    return bundles.searchset(resources, base, search.self_url(base), total=len(resources))


# -- documents (ITI-67, ITI-68, metadata update) ----------------------------------------------------------------------
@route(bp, "/fhir/DocumentReference", "GET", tag=TAG, action=Action.LIST_DOCUMENTS, fhir=True, response="Bundle",
       errors=SEARCH_ERRORS,
       query=(*PATIENT, QueryParam("status", "current | superseded (comma: either)."),
              QueryParam("type", "A LOINC document type: http://loinc.org|11488-4."),
              QueryParam("category", "A category of GET /document-types (e.g. BIOLOGIE)."), DATE,
              QueryParam("creation", "As date (ens keeps one date)."),
              QueryParam("security-label", "MASQUE_PS, INVISIBLE_PATIENT or N."), *PAGING),
       summary="ITI-67 Find Document References: exactly the documents GET /patients/{ins}/documents shows, "
               "newest first, with a cursor in link 'next'.")
def search_documents(call: Call) -> Any:
    from chalicelib.fhir import bundles

    search = _search(call, "DocumentReference")
    found = container().records.search(call.caller, search.ins, search.count, search.cursor,
                                       search.accepts_document, total=search.counted, before=search.matched)
    base = _base(call)
    return bundles.searchset([_document_reference(base, d) for d in found.items], base, search.self_url(base),
                             search.next_url(base, found.next_cursor, len(found.items)), found.total)


@route(bp, "/fhir/DocumentReference/{document_id}", "GET", tag=TAG, action=Action.READ_DOCUMENT, fhir=True,
       response="DocumentReference", errors=(403, 404),
       summary="A DocumentReference by its id, as GET /patients/{ins}/documents/{id} decides and logs it.")
def read_document(call: Call, document_id: str) -> Any:
    found = container().records.get_by_id(call.caller, document_id)
    return _document_reference(_base(call), found.item)


@route(bp, "/fhir/DocumentReference/{document_id}", "PATCH", tag=TAG,
       action=(Action.UPDATE_DOCUMENT, Action.DELETE_DOCUMENT), fhir=True, resource_body=True,
       response="DocumentReference", errors=(403, 404, 409, 503),
       summary="JSON Patch of securityLabel (MASQUE_PS: the patient masks; INVISIBLE_PATIENT: the author hides) "
               "or status (entered-in-error, superseded: deletion), exactly as PATCH and DELETE "
               "/patients/{ins}/documents/{id}.")
def patch_document(call: Call, document_id: str) -> Any:
    from chalicelib.fhir import model, patch

    operations = call.body
    patch.check_operations(operations)  # what can be refused without the document, before the decision
    base = _base(call)

    def change(doc: Document) -> Any:  # run by the service once the decision lets the caller change it
        return patch.parse_patch(operations, model.dump(_document_reference(base, doc)))

    doc = container().records.amend(call.caller, document_id, change)
    return _document_reference(base, doc)


@route(bp, "/fhir/Binary/{binary_id}", "GET", tag=TAG, action=Action.READ_DOCUMENT, fhir=True, status=302,
       response="Binary", errors=(403, 404, 409),
       summary="ITI-68 Retrieve Document: a redirect to a short-lived presigned GET of the bytes (never through "
               "the function), decided and logged as GET /patients/{ins}/documents/{id}.")
def read_binary(call: Call, binary_id: str) -> Any:
    found = container().records.get_by_id(call.caller, binary_id)
    if found.download_url is None:
        raise Conflict("This document's file cannot be read: its upload is still in progress, or it was rejected.",
                       code="not_readable")
    return Reply(None, 302, {"Location": found.download_url})


@route(bp, "/fhir/Binary/{binary_id}", "POST", tag=TAG, action=Action.ADD_DOCUMENT, fhir=True, resource_body=True,
       response="Parameters", errors=(403, 404),
       summary="POST /fhir/Binary/$upload: a presigned PUT for a document too large to travel inline in an ITI-65 "
               "Bundle (S3 checks its length, type and SHA-1); the Bundle then names it Binary/{id}.")
def binary_operation(call: Call, binary_id: str) -> Any:
    from chalicelib.domain.timeutil import iso
    from chalicelib.fhir import payload

    if binary_id != payload.UPLOAD_OPERATION:
        raise NotFound(f"ens has no operation '{binary_id[:40]}' on Binary: POST /fhir/Binary/$upload asks for an "
                       "upload URL.", code="unknown_operation")
    upload = payload.parse_upload_request(call.body)
    staged = container().submissions.stage(call.caller, upload.ins, upload)
    return payload.upload_answer(staged.binary_id, staged.upload_url, staged.upload_headers, iso(staged.expires_at))


# -- transactions: ITI-65 Provide Document Bundle, Mesures de santé ---------------------------------------------------
@route(bp, "/fhir", "POST", tag=TAG, action=(Action.ADD_DOCUMENT, Action.WRITE_MEASUREMENTS), fhir=True,
       resource_body=True, response="Bundle", errors=(403, 404, 409, 503),
       summary="A transaction Bundle, all or nothing: ITI-65 Provide Document Bundle (documents, as POST "
               "/patients/{ins}/documents and their upload) or ANS Mesures de santé (Observations and their Device, "
               "as POST /patients/{ins}/measurements).")
def transaction(call: Call) -> Any:
    from chalicelib.fhir import bundles, measures, provide

    data = call.body
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise MalformedRequest("POST /fhir takes a transaction Bundle (a JSON object with resourceType 'Bundle').",
                               code="invalid_body")
    base = _base(call)
    if provide.is_provide_bundle(data):
        bundle = provide.parse_provide_bundle(data, base)
        try:
            done = container().submissions.provide(call.caller, bundle.ins, bundle.documents)
        except DomainError as error:
            raise _located(error, [f"Bundle.entry[{d.entry}].resource" for d in bundle.documents]) from error
        results = bundle.results([d.document_id for d in done.documents], done.submission_id)
    elif measures.is_measurement_bundle(data):
        submission = measures.parse_measurement_bundle(data, container().clock.now())
        try:
            added = container().care.add_measurements(call.caller, submission.ins, submission.measurements,
                                                      submission.device)
        except DomainError as error:
            raise _located(error, [f"Bundle.entry[{m.entry}].resource" for m in submission.measurements]) from error
        results = submission.results([m.measurement_id for m in added.measurements],
                                     added.device.device_id if added.device else None, added.device_created)
    else:
        raise InvalidInput("This transaction Bundle is neither a Provide Document Bundle (a SubmissionSet List, "
                           "DocumentReferences, Binaries) nor a Mesures de santé Bundle (Observations and their "
                           "Device): ens takes these two.", code="unsupported_transaction",
                           expressions=["Bundle.entry"])
    return bundles.transaction_response(results, base)


# -- measurements, vaccinations, allergies (CONTRACT §6) --------------------------------------------------------------
@route(bp, "/fhir/Observation", "GET", tag=TAG, action=Action.READ_MEASUREMENTS, fhir=True, response="Bundle",
       errors=SEARCH_ERRORS,
       query=(*PATIENT, QueryParam("code", "A LOINC code (http://loinc.org|29463-7); 85354-9: blood pressure."),
              DATE, *PAGING),
       summary="Measurements as vital-sign Observations, most recent first (as GET /patients/{ins}/measurements: "
               "never shown to professionals).")
def search_observations(call: Call) -> Any:
    from chalicelib.fhir import build, bundles
    from chalicelib.fhir.codes import BP_PANEL
    from chalicelib.fhir.inputs import MeasurementInput

    search = _search(call, "Observation")
    codes = set(search.codes)
    if BP_PANEL in codes:  # the panel's values are stored as systolic and diastolic measurements
        codes = (codes - {BP_PANEL}) | {"8480-6", "8462-4"}
    page = container().care.measurements(call.caller, search.ins, search.count, search.cursor, codes=codes,
                                         since=search.when.start, until=search.when.end)
    base = _base(call)
    resources = [build.observation(search.ins, MeasurementInput(
        m.measurement_id, m.code, m.value, m.unit, m.effective_at, _party(m.source), m.device)) for m in page.items]
    return bundles.searchset(resources, base, search.self_url(base),
                             search.next_url(base, page.next_cursor, len(resources)),
                             search.total(len(resources), page.next_cursor))


@route(bp, "/fhir/Immunization", "GET", tag=TAG, action=Action.READ_VACCINATIONS, fhir=True, response="Bundle",
       errors=SEARCH_ERRORS, query=(*PATIENT, *PAGING),
       summary="Vaccinations as Immunization resources, most recent first (as GET /patients/{ins}/vaccinations).")
def search_immunizations(call: Call) -> Any:
    from chalicelib.fhir import build, bundles
    from chalicelib.fhir.inputs import VaccinationInput

    search = _search(call, "Immunization")
    page = container().care.vaccinations(call.caller, search.ins, search.count, search.cursor)
    base = _base(call)
    resources = [build.immunization(search.ins, VaccinationInput(
        v.vaccination_id, v.vaccine, v.date, v.dose, v.lot, _party(v.recorded_by), v.recorded_at))
        for v in page.items]
    return bundles.searchset(resources, base, search.self_url(base),
                             search.next_url(base, page.next_cursor, len(resources)),
                             search.total(len(resources), page.next_cursor))


@route(bp, "/fhir/AllergyIntolerance", "GET", tag=TAG, action=Action.READ_PROFILE, fhir=True, response="Bundle",
       errors=SEARCH_ERRORS, query=PATIENT,
       summary="The profile's allergies as AllergyIntolerance resources (as GET /patients/{ins}/profile).")
def search_allergies(call: Call) -> Any:
    from chalicelib.fhir import build, bundles
    from chalicelib.fhir.inputs import AllergyInput

    search = _search(call, "AllergyIntolerance")
    profile = container().care.profile(call.caller, search.ins)
    allergies = AllergyInput.from_profile({"allergies": profile.allergies, "updated_at": profile.updated_at})
    today = container().clock.now().date()
    base = _base(call)
    resources = [build.allergy_intolerance(search.ins, a, today) for a in allergies]
    return bundles.searchset(resources, base, search.self_url(base), total=len(resources))


# -- the access log (CONTRACT §5) -------------------------------------------------------------------------------------
@route(bp, "/fhir/AuditEvent", "GET", tag=TAG, action=Action.READ_ACCESS_LOG, fhir=True, response="Bundle",
       errors=SEARCH_ERRORS, query=(*PATIENT, DATE, *PAGING),
       summary="The access log as AuditEvent resources, newest first (as GET /patients/{ins}/access-log: the "
               "patient and legal representatives).")
def search_audit_events(call: Call) -> Any:
    from chalicelib.fhir import build, bundles
    from chalicelib.fhir.inputs import AccessEntryInput

    search = _search(call, "AuditEvent")
    # the log's periods are inclusive to the millisecond; a FHIR date range is half-open [start, end)
    until = search.when.end - dt.timedelta(milliseconds=1) if search.when.end is not None else None
    if search.when.empty:  # nothing can fall in it (the access check still runs)
        until = search.when.start
    page = container().sharing.access_history(call.caller, search.ins, search.count, search.cursor,
                                              AccessLogQuery(since=search.when.start, until=until))
    if search.when.empty:
        page = Page([], None)
    base = _base(call)
    resources = [build.audit_event(search.ins, AccessEntryInput(
        e.at, _party(e.actor), e.action, e.mode, e.document_id, e.reason)) for e in page.items]
    return bundles.searchset(resources, base, search.self_url(base),
                             search.next_url(base, page.next_cursor, len(resources)),
                             search.total(len(resources), page.next_cursor))
