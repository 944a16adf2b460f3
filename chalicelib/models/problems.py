"""What was wrong with a request body, said so that a person understands it.

pydantic's ``ValidationError`` becomes one problem per field at fault, each a stable ``code``, the field's dotted
path (``beneficiaries.0.nir``) and a sentence in the voice of the measurement messages
(`chalicelib.domain.measurements`): "The field 'end' must be after 'start'.", "'titel' is not a field of an
appointment; did you mean 'title'?". No pydantic or regular-expression wording ever reaches a person.

- :func:`validation_message` gives ``(code, message)``: the first problem's code, and every problem's sentence;
- :func:`field_errors` gives the ``errors`` list of the HTTP answer (``[{"field", "code", "message"}]``);
- :func:`invalid_input` gives the ``InvalidInput`` the body parser raises (both of the above).

The body parser (`chalicelib.api.http.parse_body`) and the row-by-row validations (enrolment rows, reimbursement
lines) use them, so every caller reads the same kind of sentence.

Where a sentence comes from:

- the error's type (``missing``, ``string_too_long``, ``literal_error``...) and its context (the limits);
- the model the field belongs to, found by walking the request model along the error's location: its ``noun``
  (a class variable of each request model: "an appointment") and its field names (for "did you mean");
- a field's pattern, described by :data:`PATTERNS` (never the regular expression itself);
- our own rules (``PydanticCustomError`` in the models) write the end of the sentence ("must be after 'start'")
  and may name the field they are about in their context (``{"field": "end"}``): a rule across fields is then
  reported on that field, never on the body.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: What a field's pattern asks for, in words (keyed by the pattern as written in the models).
PATTERNS: dict[str, str] = {
    r"^\d{8,13}$": "must be the serial number printed on the Vitale card: 8 to 13 digits",
    r"^\d{11}$": "must be an RPPS number: 11 digits",
    r"^[A-Za-z0-9_.:-]+$": "must be an id: letters, digits, dots, dashes, colons and underscores",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "must be an email address, for example camille@example.org",
    r"^[a-z0-9][a-z0-9-]*$": "must be lower-case letters, digits and dashes, starting with a letter or a digit",
}

#: Error types that only say "this is not the right kind of value" (used to choose a branch of a union).
TYPE_ERRORS = frozenset({
    "string_type", "int_type", "float_type", "bool_type", "list_type", "dict_type", "model_type",
    "model_attributes_type", "decimal_type", "date_type", "datetime_type", "is_instance_of", "none_required",
    "literal_error", "enum", "iterable_type", "tuple_type", "set_type", "mapping_type",
})

DEFAULT_NOUN = "this request"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: which field (a dotted path; empty for the body itself), a stable code, and
    the sentence saying it."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field or "body", "code": self.code, "message": self.message}


# -- entry points ------------------------------------------------------------------------------------------------
def problems(error: Any, prefix: str = "", model: Any = None) -> list[Problem]:
    """Every problem of a ``ValidationError``, one per field (a union's alternatives give one problem)."""
    root = model if model is not None else _model_named(getattr(error, "title", ""))
    found: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for item in _without_union_noise(error.errors(include_url=False), root):
        problem = _problem(item, root, prefix)
        if (problem.field, problem.message) not in seen:
            seen.add((problem.field, problem.message))
            found.append(problem)
    return found or [Problem(prefix.rstrip("."), "invalid_field", "The request is not valid.")]


def validation_message(error: Any, prefix: str = "") -> tuple[str, str]:
    """pydantic's ValidationError → (code of the first problem, one message naming every field at fault)."""
    found = problems(error, prefix)
    return found[0].code, " ".join(p.message for p in found)


def field_errors(error: Any, prefix: str = "") -> list[dict[str, str]]:
    """The ``errors`` list of the HTTP answer: ``[{"field", "code", "message"}]``, one per field at fault."""
    return [p.as_dict() for p in problems(error, prefix)]


def invalid_input(error: Any, model: Any = None) -> Any:
    """The ``InvalidInput`` (422) for a request body that failed validation, every problem in its details."""
    from chalicelib.errors import InvalidInput

    found = problems(error, model=model)
    return InvalidInput(" ".join(p.message for p in found), code=found[0].code,
                        errors=[p.as_dict() for p in found])


# -- walking the request model along an error's location ---------------------------------------------------------
def _request_models() -> dict[str, type]:
    from chalicelib.models.common import Strict

    out: dict[str, type] = {}
    pending = list(Strict.__subclasses__())
    while pending:
        cls = pending.pop()
        out.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    return out


def _model_named(name: str) -> Any:
    return _request_models().get(name) if name else None


def _is_model(tp: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _strip(tp: Any) -> Any:
    """Annotated[X, ...] → X; Optional[X] → X."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _members(tp: Any) -> list[Any]:
    tp = _strip(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [_strip(a) for a in typing.get_args(tp) if a is not type(None)]
    return []


def _item_type(tp: Any) -> Any:
    tp = _strip(tp)
    if typing.get_origin(tp) in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        return args[0] if args else Any
    return None


@dataclass
class _Place:
    path: list[str]          # the field's dotted path, as the caller wrote it
    parent: Any              # the model holding the last field (or None)
    annotation: Any          # the type at that place (or None)
    union_tag: str | None    # the union branch the error belongs to, if any
    union_at: tuple[str, ...] = ()


def _walk(loc: tuple[Any, ...], root: Any) -> _Place:
    path: list[str] = []
    parent: Any = None
    current: Any = root
    tag: str | None = None
    union_at: tuple[str, ...] = ()
    for segment in loc:
        if segment == "body" and not path and current is root and not (
                _is_model(root) and "body" in root.model_fields):
            continue
        stripped = _strip(current) if current is not None else None
        if stripped is not None and _is_model(stripped) and isinstance(segment, str) \
                and segment in stripped.model_fields:
            parent = stripped
            current = stripped.model_fields[segment].annotation
            path.append(segment)
        elif isinstance(segment, int):
            current = _item_type(current) if current is not None else None
            path.append(str(segment))
        elif stripped is not None and _members(stripped) and isinstance(segment, str):
            # a union's branch (pydantic names it: "NewAttachment", "constrained-str", "str"...)
            tag, union_at = segment, tuple(path)
            chosen = next((m for m in _members(stripped) if getattr(m, "__name__", None) == segment), None)
            if chosen is None:
                chosen = next((m for m in _members(stripped) if not _is_model(m)), None)
            current = chosen
        else:
            path.append(str(segment))
            current = None
    return _Place(path, parent, current, tag, union_at)


def _without_union_noise(items: list[dict[str, Any]], root: Any) -> list[dict[str, Any]]:
    """A value checked against a union fails every branch; keep the branch the value was meant for.

    A branch that only says "wrong kind of value" is dropped when another branch has a real problem; when every
    branch says so, one problem ``union`` remains, saying which kinds are accepted.
    """
    groups: dict[tuple[str, ...], list[tuple[dict[str, Any], _Place]]] = {}
    out: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        place = _walk(tuple(item.get("loc", ())), root)
        if place.union_tag is None:
            out.append((index, item))
        else:
            groups.setdefault(place.union_at, []).append((item, place))
    for union_at, members in groups.items():
        first_index = items.index(members[0][0])
        branches: dict[str, list[dict[str, Any]]] = {}
        for item, place in members:
            branches.setdefault(place.union_tag or "", []).append(item)
        real = {tag: errs for tag, errs in branches.items()
                if not (len(errs) == 1 and errs[0]["type"] in TYPE_ERRORS
                        and len(_walk(tuple(errs[0]["loc"]), root).path) == len(union_at))}
        if real:
            for errs in real.values():
                out.extend((first_index, e) for e in errs)
        else:
            loc = tuple(members[0][0]["loc"])
            cut = next(i for i in range(len(loc) + 1) if len(_walk(loc[:i], root).path) == len(union_at)
                       and _walk(loc[:i + 1], root).union_tag is not None)
            union_type = _walk(loc[:cut], root).annotation
            out.append((first_index, {"type": "union", "loc": loc[:cut], "input": members[0][0].get("input"),
                                      "ctx": {"accepted": _kinds(union_type)}}))
    out.sort(key=lambda pair: pair[0])
    return [item for _, item in out]


# -- sentences ---------------------------------------------------------------------------------------------------
def kind_of_value(value: Any) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "empty text" if not value else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "another kind of value"


def _kinds(tp: Any) -> str:
    """The kinds of value a union accepts, in words."""
    words = []
    for member in _members(tp) or [tp]:
        if _is_model(member):
            required = [name for name, f in member.model_fields.items() if f.is_required()]
            fields = _and(f"'{n}'" for n in required) if required else "its fields"
            words.append(f"{_noun(member)} (an object with {fields})")
        elif member is str:
            words.append("an id (text)" if _is_constrained(_member_raw(tp, member)) else "text")
        else:
            words.append(_TYPE_WORDS.get(getattr(member, "__name__", ""), "a value"))
    return " or ".join(words)


def _member_raw(tp: Any, member: Any) -> Any:
    """The union member as written (still Annotated), for the member ``member`` of ``tp``."""
    for raw in typing.get_args(_strip(tp)):
        if _strip(raw) is member:
            return raw
    return member


def _is_constrained(tp: Any) -> bool:
    return typing.get_origin(tp) is typing.Annotated


_TYPE_WORDS = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false",
               "Decimal": "a number", "date": "a date", "datetime": "a date and time", "list": "a list"}


def _and(words: Any) -> str:
    items = [str(word) for word in words]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _or(words: Any) -> str:
    items = [str(word) for word in words]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _number(value: Any) -> str:
    """1000000 → "1,000,000"; 0.5 → "0.5"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (isinstance(value, float | Decimal) and value == int(value)):
        return f"{int(value):,}"
    return str(value)


def _noun(model: Any) -> str:
    return str(getattr(model, "noun", "") or DEFAULT_NOUN)


def _quoted_value(value: Any) -> str:
    """A value the caller sent, repeated only when it is short text or a number (never an object)."""
    if isinstance(value, str) and 0 < len(value) <= 40 and value.isprintable():
        return f"'{value}'"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and abs(value) < 1e15:
        return _number(value)
    return kind_of_value(value)


def _expected_literals(ctx: dict[str, Any]) -> str:
    """pydantic's "'a', 'b' or 'c'" kept as it is: it is already how a person lists choices."""
    return str(ctx.get("expected", "one of the accepted values"))


def _predicate(item: dict[str, Any], place: _Place) -> tuple[str, str]:
    """(code, what the field must be) for one pydantic error."""
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    value = item.get("input")
    got = kind_of_value(value)

    def n(key: str) -> str:
        return _number(ctx.get(key))

    simple: dict[str, str] = {
        "string_type": f"must be text, not {got}",
        "int_type": f"must be a whole number, not {got}",
        "int_parsing": f"must be a whole number, not {got}",
        "int_from_float": f"must be a whole number, not {_quoted_value(value)}",
        "float_type": f"must be a number, not {got}",
        "float_parsing": f"must be a number, not {got}",
        "decimal_type": f"must be a number, not {got}",
        "decimal_parsing": f"must be a number, not {got}",
        "finite_number": "must be a finite number",
        "bool_type": f"must be true or false, not {got}",
        "bool_parsing": f"must be true or false, not {got}",
        "list_type": f"must be a list, not {got}",
        "dict_type": f"must be an object, not {got}",
        "model_type": f"must be an object ({_noun(_strip(place.annotation))}), not {got}"
        if _is_model(_strip(place.annotation)) else f"must be an object, not {got}",
        "model_attributes_type": f"must be an object, not {got}",
        "date_type": f"must be a date written YYYY-MM-DD (for example 2026-12-03), not {got}",
        "date_parsing": "must be a date written YYYY-MM-DD (for example 2026-12-03)",
        "date_from_datetime_parsing": "must be a date written YYYY-MM-DD (for example 2026-12-03)",
        "date_from_datetime_inexact": "must be a date without a time, written YYYY-MM-DD (for example 2026-12-03)",
        "datetime_type": f"must be a date and time in ISO-8601 (for example 2026-12-03T09:00:00Z), not {got}",
        "datetime_parsing": "must be a date and time in ISO-8601, for example 2026-12-03T09:00:00Z",
        "datetime_from_date_parsing": "must be a date and time in ISO-8601, for example 2026-12-03T09:00:00Z",
        "datetime_object_invalid": "must be a date and time that exists in the calendar",
        "timezone_naive": "must be a date and time without a time zone",
        "timezone_aware": "must be a date and time with its time zone, for example 2026-12-03T09:00:00+01:00",
        "greater_than": f"must be more than {n('gt')}",
        "greater_than_equal": f"must be at least {n('ge')}",
        "less_than": f"must be less than {n('lt')}",
        "less_than_equal": f"must be at most {n('le')}",
        "multiple_of": f"must be a multiple of {n('multiple_of')}",
        "decimal_max_places": f"must have at most {n('decimal_places')} decimal places",
        "decimal_max_digits": f"must have at most {n('max_digits')} digits",
        "decimal_whole_digits": f"must have at most {n('whole_digits')} digits before the decimal point",
        "string_unicode": "must be valid text (UTF-8)",
        "none_required": "must be left out",
        "json_invalid": "must hold valid JSON",
        "recursion_loop": "is nested too deeply",
        "recursion_depth_exceeded": "is nested too deeply",
        "union": f"must be {ctx.get('accepted', 'another kind of value')}, not {got}",
    }
    if kind in simple:
        if kind.startswith("date"):
            code = "invalid_date"
        elif kind.startswith(("greater", "less", "multiple")):
            code = "out_of_range"
        elif kind.endswith(("_type", "_parsing", "_from_float")) or kind == "union":
            code = "wrong_type"
        else:
            code = "invalid_field"
        return code, simple[kind]
    if kind == "string_too_short":
        least = int(ctx.get("min_length", 1))
        if least <= 1:
            return "empty_field", "must not be empty"
        return "too_short", f"must have at least {_number(least)} characters"
    if kind == "string_too_long":
        return "too_long", (f"must have at most {n('max_length')} characters"
                            + (f" (it has {_number(len(value))})" if isinstance(value, str) else ""))
    if kind == "too_short":
        least = int(ctx.get("min_length", 1))
        return "too_few_items", f"must hold at least {_number(least)} item{'s' if least != 1 else ''}"
    if kind == "too_long":
        return "too_many_items", (f"must hold at most {n('max_length')} items"
                                  + (f", not {n('actual_length')}" if ctx.get("actual_length") is not None else ""))
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return "invalid_format", PATTERNS.get(pattern, "is not written in the expected format")
    if kind in ("literal_error", "enum"):
        return "invalid_choice", f"must be {_expected_literals(ctx)}, not {_quoted_value(value)}"
    if kind in ("value_error", "assertion_error"):
        text = str(item.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return "invalid_field", _sentence_tail(text)
    # our own rules: PydanticCustomError whose message is the end of the sentence
    text = str(item.get("msg", ""))
    if text and not _sounds_like_pydantic(text):
        return str(ctx.get("code") or "invalid_field"), _sentence_tail(text)
    return "invalid_field", "is not valid"


_PYDANTIC_WORDING = re.compile(r"Input should|Field required|Extra inputs|String should|should match pattern|"
                               r"Value error|valid dictionary|instance of|List should", re.IGNORECASE)


def _sounds_like_pydantic(text: str) -> bool:
    return bool(_PYDANTIC_WORDING.search(text))


def _sentence_tail(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _problem(item: dict[str, Any], root: Any, prefix: str) -> Problem:
    loc = tuple(item.get("loc", ()))
    ctx = item.get("ctx") or {}
    place = _walk(loc, root)
    path = list(place.path)
    if ctx.get("field"):  # a rule across fields names the field it is about
        path.append(str(ctx["field"]))
    field = prefix + ".".join(path) if path else prefix.rstrip(".")
    kind = item.get("type", "")

    if kind == "extra_forbidden" and path:
        name = path[-1]
        owner = _owner_of(loc, root)
        known = list(owner.model_fields) if _is_model(owner) else []
        where = _noun(owner) if owner is not None else DEFAULT_NOUN
        text = f"'{name}' is not a field of {where}"
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if close:
            text += f"; did you mean '{close[0]}'?"
        elif known:
            text += f"; its fields are {_and(repr(k) for k in known)}."
        else:
            text += "."
        return Problem(field, "unknown_field", _capital(text))
    if kind == "missing":
        return Problem(field, "missing_field", f"The field '{field}' is required.")
    code, predicate = _predicate(item, place)
    code = str(ctx.get("code") or code)
    if not field:
        return Problem("", code, _capital(f"The request {predicate}."))
    return Problem(field, code, f"The field '{field}' {predicate}.")


def _owner_of(loc: tuple[Any, ...], root: Any) -> Any:
    """The model an unknown field was sent to (the model at the location minus its last segment)."""
    if not loc[:-1]:
        return root
    place = _walk(loc[:-1], root)
    owner = _strip(place.annotation)
    return owner if _is_model(owner) else place.parent


def _capital(text: str) -> str:
    if text.startswith("'"):
        return text
    return text[:1].upper() + text[1:]


__all__ = ["PATTERNS", "Problem", "field_errors", "invalid_input", "kind_of_value", "problems", "validation_message"]
