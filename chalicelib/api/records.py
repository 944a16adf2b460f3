"""The shared medical record (CONTRACT §5): documents, and the published list of document types."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, QueryParam, Reply, paging, route
from chalicelib.bootstrap import container
from chalicelib.domain import authorization_matrix as matrix
from chalicelib.domain.access import Action

bp = Blueprint(__name__)
TAG = "Medical record"
M = "chalicelib.models.records:"
A = "chalicelib.models.answers.records:"


@route(bp, "/document-types", "GET", tag=TAG, auth="none", response=A + "DocumentTypes",
       summary="The published LOINC document types, their categories and who may see them (authorisation matrix).")
def document_types(call: Call) -> Any:
    items = [{"code": t.code, "label": t.label_fr, "label_en": t.label_en, "category": t.category,
              "category_label": t.category_label,
              "professions": [p for p in matrix.professions() if matrix.profession_may_see(p, t.code)]}
             for t in matrix.document_types().values()]
    return {"items": items, "categories": matrix.categories(), "source": "JDV_J66-TypeCode-DMP (ANS)",
            "matrix_source": matrix.matrix_source()}


@route(bp, "/patients/{ins}/documents", "POST", tag=TAG, action=Action.ADD_DOCUMENT, body=M + "DocumentCreate",
       response=A + "UploadTicket", status=201, errors=(400, 403, 404, 409, 422),
       summary="Declare a document and get a presigned upload URL; the file's S3 event makes it available.")
def create_document(call: Call, ins: str) -> Any:
    return container().records.start_upload(call.caller, ins, call.body)


@route(bp, "/patients/{ins}/documents", "GET", tag=TAG, action=Action.LIST_DOCUMENTS, response=A + "DocumentPage",
       errors=(400, 403, 404, 422),
       query=(QueryParam("category", "A category code or label (e.g. BIOLOGIE)."),
              QueryParam("type_code", "A LOINC document type."), *PAGING),
       summary="The documents the caller may see, newest first.")
def list_documents(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().records.listing(call.caller, ins, limit, cursor, call.query.get("category") or None,
                                       call.query.get("type_code") or None)


@route(bp, "/patients/{ins}/documents/{document_id}", "GET", tag=TAG, action=Action.READ_DOCUMENT,
       response=A + "DocumentDetail", errors=(403, 404, 422),
       summary="A document's metadata and a short-lived download URL.")
def get_document(call: Call, ins: str, document_id: str) -> Any:
    return container().records.get(call.caller, ins, document_id)


@route(bp, "/patients/{ins}/documents/{document_id}", "PATCH", tag=TAG, action=Action.UPDATE_DOCUMENT,
       body=M + "DocumentPatch", response=A + "DocumentView", errors=(400, 403, 404, 409, 422, 503),
       summary="The patient masks or unmasks; the author hides from the patient or lifts it.")
def update_document(call: Call, ins: str, document_id: str) -> Any:
    return container().records.update(call.caller, ins, document_id, call.body)


@route(bp, "/patients/{ins}/documents/{document_id}", "DELETE", tag=TAG, action=Action.DELETE_DOCUMENT, status=204,
       errors=(403, 404, 409, 422, 503), summary="Delete (logically: gone from lists, kept in the archive).")
def delete_document(call: Call, ins: str, document_id: str) -> Any:
    container().records.delete(call.caller, ins, document_id)
    return Reply(None, 204)
