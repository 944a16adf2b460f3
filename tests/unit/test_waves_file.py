"""Enrolment files, pure (chalicelib/domain/waves.py): the header, the cutting into units at record boundaries,
the reading of a unit's rows with their line numbers, the report lines."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.waves import (
    COLUMNS,
    BadFile,
    ReportRow,
    Tally,
    cut,
    header_end,
    parse_header,
    parse_unit,
    read_report_lines,
    report_lines,
)

HEADER = ",".join(COLUMNS) + "\n"


def csv_line(cells: list[str], quoting: int = csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=quoting).writerow(cells)
    return out.getvalue()


def split_all(data: bytes, chunk: int, unit_rows: int, unit_max_bytes: int = 256 * 1024):
    """The splitter's loop over a whole file, by chunks of ``chunk`` bytes: every unit, in order."""
    offset = header_end(data[:chunk], len(data) <= chunk)
    line, number, units = 2, 0, []
    while offset < len(data):
        piece = data[offset:offset + chunk]
        at_eof = offset + len(piece) >= len(data)
        result = cut(piece, offset, line, number, at_eof, unit_rows, unit_max_bytes)
        units += result.units
        number += len(result.units)
        offset, line = result.next_offset, result.next_line
    return units


# -- the header -------------------------------------------------------------------------------------------------------
def test_the_contract_header_is_read_in_any_order_with_optional_columns_left_out():
    assert parse_header(HEADER.encode()) == COLUMNS
    assert parse_header(b"\xef\xbb\xbfBirth_Date, nir ,family_name,given_name\r\n") == (
        "birth_date", "nir", "family_name", "given_name")


@pytest.mark.parametrize(("raw", "says"), [
    (b"\n", "empty"),
    (b"nir,given_name,family_name,birth_date,iban\n", "'iban'"),
    (b"nir,given_name,birth_date\n", "family_name"),
    (b"nir,nir,given_name,family_name,birth_date\n", "nir more than once"),
    (b"\xff\xfenir\n", "UTF-8"),
])
def test_a_bad_header_fails_the_file_with_a_sentence_naming_what_is_wrong(raw, says):
    with pytest.raises(BadFile, match=says):
        parse_header(raw)


def test_a_first_line_that_never_ends_is_not_a_header():
    with pytest.raises(BadFile, match="not a header"):
        header_end(b"nir" * 100, at_eof=False)


# -- cutting into units ------------------------------------------------------------------------------------------------
def test_units_hold_at_most_unit_rows_rows_and_know_their_first_line():
    rows = "".join(csv_line([f"1800575{n:06d}00", "A", "B", "1980-05-01"]) for n in range(10))
    data = ("nir,given_name,family_name,birth_date\n" + rows).encode()
    units = split_all(data, chunk=200, unit_rows=3)
    assert [u.rows for u in units] == [3, 3, 3, 1]
    assert [u.line for u in units] == [2, 5, 8, 11]
    assert [u.number for u in units] == [0, 1, 2, 3]
    assert b"".join(data[u.start:u.end] for u in units) == rows.encode()


def test_a_quoted_cell_may_hold_commas_and_line_breaks_without_cutting_its_row():
    address = '12 rue de la Paix,\n75002 Paris'
    data = (HEADER + csv_line(["1", "A", "B", "1980-05-01", "", "", address, "", "", ""])
            + csv_line(["2", "C", "D", "1981-05-01", "", "", "", "", "", ""])).encode()
    units = split_all(data, chunk=128, unit_rows=1)
    assert [(u.line, u.rows) for u in units] == [(2, 1), (4, 1)]  # the first row spans lines 2 and 3
    rows = parse_unit(data[units[0].start:units[0].end], units[0].line, COLUMNS)
    assert rows[0].row["postal_address"] == address and rows[0].line == 2


def test_a_row_longer_than_a_chunk_or_an_unclosed_quote_is_said_with_its_line():
    data = (HEADER + csv_line(["1", "A", "B", "1980-05-01", "", "", "", "", "", ""]) + '"never closed,' + "x" * 300
            + "\nmore,lines\n" * 20).encode()
    with pytest.raises(BadFile, match="Line 3"):
        split_all(data, chunk=128, unit_rows=1)
    with pytest.raises(BadFile, match="never closed"):
        split_all(data, chunk=len(data), unit_rows=100)


def test_blank_lines_are_not_rows_but_keep_the_line_numbers():
    data = (HEADER + "\n" + csv_line(["1", "A", "B", "1980-05-01", "", "", "", "", "", ""]) + "\r\n\n" + ",,,,,,,,,\n"
            + csv_line(["2", "C", "D", "1981-05-01", "", "", "", "", "", ""])).encode()
    [unit] = split_all(data, chunk=len(data), unit_rows=100)
    rows = parse_unit(data[unit.start:unit.end], unit.line, COLUMNS)
    assert [(r.line, r.nir) for r in rows] == [(3, "1"), (7, "2")]


# -- reading a unit ----------------------------------------------------------------------------------------------------
def test_a_unit_row_becomes_the_shape_of_a_post_enrolments_row_with_empty_cells_absent():
    data = csv_line(["180057512345627", " Camille ", "Martin", "1980-05-01", "", "+33612345678", "", "", "", ""])
    [row] = parse_unit(data.encode(), 42, COLUMNS)
    assert row.line == 42 and row.problem is None
    assert row.row == {"nir": "180057512345627", "given_name": "Camille", "family_name": "Martin",
                       "birth_date": "1980-05-01", "phone": "+33612345678"}


def test_a_row_with_the_wrong_number_of_cells_or_bytes_that_are_not_utf8_is_invalid_on_its_line():
    data = b"180057512345627,Camille,Martin\n" + b"180057512345627,Ca\xffmille,Martin,1980-05-01\n"
    rows = parse_unit(data, 7, ("nir", "given_name", "family_name", "birth_date"))
    assert rows[0].line == 7 and rows[0].nir == "180057512345627" and "3 cells" in rows[0].problem
    assert rows[1].line == 8 and "UTF-8" in rows[1].problem


# -- the report --------------------------------------------------------------------------------------------------------
def test_report_lines_are_csv_that_reads_back_and_tallies():
    rows = [ReportRow(2, "1", "notified"), ReportRow(3, "2", "invalid", 'the field "nir", 15 characters'),
            ReportRow(4, "1", "duplicate", "this NIR appears earlier in the same batch")]
    assert read_report_lines(report_lines(rows)) == rows
    assert Tally.of(rows).as_dict() == {"total": 3, "notified": 1, "duplicate": 1, "invalid": 1}


# -- any file, any chunk size: every row once, on its line ------------------------------------------------------------
cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(cell, min_size=4, max_size=4), min_size=1, max_size=30),
       blank_after=st.sets(st.integers(0, 30)), chunk=st.integers(64, 400), unit_rows=st.integers(1, 7))
def test_any_file_cut_at_any_chunk_size_gives_every_row_once_with_its_line(rows, blank_after, chunk, unit_rows):
    rows = [r for r in rows if any(c.strip() for c in r)] or [["x", "", "", ""]]
    text, lines, expected = "nir,given_name,family_name,birth_date\n", 2, []
    for n, cells in enumerate(rows):
        row = csv_line([c if c.strip() else "" for c in cells], csv.QUOTE_ALL)  # a bare CR must be quoted
        expected.append((lines, {k: v.strip() for k, v in zip(COLUMNS[:4], cells, strict=False) if v.strip()}))
        text += row
        lines += row.count("\n")
        if n in blank_after:
            text += "\n"
            lines += 1
    data = text.encode()
    longest = max(len(csv_line(r, csv.QUOTE_ALL).encode()) for r in rows)
    units = split_all(data, chunk=max(chunk, longest + 64), unit_rows=unit_rows)
    found = []
    for unit in units:
        parsed = parse_unit(data[unit.start:unit.end], unit.line, COLUMNS[:4])
        assert len(parsed) <= unit_rows
        found += [(p.line, p.row) for p in parsed]
    assert found == expected, (text, units)
