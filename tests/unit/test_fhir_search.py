"""Search parameters: what is supported, 400 versus 422, dates with prefixes, and cursor paging."""

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from fhir_support import T0, document, r4
from helpers import make_nir
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.documents import Status
from chalicelib.errors import InvalidInput, MalformedRequest
from chalicelib.fhir import build, bundles
from chalicelib.fhir.search import SEARCH_PARAMS, TimeRange, parse_date, parse_search

INS = make_nir()
PID = f"urn:oid:1.2.250.1.213.1.4.8|{INS}"


def search(**params):
    return parse_search("DocumentReference", {"patient.identifier": PID, **params})


def test_the_patient_by_identifier_or_by_reference():
    assert search().ins == INS
    assert parse_search("DocumentReference", {"patient": f"Patient/{INS}"}).ins == INS
    assert parse_search("DocumentReference", {"patient": f"https://api.example/fhir/Patient/{INS}"}).ins == INS
    assert parse_search("Patient", {"identifier": PID}).ins == INS


@pytest.mark.parametrize(("params", "error", "code"), [
    ({"colour": "blue"}, MalformedRequest, "unknown_parameter"),
    ({"type:not": "11488-4"}, MalformedRequest, "unsupported_modifier"),
    ({"date": "sa2026-01-01"}, MalformedRequest, "unsupported_prefix"),
    ({"date": "yesterday"}, MalformedRequest, "invalid_date"),
    ({"date": "2026-02-30"}, MalformedRequest, "invalid_date"),
    ({"_count": "ten"}, MalformedRequest, "invalid_count"),
    ({"_cursor": "not-a-cursor"}, MalformedRequest, "invalid_cursor"),
    ({"_count": "0"}, InvalidInput, "invalid_limit"),
    ({"_count": "101"}, InvalidInput, "invalid_limit"),
    ({"status": "entered-in-error"}, InvalidInput, "unknown_status"),
    ({"type": "http://loinc.org|99999-9"}, InvalidInput, "unknown_type_code"),
    ({"type": "http://snomed.info/sct|11488-4"}, InvalidInput, "unknown_system"),
    ({"category": "RECETTES"}, InvalidInput, "unknown_category"),
    ({"security-label": "R"}, InvalidInput, "unknown_security_label"),
])
def test_unreadable_requests_are_400_and_refused_values_422(params, error, code):
    with pytest.raises(error) as caught:
        search(**params)
    assert caught.value.code == code
    assert next(iter(params)).split(":")[0] in caught.value.message


@pytest.mark.parametrize(("params", "code"), [
    ({}, "missing_parameter"),
    ({"patient.identifier": "urn:oid:1.2.250.1.213.1.4.8|180057500100169"}, "invalid_nir"),
    ({"patient.identifier": f"urn:oid:1.2.250.1.213.1.4.9|{INS}"}, "unsupported_identifier"),
    ({"patient.identifier": f"urn:oid:1.2.3|{INS}"}, "unsupported_identifier"),
    ({"patient": f"Practitioner/{INS}"}, "invalid_reference"),
    ({"patient.identifier": PID, "patient": f"Patient/{make_nir(2)}"}, "several_patients"),
])
def test_the_patient_must_be_one_valid_ins_nir(params, code):
    with pytest.raises((InvalidInput, MalformedRequest)) as caught:
        parse_search("DocumentReference", params)
    assert caught.value.code == code


def test_lenient_handling_ignores_unknown_parameters_and_format_is_always_accepted():
    assert parse_search("DocumentReference", {"patient.identifier": PID, "colour": "blue", "_format": "json"},
                        lenient=True).ins == INS


def test_tokens_or_within_a_parameter_and_and_across_repetitions():
    found = search(type="http://loinc.org|11488-4,11502-2", category="biologie")
    assert found.type_codes == {"11488-4", "11502-2"} and found.categories == {"BIOLOGIE"}
    assert search(status=["current,superseded", "superseded"]).statuses == {"superseded"}


def test_filters_a_document():
    doc = document(ins=INS, masked=True)
    assert search(status="current").accepts_document(doc)
    assert not search(status="superseded").accepts_document(doc)
    assert search(**{"security-label": "MASQUE_PS"}).accepts_document(doc)
    assert not search(**{"security-label": "N"}).accepts_document(doc)
    assert search(**{"security-label": "N"}).accepts_document(document(ins=INS))
    assert not search(type="11502-2").accepts_document(doc)
    assert search(category="CPT_REND").accepts_document(doc)
    assert search(status="superseded").accepts_document(document(ins=INS, status=Status.SUPERSEDED))
    assert search(date="ge2026-11-22", creation="le2026-11-22").accepts_document(doc)
    assert not search(date="gt2026-11-22").accepts_document(doc)
    assert not search(date="lt2026-11-22T09:00:00Z").accepts_document(doc)


def test_a_date_covers_its_precision():
    assert parse_date("2026", "date") == TimeRange(dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                                                   dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert parse_date("gt2026-02", "date") == TimeRange(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), None)
    assert parse_date("le2026-02-28", "date").end == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert parse_date("2026-11-22T10:00+01:00", "date") == TimeRange(T0, T0 + dt.timedelta(minutes=1))


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1)),
       st.sampled_from(["eq", "ge", "gt", "le", "lt"]), st.dates(min_value=dt.date(2000, 1, 1),
                                                                 max_value=dt.date(2040, 1, 1)))
def test_date_prefixes_mean_what_fhir_says(at, prefix, day):
    moment = at.replace(tzinfo=dt.UTC)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    expected = {"eq": start <= moment < end, "ge": moment >= start, "gt": moment >= end, "le": moment < end,
                "lt": moment < start}[prefix]
    assert parse_date(f"{prefix}{day.isoformat()}", "date").contains(moment) == expected


def _next_params(url):
    return {k: v for k, v in parse_qs(urlparse(url).query).items()}


def test_the_next_link_carries_a_cursor_bound_to_its_search_and_the_last_page_knows_the_total():
    first = search(status="current", _count="2")
    assert first.count == 2 and first.cursor is None
    url = first.next_url("https://api.example/fhir", "repository-cursor-1", returned=2)
    assert "offset" not in url and "_cursor=" in url and url.startswith("https://api.example/fhir/DocumentReference?")
    assert first.total(2, "repository-cursor-1") is None  # more pages: not known without reading them
    second = parse_search("DocumentReference", _next_params(url))
    assert second.cursor == "repository-cursor-1" and second.matched == 2 and second.count == 2
    assert second.total(1, None) == 3  # the last page: exact, with no extra read
    other = _next_params(url) | {"status": ["superseded"]}
    with pytest.raises(MalformedRequest, match="belongs to another search"):
        parse_search("DocumentReference", other)


def test_a_searchset_page_validates_with_its_links_and_total():
    docs = [build.document_reference(document(ins=INS, document_id=f"d{i}"), f"Binary/d{i}") for i in range(2)]
    found = search(_count="2")
    page = bundles.searchset(docs, "https://api.example/fhir", found.self_url("https://api.example/fhir"),
                             found.next_url("https://api.example/fhir", "c", 2), found.total(2, "c"))
    data = r4(page)
    assert data["type"] == "searchset" and "total" not in data
    assert [link["relation"] for link in data["link"]] == ["self", "next"]
    assert data["entry"][0]["fullUrl"] == "https://api.example/fhir/DocumentReference/d0"
    last = r4(bundles.searchset([], "https://api.example/fhir", found.self_url("https://x"), None, 0))
    assert last["total"] == 0 and "entry" not in last


def test_every_declared_search_parameter_is_read():
    for kind, params in SEARCH_PARAMS.items():
        assert {p.name for p in params} >= ({"identifier"} if kind == "Patient" else {"patient"})
