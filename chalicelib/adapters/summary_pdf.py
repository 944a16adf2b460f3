"""The patient's health summary as a PDF ("Synthèse de mon espace santé", ``GET /patients/{ins}/summary.pdf``).

``render_summary`` lays out the identity, the medical profile, the vaccinations and the latest measurements with
fpdf2. fpdf2 is imported inside the function so that importing this module stays cheap for every other handler.

Charset: the PDF uses the standard Helvetica font (nothing to embed, nothing to ship). Standard fonts are written
with WinAnsiEncoding, so text is encoded as cp1252 — Latin-1 plus ``œ``, ``’``, ``—``, ``€``... Anything else is
approximated by ``pdf_safe_text`` (``ă`` → ``a``, ``≤`` → ``<=``) or replaced by ``?`` (emoji, other scripts).

Output is deterministic: the creation date and the file identifier derive from ``generated_at``, so the same input
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TITLE = "Synthèse de mon espace santé"
EMPTY = "Aucune information renseignée"
CONFIDENTIAL = "Données de santé à caractère personnel — confidentiel"

#: Profile list sections, in display order: (profile key, heading).
LIST_SECTIONS: tuple[tuple[str, str], ...] = (
    ("allergies", "Allergies"),
    ("conditions", "Maladies et antécédents"),
    ("treatments", "Traitements"),
    ("hospitalisations", "Hospitalisations"),
    ("family_history", "Antécédents familiaux"),
)

#: Keys naming an item, the first one present is the item's main label.
MAIN_LABEL_KEYS = ("name", "label", "substance", "vaccine", "title", "description")

#: French captions for the detail fields most often found in profile items; other keys are shown as they are.
FIELD_CAPTIONS = {
    "since": "depuis",
    "date": "date",
    "start": "début",
    "end": "fin",
    "until": "jusqu'au",
    "note": "note",
    "notes": "notes",
    "severity": "sévérité",
    "dose": "dose",
    "dosage": "posologie",
    "frequency": "fréquence",
    "reaction": "réaction",
    "relation": "lien de parenté",
    "relative": "lien de parenté",
    "reason": "motif",
    "establishment": "établissement",
    "place": "lieu",
    "location": "lieu",
    "prescriber": "prescripteur",
    "status": "statut",
    "lot": "lot",
    "code": "code",
    "value": "valeur",
    "unit": "unité",
    "trusted_person": "personne de confiance",
    "exists": "rédigées",
    "consent": "consentement",
    "opposition": "opposition",
    "comment": "commentaire",
}

SEX_LABELS = {"M": "Homme", "F": "Femme"}

# Characters outside cp1252 that have a sensible replacement; the rest goes through NFKD, then "?".
_REPLACEMENTS = {
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2015": "—",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2032": "'",  # prime
    "\u2033": '"',  # double prime
    "\u2039": "<",
    "\u203a": ">",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2022": "•",
    "\u2027": "·",
    "\u2219": "·",
    "\u00ad": "",  # soft hyphen: invisible in the source, a stray dash in the PDF
    "\ufeff": "",  # BOM / zero-width no-break space
    "\u200b": "",  # zero-width space
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\t": " ",
}
_SPACES = {
    "\u2000",
    "\u2001",
    "\u2002",
    "\u2003",
    "\u2004",
    "\u2005",
    "\u2006",
    "\u2007",
    "\u2008",
    "\u2009",
    "\u200a",
    "\u202f",
    "\u205f",
    "\u3000",
}


@dataclass(frozen=True)
class PatientSummary:
    """Everything the summary shows. ``generated_at`` is UTC; ``profile`` follows ``GET /patients/{ins}/profile``,
    ``vaccinations`` the vaccination records and ``measurements`` the latest measurement per LOINC code."""

    ins: str
    given_name: str
    family_name: str
    birth_date: dt.date
    sex: str
    generated_at: dt.datetime
    profile: dict = field(default_factory=dict)
    vaccinations: list[dict] = field(default_factory=list)
    measurements: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------- text helpers


def _encodable(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def pdf_safe_text(value: Any) -> str:
    """``value`` as text that the standard PDF fonts can show (cp1252): approximations or ``?`` for the rest.

    Newlines are kept (``multi_cell`` honours them); carriage returns and other control characters are dropped.
    """
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        elif char in _SPACES:
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue
        elif _encodable(char):
            out.append(char)
        else:
            decomposed = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(decomposed if decomposed and all(map(_encodable, decomposed)) else "?")
    return "".join(out)


def format_ins(ins: str) -> str:
    """A 15-character INS/NIR grouped as printed on the card: ``1 80 05 75 123 456 78``."""
    compact = "".join(str(ins).split())
    if len(compact) != 15:
        return compact
    groups = (1, 2, 2, 2, 3, 3, 2)
    parts, start = [], 0
    for size in groups:
        parts.append(compact[start : start + size])
        start += size
    return " ".join(parts)


def _format_date(value: Any) -> str:
    """An ISO date (or the date of an ISO date-time) as ``JJ/MM/AAAA``; anything else unchanged."""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return "" if value is None else str(value)


def _format_datetime(value: Any) -> str:
    """An ISO date-time as ``JJ/MM/AAAA HH:MM UTC``; a bare date as ``JJ/MM/AAAA``; anything else unchanged."""
    if isinstance(value, str) and len(value) > 10:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        parsed = parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
        return parsed.strftime("%d/%m/%Y %H:%M UTC")
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.strftime("%d/%m/%Y %H:%M UTC")
    return _format_date(value)


def _format_number(value: Any) -> str:
    """A measurement value the French way: ``72,5``; integers without decimals."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.6g}".replace(".", ",")
    return "" if value is None else str(value)


def _format_value(value: Any) -> str:
    """A profile field value as text: booleans in French, ISO dates as ``JJ/MM/AAAA``, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return _format_number(value)
    if isinstance(value, str):
        if len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
            return _format_date(value)
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{_caption(k)} : {_format_value(v)}" for k, v in value.items() if not _is_blank(v))
    if isinstance(value, Iterable):
        return ", ".join(_format_value(v) for v in value if not _is_blank(v))
    return str(value)


def _caption(key: Any) -> str:
    return FIELD_CAPTIONS.get(str(key), str(key).replace("_", " "))


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping | list | tuple | set):
        return not value
    return False


def describe_item(item: Any) -> tuple[str, list[str]]:
    """A profile item as (main label, ["clé : valeur", ...]).

    A string is its own label. A dict's label is its first non-blank field among ``MAIN_LABEL_KEYS``; every other
    non-blank field becomes a detail line, in the dict's order.
    """
    if not isinstance(item, Mapping):
        return _format_value(item), []
    label_key = next((key for key in MAIN_LABEL_KEYS if not _is_blank(item.get(key))), None)
    label = _format_value(item[label_key]) if label_key else ""
    details = [
        f"{_caption(key)} : {_format_value(value)}"
        for key, value in item.items()
        if key != label_key and not _is_blank(value)
    ]
    return label, details


# --------------------------------------------------------------------------------------------------- rendering

_MARGIN = 15
_FOOTER_HEIGHT = 22  # room kept at the bottom of each page for the footer
_ACCENT = (0, 84, 147)
_LIGHT = (232, 240, 248)
_GREY = (90, 90, 90)
# Placeholder for the page count: it holds a control character, which pdf_safe_text never lets through, so no
# patient-provided text can be mistaken for it (the default "{nb}" could).
_NB_PAGES = "{\x01nb}"


def _make_document(generated_at: dt.datetime) -> Any:
    from fpdf import FPDF

    stamp = generated_at.strftime("%d/%m/%Y à %H:%M UTC")

    class SummaryPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-_FOOTER_HEIGHT + 6)
            self.set_draw_color(*_ACCENT)
            self.set_line_width(0.3)
            self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
            self.ln(1.5)
            self.set_font("helvetica", "I", 7.5)
            self.set_text_color(*_GREY)
            self.cell(0, 4, pdf_safe_text(CONFIDENTIAL), align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_font("helvetica", "", 8)
            self.cell(
                0,
                4,
                pdf_safe_text(f"Document généré le {stamp} — page {self.page_no()}/") + _NB_PAGES,
                align="C",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self.set_text_color(0, 0, 0)

    pdf = SummaryPDF(orientation="P", unit="mm", format="A4")
    pdf.core_fonts_encoding = "cp1252"  # standard fonts are written with WinAnsiEncoding
    pdf.alias_nb_pages(_NB_PAGES)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_FOOTER_HEIGHT)
    pdf.set_creation_date(generated_at)
    pdf.set_title(TITLE)
    pdf.set_subject("Synthèse du profil médical, des vaccinations et des dernières mesures")
    pdf.set_creator("ens — Mon Espace Santé")
    pdf.set_lang("fr-FR")
    return pdf


def _heading(pdf: Any, text: str) -> None:
    # Keep a heading with at least its first lines: break now rather than leave it alone at the bottom of a page.
    if pdf.will_page_break(24):
        pdf.add_page()
    pdf.ln(3)
    pdf.start_section(pdf_safe_text(text))
    pdf.set_font("helvetica", "B", 12)
    pdf.set_fill_color(*_LIGHT)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 7, pdf_safe_text(text), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)


def _paragraph(
    pdf: Any,
    text: str,
    *,
    style: str = "",
    size: float = 10,
    indent: float = 0,
    color: tuple[int, int, int] = (0, 0, 0),
) -> None:
    pdf.set_font("helvetica", style, size)
    pdf.set_text_color(*color)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(pdf.epw - indent, size * 0.5, pdf_safe_text(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _empty(pdf: Any) -> None:
    _paragraph(pdf, EMPTY, style="I", color=_GREY)


def _items(pdf: Any, items: Any) -> None:
    if isinstance(items, str | Mapping):
        items = [items]
    rendered = 0
    for item in items or ():
        if _is_blank(item):
            continue
        label, details = describe_item(item)
        _paragraph(pdf, f"•  {label or (details.pop(0) if details else '')}", indent=2)
        if details:
            _paragraph(pdf, "  ·  ".join(details), size=8.5, indent=6, color=_GREY)
        pdf.ln(0.8)
        rendered += 1
    if not rendered:
        _empty(pdf)


def _single(pdf: Any, value: Any) -> None:
    """A single-valued section: text, a yes/no, or a dict shown field by field."""
    if _is_blank(value):
        _empty(pdf)
    elif isinstance(value, bool):
        _paragraph(pdf, "Oui" if value else "Non")
    elif isinstance(value, Mapping):
        label, details = describe_item(value)
        if label:
            _paragraph(pdf, label)
        for line in details:
            _paragraph(pdf, line, size=9, indent=2)
    else:
        _paragraph(pdf, _format_value(value))


def _table(pdf: Any, headings: tuple[str, ...], widths: tuple[int, ...], rows: list[tuple[str, ...]]) -> None:
    if not rows:
        _empty(pdf)
        return
    pdf.set_font("helvetica", "", 9)
    pdf.set_draw_color(180, 180, 180)
    pdf.set_line_width(0.2)
    from fpdf.fonts import FontFace

    heading_style = FontFace(emphasis="BOLD", color=_ACCENT, fill_color=_LIGHT)
    with pdf.table(
        col_widths=widths, headings_style=heading_style, text_align="LEFT", line_height=5, repeat_headings=1, padding=1
    ) as table:
        head = table.row()
        for text in headings:
            head.cell(pdf_safe_text(text))
        for row in rows:
            line = table.row()
            for text in row:
                line.cell(pdf_safe_text(text))


def _identity(pdf: Any, summary: PatientSummary) -> None:
    pdf.set_font("helvetica", "B", 18)
    pdf.set_text_color(*_ACCENT)
    pdf.multi_cell(0, 9, pdf_safe_text(TITLE), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    name = f"{summary.given_name} {summary.family_name.upper()}".strip()
    _paragraph(pdf, name, style="B", size=13)
    sex = SEX_LABELS.get(summary.sex, summary.sex)
    born = "Née le" if summary.sex == "F" else "Né le"
    lines = [
        f"{born} {_format_date(summary.birth_date)}" + (f" — {sex}" if sex else ""),
        f"INS : {format_ins(summary.ins)}",
    ]
    for line in lines:
        _paragraph(pdf, line)
    pdf.ln(1)
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def render_summary(summary: PatientSummary, compress: bool = True) -> bytes:
    """The summary as PDF bytes. ``compress=False`` leaves the page streams readable (for tests and debugging)."""
    generated_at = summary.generated_at
    generated_at = generated_at.replace(tzinfo=dt.UTC) if generated_at.tzinfo is None else generated_at
    generated_at = generated_at.astimezone(dt.UTC)

    pdf = _make_document(generated_at)
    pdf.set_compression(compress)
    pdf.add_page()
    _identity(pdf, summary)

    profile = summary.profile or {}
    for key, heading in LIST_SECTIONS:
        _heading(pdf, heading)
        _items(pdf, profile.get(key))

    _heading(pdf, "Groupe sanguin")
    _single(pdf, profile.get("blood_group"))
    _heading(pdf, "Directives anticipées")
    _single(pdf, profile.get("advance_directives"))
    _heading(pdf, "Don d'organes")
    _single(pdf, profile.get("organ_donation"))

    _heading(pdf, "Vaccinations")
    _table(
        pdf,
        ("Vaccin", "Date", "Dose", "Lot"),
        (80, 30, 30, 40),
        [
            (
                _format_value(v.get("vaccine")),
                _format_date(v.get("date")),
                _format_value(v.get("dose")),
                _format_value(v.get("lot")),
            )
            for v in summary.vaccinations or ()
        ],
    )

    _heading(pdf, "Dernières mesures")
    _table(
        pdf,
        ("Mesure", "Code LOINC", "Valeur", "Unité", "Date"),
        (58, 26, 24, 24, 48),
        [
            (
                _format_value(m.get("label") or m.get("code")),
                _format_value(m.get("code")),
                _format_number(m.get("value")),
                _format_value(m.get("unit")),
                _format_datetime(m.get("effective_at")),
            )
            for m in summary.measurements or ()
        ],
    )

    return bytes(pdf.output())
