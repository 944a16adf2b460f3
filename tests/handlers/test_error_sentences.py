"""What a caller reads when a request is wrong, through the routes: every field named, the errors list, bodies
that are not JSON, and Chalice's own answers in the same voice."""

import json

import pytest
from helpers import make_nir

PYDANTIC = ("Input should", "Field required", "Extra inputs", "String should", "Unsupported", "Request did not")


def test_a_422_names_every_field_at_fault_in_message_and_errors(api):
    row, token = api.patient()
    reply = api.post(f"/patients/{row['nir']}/appointments", token,
                     {"titel": "Dentiste", "start": "demain", "end": "2026-12-03T09:00:00Z"})
    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["title", "start", "titel"]
    assert reply.json["errors"][2]["message"] == "'titel' is not a field of an appointment; did you mean 'title'?"
    for error in reply.json["errors"]:
        assert error["message"] in reply.json["message"]
    assert not any(words.encode() in reply.body for words in PYDANTIC)


def test_a_rule_across_fields_is_reported_on_its_field(api):
    row, token = api.patient()
    reply = api.post(f"/patients/{row['nir']}/appointments", token,
                     {"title": "Kiné", "start": "2026-12-03T10:00:00Z", "end": "2026-12-03T09:00:00Z"})
    assert reply.status == 422 and reply.json["code"] == "invalid_period"
    assert reply.json["errors"] == [{"field": "end", "code": "invalid_period",
                                     "message": "The field 'end' must be after 'start'."}]


def test_a_rule_checked_by_the_domain_also_fills_the_errors_list(api):
    row, token = api.patient()
    reply = api.post(f"/patients/{row['nir']}/measurements", token,
                     {"code": "29463-7", "value": 72, "unit": "lb", "effective_at": "2026-11-01T08:00:00Z"})
    assert reply.status == 422 and reply.json["code"] == "wrong_unit"
    assert reply.json["errors"] == [{"field": "unit", "code": "wrong_unit", "message": reply.json["message"]}]


@pytest.mark.parametrize("raw", [b"{", b"nir=1&code=2", b"<activation/>", "é".encode("latin-1")])
def test_a_body_that_is_not_json_is_told_to_send_json(api, raw):
    reply = api.call("POST", "/activation", raw=raw)
    assert reply.status == 400 and reply.json["code"] == "invalid_json"
    assert "'Content-Type: application/json'" in reply.json["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          "multipart/form-data; boundary=x", "image/png"])
def test_a_json_body_sent_as_another_type_is_told_to_send_application_json(api, content_type):
    body = json.dumps({"nir": make_nir(), "vitale_serial": "12345678", "code": "ABCDEFGHJKMN"}).encode()
    reply = api.call("POST", "/activation", raw=body, headers={"Content-Type": content_type})
    assert reply.status == 415 and reply.json["code"] == "unsupported_media_type"
    assert set(reply.json) == {"code", "message"}
    assert "'Content-Type: application/json'" in reply.json["message"] and content_type in reply.json["message"]


def test_json_types_and_a_missing_header_are_read_as_json(api):
    body = json.dumps({"nir": make_nir(), "vitale_serial": "12345678", "code": "ABCDEFGHJKMN"}).encode()
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        reply = api.call("POST", "/activation", raw=body, headers={"Content-Type": content_type})
        assert reply.status == 401  # read, then refused: no such account
    assert api.client.http.request("POST", "/activation", headers={}, body=body).status_code == 401


def test_a_body_that_is_not_an_object_says_what_it_is(api):
    reply = api.call("POST", "/activation", raw=b"[1, 2]")
    assert reply.status == 400 and "must be a JSON object" in reply.json["message"]
    assert "not a list" in reply.json["message"]


def test_chalices_own_answers_speak_like_the_app(api):
    wrong_method = api.call("PUT", "/me", api.agent)
    assert wrong_method.status == 405 and wrong_method.json["code"] == "method_not_allowed"
    assert wrong_method.json["message"].startswith("This address does not accept the method PUT: it accepts GET.")
    row, token = api.patient()
    no_accept = api.get(f"/patients/{row['nir']}/summary.pdf", token, headers={"Accept": "application/json"})
    assert no_accept.status == 400 and no_accept.json["code"] == "accept_header_needed"
    assert "'Accept: application/pdf'" in no_accept.json["message"]
    for reply in (wrong_method, no_accept):
        assert not any(words in reply.json["message"] for words in PYDANTIC)


def test_the_openapi_error_schema_documents_the_errors_list(api):
    spec = api.get("/openapi.json").json
    error = spec["components"]["schemas"]["Error"]
    assert {"code", "message", "errors"} <= set(error["properties"])
    item = spec["components"]["schemas"]["FieldError"]
    assert set(item["required"]) == {"field", "code", "message"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                assert {"400", "415", "422"} <= set(op["responses"]), (method, path)
