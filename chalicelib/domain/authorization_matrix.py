"""The published document types of ens and the profession x document-type authorisation matrix.

Both are data, not code: ``chalicelib/data/document_types.json`` lists the LOINC document types ens accepts (a
selection of the DMP value set JDV_J66-TypeCode-DMP) with their patient-facing category, and
``chalicelib/data/authorization_matrix.json`` says which of them each profession may see (after the arrêté of
26 October 2023, JO 29/10/2023, "matrice d'habilitations"; see the file's ``notes`` for which cells are sourced and
which were decided conservatively).

The files are read lazily, once, on first use: importing this module costs no I/O.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "DocumentType",
    "categories",
    "category_of",
    "document_type",
    "document_types",
    "matrix_source",
    "normalise_category",
    "profession_may_see",
    "professions",
]

_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
_TYPES_FILE = _DATA_DIR / "document_types.json"
_MATRIX_FILE = _DATA_DIR / "authorization_matrix.json"


@dataclass(frozen=True, slots=True)
class DocumentType:
    """A published document type.

    Attributes:
        code: the LOINC code (e.g. ``"11488-4"``).
        label_fr: the French label of the DMP value set.
        label_en: an English label.
        category: the patient-facing category code (e.g. ``"CPT_REND"``).
        category_label: the French label of that category (e.g. ``"Comptes rendus"``).
    """

    code: str
    label_fr: str
    label_en: str
    category: str
    category_label: str


def _fold(value: str) -> str:
    """Case-fold ``value``, strip accents and surrounding blanks, and collapse inner whitespace."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _fold_profession(value: str) -> str:
    """Fold a profession name: ``"Masseur kinésithérapeute"`` and ``"masseur_kinesitherapeute"`` match."""
    return "-".join(_fold(value).replace("_", " ").replace("-", " ").split())


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: expected a JSON object at the top level")
    return data


@cache
def _types_data() -> tuple[dict[str, DocumentType], dict[str, str], dict[str, str]]:
    """Load document_types.json: (types by code, category labels by code, folded names -> category code)."""
    data = _read_json(_TYPES_FILE)
    labels: dict[str, str] = {}
    names: dict[str, str] = {}
    for entry in data["categories"]:
        code, label = str(entry["code"]), str(entry["label"])
        labels[code] = label
        for name in (code, label, *entry.get("aliases", ())):
            folded = _fold(str(name))
            if names.setdefault(folded, code) != code:
                raise ValueError(f"document_types.json: category name {name!r} is ambiguous")
    types: dict[str, DocumentType] = {}
    for entry in data["types"]:
        code, category = str(entry["code"]), str(entry["category"])
        if category not in labels:
            raise ValueError(f"document_types.json: type {code} uses undeclared category {category}")
        if code in types:
            raise ValueError(f"document_types.json: type {code} is listed twice")
        types[code] = DocumentType(
            code=code,
            label_fr=str(entry["label_fr"]),
            label_en=str(entry["label_en"]),
            category=category,
            category_label=labels[category],
        )
    return types, labels, names


@cache
def _matrix_data() -> tuple[str, dict[str, tuple[bool, frozenset[str]]]]:
    """Load authorization_matrix.json: (source, folded profession -> (allow_all, listed codes))."""
    data = _read_json(_MATRIX_FILE)
    known = _types_data()[0]
    rules: dict[str, tuple[bool, frozenset[str]]] = {}
    for profession, rule in data["professions"].items():
        if ("allow" in rule) == ("allow_all_except" in rule):
            raise ValueError(f"authorization_matrix.json: {profession} needs exactly one of allow/allow_all_except")
        allow_all = "allow_all_except" in rule
        codes = frozenset(str(code) for code in rule["allow_all_except" if allow_all else "allow"])
        unknown = codes - known.keys()
        if unknown:
            raise ValueError(f"authorization_matrix.json: {profession} names unpublished types {sorted(unknown)}")
        rules[_fold_profession(profession)] = (allow_all, codes)
    return str(data["source"]), rules


def document_types() -> dict[str, DocumentType]:
    """Return every published document type, keyed by LOINC code, in the order of the data file."""
    return dict(_types_data()[0])


def categories() -> dict[str, str]:
    """Return the declared patient-facing categories: category code -> French label."""
    return dict(_types_data()[1])


def document_type(code: str) -> DocumentType | None:
    """Return the published document type with this LOINC code, or None if ens does not publish it."""
    return _types_data()[0].get(code.strip()) if isinstance(code, str) else None


def category_of(type_code: str) -> str | None:
    """Return the category code of a published document type, or None for an unknown type."""
    found = document_type(type_code)
    return found.category if found else None


def normalise_category(value: str) -> str | None:
    """Return the category code named by ``value``, or None.

    ``value`` may be a category code or its label (or one of the official app's labels), in any case and with or
    without accents: ``"biologie"``, ``"BIOLOGIE"``, ``"Radio/imagerie"`` and ``"radio_sc"`` all work.
    """
    if not isinstance(value, str):
        return None
    return _types_data()[2].get(_fold(value))


def professions() -> tuple[str, ...]:
    """Return the professions the matrix covers (folded names such as ``"masseur-kinesitherapeute"``)."""
    return tuple(_matrix_data()[1])


def profession_may_see(profession: str, type_code: str) -> bool:
    """Say whether a professional of ``profession`` may see documents of type ``type_code``.

    False for a profession the matrix does not cover and for a type ens does not publish. The profession name is
    matched case-insensitively, ignoring accents, and with blanks, hyphens and underscores treated alike.
    """
    if not isinstance(profession, str) or not profession.strip() or document_type(type_code) is None:
        return False
    rule = _matrix_data()[1].get(_fold_profession(profession))
    if rule is None:
        return False
    allow_all, codes = rule
    code = type_code.strip()
    return code not in codes if allow_all else code in codes


def matrix_source() -> str:
    """Return the legal source of the authorisation matrix (for display and audit)."""
    return _matrix_data()[0]
