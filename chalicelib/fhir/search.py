"""Search parameters of the FHIR interface: the declaration of what is supported, and their parsing.

:data:`SEARCH_PARAMS` declares, per resource type, the parameters ens implements; the CapabilityStatement is
generated from it (:mod:`chalicelib.fhir.capability`) and :func:`parse_search` refuses anything else.

Which errors (docs/fhir.md, "Errors"):

* **400** (MalformedRequest): the request cannot be read: an unknown or unsupported parameter or modifier
  (unless ``Prefer: handling=lenient``), a date or ``_count`` that is not a date or a number, an unknown date
  prefix, a cursor that is not one of ens's or belongs to another search, no patient at all;
* **422** (InvalidInput), as the REST routes: a readable value that ens's rules refuse: an invalid INS, an INS-NIA,
  an identifier system ens does not know, a document type outside the published list, an unknown category,
  status or security label, ``_count`` outside 1-100.

Paging is by cursor, never by offset: ``_cursor`` wraps the repository's cursor (the key of the last item
returned) and the number of matches already returned, so that the last page knows the exact ``total`` without
any extra read. The cursor is bound to the search it came from.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from chalicelib.errors import InvalidInput, MalformedRequest
from chalicelib.fhir import codes

DEFAULT_COUNT = 50  # as the REST listings
MAX_COUNT = 100
CURSOR = "_cursor"
SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates: a str that is not UTF-8 text


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR search parameter type: token | reference | date | number | special
    documentation: str
    definition: str | None = None  # canonical SearchParameter URL


def _base(resource: str, name: str) -> str:
    return f"http://hl7.org/fhir/SearchParameter/{resource}-{name}"


PATIENT_PARAMS = (
    SearchParam("patient", "reference", "The patient: Patient/{INS} (or the INS alone)."),
    SearchParam("patient.identifier", "token", f"The patient's INS-NIR: {codes.INS_NIR}|{{INS}} (chained)."),
)
TOTAL = "_total"
TOTAL_MODES = ("none", "estimate", "accurate")
PAGING_PARAMS = (
    SearchParam("_count", "number", f"Page size, 1-{MAX_COUNT} (default {DEFAULT_COUNT})."),
    SearchParam(CURSOR, "special", "The cursor of the next page, as given in Bundle.link 'next'."),
    SearchParam(TOTAL, "special", "accurate (default: Bundle.total on every page, a count over the patient's "
                                  "items) or none (no count: total only when it is known for free, on the last "
                                  "page); estimate is read as accurate."),
)
SEARCH_PARAMS: dict[str, tuple[SearchParam, ...]] = {
    "Patient": (
        SearchParam("identifier", "token", f"The INS-NIR: {codes.INS_NIR}|{{INS}}.", _base("Patient", "identifier")),
        SearchParam("_id", "token", "The Patient's id (its INS)."),
    ),
    "DocumentReference": (
        *PATIENT_PARAMS,
        SearchParam("status", "token", "current | superseded (default: both).",
                    _base("DocumentReference", "status")),
        SearchParam("type", "token", f"The LOINC document type ({codes.LOINC}|code).",
                    _base("DocumentReference", "type")),
        SearchParam("category", "token", f"ens's category ({codes.ENS_CATEGORY}|code, e.g. BIOLOGIE).",
                    _base("DocumentReference", "category")),
        SearchParam("date", "date", "When the document was added (ge, le, gt, lt, eq).",
                    _base("DocumentReference", "date")),
        SearchParam("creation", "date", "When the document was created; ens knows one date for both (MHD).",
                    "https://profiles.ihe.net/ITI/MHD/SearchParameter/DocumentReference-Creation"),
        SearchParam("security-label", "token", f"{codes.MASQUE_PS}, {codes.INVISIBLE_PATIENT} ({codes.TRE_A07}) "
                                               f"or {codes.NORMAL} ({codes.V3_CONFIDENTIALITY}).",
                    _base("DocumentReference", "security-label")),
        *PAGING_PARAMS,
    ),
    "Observation": (
        *PATIENT_PARAMS,
        SearchParam("code", "token", f"The LOINC code of the measurement ({codes.LOINC}|code).",
                    _base("clinical", "code")),
        SearchParam("date", "date", "When it was measured (ge, le, gt, lt, eq).", _base("clinical", "date")),
        *PAGING_PARAMS,
    ),
    "Immunization": (*PATIENT_PARAMS, *PAGING_PARAMS),
    "AllergyIntolerance": PATIENT_PARAMS,
    "AuditEvent": (
        *PATIENT_PARAMS,
        SearchParam("date", "date", "When the access happened (ge, le, gt, lt, eq).", _base("AuditEvent", "date")),
        *PAGING_PARAMS,
    ),
}
IGNORED = frozenset({"_format", "_pretty"})  # accepted, no effect: ens answers FHIR JSON
DOCUMENT_STATUSES = ("current", "superseded")
SECURITY_LABELS = {codes.MASQUE_PS: codes.TRE_A07, codes.INVISIBLE_PATIENT: codes.TRE_A07,
                   codes.NORMAL: codes.V3_CONFIDENTIALITY}
PREFIXES = ("eq", "ge", "le", "gt", "lt")


# -- dates ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeRange:
    """Half-open interval [start, end) in UTC; None is unbounded."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def contains(self, value: dt.datetime) -> bool:
        return (self.start is None or value >= self.start) and (self.end is None or value < self.end)

    def meet(self, other: TimeRange) -> TimeRange:
        start = max((t for t in (self.start, other.start) if t is not None), default=None)
        end = min((t for t in (self.end, other.end) if t is not None), default=None)
        return TimeRange(start, end)

    @property
    def empty(self) -> bool:
        return self.start is not None and self.end is not None and self.start >= self.end


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                   r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")


def _precision_range(text: str, name: str) -> TimeRange:
    """The interval a FHIR date value covers at its precision: ``2026`` is the whole year."""
    from dateutil.relativedelta import relativedelta

    match = _DATE.match(text)
    if not match:
        raise MalformedRequest(f"The parameter '{name}' has '{text}', which is not a FHIR date (YYYY, YYYY-MM, "
                               "YYYY-MM-DD or an ISO-8601 date-time).", code="invalid_date", field=name)
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        if hour is not None:
            tz = dt.UTC if zone in (None, "Z") else dt.datetime.strptime(zone, "%z").tzinfo
            start = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                                tzinfo=tz).astimezone(dt.UTC)
            step = relativedelta(seconds=1) if second is not None else relativedelta(minutes=1)
        else:
            start = dt.datetime(int(year), int(month or 1), int(day or 1), tzinfo=dt.UTC)
            step = relativedelta(days=1) if day else relativedelta(months=1) if month else relativedelta(years=1)
    except ValueError as error:
        raise MalformedRequest(f"The parameter '{name}' has '{text}', which is not a real date.",
                               code="invalid_date", field=name) from error
    return TimeRange(start, start + step)


def parse_date(value: str, name: str) -> TimeRange:
    """One date parameter value with its prefix (``ge2026-01-01``) as the interval of matching instants."""
    prefixed = value[:2].isalpha() and value[2:3].isdigit()
    prefix, text = (value[:2], value[2:]) if prefixed else ("eq", value)
    if prefix not in PREFIXES:
        raise MalformedRequest(f"The parameter '{name}' uses the prefix '{prefix}'; ens supports "
                               f"{', '.join(PREFIXES)}.", code="unsupported_prefix", field=name)
    span = _precision_range(text, name)
    return {"eq": span, "ge": TimeRange(span.start, None), "gt": TimeRange(span.end, None),
            "le": TimeRange(None, span.end), "lt": TimeRange(None, span.start)}[prefix]


# -- tokens and references -----------------------------------------------------------------------------------------
def split_token(value: str) -> tuple[str | None, str]:
    """``system|code`` -> (system, code); ``|code`` -> ("", code); ``code`` -> (None, code)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def _ins(value: str, name: str) -> str:
    from chalicelib.domain.identity import check_nir

    return check_nir(value.strip(), field=name)


def patient_from_identifier(value: str, name: str) -> str:
    system, ins = split_token(value)
    if system == codes.INS_NIA:
        raise InvalidInput(f"The parameter '{name}' carries an INS-NIA (provisional INS, {codes.INS_NIA}); ens "
                           f"knows patients by their INS-NIR ({codes.INS_NIR}).", code="unsupported_identifier",
                           field=name)
    if system not in (None, "", codes.INS_NIR):
        raise InvalidInput(f"The parameter '{name}' must be an INS-NIR: {codes.INS_NIR}|{{INS}}, not a "
                           f"'{system}' identifier.", code="unsupported_identifier", field=name)
    return _ins(ins, name)


def patient_from_reference(value: str, name: str) -> str:
    text = value.strip()
    if "/" in text:
        kind, _, ident = text.rstrip("/").rpartition("/")
        if not kind.endswith("Patient"):
            raise InvalidInput(f"The parameter '{name}' must reference a Patient (Patient/{{INS}}), not '{text}'.",
                               code="invalid_reference", field=name)
        text = ident
    return _ins(text, name)


# -- the cursor -----------------------------------------------------------------------------------------------------
def _fingerprint(resource_type: str, canonical: list[tuple[str, str]]) -> str:
    return hashlib.sha256(f"{resource_type}?{urlencode(canonical)}".encode()).hexdigest()[:12]


def encode_cursor(inner: str, matched: int, fingerprint: str) -> str:
    raw = json.dumps({"c": inner, "n": matched, "q": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, fingerprint: str) -> tuple[str, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        inner, matched, bound = raw["c"], raw["n"], raw["q"]
        if not isinstance(inner, str) or not isinstance(matched, int) or matched < 0:
            raise ValueError("bad cursor")
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedRequest(f"The parameter '{CURSOR}' is not a cursor ens gave: take the 'next' link of the "
                               "previous page.", code="invalid_cursor", field=CURSOR) from error
    if bound != fingerprint:
        raise MalformedRequest(f"The parameter '{CURSOR}' belongs to another search: keep the search parameters "
                               "of the page it came from.", code="invalid_cursor", field=CURSOR)
    return inner, matched


# -- the parsed search ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Search:
    """A parsed search. Empty sets mean "no filter"; ``cursor`` is the repository's own cursor."""

    resource_type: str
    ins: str
    count: int = DEFAULT_COUNT
    cursor: str | None = None
    matched: int = 0  # matches returned by the pages before this one
    statuses: frozenset[str] = frozenset()
    type_codes: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    security_labels: frozenset[str] = frozenset()
    when: TimeRange = field(default_factory=TimeRange)
    total_mode: str = "accurate"  # _total: none skips the count of the matches
    canonical: tuple[tuple[str, str], ...] = ()  # the parameters, normalised, for links and the cursor binding

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.resource_type, list(self.canonical))

    # what the repository cannot filter itself ---------------------------------------------------------------
    def accepts_document(self, doc: Any) -> bool:
        """Status, type, category, date and security-label filters (the access rules are the Grant's)."""
        from chalicelib.fhir.build import document_status

        status, _ = document_status(doc)
        if self.statuses and status not in self.statuses:
            return False
        if self.type_codes and doc.type_code not in self.type_codes:
            return False
        if self.categories and doc.category not in self.categories:
            return False
        if not self.when.contains(doc.created_at):
            return False
        if self.security_labels:
            labels = ({codes.MASQUE_PS} if doc.masked else set()) | (
                {codes.INVISIBLE_PATIENT} if doc.hidden_from_patient else set())
            if not (labels or {codes.NORMAL}) & self.security_labels:
                return False
        return True

    def accepts_code(self, code: str) -> bool:
        return not self.codes or code in self.codes

    def accepts_time(self, at: dt.datetime) -> bool:
        return self.when.contains(at)

    # links ---------------------------------------------------------------------------------------------------
    @property
    def counted(self) -> bool:
        """Whether the answer gives ``total`` on every page (a count), or only when it is free (``_total=none``)."""
        return self.total_mode != "none"

    def url(self, base: str, cursor: str | None = None, matched: int | None = None) -> str:
        params = [*self.canonical, ("_count", str(self.count))]
        if not self.counted:
            params.append((TOTAL, self.total_mode))
        if cursor:
            params.append((CURSOR, encode_cursor(cursor, matched or 0, self.fingerprint)))
        return f"{base.rstrip('/')}/{self.resource_type}?{urlencode(params)}"

    def self_url(self, base: str) -> str:
        return self.url(base)

    def next_url(self, base: str, next_cursor: str | None, returned: int) -> str | None:
        """The ``next`` link for a page of ``returned`` matches whose repository cursor is ``next_cursor``."""
        return self.url(base, next_cursor, self.matched + returned) if next_cursor else None

    def total(self, returned: int, next_cursor: str | None) -> int | None:
        """Exact on the last page (no extra read); unknown (None) while there are more pages."""
        return None if next_cursor else self.matched + returned


def _values(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((str(name), "" if item is None else str(item)))
    return pairs


def _is_text(value: str) -> bool:
    """Whether ``value`` encodes as UTF-8 (no lone surrogate, which a decoded query string can still carry)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(value: str) -> str:
    """``value`` with any lone surrogate replaced by U+FFFD, so that an answer echoing it stays valid UTF-8."""
    return SURROGATE.sub("\ufffd", value)


def parse_search(resource_type: str, params: Mapping[str, Any], *, lenient: bool = False) -> Search:
    """Read the query string of a search on ``resource_type`` (values may be lists: repeated parameters AND,
    comma-separated values OR). ``lenient`` (``Prefer: handling=lenient``) ignores unknown parameters."""
    declared = {p.name: p for p in SEARCH_PARAMS.get(resource_type, ())}
    if not declared:
        raise MalformedRequest(f"ens does not search {resource_type} resources (GET /fhir/metadata lists what it "
                               "supports).", code="unsupported_resource")
    found: dict[str, list[str]] = {}
    for name, value in _values(params):
        if not (_is_text(name) and _is_text(value)):  # a lone surrogate: not text any client meant to send
            shown = printable(name)
            raise MalformedRequest(f"The search parameter '{shown}' has characters that are not valid text "
                                   "(encode the query string as UTF-8).", code="invalid_characters", field=shown)
        base_name, _, modifier = name.partition(":")
        if base_name in IGNORED:
            continue
        if base_name not in declared:
            if lenient:
                continue
            raise MalformedRequest(f"The search parameter '{name}' is not supported on {resource_type}; ens "
                                   f"supports {', '.join(declared)}.", code="unknown_parameter", field=name)
        if modifier:
            raise MalformedRequest(f"The modifier ':{modifier}' of '{base_name}' is not supported.",
                                   code="unsupported_modifier", field=name)
        found.setdefault(base_name, []).append(value)
    return _build(resource_type, found)


def _one(found: dict[str, list[str]], name: str) -> str | None:
    values = found.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise MalformedRequest(f"The parameter '{name}' is given {len(values)} times; give it once.",
                               code="repeated_parameter", field=name)
    return values[0]


def _tokens(found: dict[str, list[str]], name: str, system: str, check: Any) -> frozenset[str]:
    """AND of repeated parameters, each an OR of comma-separated tokens of ``system``."""
    result: frozenset[str] | None = None
    for value in found.get(name, []):
        alternatives = set()
        for token in (v for v in value.split(",") if v.strip()):
            given, code = split_token(token.strip())
            if given not in (None, "") and given != system and not (
                    name == "security-label" and given in (codes.TRE_A07, codes.TRE_A07_OID,
                                                           codes.V3_CONFIDENTIALITY)):
                raise InvalidInput(f"The parameter '{name}' uses the code system '{given}'; ens uses {system}.",
                                   code="unknown_system", field=name)
            alternatives.add(check(code, name))
        result = frozenset(alternatives) if result is None else result & alternatives
    return result if result is not None else frozenset()


def _member(allowed: Any, code: str) -> Any:
    """A check that a token is one of ``allowed`` (422 naming the parameter and the choices otherwise)."""

    def check(value: str, name: str) -> str:
        if value not in allowed:
            raise InvalidInput(f"The parameter '{name}' must be one of {', '.join(allowed)}, not '{value}'.",
                               code=code, field=name)
        return value

    return check


_status = _member(DOCUMENT_STATUSES, "unknown_status")
_label = _member(tuple(SECURITY_LABELS), "unknown_security_label")


def _type(value: str, name: str) -> str:
    from chalicelib.domain.authorization_matrix import document_type

    if document_type(value) is None:
        raise InvalidInput(f"The parameter '{name}' '{value}' is not in the published list of document types "
                           "(GET /document-types).", code="unknown_type_code", field=name)
    return value


def _category(value: str, name: str) -> str:
    from chalicelib.domain.authorization_matrix import normalise_category

    found = normalise_category(value)
    if found is None:
        raise InvalidInput(f"The parameter '{name}' '{value}' is not a known category (GET /document-types lists "
                           "them).", code="unknown_category", field=name)
    return found


def _measurement(value: str, name: str) -> str:
    from chalicelib.domain.measurements import measurement_types
    from chalicelib.fhir.codes import BP_PANEL

    if value not in measurement_types() and value != BP_PANEL:
        raise InvalidInput(f"The parameter '{name}' '{value}' is not a measurement ens records "
                           f"({', '.join(measurement_types())}).", code="unknown_measurement", field=name)
    return value


def _count(found: dict[str, list[str]]) -> int:
    raw = _one(found, "_count")
    if raw is None or raw == "":
        return DEFAULT_COUNT
    if not raw.strip().isdigit():
        raise MalformedRequest(f"The parameter '_count' must be a whole number, not '{raw}'.", code="invalid_count",
                               field="_count")
    count = int(raw)
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(f"The parameter '_count' must be a whole number from 1 to {MAX_COUNT}.",
                           code="invalid_limit", field="_count")
    return count


def _total(found: dict[str, list[str]]) -> str:
    raw = _one(found, TOTAL)
    if raw is None or raw == "":
        return "accurate"
    if raw not in TOTAL_MODES:
        raise InvalidInput(f"The parameter '{TOTAL}' must be one of {', '.join(TOTAL_MODES)}, not '{raw}'.",
                           code="invalid_total", field=TOTAL)
    return raw


def _patient(resource_type: str, found: dict[str, list[str]]) -> str:
    if resource_type == "Patient":
        candidates = [patient_from_identifier(v, "identifier") for v in found.get("identifier", [])]
        candidates += [_ins(v, "_id") for v in found.get("_id", [])]
        names = "'identifier' (" + codes.INS_NIR + "|{INS})"
    else:
        candidates = [patient_from_identifier(v, "patient.identifier") for v in found.get("patient.identifier", [])]
        candidates += [patient_from_reference(v, "patient") for v in found.get("patient", [])]
        names = f"'patient.identifier' ({codes.INS_NIR}|{{INS}}) or 'patient' (Patient/{{INS}})"
    if not candidates:
        raise MalformedRequest(f"A {resource_type} search needs the patient: give {names}.",
                               code="missing_parameter", field="patient")
    if len(set(candidates)) > 1:
        raise InvalidInput("The search names two different patients; ens searches one patient's space at a time.",
                           code="several_patients", field="patient")
    return candidates[0]


def _build(resource_type: str, found: dict[str, list[str]]) -> Search:
    ins = _patient(resource_type, found)
    when = TimeRange()
    for name in ("date", "creation"):
        for value in found.get(name, []):
            when = when.meet(parse_date(value, name))
    search = Search(
        resource_type=resource_type, ins=ins, count=_count(found),
        statuses=_tokens(found, "status", "", _status),
        type_codes=_tokens(found, "type", codes.LOINC, _type),
        categories=_tokens(found, "category", codes.ENS_CATEGORY, _category),
        codes=_tokens(found, "code", codes.LOINC, _measurement),
        security_labels=_tokens(found, "security-label", codes.TRE_A07, _label),
        when=when, total_mode=_total(found))
    search = replace(search, canonical=_canonical(search))
    raw = _one(found, CURSOR)
    if raw:
        inner, matched = decode_cursor(raw, search.fingerprint)
        search = replace(search, cursor=inner, matched=matched)
    return search


def _canonical(search: Search) -> tuple[tuple[str, str], ...]:
    """The search's parameters, normalised (sorted values, one date range), for links and the cursor binding."""
    from chalicelib.domain.timeutil import iso

    out: list[tuple[str, str]] = [("identifier" if search.resource_type == "Patient" else "patient.identifier",
                                   f"{codes.INS_NIR}|{search.ins}")]
    for name, values, system in (("status", search.statuses, None), ("type", search.type_codes, codes.LOINC),
                                 ("category", search.categories, codes.ENS_CATEGORY),
                                 ("code", search.codes, codes.LOINC),
                                 ("security-label", search.security_labels, None)):
        if values:
            out.append((name, ",".join(f"{system}|{v}" if system else v for v in sorted(values))))
    if search.when.start:
        out.append(("date", "ge" + iso(search.when.start)))
    if search.when.end:
        out.append(("date", "lt" + iso(search.when.end)))
    return tuple(out)
