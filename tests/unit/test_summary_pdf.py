"""The health summary PDF, read back with a PDF text extractor (pypdf): every section, every character, French
words, Paris times, an embedded font, headings kept with their content, the professional's copy."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from chalicelib.adapters.summary_pdf import (
    EMPTY,
    FIELD_CAPTIONS,
    LIST_SECTIONS,
    MEASUREMENTS_NOT_SHARED,
    PatientSummary,
    describe_item,
    format_ins,
    printable_text,
    render_summary,
)

GENERATED_AT = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)  # 10:30 in Paris (winter time)
HEADINGS = [h for _, h in LIST_SECTIONS] + ["Groupe sanguin", "Directives anticipées", "Don d'organes",
                                            "Vaccinations", "Dernières mesures"]


def _summary(**changes) -> PatientSummary:
    base = PatientSummary(
        ins="180057512345678",
        given_name="Jean",
        family_name="Dupont",
        birth_date=dt.date(1980, 5, 12),
        sex="M",
        generated_at=GENERATED_AT,
        profile={
            "allergies": ["Pollen", {"name": "Pénicilline", "severity": "severe", "reaction": "urticaire"}],
            "conditions": [{"name": "Asthme", "since": "1995-04-01"}],
            "treatments": [{"name": "Ventoline", "dose": "2 bouffées si besoin"}],
            "hospitalisations": [],
            "blood_group": "O+",
            "advance_directives": {"written": True, "summary": "Pas d'acharnement thérapeutique",
                                   "trusted_person": "Marie Dupont", "location": "chez le médecin traitant"},
            "organ_donation": True,
        },
        vaccinations=[{"vaccine": "DTPolio", "date": "2020-01-15", "dose": "rappel", "lot": "LOT-A42"}],
        measurements=[
            {"code": "29463-7", "label": "Poids", "value": 72.5, "unit": "kg", "effective_at": "2026-07-01T08:00:00Z"},
            {"code": "8302-2", "label": "Taille", "value": 178, "unit": "cm", "effective_at": "2026-11-01T08:00:00Z"},
        ],
    )
    return dataclasses.replace(base, **changes)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return re.sub(r"[ \t]+", " ", "\n".join(_pages(pdf)))


def test_output_is_a_pdf_of_one_page():
    pdf = render_summary(_summary())
    assert pdf.startswith(b"%PDF-") and pdf.rstrip(b"\r\n").endswith(b"%%EOF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_every_section_and_value_is_in_the_text():
    text = _text(render_summary(_summary()))
    for expected in (
        "Synthèse de mon espace santé", "Jean DUPONT", "INS : 1 80 05 75 123 456 78", "Né le 12/05/1980 — Homme",
        *HEADINGS,
        "Pollen", "Pénicilline", "sévérité : sévère", "réaction : urticaire", "Asthme", "depuis : 01/04/1995",
        "Ventoline", "dose : 2 bouffées si besoin", EMPTY, "O+",
        "Directives rédigées : oui", "Résumé : Pas d'acharnement thérapeutique", "Personne de confiance : Marie Dupont",
        "Lieu de conservation : chez le médecin traitant", "Favorable au don d'organes et de tissus",
        "DTPolio", "15/01/2020", "rappel", "LOT-A42", "Poids", "29463-7", "72,5", "178",
        "Données de santé à caractère personnel — confidentiel",
    ):
        assert expected in text, expected


def test_every_character_of_names_and_entries_renders_in_an_embedded_unicode_font():
    summary = _summary(given_name="Łukasz", family_name="Nguyễn", sex="F", profile={
        "allergies": [{"name": "Œufs — réaction sévère", "note": "glycémie ≥ 2 g/L, ≤ 5 mg"}],
        "family_history": [{"name": "Диабет", "relative": "mère"}, "Ăcid ș ő ß Ω"],
    })
    pdf = render_summary(summary)
    text = _text(pdf)
    for expected in ("Łukasz NGUYỄN", "Née le 12/05/1980 — Femme", "Œufs — réaction sévère", "≥ 2 g/L, ≤ 5 mg",
                     "Диабет", "lien de parenté : mère", "Ăcid ș ő ß Ω"):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        assert fonts
        for font in fonts.values():
            font = font.get_object()
            assert font["/Subtype"] == "/Type0", font  # a composite (Unicode) font, not a standard one
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, "the TrueType font is embedded"
            assert "FiraSans" in str(font["/BaseFont"])
    assert b"/Helvetica" not in pdf


def test_characters_the_font_cannot_draw_are_shown_as_a_question_mark_never_dropped():
    text = _text(render_summary(_summary(profile={"allergies": ["Réaction 😱 阿司匹林"]})))
    assert "Réaction ? ????" in text


def test_enum_values_and_captions_are_in_french_never_internal_keys():
    text = _text(render_summary(_summary(profile={
        "allergies": [{"name": a, "severity": s} for a, s in (("A", "mild"), ("B", "moderate"), ("C", "unknown"))],
        "advance_directives": {"written": False, "summary": "Aucune réanimation"},
    })))
    assert "sévérité : légère" in text and "sévérité : modérée" in text and "sévérité : inconnue" in text
    assert "Directives rédigées : non" in text and "Résumé : Aucune réanimation" in text
    for key in ("summary :", "written", "trusted_person", "severity", "mild", "moderate", "unknown", "_"):
        assert key not in text, key


@pytest.mark.parametrize("model_name", ["ProfileEntry", "AdvanceDirectives"])
def test_every_field_a_profile_can_hold_has_a_french_caption(model_name):
    from chalicelib.models import care

    model = getattr(care, model_name)
    assert set(model.model_fields) <= set(FIELD_CAPTIONS), set(model.model_fields) - set(FIELD_CAPTIONS)


def test_times_are_paris_times():
    text = _text(render_summary(_summary()))
    assert "01/07/2026 10:00" in text  # 08:00 UTC in summer (UTC+2)
    assert "01/11/2026 09:00" in text  # 08:00 UTC in winter (UTC+1)
    assert "Document généré le 22/11/2026 à 10:30 (heure de Paris) — page 1/1" in text
    assert "UTC" not in text


def test_the_professionals_copy_says_measurements_are_not_shared_and_its_title_has_no_mon():
    pdf = render_summary(_summary(professional_copy=True))
    text = _text(pdf)
    assert "Synthèse de l'espace santé" in text and "mon espace" not in text
    assert " ".join(MEASUREMENTS_NOT_SHARED.split()) in " ".join(text.split())
    assert "72,5" not in text and "Poids" not in text  # even if the caller passed them
    assert "Dernières mesures" in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Synthèse de l'espace santé"
    own = render_summary(_summary())
    assert PdfReader(io.BytesIO(own)).metadata.title == "Synthèse de mon espace santé"


def _content_lines(page_text: str) -> list[str]:
    lines = [line.strip() for line in page_text.splitlines() if line.strip()]
    return [line for line in lines if "confidentiel" not in line and not line.startswith("Document généré")]


@pytest.mark.parametrize("count", range(28, 46))
def test_a_heading_is_never_the_last_line_of_a_page(count):
    """Growing the allergies moves every later heading across the bottom of the first page, one step at a time."""
    allergies = [{"name": f"Substance n°{i}", "reaction": "rougeurs"} for i in range(count)]
    pages = _pages(render_summary(_summary(profile={**_summary().profile, "allergies": allergies})))
    assert len(pages) >= 2
    for page in pages[:-1]:
        last = _content_lines(page)[-1]
        assert last not in HEADINGS, (count, last)
        assert not last.startswith("Vaccin Date") and not last.startswith("Mesure Code"), (count, last)


def test_long_lists_paginate_and_every_page_has_its_footer_and_table_headings():
    allergies = [{"name": f"Substance n°{i}", "reaction": "rougeurs " * 20} for i in range(150)]
    vaccinations = [{"vaccine": f"Vaccin {i}", "date": "2021-03-04", "dose": i} for i in range(150)]
    pages = _pages(render_summary(_summary(profile={"allergies": allergies}, vaccinations=vaccinations)))
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert f"page {number}/{len(pages)}" in page and "confidentiel" in page
    text = "\n".join(pages)
    for index in (0, 75, 149):
        assert f"Substance n°{index}" in text
        assert re.search(rf"^Vaccin {index} 04/03/2021 {index}$", text, re.MULTILINE), index
    assert sum(page.count("Vaccin Date Dose Lot") for page in pages) > 1  # repeated on each page of the table


def test_empty_profile_renders_every_section_as_empty():
    text = _text(render_summary(_summary(profile={}, vaccinations=[], measurements=[])))
    assert text.count(EMPTY) == 10
    text = _text(render_summary(_summary(profile={"allergies": ["", None, {}], "blood_group": "  "},
                                         vaccinations=[], measurements=[])))
    assert text.count(EMPTY) == 10


def test_patient_text_cannot_fake_the_page_count():
    assert "{nb} pages" in _text(render_summary(_summary(profile={"allergies": ["{nb} pages"]})))


def test_identical_inputs_give_identical_bytes():
    assert render_summary(_summary()) == render_summary(_summary())
    later = _summary(generated_at=GENERATED_AT + dt.timedelta(minutes=1))
    assert render_summary(later) != render_summary(_summary())
    naive = _summary(generated_at=GENERATED_AT.replace(tzinfo=None))
    assert render_summary(naive) == render_summary(_summary())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("180057512345678", "1 80 05 75 123 456 78"),
        ("1 80 05 75 123 456 78", "1 80 05 75 123 456 78"),
        ("2820992A12345", "2820992A12345"),
    ],
)
def test_format_ins(value, expected):
    assert format_ins(value) == expected


def test_printable_text():
    assert printable_text("Élodie’s œdème — 5 € ≥ Łukasz Nguyễn") == "Élodie’s œdème — 5 € ≥ Łukasz Nguyễn"
    assert printable_text("a\u202fb\u00adc\r\nd\te\x07") == "a bc\nd e"
    assert printable_text("🙂 阿") == "? ?"
    assert printable_text(None) == ""
    assert printable_text(12.5) == "12.5"


def test_describe_item():
    assert describe_item("Pollen") == ("Pollen", [])
    assert describe_item({"name": "Latex", "since": "2001-02-03", "note": None, "severity": "moderate"}) == (
        "Latex",
        ["depuis : 03/02/2001", "sévérité : modérée"],
    )
    assert describe_item({"label": "", "title": "Appendicectomie", "establishment": "CHU"}) == (
        "Appendicectomie",
        ["établissement : CHU"],
    )
    assert describe_item({"custom_field": True}) == ("", ["custom field : oui"])


def test_importing_the_module_loads_neither_fpdf_nor_the_font():
    code = ("import sys, chalicelib.adapters.summary_pdf; "
            "sys.exit(any(m in sys.modules for m in ('fpdf', 'fontpkg_fira_sans', 'fontTools')))")
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
