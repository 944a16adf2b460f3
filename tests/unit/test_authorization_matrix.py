"""The published document types and the profession x document-type matrix, as a user of the record sees them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain import authorization_matrix as am

DATA = Path(am.__file__).resolve().parent.parent / "data"

CONTRACT_TYPES = {
    "11488-4": "CPT_REND",  # consultation report
    "11502-2": "BIOLOGIE",  # laboratory report
    "57833-6": "ORD_SOIN",  # prescription
    "34112-3": "CPT_REND",  # hospital discharge summary
    "18748-4": "RADIO_SC",  # imaging report
    "11369-6": "CAR_VAC",  # immunization history
    "60591-5": "SYNTHESE",  # patient summary
}
OFFICIAL_CATEGORIES = {
    "SYNTHESE", "ORD_SOIN", "RADIO_SC", "BIOLOGIE", "CPT_REND", "DEPISTAG", "CERT_MED",
    "DOC_ADM", "DIR_ANT", "SYNTH_PML", "QUEST_SANTE", "CAR_VAC", "AUTR_DOC",
}  # fmt: skip
PROFESSIONS = ["medecin", "pharmacien", "infirmier", "chirurgien-dentiste", "sage-femme", "masseur-kinesitherapeute"]

TELEMEDICINE_REQUEST = "75496-0"
PSYCHIATRIC_SUMMARY = "68599-0"
PSYCHOLOGICAL_ASSESSMENT = "83901-9"
CHILD_PREVENTION_ASSESSMENT = "68817-6"
MEDICAL_CERTIFICATE = "89601-9"
DOCTOR_ONLY = [
    TELEMEDICINE_REQUEST,
    PSYCHIATRIC_SUMMARY,
    PSYCHOLOGICAL_ASSESSMENT,
    CHILD_PREVENTION_ASSESSMENT,
    MEDICAL_CERTIFICATE,
]


def _raw(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


# --- published document types -------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "category"), sorted(CONTRACT_TYPES.items()))
def test_every_contract_type_is_published_with_its_category(code: str, category: str) -> None:
    published = am.document_type(code)
    assert published is not None
    assert published.category == category
    assert am.category_of(code) == category
    assert published.category_label == am.categories()[category]
    assert published.label_fr and published.label_en


def test_a_realistic_list_of_types_is_published_in_file_order() -> None:
    types = am.document_types()
    assert 25 <= len(types) <= 45
    assert list(types) == [entry["code"] for entry in _raw("document_types.json")["types"]]
    assert all(code == t.code for code, t in types.items())
    assert "JDV_J66-TypeCode-DMP" in _raw("document_types.json")["source"]


def test_categories_are_the_official_ones_and_every_used_category_is_declared() -> None:
    declared = am.categories()
    assert set(declared) == OFFICIAL_CATEGORIES
    assert declared["BIOLOGIE"] == "Biologie"
    assert declared["CPT_REND"] == "Comptes rendus"
    assert {t.category for t in am.document_types().values()} <= set(declared)


def test_unknown_type_has_no_category() -> None:
    assert am.document_type("99999-9") is None
    assert am.category_of("99999-9") is None
    assert am.category_of("") is None


def test_document_types_cannot_be_changed_by_a_caller() -> None:
    am.document_types().clear()
    am.categories().clear()
    assert am.document_type("11488-4") is not None
    assert am.categories()["BIOLOGIE"] == "Biologie"


# --- category normalisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("BIOLOGIE", "BIOLOGIE"),
        ("biologie", "BIOLOGIE"),
        ("Biologie", "BIOLOGIE"),
        ("radio_sc", "RADIO_SC"),
        ("Radio/imagerie", "RADIO_SC"),
        ("radio/IMAGERIE", "RADIO_SC"),
        ("Comptes rendus", "CPT_REND"),
        ("  comptes   rendus ", "CPT_REND"),
        ("Prevention et depistage", "DEPISTAG"),
        ("Prévention et dépistage", "DEPISTAG"),
        ("certificats médicaux", "CERT_MED"),
        ("Directives anticipees", "DIR_ANT"),
        ("Résultats de biologie", "BIOLOGIE"),  # the official app's label
        ("quest_sante", "QUEST_SANTE"),
    ],
)
def test_a_category_is_found_by_code_or_label(value: str, expected: str) -> None:
    assert am.normalise_category(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "radiologie", "BIO", "11502-2", "nope"])
def test_an_unknown_category_is_none(value: str) -> None:
    assert am.normalise_category(value) is None


def test_every_declared_code_and_label_normalises_to_itself() -> None:
    for code, label in am.categories().items():
        assert am.normalise_category(code) == code
        assert am.normalise_category(code.lower()) == code
        assert am.normalise_category(label) == code
        assert am.normalise_category(label.upper()) == code


# --- the matrix ---------------------------------------------------------------------------------------------


def test_the_matrix_covers_exactly_the_six_professions() -> None:
    assert set(am.professions()) == set(PROFESSIONS)
    assert set(_raw("authorization_matrix.json")["professions"]) == set(PROFESSIONS)


def test_the_matrix_names_its_legal_source() -> None:
    assert "26 octobre 2023" in am.matrix_source()


@pytest.mark.parametrize("code", sorted(CONTRACT_TYPES))
def test_a_doctor_sees_every_contract_type(code: str) -> None:
    assert am.profession_may_see("medecin", code)


def test_a_doctor_sees_every_published_type() -> None:
    assert all(am.profession_may_see("medecin", code) for code in am.document_types())


@pytest.mark.parametrize("code", DOCTOR_ONLY)
def test_a_nurse_is_refused_doctor_only_types(code: str) -> None:
    assert not am.profession_may_see("infirmier", code)


@pytest.mark.parametrize("code", sorted(CONTRACT_TYPES))
def test_a_nurse_sees_the_everyday_contract_types(code: str) -> None:
    assert am.profession_may_see("infirmier", code)


def test_a_nurse_sees_lab_emergency_and_functional_reports_and_medication_reviews() -> None:
    for code in ["11502-2", "15507-7", "47420-5", "56445-0", "11490-0"]:
        assert am.profession_may_see("infirmier", code), code


@pytest.mark.parametrize(
    "code",
    [*DOCTOR_ONLY, "51969-4", "28617-9", "83836-7", "77436-4", "60568-3", "60593-1", "93024-8"],
)
def test_a_physiotherapist_is_refused_types_outside_their_practice(code: str) -> None:
    assert not am.profession_may_see("masseur-kinesitherapeute", code)


def test_a_physiotherapist_sees_what_rehabilitation_needs() -> None:
    for code in ["11488-4", "34112-3", "34874-8", "18748-4", "57832-8", "11506-3", "34120-6"]:
        assert am.profession_may_see("masseur-kinesitherapeute", code), code


@pytest.mark.parametrize("profession", [p for p in PROFESSIONS if p != "medecin"])
def test_every_other_profession_is_refused_psychiatric_summaries(profession: str) -> None:
    assert not am.profession_may_see(profession, PSYCHIATRIC_SUMMARY)
    assert not am.profession_may_see(profession, MEDICAL_CERTIFICATE)
    visible = [code for code in am.document_types() if am.profession_may_see(profession, code)]
    assert 0 < len(visible) < len(am.document_types())


def test_dental_and_perinatal_documents_follow_the_profession() -> None:
    dental_chart, delivery_report = "83836-7", "15508-5"
    assert am.profession_may_see("chirurgien-dentiste", dental_chart)
    assert not am.profession_may_see("sage-femme", dental_chart)
    assert am.profession_may_see("sage-femme", delivery_report)
    assert not am.profession_may_see("chirurgien-dentiste", delivery_report)
    assert not am.profession_may_see("pharmacien", delivery_report)
    assert am.profession_may_see("pharmacien", "60593-1")  # dispensing record


@pytest.mark.parametrize("profession", ["", "  ", "plombier", "psychologue", "medecins"])
def test_an_unknown_profession_is_refused(profession: str) -> None:
    assert not am.profession_may_see(profession, "11488-4")


@pytest.mark.parametrize("code", ["", "99999-9", "ATTEST-RESID", "11488"])
def test_an_unknown_type_is_refused_even_to_a_doctor(code: str) -> None:
    assert not am.profession_may_see("medecin", code)


def test_profession_names_are_matched_leniently() -> None:
    assert am.profession_may_see("Médecin", "11488-4")
    assert am.profession_may_see("Masseur-Kinésithérapeute", "11488-4")
    assert am.profession_may_see("masseur_kinesitherapeute", "11488-4")
    assert not am.profession_may_see("SAGE FEMME", PSYCHIATRIC_SUMMARY)


def test_every_code_in_the_matrix_is_a_published_type() -> None:
    published = set(am.document_types())
    for profession, rule in _raw("authorization_matrix.json")["professions"].items():
        assert ("allow" in rule) != ("allow_all_except" in rule), profession
        codes = rule.get("allow", rule.get("allow_all_except"))
        assert set(codes) <= published, profession
        assert len(codes) == len(set(codes)), profession


def test_the_matrix_explains_its_unsourced_cells() -> None:
    raw = _raw("authorization_matrix.json")
    assert "conservative" in raw["notes"]


def test_importing_the_module_reads_no_file() -> None:
    code = (
        "import builtins, io, pathlib\n"
        "opened = []\n"
        "real_open, real_path_open = builtins.open, pathlib.Path.open\n"
        "builtins.open = lambda f, *a, **k: (opened.append(str(f)), real_open(f, *a, **k))[1]\n"
        "pathlib.Path.open = lambda self, *a, **k: (opened.append(str(self)), real_path_open(self, *a, **k))[1]\n"
        "import chalicelib.domain.authorization_matrix as am\n"
        "assert not [f for f in opened if f.endswith('.json')], opened\n"
        "assert am.profession_may_see('medecin', '11488-4')\n"
        "assert [f for f in opened if f.endswith('.json')], opened\n"
    )
    root = Path(am.__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
