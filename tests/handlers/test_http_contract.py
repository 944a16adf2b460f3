"""The conventions every route shares (CONTRACT §3): {code, message} errors, 400 vs 422, the OpenAPI document."""

import json

from helpers import make_nir


def test_errors_chalice_answers_itself_have_the_same_shape(api):
    wrong_method = api.call("PUT", "/me", api.agent)
    assert wrong_method.status == 405 and set(wrong_method.json) == {"code", "message"}
    row, token = api.patient()
    no_accept = api.get(f"/patients/{row['nir']}/summary.pdf", token)
    assert no_accept.status == 400 and set(no_accept.json) == {"code", "message"}


def test_malformed_bodies_are_400_and_bad_fields_422(api):
    for raw in (b"{", b"[1, 2]", b"\"text\"", "é".encode("latin-1")):
        reply = api.call("POST", "/activation", raw=raw)
        assert reply.status == 400 and reply.json["code"] and reply.json["message"], (raw, reply)
    reply = api.post("/activation", body={"nir": make_nir(), "vitale_serial": 12345678, "code": "x"})
    assert reply.status == 422 and "vitale_serial" in reply.json["message"]
    reply = api.call("POST", "/activation", raw=json.dumps({"nir": make_nir()}).encode(),
                     headers={"Content-Type": "text/plain"})
    assert reply.status == 415 and "application/json" in reply.json["message"]


def test_bad_paging_parameters_are_refused(api):
    row, token = api.patient()
    for query in ("limit=abc", "limit=101", "limit=-1", "cursor=%%%"):
        reply = api.get(f"/patients/{row['nir']}/documents?{query}", token)
        assert reply.status in (400, 422) and reply.json["code"], (query, reply)


def test_openapi_describes_every_route_with_its_answers(api):
    import app

    spec = api.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    declared = {(path, method.lower()) for path, methods in app.app.routes.items() for method in methods}
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert declared == described
    enrol = spec["paths"]["/enrolments"]["post"]
    assert enrol["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("EnrolmentBatch")
    assert {"200", "401", "403", "422"} <= set(enrol["responses"])
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if int(status) >= 400 and path.startswith("/fhir"):  # under /fhir, errors are OperationOutcomes
                    assert answer["content"]["application/fhir+json"]["schema"]["$ref"].endswith(
                        "/FhirOperationOutcome"), (path, method)
                elif int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), (path, method)
