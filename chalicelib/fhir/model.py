"""The one door to the FHIR model library: ``fhir.resources`` 8.x, its ``R4B`` package (pydantic v2).

Why R4B for a 4.0.1 interface (docs/fhir.md, "Model library"): ``fhir.resources`` 7.x/8.x ship R5 by default and
R4B (4.3.0) beside it; R4 proper is only in 6.x, which needs pydantic v1 and cannot live next to ens's pydantic v2
models. R4B left every resource ens serves unchanged (structure, cardinalities, types): a unit test compares the
element trees with fhirclient's 4.0.1 models, and every resource ens produces is validated by both.

Two things the library does not check, and which are checked here instead (:func:`check_required_codes`): the
codes of required bindings (``status`` values) and empty lists (FHIR forbids ``[]``). The library also serialises
a ``base64Binary`` given as ``bytes`` as an empty string, so builders always give base64 text.

Everything else in :mod:`chalicelib.fhir` goes through :func:`resource`, :func:`parse` and :func:`dump`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import ValidationError

from chalicelib.errors import InvalidInput, MalformedRequest

MAX_PROBLEMS = 10  # an answer names at most this many faults (a Bundle of 1,000 bad entries stays readable)

# Required bindings of the elements ens reads or writes (FHIR R4 value sets).
REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("DocumentReference", "status"): frozenset({"current", "superseded", "entered-in-error"}),
    ("Observation", "status"): frozenset({"registered", "preliminary", "final", "amended", "corrected",
                                          "cancelled", "entered-in-error", "unknown"}),
    ("Bundle", "type"): frozenset({"document", "message", "transaction", "transaction-response", "batch",
                                   "batch-response", "history", "searchset", "collection"}),
    ("List", "status"): frozenset({"current", "retired", "entered-in-error"}),
    ("List", "mode"): frozenset({"working", "snapshot", "changes"}),
    ("Immunization", "status"): frozenset({"completed", "entered-in-error", "not-done"}),
}


@cache
def model_class(resource_type: str) -> Any:
    """The R4B model class of a resource or datatype name (``"DocumentReference"``, ``"Coding"``)."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def resource(resource_type: str, **elements: Any) -> Any:
    """Build and validate one resource or datatype; ``elements`` may nest models or plain JSON values."""
    return model_class(resource_type)(**{k: v for k, v in elements.items() if v is not None})


def dump(model: Any) -> dict[str, Any]:
    """A resource as FHIR JSON (no nulls, element order of the specification)."""
    out: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out


def path_of(location: tuple[Any, ...], root: str) -> str:
    """A pydantic error location as a FHIRPath-like path: ``Bundle.entry[1].resource.content[0]``."""
    text = root
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).endswith("__ext"):  # fhir.resources' shadow fields of primitive extensions
            text += f".{part}"
    return text


def _problems(error: ValidationError, root: str) -> list[tuple[str, str]]:
    out = []
    for item in error.errors(include_url=False):
        message = str(item.get("msg", "is not valid")).rstrip(".")
        if item.get("type") == "extra_forbidden":
            message = "is not an element of this resource in FHIR R4"
        elif item.get("type") == "missing":
            message = "is required"
        elif item.get("type") == "string_pattern_mismatch":
            message = "must not be empty: leave the element out" if item.get("input") == "" else \
                "is not written as FHIR requires for this element"
        out.append((path_of(tuple(item.get("loc", ())), root), message))
    return out


def invalid(problems: list[tuple[str, str]], code: str = "invalid_resource") -> InvalidInput:
    """One InvalidInput naming every element at fault (at most :data:`MAX_PROBLEMS`)."""
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    sentence = "; ".join(f"'{path}' {message}" for path, message in shown)
    if more > 0:
        sentence += f"; and {more} more"
    return InvalidInput(f"The FHIR content is not valid: {sentence}.", code=code,
                        expressions=[path for path, _ in shown])


def parse(data: Any, expected: str | tuple[str, ...] | None = None) -> Any:
    """Validate FHIR JSON (already decoded) as an R4 resource; raise a 400/422 naming the faults.

    ``expected`` restricts the resource type. Not a JSON object, or no known ``resourceType`` -> MalformedRequest
    (400); a resource that breaks FHIR's rules -> InvalidInput (422) with every faulty element.
    """
    if not isinstance(data, dict):
        raise MalformedRequest("The request body must be a FHIR resource (a JSON object with 'resourceType').",
                               code="invalid_body")
    kind = data.get("resourceType")
    wanted = (expected,) if isinstance(expected, str) else expected
    if not isinstance(kind, str) or not kind:
        raise MalformedRequest("The FHIR resource has no 'resourceType'.", code="invalid_body")
    if wanted and kind not in wanted:
        raise InvalidInput(f"The FHIR resource must be a {' or '.join(wanted)}, not a {kind}.",
                           code="wrong_resource_type", expressions=["resourceType"])
    try:
        cls = model_class(kind)
    except (ValueError, AttributeError) as error:
        raise InvalidInput(f"'{kind}' is not a FHIR R4 resource type.", code="wrong_resource_type",
                           expressions=["resourceType"]) from error
    try:
        model = cls.model_validate(data)
    except ValidationError as error:
        raise invalid(_problems(error, kind)) from error
    problems = check_required_codes(data)
    if problems:
        raise invalid(problems)
    return model


def check_required_codes(data: Any) -> list[tuple[str, str]]:
    """What the library leaves out: codes of required bindings, and empty lists, anywhere in ``data``."""
    problems: list[tuple[str, str]] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            kind = value.get("resourceType") if isinstance(value.get("resourceType"), str) else None
            here = where or (kind or "")
            for key, item in value.items():
                child = f"{here}.{key}"
                allowed = REQUIRED_CODES.get((kind, key)) if kind else None
                if allowed is not None and isinstance(item, str) and item not in allowed:
                    problems.append((child, f"must be one of {', '.join(sorted(allowed))}, not '{item}'"))
                walk(item, child)
        elif isinstance(value, list):
            if not value:
                problems.append((where, "must not be an empty list: leave the element out"))
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    walk(data, "")
    return problems


def validated(data: dict[str, Any]) -> dict[str, Any]:
    """Validate FHIR JSON and return it as the library writes it (a check for what ens answers)."""
    return dump(parse(data))
