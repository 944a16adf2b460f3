"""Recommended vaccinations and screenings: what a patient would see in their reminders."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from chalicelib.domain import prevention
from chalicelib.domain.prevention import Recommendation, due_now, next_occurrence, occurrences, sources

D = dt.date


def _dates(recs: list[Recommendation], programme: str) -> list[dt.date]:
    return [r.due_on for r in recs if r.programme == programme]


def _lifetime(sex: str, birth: dt.date) -> list[Recommendation]:
    return occurrences(sex, birth, birth, D(birth.year + 121, 12, 31))


# --- the data file -------------------------------------------------------------------------------------------------


def test_every_programme_is_sourced_labelled_and_well_formed():
    document = json.loads(prevention.DATA_PATH.read_text(encoding="utf-8"))
    ids = [p["id"] for p in document["programmes"]]
    assert len(ids) == len(set(ids))
    for raw in document["programmes"]:
        assert raw["kind"] in ("vaccination", "screening")
        assert raw["sex"] in ("M", "F", None)
        assert raw["label"].strip() and raw["source"].strip()
    assert len(prevention._programmes()) == len(ids)  # the loader accepts all of them


def test_sources_are_distinct_and_name_the_calendar_and_screening_programmes():
    cited = sources()
    assert len(cited) == len(set(cited))
    assert any("Calendrier des vaccinations" in s for s in cited)
    assert any("cancer du sein" in s for s in cited)
    assert any("colorectal" in s for s in cited)
    assert any("col de l'utérus" in s for s in cited)


# --- screenings ----------------------------------------------------------------------------------------------------


def test_woman_of_52_has_breast_and_colorectal_screening_every_two_years():
    birth = D(1973, 6, 10)
    recs = occurrences("F", birth, D(2025, 1, 1), D(2031, 12, 31))  # she is 52 in 2025
    expected = [D(2025, 6, 10), D(2027, 6, 10), D(2029, 6, 10), D(2031, 6, 10)]
    assert _dates(recs, "breast-screening") == expected
    assert _dates(recs, "colorectal-screening") == expected
    breast = next(r for r in recs if r.programme == "breast-screening")
    assert breast.kind == "screening" and "sein" in breast.label and breast.source


def test_breast_and_colorectal_screening_run_from_50_to_74_inclusive():
    birth = D(1960, 3, 1)
    recs = _lifetime("F", birth)
    ages = [due.year - birth.year for due in _dates(recs, "breast-screening")]
    assert ages == list(range(50, 75, 2))
    assert [d.year - birth.year for d in _dates(recs, "colorectal-screening")] == list(range(50, 75, 2))


def test_a_man_never_gets_breast_or_cervical_screening_but_gets_colorectal():
    recs = _lifetime("M", D(1950, 1, 15))
    programmes = {r.programme for r in recs}
    assert "breast-screening" not in programmes
    assert "cervical-screening" not in programmes
    assert "colorectal-screening" in programmes
    assert "hpv" in programmes  # HPV vaccination is for boys too


def test_unknown_sex_gets_only_programmes_for_everyone():
    programmes = {r.programme for r in _lifetime("X", D(1950, 1, 15))}
    assert "colorectal-screening" in programmes
    assert not programmes & {"breast-screening", "cervical-screening"}


def test_sex_is_read_case_insensitively():
    assert {r.programme for r in _lifetime("f", D(1950, 1, 15))} >= {"breast-screening", "cervical-screening"}


def test_cervical_screening_cytology_then_hpv_test_until_65():
    birth = D(1990, 4, 20)
    ages = [d.year - birth.year for d in _dates(_lifetime("F", birth), "cervical-screening")]
    assert ages == [25, 26, 29, 32, 37, 42, 47, 52, 57, 62]


# --- adult vaccinations --------------------------------------------------------------------------------------------


def test_dtp_boosters_at_exactly_25_45_65_75_85():
    birth = D(1970, 5, 1)
    recs = occurrences("M", birth, birth, D(2060, 12, 31))
    assert _dates(recs, "dtp-adult") == [D(1995, 5, 1), D(2015, 5, 1), D(2035, 5, 1), D(2045, 5, 1), D(2055, 5, 1)]
    assert "dtp-adult:2035-05-01" in {r.reminder_id for r in recs}


def test_dtp_boosters_continue_every_ten_years_after_65():
    birth = D(1930, 5, 1)
    ages = [d.year - birth.year for d in _dates(_lifetime("F", birth), "dtp-adult")]
    assert ages[:5] == [25, 45, 65, 75, 85]
    assert all(b - a == 10 for a, b in itertools.pairwise(ages[2:]))


def test_flu_every_autumn_from_the_year_of_65_only():
    birth = D(1960, 12, 20)  # turns 65 on 20 December 2025
    recs = occurrences("F", birth, D(2020, 1, 1), D(2029, 12, 31))
    assert _dates(recs, "influenza") == [D(year, 10, 15) for year in range(2025, 2030)]
    assert not [r for r in occurrences("F", birth, D(2000, 1, 1), D(2024, 12, 31)) if r.programme == "influenza"]


def test_pneumococcus_and_shingles_at_65():
    birth = D(1961, 2, 3)
    recs = occurrences("M", birth, D(2026, 1, 1), D(2026, 12, 31))
    assert _dates(recs, "pneumococcal-adult") == [D(2026, 2, 3)]
    assert _dates(recs, "shingles") == [D(2026, 2, 3), D(2026, 4, 3)]


# --- children ------------------------------------------------------------------------------------------------------


def test_a_babys_schedule():
    birth = D(2025, 1, 10)
    recs = occurrences("F", birth, birth, D(2026, 12, 31))
    assert _dates(recs, "hexavalent") == [D(2025, 3, 10), D(2025, 5, 10), D(2025, 12, 10)]
    assert _dates(recs, "pneumococcal-infant") == [D(2025, 3, 10), D(2025, 5, 10), D(2025, 12, 10)]
    assert _dates(recs, "menb-infant") == [D(2025, 4, 10), D(2025, 6, 10), D(2026, 1, 10)]
    assert _dates(recs, "menacwy-infant") == [D(2025, 7, 10), D(2026, 1, 10)]
    assert _dates(recs, "mmr") == [D(2026, 1, 10), D(2026, 5, 10)]
    assert {r.kind for r in recs} == {"vaccination"}
    # nothing for adults or screenings yet
    assert not {r.programme for r in recs} & {"dtp-adult", "influenza", "colorectal-screening"}


def test_child_boosters_hpv_and_meningococcus_for_boys_and_girls():
    birth = D(2015, 9, 1)
    for sex in ("M", "F"):
        recs = occurrences(sex, birth, D(2021, 1, 1), D(2027, 12, 31))
        assert _dates(recs, "dtcap-6y") == [D(2021, 9, 1)]
        assert _dates(recs, "dtcap-11y") == [D(2026, 9, 1)]
        assert _dates(recs, "hpv") == [D(2026, 9, 1), D(2027, 3, 1)]
        assert _dates(recs, "menacwy-adolescent") == [D(2026, 9, 1)]


def test_month_end_births_are_clamped():
    recs = occurrences("M", D(2024, 12, 31), D(2024, 12, 31), D(2025, 12, 31))
    # 31 December + 2 months → 28 February 2025; + 4 months → 30 April; + 11 months → 30 November
    assert _dates(recs, "hexavalent") == [D(2025, 2, 28), D(2025, 4, 30), D(2025, 11, 30)]


# --- leap-day births -----------------------------------------------------------------------------------------------


def test_feb_29_births_are_due_on_feb_28_in_non_leap_years():
    birth = D(1960, 2, 29)
    recs = _lifetime("F", birth)
    assert D(1985, 2, 28) in _dates(recs, "dtp-adult")  # 25 in 1985, not a leap year
    assert D(2005, 2, 28) in _dates(recs, "dtp-adult")
    assert D(2012, 2, 29) in _dates(recs, "breast-screening")  # 52 in a leap year
    assert D(2010, 2, 28) in _dates(recs, "breast-screening")
    assert _dates(occurrences("F", D(2024, 2, 29), D(2024, 2, 29), D(2025, 12, 31)), "mmr") == [
        D(2025, 2, 28),
        D(2025, 6, 29),
    ]


# --- ordering, ids, windows ----------------------------------------------------------------------------------------


def test_sorted_by_due_date_then_programme_and_within_bounds():
    start, end = D(2025, 1, 1), D(2040, 12, 31)
    recs = occurrences("F", D(1960, 7, 7), start, end)
    assert recs
    assert recs == sorted(recs, key=lambda r: (r.due_on, r.programme))
    assert all(start <= r.due_on <= end for r in recs)


def test_bounds_are_inclusive_and_empty_window_is_empty():
    birth = D(1970, 5, 1)
    assert _dates(occurrences("M", birth, D(2015, 5, 1), D(2015, 5, 1)), "dtp-adult") == [D(2015, 5, 1)]
    assert occurrences("M", birth, D(2030, 1, 1), D(2020, 1, 1)) == []


def test_reminder_ids_are_unique_and_stable_between_calls():
    birth = D(1958, 11, 30)
    first = _lifetime("F", birth)
    second = _lifetime("F", birth)
    ids = [r.reminder_id for r in first]
    assert len(ids) == len(set(ids))
    assert ids == [r.reminder_id for r in second]
    assert all(r.reminder_id == f"{r.programme}:{r.due_on.isoformat()}" for r in first)
    baby_ids = [r.reminder_id for r in _lifetime("M", D(2025, 1, 10))]
    assert len(baby_ids) == len(set(baby_ids))


def test_recommendation_is_frozen_and_serialisable():
    rec = occurrences("M", D(1970, 5, 1), D(1995, 5, 1), D(1995, 5, 1))[0]
    with pytest.raises(AttributeError):
        rec.label = "changed"  # type: ignore[misc]
    assert rec.as_dict() == {
        "reminder_id": "dtp-adult:1995-05-01",
        "programme": "dtp-adult",
        "kind": "vaccination",
        "label": rec.label,
        "due_on": "1995-05-01",
        "source": rec.source,
    }


# --- due_now -------------------------------------------------------------------------------------------------------


def test_due_now_shows_the_past_year_and_the_next_30_days():
    birth = D(1960, 1, 20)  # 65 on 20 January 2025
    today = D(2025, 1, 1)
    programmes = {r.programme: r.due_on for r in due_now("M", birth, today)}
    assert programmes["dtp-adult"] == D(2025, 1, 20)  # in 19 days
    assert programmes["pneumococcal-adult"] == D(2025, 1, 20)
    assert programmes["colorectal-screening"] == D(2024, 1, 20)  # last one, 64, within the last year
    assert "influenza" not in programmes  # first campaign in October 2025
    later = {r.programme for r in due_now("M", birth, D(2025, 10, 20))}
    assert "influenza" in later


def test_due_now_excludes_what_is_further_away():
    birth = D(1960, 1, 20)
    assert not [r for r in due_now("M", birth, D(2024, 12, 20)) if r.programme == "dtp-adult"]  # 31 days ahead
    assert [r for r in due_now("M", birth, D(2024, 12, 21)) if r.programme == "dtp-adult"]  # 30 days ahead
    assert not [r for r in due_now("M", birth, D(2026, 1, 21)) if r.programme == "dtp-adult"]  # 366 days ago
    assert [r for r in due_now("M", birth, D(2026, 1, 21), lookback_days=400) if r.programme == "dtp-adult"]


def test_due_now_rejects_a_negative_lookback():
    with pytest.raises(ValueError):
        due_now("M", D(1960, 1, 1), D(2025, 1, 1), lookback_days=-1)


# --- next_occurrence -----------------------------------------------------------------------------------------------


def test_next_occurrence_is_strictly_after():
    birth = D(1970, 5, 1)
    rec = next_occurrence("M", birth, D(2015, 5, 1))  # DTP at 45 is due on that very day
    assert rec is not None
    assert rec.due_on > D(2015, 5, 1)
    assert rec == occurrences("M", birth, D(2015, 5, 2), D(2100, 1, 1))[0]
    before = next_occurrence("M", birth, D(2015, 4, 30))
    assert before is not None and before.reminder_id == "dtp-adult:2015-05-01"


def test_next_occurrence_chains_through_the_whole_life_without_repeating():
    birth = D(1990, 8, 15)
    seen = []
    after = birth - dt.timedelta(days=1)
    while (rec := next_occurrence("F", birth, after)) is not None:
        assert rec.due_on > after
        seen.append(rec.due_on)
        after = rec.due_on
    expected = sorted({r.due_on for r in _lifetime("F", birth)})
    assert seen == expected


def test_next_occurrence_for_a_baby_is_the_two_month_appointment():
    birth = D(2025, 1, 10)
    rec = next_occurrence("M", birth, birth)
    assert rec is not None and rec.due_on == D(2025, 3, 10) and rec.programme == "hexavalent"


def test_next_occurrence_is_none_past_the_last_age():
    assert next_occurrence("M", D(1900, 1, 1), D(2030, 1, 1)) is None
