"""Errors under /fhir: an OperationOutcome with the status the REST routes give."""

import json

import pytest
from fhir_support import r4

from chalicelib import errors
from chalicelib.api.http import render_error
from chalicelib.fhir.outcome import CONSENT_NOT_GIVEN, operation_outcome

CASES = [
    errors.MalformedRequest("The request body is not valid JSON.", code="invalid_json"),
    errors.InvalidInput("The field 'unit' must be 'kg'.", code="wrong_unit", field="unit"),
    errors.Unauthenticated("This call needs an 'Authorization: Bearer <token>' header.", code="missing_token"),
    errors.Forbidden("The patient has blocked this professional.", code="blocked"),
    errors.NotFound("No such document.", code="not_found"),
    errors.Conflict("Only an available document can be replaced.", code="not_replaceable"),
    errors.Gone("This code has expired.", code="code_expired"),
    errors.PayloadTooLarge("Too big.", code="too_large"),
    errors.TooManyAttempts("Wait 30 seconds.", 30),
    errors.Unavailable("Try again.", code="unavailable"),
]


@pytest.mark.parametrize("error", CASES, ids=lambda e: type(e).__name__)
def test_same_status_as_rest_and_the_same_sentence(error):
    status, outcome = operation_outcome(error)
    rest = render_error(error)
    assert status == rest.status_code
    data = r4(outcome)
    issue = data["issue"][0]
    assert issue["diagnostics"] == json.loads(rest.body)["message"]
    assert issue["details"]["coding"][0]["code"] == error.code
    assert issue["severity"] == ("fatal" if status >= 500 else "error")


def test_the_element_at_fault_is_named():
    _, outcome = operation_outcome(errors.InvalidInput("bad", code="x", expressions=["Bundle.entry[1].resource"]))
    assert r4(outcome)["issue"][0]["expression"] == ["Bundle.entry[1].resource"]


def test_a_refused_consent_says_it_as_mesures_de_sante_does():
    status, outcome = operation_outcome(errors.Forbidden("The patient has not granted this app write access to "
                                                         "measurements.", code="consent_required"))
    assert status == 403
    assert r4(outcome)["issue"][0]["diagnostics"].startswith(CONSENT_NOT_GIVEN)


def test_an_unexpected_error_is_a_500_that_reveals_nothing():
    status, outcome = operation_outcome(KeyError("180057500100168"))
    data = r4(outcome)
    assert status == 500 and "180057500100168" not in json.dumps(data)
