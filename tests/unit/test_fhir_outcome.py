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


@pytest.mark.parametrize("field", ["\xa0", " ", "\t"])
def test_a_parameter_named_only_by_whitespace_is_still_a_400_outcome(field):
    """The fuzzer's find: an unknown search parameter named by a non-breaking space answered 500, since a FHIR
    string is never blank. The outcome says what is wrong and leaves the blank name out of ``expression``."""
    status, outcome = operation_outcome(errors.MalformedRequest("The search parameter is not supported.",
                                                                code="unknown_parameter", field=field))
    assert status == 400
    data = r4(outcome)
    assert "expression" not in data["issue"][0]
    assert data["issue"][0]["diagnostics"] == "The search parameter is not supported."
