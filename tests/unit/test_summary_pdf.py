"""The health summary PDF: a real PDF, every section, French text, pagination, deterministic bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.adapters.summary_pdf import (
    PatientSummary,
    describe_item,
    format_ins,
    pdf_safe_text,
    render_summary,
)

GENERATED_AT = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


def _summary(**changes) -> PatientSummary:
    base = PatientSummary(
        ins="180057512345678",
        given_name="Jean",
        family_name="Dupont",
        birth_date=dt.date(1980, 5, 12),
        sex="M",
        generated_at=GENERATED_AT,
        profile={
            "allergies": ["Pollen", {"substance": "Pénicilline", "severity": "sévère", "reaction": "urticaire"}],
            "conditions": [{"name": "Asthme", "since": "1995-04-01"}],
            "treatments": [{"name": "Ventoline", "dose": "2 bouffées si besoin"}],
            "hospitalisations": [],
            "blood_group": "O+",
            "advance_directives": {"exists": True, "location": "chez le médecin traitant"},
            "organ_donation": True,
        },
        vaccinations=[{"vaccine": "DTPolio", "date": "2020-01-15", "dose": "rappel", "lot": "LOT-A42"}],
        measurements=[
            {"code": "29463-7", "label": "Poids", "value": 72.5, "unit": "kg", "effective_at": "2026-11-01T08:00:00Z"},
            {"code": "8302-2", "label": "Taille", "value": 178, "unit": "cm", "effective_at": "2026-10-01T08:00:00Z"},
        ],
    )
    return dataclasses.replace(base, **changes)


def _text(value: str) -> bytes:
    """How a string shows in an uncompressed page stream (standard fonts are cp1252, parentheses escaped)."""
    return value.encode("cp1252").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_output_is_a_pdf():
    pdf = render_summary(_summary())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip(b"\r\n").endswith(b"%%EOF")
    assert _page_count(pdf) == 1


def test_uncompressed_output_shows_every_section_and_value():
    pdf = render_summary(_summary(), compress=False)
    assert pdf.startswith(b"%PDF-")
    for expected in (
        "Synthèse de mon espace santé",
        "Jean DUPONT",
        "INS : 1 80 05 75 123 456 78",
        "Né le 12/05/1980",
        "Allergies",
        "Pollen",
        "Pénicilline",
        "sévérité : sévère",
        "Maladies et antécédents",
        "Asthme",
        "depuis : 01/04/1995",
        "Traitements",
        "Ventoline",
        "Hospitalisations",
        "Antécédents familiaux",
        "Aucune information renseignée",  # hospitalisations and family history are empty
        "Groupe sanguin",
        "O+",
        "Directives anticipées",
        "chez le médecin traitant",
        "Don d'organes",
        "Vaccinations",
        "DTPolio",
        "15/01/2020",
        "LOT-A42",
        "Dernières mesures",
        "Poids",
        "72,5",
        "178",
        "29463-7",
        "01/11/2026 08:00 UTC",
        "Données de santé à caractère personnel — confidentiel",
        "Document généré le 22/11/2026 à 09:30 UTC — page 1/",
    ):
        assert _text(expected) in pdf, expected


def test_empty_profile_renders_every_section_as_empty():
    summary = _summary(profile={}, vaccinations=[], measurements=[])
    pdf = render_summary(summary, compress=False)
    assert pdf.rstrip().endswith(b"%%EOF")
    # five list sections, blood group, directives, organ donation, vaccinations, measurements
    assert pdf.count(_text("Aucune information renseignée")) == 10
    assert render_summary(summary).startswith(b"%PDF-")


def test_blank_items_and_values_count_as_empty():
    summary = _summary(
        profile={"allergies": ["", None, {}], "blood_group": "  ", "organ_donation": None},
        vaccinations=[],
        measurements=[],
    )
    pdf = render_summary(summary, compress=False)
    assert pdf.count(_text("Aucune information renseignée")) == 10


def test_long_lists_paginate_and_every_page_has_the_footer():
    allergies = [{"substance": f"Substance n°{i}", "reaction": "rougeurs " * 20} for i in range(300)]
    vaccinations = [{"vaccine": f"Vaccin {i}", "date": "2021-03-04", "dose": i} for i in range(150)]
    pdf = render_summary(_summary(profile={"allergies": allergies}, vaccinations=vaccinations), compress=False)
    pages = _page_count(pdf)
    assert pages > 1
    assert b"/Type /Pages" in pdf
    for index in (0, 150, 299):
        assert _text(f"Substance n°{index}") in pdf
    assert _text("Vaccin 149") in pdf
    # the footer's "page N/M" is written on each page, the total substituted when the document is closed
    footers = re.findall(rb"page (\d+)/\) Tj \((\d+)\) Tj", pdf)
    assert [int(page) for page, _ in footers] == list(range(1, pages + 1))
    assert {int(total) for _, total in footers} == {pages}
    assert pdf.count(_text("confidentiel")) == pages


def test_long_tables_repeat_their_headings():
    vaccinations = [{"vaccine": f"Vaccin {i}", "date": "2021-03-04"} for i in range(200)]
    pdf = render_summary(_summary(vaccinations=vaccinations), compress=False)
    assert pdf.count(b"(Vaccin) Tj") > 1


def test_accented_and_non_latin1_text_renders():
    summary = _summary(
        given_name="Zoé-Chloë",
        family_name="Lefèvre d’Œuvray",
        sex="F",
        profile={
            "allergies": ["Œufs — réaction sévère 😱", "Ăcid ș ≤ 5 mg", "阿司匹林"],
            "family_history": [{"relation": "mère", "description": "diabète de type 2"}],
        },
    )
    pdf = render_summary(summary, compress=False)
    assert _text("Zoé-Chloë LEFÈVRE D’ŒUVRAY") in pdf
    assert _text("Née le 12/05/1980") in pdf
    assert _text("Œufs — réaction sévère ?") in pdf
    assert _text("Acid s <= 5 mg") in pdf
    assert _text("????") in pdf
    assert _text("diabète de type 2") in pdf
    assert _text("lien de parenté : mère") in pdf
    assert render_summary(summary).startswith(b"%PDF-")


def test_patient_text_cannot_fake_the_page_count():
    pdf = render_summary(_summary(profile={"allergies": ["{nb} pages"]}), compress=False)
    assert _text("{nb} pages") in pdf


def test_identical_inputs_give_identical_bytes():
    assert render_summary(_summary()) == render_summary(_summary())
    assert render_summary(_summary(), compress=False) == render_summary(_summary(), compress=False)
    later = _summary(generated_at=GENERATED_AT + dt.timedelta(minutes=1))
    assert render_summary(later) != render_summary(_summary())


def test_naive_generated_at_is_taken_as_utc():
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


def test_pdf_safe_text():
    assert pdf_safe_text("Élodie’s œdème — 5 €") == "Élodie’s œdème — 5 €"  # all in cp1252
    assert pdf_safe_text("a\u202fb\u00adc\r\nd\te\x07") == "a bc\nd e"
    assert pdf_safe_text("ő ≥ 🙂") == "o >= ?"
    assert pdf_safe_text(None) == ""
    assert pdf_safe_text(12.5) == "12.5"


def test_describe_item():
    assert describe_item("Pollen") == ("Pollen", [])
    assert describe_item({"substance": "Latex", "since": "2001-02-03", "note": None, "severity": "modérée"}) == (
        "Latex",
        ["depuis : 03/02/2001", "sévérité : modérée"],
    )
    assert describe_item({"label": "", "title": "Appendicectomie", "establishment": "CHU"}) == (
        "Appendicectomie",
        ["établissement : CHU"],
    )
    assert describe_item({"custom_field": True}) == ("", ["custom field : oui"])


def test_importing_the_module_does_not_import_fpdf():
    code = "import sys, chalicelib.adapters.summary_pdf; sys.exit('fpdf' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
