"""The patient's health summary as a PDF (``GET /patients/{ins}/summary.pdf``).

``render_summary`` lays out the identity, the medical profile, the vaccinations and the latest measurements with
fpdf2. Two copies: the patient's own ("Synthèse de mon espace santé", with the measurements) and a professional's
("Synthèse de l'espace santé", which says that measurements are not shared with professionals).

Charset: the text is set in Fira Sans, a Unicode TrueType font shipped by the pinned ``fontpkg-fira-sans``
package and embedded (subset) in every PDF, so that every character of a name or an entry renders: "Łukasz",
"Nguyễn", "≥ 5 mg", Greek, Cyrillic. A character the font has no glyph for (an emoji, Chinese) is approximated
without its accents when it can be, else shown as "?", never dropped silently. fpdf2 and the font load only when a
PDF is made (``_fonts``): importing this module stays cheap for every other handler.

What a reader sees is in French: captions and enum values (``severity: severe`` → "sévérité : sévère"), dates as
JJ/MM/AAAA, times in Europe/Paris. A heading always starts on the page of the first lines of its section.

Output is deterministic: the creation date and the file identifier derive from ``generated_at``, so the same input
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TITLE = "Synthèse de mon espace santé"
TITLE_PROFESSIONAL = "Synthèse de l'espace santé"
EMPTY = "Aucune information renseignée"
MEASUREMENTS_NOT_SHARED = ("Les mesures (poids, tension, glycémie...) ne sont pas partagées avec les professionnels "
                           "de santé : elles restent visibles du seul patient.")
CONFIDENTIAL = "Données de santé à caractère personnel — confidentiel"
PARIS = "Europe/Paris"

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

#: French captions of every field a profile entry or the advance directives can hold (a test keeps this complete
#: with the request models), and of a few more found in older entries. Other keys are never shown raw: see _caption.
FIELD_CAPTIONS = {
    # profile entries (chalicelib.models.care.ProfileEntry)
    "name": "nom",
    "since": "depuis",
    "until": "jusqu'au",
    "note": "note",
    "severity": "sévérité",
    "reaction": "réaction",
    "dose": "dose",
    "relative": "lien de parenté",
    # advance directives (chalicelib.models.care.AdvanceDirectives)
    "written": "directives rédigées",
    "summary": "résumé",
    "trusted_person": "personne de confiance",
    "location": "lieu de conservation",
    # older or free-form entries
    "date": "date",
    "start": "début",
    "end": "fin",
    "notes": "notes",
    "dosage": "posologie",
    "frequency": "fréquence",
    "relation": "lien de parenté",
    "reason": "motif",
    "establishment": "établissement",
    "place": "lieu",
    "prescriber": "prescripteur",
    "status": "statut",
    "lot": "lot",
    "code": "code",
    "value": "valeur",
    "unit": "unité",
    "exists": "directives rédigées",
    "consent": "consentement",
    "opposition": "opposition",
    "comment": "commentaire",
}

#: Enum values shown in French, by field.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "severity": {"mild": "légère", "moderate": "modérée", "severe": "sévère", "unknown": "inconnue"},
}

#: The advance directives, field by field, in this order.
DIRECTIVES_ORDER = ("written", "summary", "trusted_person", "location")

SEX_LABELS = {"M": "Homme", "F": "Femme"}

# Invisible or spacing characters: dropped or made plain spaces before anything else.
_DROPPED = {"\u00ad", "\ufeff", "\u200b", "\u200c", "\u200d", "\u2060"}
_SPACES = {"\t", "\u00a0", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007",
           "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000"}


@dataclass(frozen=True)
class PatientSummary:
    """Everything the summary shows. ``generated_at`` is UTC; ``profile`` follows ``GET /patients/{ins}/profile``,
    ``vaccinations`` the vaccination records and ``measurements`` the latest measurement per LOINC code.
    ``professional_copy``: the copy a professional downloads (another title; measurements are not shared)."""

    ins: str
    given_name: str
    family_name: str
    birth_date: dt.date
    sex: str
    generated_at: dt.datetime
    profile: dict = field(default_factory=dict)
    vaccinations: list[dict] = field(default_factory=list)
    measurements: list[dict] = field(default_factory=list)
    professional_copy: bool = False


# --------------------------------------------------------------------------------------------------- the font


@dataclass(frozen=True)
class _Font:
    family: str
    files: dict[str, Any]  # style ("", "B", "I", "BI") → path
    glyphs: frozenset[int]  # the code points the font can draw


@functools.cache
def _fonts() -> _Font:
    """Fira Sans from its package (loaded once, on the first PDF)."""
    from fontpkg_fira_sans import ROOT
    from fontTools.ttLib import TTFont

    files = {"": ROOT / "files" / "FiraSans-Regular.ttf", "B": ROOT / "files" / "FiraSans-Bold.ttf",
             "I": ROOT / "files" / "FiraSans-Italic.ttf"}
    glyphs: set[int] = set()
    for path in files.values():
        with TTFont(path, lazy=True) as font:
            cmap = set(font.getBestCmap())
        glyphs = cmap if not glyphs else glyphs & cmap
    return _Font("FiraSans", files, frozenset(glyphs))


def printable_text(value: Any, glyphs: frozenset[int] | None = None) -> str:
    """``value`` as text the embedded font can draw: a character it has no glyph for becomes its unaccented form
    when that exists (``ǆ`` → ``dž``), else ``?``. Newlines are kept (``multi_cell`` honours them); carriage returns
    and other control characters are dropped."""
    glyphs = _fonts().glyphs if glyphs is None else glyphs
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append(char)
        elif char in _DROPPED:
            continue
        elif char in _SPACES:
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue
        elif ord(char) in glyphs:
            out.append(char)
        else:
            decomposed = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(decomposed if decomposed and all(ord(c) in glyphs for c in decomposed) else "?")
    return "".join(out)


# --------------------------------------------------------------------------------------------------- text helpers


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


@functools.cache
def _paris() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(PARIS)


def in_paris(value: dt.datetime) -> dt.datetime:
    """A time as read on a clock in France (a naive time is UTC)."""
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return value.astimezone(_paris())


def _format_date(value: Any) -> str:
    """An ISO date (or the date of an ISO date-time) as ``JJ/MM/AAAA``; anything else unchanged."""
    if isinstance(value, dt.datetime):
        return in_paris(value).strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return "" if value is None else str(value)


def _format_datetime(value: Any) -> str:
    """An ISO date-time as ``JJ/MM/AAAA HH:MM``, Paris time; a bare date as ``JJ/MM/AAAA``; else unchanged."""
    if isinstance(value, str) and len(value) > 10:
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return in_paris(value).strftime("%d/%m/%Y %H:%M")
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


def _format_value(value: Any, key: str | None = None) -> str:
    """A profile field value as text: enum values and booleans in French, ISO dates as ``JJ/MM/AAAA``, lists
    joined."""
    if value is None:
        return ""
    if key in VALUE_LABELS and isinstance(value, str):
        return VALUE_LABELS[key].get(value, value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return _format_number(value)
    if isinstance(value, str):
        if len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
            return _format_date(value)
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{_caption(k)} : {_format_value(v, str(k))}" for k, v in value.items() if not _is_blank(v))
    if isinstance(value, Iterable):
        return ", ".join(_format_value(v) for v in value if not _is_blank(v))
    return str(value)


def _caption(key: Any) -> str:
    """The French caption of a field; a key without one is shown as words, never as an identifier."""
    text = str(key)
    return FIELD_CAPTIONS.get(text, text.replace("_", " ").strip() or "information")


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
    non-blank field becomes a detail line, in the dict's order, its value in French.
    """
    if not isinstance(item, Mapping):
        return _format_value(item), []
    label_key = next((key for key in MAIN_LABEL_KEYS if not _is_blank(item.get(key))), None)
    label = _format_value(item[label_key]) if label_key else ""
    details = [
        f"{_caption(key)} : {_format_value(value, str(key))}"
        for key, value in item.items()
        if key != label_key and not _is_blank(value)
    ]
    return label, details


def describe_directives(value: Any) -> list[str]:
    """The advance directives as French lines: "Directives rédigées : oui", "Personne de confiance : ..."."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if not isinstance(value, Mapping):
        return [] if _is_blank(value) else [_format_value(value)]
    keys = [k for k in DIRECTIVES_ORDER if k in value] + [k for k in value if k not in DIRECTIVES_ORDER]
    lines = []
    for key in keys:
        if _is_blank(value.get(key)):
            continue
        caption = _caption(key)
        lines.append(f"{caption[:1].upper()}{caption[1:]} : {_format_value(value[key], key)}")
    return lines


def describe_organ_donation(value: Any) -> str:
    if value is True:
        return "Favorable au don d'organes et de tissus"
    if value is False:
        return "Opposition au don d'organes et de tissus exprimée"
    return ""


# --------------------------------------------------------------------------------------------------- rendering

_MARGIN = 15
_FOOTER_HEIGHT = 22  # room kept at the bottom of each page for the footer
_ACCENT = (0, 84, 147)
_LIGHT = (232, 240, 248)
_GREY = (90, 90, 90)
_HEADING_HEIGHT = 3 + 7 + 1.5  # space above, the band, space below
_TABLE_LINE = 5
_TABLE_PADDING = 1
# Placeholder for the page count: it holds a control character, which printable_text never lets through, so no
# patient-provided text can be mistaken for it (the default "{nb}" could).
_NB_PAGES = "{\x01nb}"


def _make_document(generated_at: dt.datetime, title: str) -> Any:
    from fpdf import FPDF

    font = _fonts()
    stamp = in_paris(generated_at).strftime("%d/%m/%Y à %H:%M")

    class SummaryPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-_FOOTER_HEIGHT + 6)
            self.set_draw_color(*_ACCENT)
            self.set_line_width(0.3)
            self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
            self.ln(1.5)
            self.set_font(font.family, "I", 7.5)
            self.set_text_color(*_GREY)
            self.cell(0, 4, CONFIDENTIAL, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_font(font.family, "", 8)
            self.cell(0, 4, f"Document généré le {stamp} (heure de Paris) — page {self.page_no()}/" + _NB_PAGES,
                      align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)

    pdf = SummaryPDF(orientation="P", unit="mm", format="A4")
    for style, path in font.files.items():
        pdf.add_font(font.family, style, path)
    pdf.alias_nb_pages(_NB_PAGES)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_FOOTER_HEIGHT)
    pdf.set_creation_date(generated_at)
    pdf.set_title(title)
    pdf.set_subject("Synthèse du profil médical, des vaccinations et des dernières mesures")
    pdf.set_creator("ens — Mon Espace Santé")
    pdf.set_lang("fr-FR")
    return pdf


def _text_height(pdf: Any, text: str, size: float, width: float, style: str = "") -> float:
    """How tall ``text`` is once wrapped in ``width`` (nothing is drawn)."""
    pdf.set_font(_fonts().family, style, size)
    lines = pdf.multi_cell(width, size * 0.5, printable_text(text), dry_run=True, output="LINES")
    return len(lines) * size * 0.5


def _keep_with_heading(pdf: Any, first_block: float) -> None:
    """Start a new page now rather than leave a heading at the bottom of a page without its first lines."""
    if pdf.will_page_break(_HEADING_HEIGHT + first_block):
        pdf.add_page()


def _heading(pdf: Any, text: str, first_block: float) -> None:
    _keep_with_heading(pdf, first_block)
    pdf.ln(3)
    pdf.start_section(printable_text(text))
    pdf.set_font(_fonts().family, "B", 12)
    pdf.set_fill_color(*_LIGHT)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 7, printable_text(text), fill=True, new_x="LMARGIN", new_y="NEXT")
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
    pdf.set_font(_fonts().family, style, size)
    pdf.set_text_color(*color)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(pdf.epw - indent, size * 0.5, printable_text(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _note(pdf: Any, text: str) -> None:
    _paragraph(pdf, text, style="I", color=_GREY)


def _note_height(pdf: Any, text: str) -> float:
    return _text_height(pdf, text, 10, pdf.epw, "I")


def _item_lines(items: Any) -> list[tuple[str, list[str]]]:
    if isinstance(items, str | Mapping):
        items = [items]
    described = []
    for item in items or ():
        if _is_blank(item):
            continue
        label, details = describe_item(item)
        if not label and details:
            label = details.pop(0)
        described.append((label, details))
    return described


def _list_section(pdf: Any, heading: str, items: Any) -> None:
    described = _item_lines(items)
    if not described:
        _heading(pdf, heading, _note_height(pdf, EMPTY))
        _note(pdf, EMPTY)
        return
    label, details = described[0]
    first = _text_height(pdf, f"•  {label}", 10, pdf.epw - 2)
    if details:
        first += _text_height(pdf, "  ·  ".join(details), 8.5, pdf.epw - 6)
    _heading(pdf, heading, first)
    for label, details in described:
        _paragraph(pdf, f"•  {label}", indent=2)
        if details:
            _paragraph(pdf, "  ·  ".join(details), size=8.5, indent=6, color=_GREY)
        pdf.ln(0.8)


def _lines_section(pdf: Any, heading: str, lines: list[str]) -> None:
    lines = [line for line in lines if line.strip()]
    if not lines:
        _heading(pdf, heading, _note_height(pdf, EMPTY))
        _note(pdf, EMPTY)
        return
    _heading(pdf, heading, _text_height(pdf, lines[0], 10, pdf.epw))
    for line in lines:
        _paragraph(pdf, line)


def _row_height(pdf: Any, row: tuple[str, ...], widths: tuple[int, ...], style: str = "") -> float:
    tallest = max(_text_height(pdf, text, 9, width - 2 * _TABLE_PADDING, style) for text, width in zip(row, widths,
                                                                                                        strict=True))
    return max(tallest, _TABLE_LINE) + 2 * _TABLE_PADDING


def _table_section(pdf: Any, heading: str, headings: tuple[str, ...], widths: tuple[int, ...],
                   rows: list[tuple[str, ...]], empty: str = EMPTY) -> None:
    if not rows:
        _heading(pdf, heading, _note_height(pdf, empty))
        _note(pdf, empty)
        return
    _heading(pdf, heading, _row_height(pdf, headings, widths, "B") + _row_height(pdf, rows[0], widths))
    family = _fonts().family
    pdf.set_font(family, "", 9)
    pdf.set_draw_color(180, 180, 180)
    pdf.set_line_width(0.2)
    from fpdf.fonts import FontFace

    heading_style = FontFace(family=family, emphasis="BOLD", color=_ACCENT, fill_color=_LIGHT)
    with pdf.table(col_widths=widths, headings_style=heading_style, text_align="LEFT", line_height=_TABLE_LINE,
                   repeat_headings=1, padding=_TABLE_PADDING) as table:
        head = table.row()
        for text in headings:
            head.cell(printable_text(text))
        for row in rows:
            line = table.row()
            for text in row:
                line.cell(printable_text(text))


def _identity(pdf: Any, summary: PatientSummary, title: str) -> None:
    family = _fonts().family
    pdf.set_font(family, "B", 18)
    pdf.set_text_color(*_ACCENT)
    pdf.multi_cell(0, 9, printable_text(title), align="L", new_x="LMARGIN", new_y="NEXT")
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
    """The summary as PDF bytes. ``compress=False`` leaves the page streams uncompressed (for debugging)."""
    generated_at = summary.generated_at
    generated_at = generated_at.replace(tzinfo=dt.UTC) if generated_at.tzinfo is None else generated_at
    generated_at = generated_at.astimezone(dt.UTC)
    title = TITLE_PROFESSIONAL if summary.professional_copy else TITLE

    pdf = _make_document(generated_at, title)
    pdf.set_compression(compress)
    pdf.add_page()
    _identity(pdf, summary, title)

    profile = summary.profile or {}
    for key, heading in LIST_SECTIONS:
        _list_section(pdf, heading, profile.get(key))

    blood_group = profile.get("blood_group")
    _lines_section(pdf, "Groupe sanguin", [] if _is_blank(blood_group) else [_format_value(blood_group)])
    _lines_section(pdf, "Directives anticipées", describe_directives(profile.get("advance_directives")))
    _lines_section(pdf, "Don d'organes", [describe_organ_donation(profile.get("organ_donation"))])

    _table_section(
        pdf,
        "Vaccinations",
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

    _table_section(
        pdf,
        "Dernières mesures",
        ("Mesure", "Code LOINC", "Valeur", "Unité", "Date (heure de Paris)"),
        (58, 26, 24, 24, 48),
        [] if summary.professional_copy else [
            (
                _format_value(m.get("label") or m.get("code")),
                _format_value(m.get("code")),
                _format_number(m.get("value")),
                _format_value(m.get("unit")),
                _format_datetime(m.get("effective_at")),
            )
            for m in summary.measurements or ()
        ],
        empty=MEASUREMENTS_NOT_SHARED if summary.professional_copy else EMPTY,
    )

    return bytes(pdf.output())
