"""Payload limits: the arithmetic of API Gateway, Lambda and base64, and the staged-upload path."""

import base64
import json

import pytest
from fhir_support import PDF, provide_bundle, r4, sha1
from helpers import make_nir

from chalicelib.domain.documents import MAX_BYTES
from chalicelib.errors import InvalidInput, PayloadTooLarge
from chalicelib.fhir import payload
from chalicelib.fhir.provide import parse_provide_bundle


def test_a_five_megabyte_document_cannot_travel_inline_through_lambda():
    assert payload.base64_length(MAX_BYTES) == 6_666_668
    assert payload.base64_length(MAX_BYTES) > payload.LAMBDA_MAX_EVENT  # whatever the headers
    assert payload.base64_length(MAX_BYTES) < payload.API_GATEWAY_MAX_BODY  # API Gateway alone would take it
    assert payload.MAX_INLINE_BODY < payload.LAMBDA_MAX_EVENT


def test_the_largest_inline_document_fits_the_inline_limit():
    size = payload.max_inline_document()
    assert 4_400_000 < size < MAX_BYTES
    content = b"%PDF-" + b"0" * (size - 5)
    body = json.dumps(provide_bundle(make_nir(), content=content)).encode()
    assert len(body) <= payload.MAX_INLINE_BODY
    payload.check_body(len(body))
    (doc,) = parse_provide_bundle(json.loads(body)).documents
    assert doc.size == size


def test_a_body_over_the_limit_is_413_and_says_how_to_send_a_large_document():
    with pytest.raises(PayloadTooLarge) as caught:
        payload.check_body(payload.MAX_INLINE_BODY + 1)
    assert "POST /fhir/Binary/$upload" in caught.value.message


PATIENT_INS = "180057512345627"


@pytest.mark.parametrize("patient", [
    {"valueIdentifier": {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": PATIENT_INS}},
    {"valueReference": {"reference": f"Patient/{PATIENT_INS}"}},
    {"valueString": f"urn:oid:1.2.250.1.213.1.4.8|{PATIENT_INS}"},
])
def test_the_upload_request_and_its_answer(patient):
    request = {"resourceType": "Parameters", "parameter": [
        {"name": "patient", **patient},
        {"name": "contentType", "valueCode": "application/pdf"}, {"name": "size", "valueUnsignedInt": len(PDF)},
        {"name": "hash", "valueBase64Binary": sha1(PDF)}]}
    upload = payload.parse_upload_request(request)
    assert (upload.content_type, upload.size, upload.sha1) == ("application/pdf", len(PDF), sha1(PDF))
    assert upload.ins == PATIENT_INS
    headers = payload.upload_headers(upload)
    assert headers == {"Content-Type": "application/pdf", "x-amz-checksum-sha1": sha1(PDF)}
    answer = r4(payload.upload_answer("stage1", "https://s3.example/put?sig", headers, "2026-11-22T09:15:00Z"))
    assert answer["parameter"][0]["valueReference"] == {"reference": "Binary/stage1"}


@pytest.mark.parametrize(("changes", "code"), [
    ({"size": 5_000_001}, "invalid_size"),
    ({"contentType": "application/zip"}, "unsupported_format"),
    ({"hash": base64.b64encode(b"short").decode()}, "invalid_hash"),
    ({"patient": "urn:oid:1.2.250.1.213.1.4.8|180057512345600"}, "invalid_nir"),
    ({"patient": None}, "missing_field"),
])
def test_an_upload_request_breaking_the_rules_is_422(changes, code):
    values = {"patient": f"urn:oid:1.2.250.1.213.1.4.8|{PATIENT_INS}", "contentType": "application/pdf", "size": 10,
              "hash": sha1(PDF), **changes}
    values = {k: v for k, v in values.items() if v is not None}
    kinds = {"patient": "valueString", "contentType": "valueCode", "size": "valueUnsignedInt",
             "hash": "valueBase64Binary"}
    request = {"resourceType": "Parameters", "parameter": [{"name": k, kinds[k]: v} for k, v in values.items()]}
    with pytest.raises(InvalidInput) as caught:
        payload.parse_upload_request(request)
    assert caught.value.code == code


def test_staged_binary_references():
    assert payload.staged_binary("Binary/abc-1") == "abc-1"
    assert payload.staged_binary("https://api.example/fhir/Binary/abc") == "abc"
    assert payload.staged_binary("urn:uuid:1234") is None
