"""The sentences a person reads when a request body is wrong: every field at fault named, in plain words.

Parametrised over every request model of `chalicelib/models` and each of its fields: a wrong kind of value, text
too long, a pattern not followed, a choice that does not exist, a missing field and a misspelt one. No sentence may
carry pydantic's or a regular expression's wording.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.models import care, catalogue, lifecycle, messaging, records
from chalicelib.models.common import Strict
from chalicelib.models.problems import PATTERNS, field_errors, problems, validation_message

PYDANTIC_WORDING = re.compile(
    r"Input should|Field required|Extra inputs|String should|should match pattern|Value error|valid dictionary|"
    r"instance of|List should|\^|\$|\\d|constrained-str|function-after|type=|For further information",
)


def request_models() -> list[type[Strict]]:
    found, pending = [], list(Strict.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted({c for c in found if c.__module__.startswith("chalicelib.models")}, key=lambda c: c.__name__)


MODELS = request_models()


def _errors(model: type[Strict], body: Any) -> list[dict[str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return field_errors(caught.value)


def _assert_readable(errors: list[dict[str, str]]) -> None:
    for error in errors:
        message = error["message"]
        assert not PYDANTIC_WORDING.search(message), message
        assert message[:1].isupper() or message.startswith("'"), message
        assert message.endswith((".", "?")), message
        assert error["code"] and re.fullmatch(r"[a-z_]+", error["code"]), error


def _bad_values(schema: dict[str, Any], defs: dict[str, Any]) -> list[tuple[str, Any]]:
    """(what is wrong, a value) pairs that break a property of the model's JSON schema."""
    if "$ref" in schema:
        return [("not an object", 5)]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if options:
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        if "anyOf" in schema:
            return [("a list for a union", [["nested"]])]
        return _bad_values(schema, defs)
    kind = schema.get("type")
    out: list[tuple[str, Any]] = []
    if "enum" in schema or "const" in schema:
        out.append(("unknown choice", "certainly-not-a-choice"))
    if kind == "string":
        out.append(("not text", [1, 2]))
        if schema.get("maxLength"):
            out.append(("too long", "7" * (schema["maxLength"] + 1)))
        if schema.get("minLength", 0) >= 1:
            out.append(("empty", ""))
        if schema.get("pattern"):
            out.append(("pattern", "!! not @ this"))
        if schema.get("format") == "date":
            out.append(("not a date", "31/12/2020"))
        if schema.get("format") == "date-time":
            out.append(("not a date-time", "tomorrow morning"))
    elif kind in ("integer", "number"):
        out.append(("not a number", "twelve"))
        if "minimum" in schema:
            out.append(("below the minimum", schema["minimum"] - 1))
        if "maximum" in schema:
            out.append(("above the maximum", schema["maximum"] + 1))
    elif kind == "boolean":
        out.append(("not a boolean", "perhaps"))
    elif kind == "array":
        out.append(("not a list", "just text"))
        if schema.get("maxItems"):
            out.append(("too many items", [{}] * (schema["maxItems"] + 1)))
    elif kind == "object":
        out.append(("not an object", 5))
    return out


CASES = [
    pytest.param(model, name, what, value, id=f"{model.__name__}.{name}: {what}")
    for model in MODELS
    for name, prop in model.model_json_schema().get("properties", {}).items()
    for what, value in _bad_values(prop, model.model_json_schema().get("$defs", {}))
]


@pytest.mark.parametrize(("model", "name", "what", "value"), CASES)
def test_each_bad_field_is_named_in_plain_words(model, name, what, value):
    errors = _errors(model, {name: value})
    _assert_readable(errors)
    mine = [e for e in errors if e["field"] == name or e["field"].startswith(f"{name}.")]
    assert mine, errors
    assert all(f"'{e['field']}'" in e["message"] for e in mine), mine


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_missing_field_is_named_at_once(model):
    required = [name for name, f in model.model_fields.items() if f.is_required()]
    if not required:
        return
    errors = _errors(model, {})
    _assert_readable(errors)
    assert [e["field"] for e in errors] == required
    assert all(e["message"] == f"The field '{e['field']}' is required." for e in errors)


def _typo(name: str) -> str:
    """Two neighbouring letters swapped: 'title' → 'titel'."""
    i = max(1, len(name) - 2)
    while name[i] == name[i + 1]:
        i -= 1
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


@pytest.mark.parametrize(
    ("model", "name"),
    [pytest.param(m, n, id=f"{m.__name__}.{n}") for m in MODELS for n in m.model_fields if len(n) >= 4],
)
def test_a_misspelt_field_is_named_with_a_suggestion(model, name):
    typo = _typo(name)
    errors = _errors(model, {typo: "x"})
    _assert_readable(errors)
    unknown = [e for e in errors if e["code"] == "unknown_field"]
    assert unknown == [{"field": typo, "code": "unknown_field",
                        "message": f"'{typo}' is not a field of {model.noun}; did you mean '{name}'?"}]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_says_what_it_is(model):
    assert model.noun != "this request" and model.noun.split()[0] in ("a", "an", "the"), model


def test_every_pattern_of_a_request_model_is_described_in_words():
    patterns = set()

    def collect(schema: Any) -> None:
        if isinstance(schema, dict):
            if isinstance(schema.get("pattern"), str):
                patterns.add(schema["pattern"])
            for value in schema.values():
                collect(value)
        elif isinstance(schema, list):
            for value in schema:
                collect(value)

    for model in MODELS:
        collect(model.model_json_schema())
    assert patterns and patterns <= set(PATTERNS), patterns - set(PATTERNS)


def test_the_appointment_example_of_the_issue():
    errors = _errors(care.AppointmentCreate, {"titel": "Dentiste", "start": "2026-12-03T09:00:00Z"})
    assert errors == [
        {"field": "title", "code": "missing_field", "message": "The field 'title' is required."},
        {"field": "titel", "code": "unknown_field",
         "message": "'titel' is not a field of an appointment; did you mean 'title'?"},
    ]


@pytest.mark.parametrize(
    ("model", "body", "field", "words"),
    [
        (care.AppointmentCreate, {"title": "x", "start": "2026-12-03T10:00:00Z", "end": "2026-12-03T09:00:00Z"},
         "end", "must be after 'start'"),
        (care.Profile, {"allergies": [{"name": "x", "since": "2020-01-01", "until": "2019-01-01"}]},
         "allergies.0.until", "must not be before 'since'"),
        (care.ReimbursementLine, {"ins": "180057512345627", "date": "2020-01-01", "act": "x", "amount_paid": 1,
                                  "amount_reimbursed": 5}, "amount_reimbursed", "cannot be more than 'amount_paid'"),
        (lifecycle.Beneficiary, {"nir": "180057512345627", "given_name": "A", "family_name": "B",
                                 "birth_date": "1981-05-01"}, "nir", "does not agree with 'birth_date'"),
        (lifecycle.Beneficiary, {"nir": "180057512345627", "given_name": "A", "family_name": "B",
                                 "birth_date": "1980-05-01", "legal_representative_nir": "180057512345627"},
         "legal_representative_nir", "must be another person"),
    ],
)
def test_a_rule_across_fields_names_its_field_never_the_body(model, body, field, words):
    errors = _errors(model, body)
    _assert_readable(errors)
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"].startswith(f"The field '{field}' {words}")


def test_every_problem_is_in_the_message_and_the_first_gives_the_code():
    with pytest.raises(ValidationError) as caught:
        lifecycle.ActivationRequest.model_validate({"nir": "123", "vitale_serial": "12a", "cod": "x"})
    code, message = validation_message(caught.value)
    assert code == "invalid_nir"
    for field in ("'nir'", "'vitale_serial'", "'code'", "'cod'"):
        assert field in message
    assert "15 characters" in message and "Vitale card" in message and "did you mean 'code'" in message


def test_a_nir_is_described_but_never_repeated():
    bad = "180057512345628"
    with pytest.raises(ValidationError) as caught:
        lifecycle.ActivationRequest.model_validate({"nir": bad, "vitale_serial": "12345678", "code": "x"})
    (problem,) = problems(caught.value)
    assert problem.message == ("The field 'nir' is not a valid social-security number (NIR/INS): it has a control "
                               "key that does not match the number.")
    assert bad not in problem.message


def test_an_attachment_is_an_id_or_a_new_file_and_only_the_meant_one_is_reported():
    errors = _errors(messaging.MessageCreate, {"body": "x", "attachments": [
        5, {"title": "scan", "content_type": "image/png", "size": 0}, "not an id!"]})
    _assert_readable(errors)
    assert [e["field"] for e in errors] == ["attachments.0", "attachments.1.size", "attachments.2"]
    assert "an id (text) or a new attachment (an object with 'title', 'content_type' and 'size')" in \
        errors[0]["message"]
    assert errors[1]["message"] == "The field 'attachments.1.size' must be at least 1."


def test_limits_are_said_as_people_write_numbers():
    errors = _errors(records.DocumentCreate, {"title": "x", "type_code": "11488-4", "content_type": "application/pdf",
                                             "size": 5_000_001})
    assert errors == [{"field": "size", "code": "out_of_range",
                       "message": "The field 'size' must be at most 5,000,000."}]
    long = "é" * 201
    errors = _errors(records.DocumentCreate, {"title": long, "type_code": "11488-4", "content_type": "application/pdf",
                                             "size": 1})
    assert errors[0]["message"] == "The field 'title' must have at most 200 characters (it has 201)."


def test_choices_are_listed_with_what_was_sent():
    errors = _errors(care.Profile, {"blood_group": "Z+"})
    assert errors[0]["message"] == ("The field 'blood_group' must be 'A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+' or "
                                    "'O-', not 'Z+'.")
    errors = _errors(catalogue.ConsentRequest, {"grants": [{"category": "documents", "access": "all"}]})
    assert errors[0]["field"] == "grants.0.access" and "'read' or 'write', not 'all'" in errors[0]["message"]
