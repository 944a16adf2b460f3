"""The development sign-in (CONTRACT §11): in the local stage only, a patient token for a NIR, so that the
patient portal can sign a person in without an identity provider. Every other stage refuses it with 404, as if
the route did not exist: there is no development key outside the local stage (`chalicelib.config`)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, route
from chalicelib.bootstrap import container
from chalicelib.errors import NotFound

bp = Blueprint(__name__)
TAG = "Development (local stage only)"
M = "chalicelib.models.devsignin:"
TOKEN_SECONDS = 3600


@route(bp, "/dev/sign-in", "POST", tag=TAG, auth="none", body=M + "DevSignInRequest",
       response="chalicelib.models.answers.common:DevSignIn",
       errors=(400, 404, 422),
       summary="Local stage only: a patient token for a NIR (the portal's development sign-in); 404 elsewhere.")
def dev_sign_in(call: Call) -> Any:
    c = container()
    if not c.settings.is_local:
        raise NotFound("The development sign-in exists only in the local stage.", code="not_found")
    try:
        token = c.tokens.sign({"role": "patient", "ins": call.body.nir}, TOKEN_SECONDS)
    except PermissionError as error:
        raise NotFound("The development sign-in exists only in the local stage.", code="not_found") from error
    return {"token": token, "expires_in": TOKEN_SECONDS}
