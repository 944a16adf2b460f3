"""What a route answers is what `GET /openapi.json` declares (the schema violations Schemathesis found, pinned).

A client generated from the document must never meet an undeclared status: every route that pages declares the
400 of a bad cursor and the 422 of a bad limit; every route with `{ins}` declares the 422 of a bad INS; every
route with a body declares 400 (not JSON) and 422 (a bad field).
"""

from helpers import make_finess


def _operations(api):
    spec = api.get("/openapi.json").json
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_a_bad_limit_on_an_establishments_rejections_is_a_declared_422(api):
    finess = make_finess()
    token = api.token("establishment", finess=finess)
    reply = api.get(f"/establishments/{finess}/rejections?limit=0", token)
    assert reply.status == 422 and reply.json["code"] == "invalid_limit"
    declared = api.get("/openapi.json").json["paths"]["/establishments/{finess}/rejections"]["get"]["responses"]
    assert "422" in declared


def test_every_paged_route_declares_the_answers_of_bad_paging(api):
    for path, method, operation in _operations(api):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if {"limit", "cursor"} <= names:
            assert {"400", "422"} <= set(operation["responses"]), (method, path)


def test_every_patient_route_declares_the_422_of_a_bad_ins(api):
    row, token = api.patient()
    reply = api.get("/patients/123/profile", token)
    assert reply.status == 422
    for path, method, operation in _operations(api):
        if "{ins}" in path:
            assert "422" in operation["responses"], (method, path)


def test_every_route_with_a_body_declares_400_and_422(api):
    for path, method, operation in _operations(api):
        if "requestBody" in operation:
            assert {"400", "422"} <= set(operation["responses"]), (method, path)
