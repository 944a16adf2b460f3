"""The API's answers: one dataclass per answer shape, at once the OpenAPI schema and the serialiser.

Each route declares its answer (``response="chalicelib.models.answers.records:DocumentView"``); :func:`serialise`
reads the service's result **by attribute** (a domain entity, a ``Page`` of them, a small result dataclass, or a
dict) into exactly the answer's fields, converting each value to JSON as its declared type says. A result that
drifts from its answer — a field missing, a value of another type, a status outside its ``Literal`` — raises
:class:`ResponseDrift` (a logged 500: it fails loudly in tests, never silently in an answer). A field left None is
left out of the answer, unless it is marked :data:`KEEP_NULL` (``next_cursor``, a profile's empty values...).

Why not pydantic here: the answers are plain dataclasses so that a request without a body (``GET /me``) never
imports pydantic — a fresh Lambda's first request pays for what it uses (``bench/coldstart.py``). The OpenAPI
document builds their JSON schemas with pydantic (``TypeAdapter``) when it is asked for; request bodies are
pydantic models (``chalicelib/models/<capability>.py``).

Nothing here imports more than the standard library and the domain's time helpers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from chalicelib.domain.timeutil import iso


class ResponseDrift(Exception):
    """A result does not fit the answer declared for its route."""


@dataclasses.dataclass(frozen=True)
class Describe:
    """A field's description in the OpenAPI document."""

    text: str


@dataclasses.dataclass(frozen=True)
class Convert:
    """Turn the result's value into the declared shape first (e.g. a set of grants into the listed form)."""

    fn: Callable[[Any], Any]


class _KeepNull:
    """Marks a field shown as null rather than left out."""


KEEP_NULL = _KeepNull()
Time = Annotated[dt.datetime, Describe("ISO-8601 UTC, e.g. 2026-11-22T09:00:00Z.")]
Cursor = Annotated[str | None, KEEP_NULL, Describe("The next page's cursor; null on the last page.")]


def answer(cls: type[Any]) -> type[Any]:
    """Declare an answer: a keyword-only dataclass (fields may be added by subclasses in any order)."""
    return dataclasses.dataclass(kw_only=True)(cls)


# -- the serialiser ----------------------------------------------------------------------------------------------
_NO_VALUE = object()
_PLANS: dict[type[Any], list[tuple[str, Any, bool, Any]]] = {}


def _plan(cls: type[Any]) -> list[tuple[str, Any, bool, Any]]:
    """(name, type, kept when null, default) for each field of an answer, resolved once per class."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        plan = []
        for f in dataclasses.fields(cls):
            hint = hints[f.name]
            kept = typing.get_origin(hint) is Annotated and any(m is KEEP_NULL for m in hint.__metadata__)
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory
            else:
                default = _NO_VALUE
            plan.append((f.name, hint, kept, default))
        _PLANS[cls] = plan
    return plan


def _read(source: Any, name: str) -> Any:
    if isinstance(source, dict):
        return source.get(name, _NO_VALUE)
    return getattr(source, name, _NO_VALUE)


def serialise(result: Any, cls: type[Any], where: str = "") -> dict[str, Any]:
    """``result`` read into the answer ``cls``, as JSON-ready data."""
    out: dict[str, Any] = {}
    for name, hint, kept, default in _plan(cls):
        value = _read(result, name)
        if value is _NO_VALUE:
            if default is _NO_VALUE:
                raise ResponseDrift(f"{where or cls.__name__}: the result has no '{name}'")
            value = default() if callable(default) else default
        converted = _convert(value, hint, f"{where or cls.__name__}.{name}")
        if converted is not None or kept:
            out[name] = converted
    return out


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is Annotated:
        for meta in hint.__metadata__:
            if isinstance(meta, Convert):
                value = meta.fn(value)
        return _convert(value, typing.get_args(hint)[0], where)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None:
            if type(None) in options:
                return None
            raise ResponseDrift(f"{where}: None where a value is required")
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, where)
            except ResponseDrift as error:
                errors.append(str(error))
        raise ResponseDrift("; ".join(errors))
    if value is None:
        if hint is Any:
            return None
        raise ResponseDrift(f"{where}: None where a value is required")
    if origin is Literal:
        plain = value.value if isinstance(value, enum.Enum) else value
        if plain not in typing.get_args(hint):
            raise ResponseDrift(f"{where}: {plain!r} is not one of {typing.get_args(hint)}")
        return plain
    if origin in (list, tuple, set, frozenset):
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise ResponseDrift(f"{where}: a list was expected")
        (item,) = typing.get_args(hint)[:1] or (Any,)
        return [_convert(v, item, f"{where}[]") for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise ResponseDrift(f"{where}: an object was expected")
        _, item = typing.get_args(hint) or (str, Any)
        return {str(k): _convert(v, item, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return serialise(value, hint, where)
    return _scalar(value, hint, where)


def _scalar(value: Any, hint: Any, where: str) -> Any:
    if hint is Any:
        return _json(value, where)
    if hint is str:
        if isinstance(value, enum.Enum):
            value = value.value
        if not isinstance(value, str):
            raise ResponseDrift(f"{where}: a string was expected, not {type(value).__name__}")
        return str(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ResponseDrift(f"{where}: a boolean was expected")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ResponseDrift(f"{where}: a whole number was expected")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ResponseDrift(f"{where}: a number was expected")
        return float(value)
    if hint is dt.datetime:
        if not isinstance(value, dt.datetime):
            raise ResponseDrift(f"{where}: a time was expected")
        return iso(value)
    if hint is dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise ResponseDrift(f"{where}: a date was expected")
        return value.isoformat()
    raise ResponseDrift(f"{where}: no rule to write a {hint!r}")


def _json(value: Any, where: str) -> Any:
    """A value declared ``Any`` (free JSON, e.g. a profile entry): JSON types only."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v, where) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise ResponseDrift(f"{where}: {type(value).__name__} is not JSON")


def descriptions(cls: type[Any]) -> dict[str, str]:
    """The fields' descriptions (``Describe``), for the OpenAPI document."""
    out = {}
    for name, hint, _, _ in _plan(cls):
        if typing.get_origin(hint) is Annotated:
            for meta in hint.__metadata__:
                if isinstance(meta, Describe):
                    out[name] = meta.text
    return out
