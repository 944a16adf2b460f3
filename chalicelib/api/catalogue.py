"""The catalogue of referenced apps and the patient's consents (CONTRACT §7)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, QueryParam, Reply, paging, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action
from chalicelib.errors import InvalidInput

bp = Blueprint(__name__)
TAG = "Catalogue and consent"
M = "chalicelib.models.catalogue:"
A = "chalicelib.models.answers.catalogue:"
APP_STATUSES = ("online", "suspended", "dereferenced")


@route(bp, "/catalogue", "GET", tag=TAG, auth="none", response=A + "AppPage",
       query=(QueryParam("status", "Only apps in this status (dereferenced apps are listed only when asked).",
                         enum=APP_STATUSES), *PAGING), errors=(400, 422),
       summary="The referenced apps and the data each one may reach.")
def list_apps(call: Call) -> Any:
    limit, cursor = paging(call)
    status = call.query.get("status") or None
    if status is not None and status not in APP_STATUSES:
        raise InvalidInput("The parameter 'status' must be online, suspended or dereferenced.", field="status")
    return container().catalogue.apps_page(limit, cursor, status)


@route(bp, "/catalogue/{app_id}", "GET", tag=TAG, auth="none", response=A + "App", errors=(404,),
       summary="One referenced app.")
def get_app(call: Call, app_id: str) -> Any:
    return container().catalogue.get(app_id)


@route(bp, "/catalogue", "POST", tag=TAG, action=Action.MANAGE_CATALOGUE, body=M + "AppCreate", response=A + "App",
       status=201, errors=(400, 403, 409, 422),
       summary="Reference an app (back office); financial and insurance-reimbursement services are refused.")
def reference_app(call: Call) -> Any:
    return container().catalogue.reference(call.caller, call.body)


@route(bp, "/catalogue/{app_id}", "PATCH", tag=TAG, action=Action.MANAGE_CATALOGUE, body=M + "AppChange",
       response=A + "App", errors=(400, 403, 404, 409, 422, 503),
       summary="Change an app's status or data access; consents need re-approval when its access grows.")
def change_app(call: Call, app_id: str) -> Any:
    return container().catalogue.change(call.caller, app_id, call.body)


@route(bp, "/patients/{ins}/app-consents/{app_id}", "PUT", tag=TAG, action=Action.MANAGE_APP_CONSENTS,
       body=M + "ConsentRequest", response=A + "Consent", errors=(400, 403, 404, 409, 422),
       summary="Consent to an app, per data category and direction, within its agreement.")
def grant_consent(call: Call, ins: str, app_id: str) -> Any:
    return container().catalogue.grant(call.caller, ins, app_id, call.body)


@route(bp, "/patients/{ins}/app-consents", "GET", tag=TAG, action=Action.MANAGE_APP_CONSENTS,
       response=A + "ConsentPage", errors=(403, 404, 422),
       summary="The apps the patient consented to, and what each may reach now.")
def list_consents(call: Call, ins: str) -> Any:
    return container().catalogue.consents_of(call.caller, ins)


@route(bp, "/patients/{ins}/app-consents/{app_id}", "DELETE", tag=TAG, action=Action.MANAGE_APP_CONSENTS,
       status=204, errors=(403, 404, 422), summary="Revoke a consent; effective on the app's very next call.")
def revoke_consent(call: Call, ins: str, app_id: str) -> Any:
    container().catalogue.revoke(call.caller, ins, app_id)
    return Reply(None, 204)
