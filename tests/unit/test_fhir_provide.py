"""ITI-65 Provide Document Bundle: ens's rules checked before anything is written; one bad entry rejects all."""

import base64
import copy

import pytest
from fhir_support import PDF, PNG, provide_bundle, r4, sha1
from helpers import make_nir

from chalicelib.errors import InvalidInput, MalformedRequest
from chalicelib.fhir import bundles
from chalicelib.fhir.provide import is_provide_bundle, parse_provide_bundle

INS = make_nir()


def test_a_dmp_shaped_bundle_gives_the_documents_to_add():
    parsed = parse_provide_bundle(provide_bundle(INS))
    assert parsed.ins == INS
    (doc,) = parsed.documents
    assert (doc.title, doc.type_code, doc.category, doc.content_type) == (
        "Compte rendu de consultation", "11488-4", "CPT_REND", "application/pdf")
    assert doc.content == PDF and doc.size == len(PDF) and doc.sha1 == sha1(PDF)
    assert doc.staged is None and doc.replaces is None and not doc.hidden_from_patient
    answer = r4(bundles.transaction_response(parsed.results(["doc1"], "sub1"), "https://api.example/fhir"))
    assert [e["response"]["location"] for e in answer["entry"]] == ["List/sub1", "DocumentReference/doc1",
                                                                    "Binary/doc1"]
    assert {e["response"]["status"] for e in answer["entry"]} == {"201 Created"}


def test_it_is_recognised_as_a_provide_bundle():
    assert is_provide_bundle(provide_bundle(INS))


def _fault(bundle, base=None):
    with pytest.raises(InvalidInput) as caught:
        parse_provide_bundle(bundle, base=base)
    return caught.value


@pytest.mark.parametrize(("change", "where", "code"), [
    (lambda b: b["entry"][1]["resource"].update(type={"coding": [{"system": "http://loinc.org",
                                                                  "code": "99999-9"}]}),
     "Bundle.entry[1].resource.type", "unknown_type_code"),
    (lambda b: b["entry"][1]["resource"]["content"][0]["attachment"].update(contentType="application/msword"),
     "Bundle.entry[1].resource.content[0].attachment.contentType", "unsupported_format"),
    (lambda b: b["entry"][2]["resource"].update(data=base64.b64encode(PNG).decode()),
     "Bundle.entry[2].resource", None),
    (lambda b: b["entry"][1]["resource"]["content"][0]["attachment"].update(hash=sha1(b"other")),
     "Bundle.entry[1].resource.content[0].attachment.hash", "hash_mismatch"),
    (lambda b: b["entry"][1]["resource"]["content"][0]["attachment"].update(size=len(PDF) + 1),
     "Bundle.entry[2].resource.data", "size_mismatch"),
    (lambda b: b["entry"][1]["resource"].update(securityLabel=[{"coding": [{"code": "MASQUE_PS"}]}]),
     "Bundle.entry[1].resource.securityLabel[0]", "not_allowed"),
    (lambda b: b["entry"][1]["resource"].update(relatesTo=[{"code": "appends", "target": {
        "reference": "DocumentReference/x"}}]), "Bundle.entry[1].resource.relatesTo[0]", "unsupported"),
    (lambda b: b["entry"][1]["resource"]["content"][0]["attachment"].update(url="https://elsewhere.example/doc"),
     "Bundle.entry[1].resource.content[0].attachment.url", None),
    (lambda b: b["entry"][1]["resource"].update(subject={"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.8",
                                                                        "value": make_nir(2)}}),
     "Bundle.entry", "several_patients"),
    (lambda b: b.update(type="batch"), "Bundle.type", None),
    (lambda b: b["entry"].append({"resource": {"resourceType": "Patient"}, "request": {"method": "POST",
                                                                                      "url": "Patient"}}),
     "Bundle.entry[3].resource", "unsupported"),
    (lambda b: b["entry"][0]["resource"].update(entry=[{"item": {"reference": "urn:uuid:other"}}]),
     "Bundle.entry[0].resource.entry", None),
    (lambda b: b["entry"][1]["resource"].update(status="superseded"), "Bundle.entry[1].resource.status", None),
    (lambda b: b["entry"].pop(0), "Bundle.entry", None),
])
def test_an_invalid_entry_rejects_the_bundle_naming_the_element(change, where, code):
    bundle = provide_bundle(INS)
    change(bundle)
    error = _fault(bundle)
    assert where in error.message
    assert where in " ".join(error.details["expressions"])
    if code:
        assert error.code == code


def test_every_fault_is_named_at_once():
    bundle = provide_bundle(INS)
    bundle["entry"][1]["resource"]["type"]["coding"][0]["code"] = "99999-9"
    del bundle["entry"][1]["resource"]["content"][0]["attachment"]["title"]
    error = _fault(bundle)
    assert error.code == "invalid_bundle"
    assert len(error.details["expressions"]) == 2
    assert "the document's title" in error.message


def test_an_empty_string_is_named_in_words():
    bundle = provide_bundle(INS)
    bundle["entry"][1]["resource"]["content"][0]["attachment"]["title"] = ""
    assert "attachment.title' must not be empty" in _fault(bundle).message


def test_a_file_too_large_or_not_what_it_claims_is_refused():
    big = b"%PDF-" + b"0" * 5_000_000
    error = _fault(provide_bundle(INS, content=big))
    assert error.code == "invalid_size" or "5000000" in error.message
    error = _fault(provide_bundle(INS, content=b"plain text, not a pdf"))
    assert error.code == "content_mismatch"


def test_a_hidden_document_and_a_replacement_with_mhds_update_entry():
    bundle = provide_bundle(INS, relatesTo=[{"code": "replaces", "target": {"reference": "DocumentReference/old1"}}],
                            securityLabel=[{"coding": [{"system": "https://mos.esante.gouv.fr/NOS/TRE_A07-"
                                                                  "StatutVisibiliteDocument/FHIR/TRE-A07-"
                                                                  "StatutVisibiliteDocument",
                                                        "code": "INVISIBLE_PATIENT"}]}])
    bundle["entry"].append({"resource": {"resourceType": "Parameters", "parameter": [{"name": "operation"}]},
                            "request": {"method": "PATCH", "url": "DocumentReference/old1"}})
    parsed = parse_provide_bundle(bundle)
    (doc,) = parsed.documents
    assert doc.replaces == "old1" and doc.hidden_from_patient
    answer = r4(bundles.transaction_response(parsed.results(["new1"], "s1")))
    assert answer["entry"][3]["response"] == {"status": "200 OK", "location": "DocumentReference/old1"}
    other = copy.deepcopy(bundle)
    other["entry"][3]["request"]["url"] = "DocumentReference/unrelated"
    assert "UpdateDocumentRefs" in _fault(other).message


def test_a_document_uploaded_beforehand_is_named_by_its_binary():
    bundle = provide_bundle(INS)
    bundle["entry"].pop(2)
    bundle["entry"][1]["resource"]["content"][0]["attachment"]["url"] = "https://api.example/fhir/Binary/stage1"
    (doc,) = parse_provide_bundle(bundle, base="https://api.example/fhir").documents
    assert doc.staged == "stage1" and doc.content is None and doc.size == len(PDF) and doc.sha1 == sha1(PDF)
    del bundle["entry"][1]["resource"]["content"][0]["attachment"]["hash"]
    assert _fault(bundle, "https://api.example/fhir").code == "missing_field"


def test_not_json_object_is_400():
    with pytest.raises(MalformedRequest):
        parse_provide_bundle("a string")


def test_the_bytes_may_also_sit_in_the_attachment():
    bundle = provide_bundle(INS)
    binary = bundle["entry"].pop(2)["resource"]
    attachment = bundle["entry"][1]["resource"]["content"][0]["attachment"]
    del attachment["url"]
    attachment["data"] = binary["data"]
    (doc,) = parse_provide_bundle(bundle).documents
    assert doc.content == PDF and doc.binary_entry is None
    attachment.update(data=base64.b64encode(PNG).decode(), size=len(PNG), hash=sha1(PNG))
    assert _fault(bundle).code == "content_mismatch"  # PNG bytes declared as a PDF
