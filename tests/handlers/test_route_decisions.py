"""Every route declares the action it performs, and the OpenAPI document says exactly who the decision lets call it;
then, generated from that document: every role outside an operation's ``x-roles`` gets 403 on it, before its body
is read, whatever the body (issue #10.6)."""

import pytest
from helpers import make_finess, make_nir, make_rpps

from chalicelib.domain.access import ROLE_ACTIONS, roles_for

BODIES = (None, b"", b"garbage{", b"[]", b'{"unexpected": true}')


def test_every_route_declares_its_action_or_is_public_and_x_roles_is_the_decision(api):
    import app
    from chalicelib.api.http import SPECS

    spec_of = {(s.path, s.method.lower()): s for s in SPECS}
    declared = {(path, method.lower()) for path, methods in app.app.routes.items() for method in methods}
    assert declared == set(spec_of)
    document = api.get("/openapi.json").json
    for (path, method), spec in spec_of.items():
        operation = document["paths"][path][method]
        if spec.auth == "none":
            assert spec.action is None and "x-roles" not in operation, (path, method)
            continue
        assert spec.action is not None, (path, method)
        assert operation["x-action"] == spec.action.value
        if spec.also:  # a route whose body says which of its actions it performs (POST /fhir)
            assert operation["x-actions"] == [a.value for a in spec.actions]
        roles = {role for action in spec.actions for role in roles_for(action)}
        assert operation["x-roles"] == [r for r in ROLE_ACTIONS if r in roles], (path, method)
        assert operation["x-roles"], f"{method} {path}: nobody may call it"


def _operations(api):
    document = api.get("/openapi.json").json
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if "x-roles" in operation:
                yield path, method, operation


def _token(api, role):
    claims = {"patient": {"ins": make_nir()}, "professional": {"rpps": make_rpps(), "profession": "medecin"},
              "establishment": {"finess": make_finess()}, "app": {"app_id": "someapp", "ins": make_nir()},
              "agent": {}}[role]
    return api.token(role, **claims)


def _path(template):
    values = {"ins": make_nir(), "rpps": make_rpps(), "finess": make_finess(), "document_id": "0" * 28,
              "conversation_id": "0" * 28, "attachment_id": "0" * 28, "app_id": "someapp", "binary_id": "0" * 28}
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def test_every_role_outside_x_roles_gets_403_on_every_route_whatever_the_body(api):
    checked = 0
    for path, method, operation in _operations(api):
        outsiders = [r for r in ROLE_ACTIONS if r not in operation["x-roles"]]
        for role in outsiders:
            token = _token(api, role)
            for raw in BODIES if method in ("post", "put", "patch") else (None,):
                headers = {"Accept": "application/pdf"} if path.endswith(".pdf") else None
                reply = api.call(method.upper(), _path(path), token, raw=raw, headers=headers)
                assert reply.status == 403, (method, path, role, raw, reply)
                if path.startswith("/fhir"):  # under /fhir: an OperationOutcome saying the same
                    (issue,) = reply.json["issue"]
                    assert reply.json["resourceType"] == "OperationOutcome" and issue["code"] == "forbidden"
                    assert issue["diagnostics"], (method, path, role)
                else:
                    assert set(reply.json) == {"code", "message"} and reply.json["message"], (method, path, role)
                checked += 1
    assert checked > 300


@pytest.mark.parametrize("role", ["patient", "professional", "establishment", "app"])
def test_an_optional_token_is_still_held_to_the_decision(api, role):
    reply = api.call("POST", "/opt-out", _token(api, role), raw=b"")
    assert reply.status == 403  # only the back office records an opt-out with a token (by phone)
