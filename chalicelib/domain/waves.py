"""National waves (CONTRACT §8): work that runs as many small units.

Enrolment files: the CSV's shape, how it is cut into units, how a unit's rows are read, the report, and the
state of a batch. Job runs: the state of one scheduled run fanned out in units. Pure: bytes in, values out;
reading S3, sending units and conditional writes are the services' and adapters' job.

A file is cut at *record* boundaries: a newline outside a quoted field (RFC 4180 quoting, so a postal address
may hold commas and line breaks). A unit is a byte range of at most ``UNIT_ROWS`` records (and ``UNIT_MAX_BYTES``)
with the number of its first line, so a worker reads exactly its rows with one ranged GET and reports each row by
its line in the file. Cutting only counts newlines and quotes (C-speed ``bytes.find``/``bytes.count``); the
cells are parsed by the worker, with the standard ``csv`` module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

# The columns of a POST /enrolments row, in the contract's order; a header may give them in any order and may
# leave out the optional ones.
COLUMNS = ("nir", "given_name", "family_name", "birth_date", "email", "phone", "postal_address", "vitale_serial",
           "notified_at", "legal_representative_nir")
REQUIRED = ("nir", "given_name", "family_name", "birth_date")
UNIT_ROWS = 250  # a unit: a few hundred rows, one worker invocation (docs/scale.md)
UNIT_MAX_BYTES = 256 * 1024  # a unit's byte range never exceeds this, whatever its rows
CHUNK_BYTES = 8 * 1024 * 1024  # the splitter reads the file by ranged GETs of this size
PART_BYTES = 8 * 1024 * 1024  # the report is assembled in multipart-upload parts of this size (S3: ≥ 5 MiB)
REPORT_HEADER = ("line", "nir", "status", "reason")
BOM = b"\xef\xbb\xbf"


class BatchStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Phase(StrEnum):
    """Where a running batch is."""

    SPLITTING = "splitting"  # units are being sent
    SPLIT = "split"  # every unit is sent; workers are enrolling
    FINALISING = "finalising"  # every unit is done; the report is being assembled


class BadFile(Exception):
    """The file cannot be processed at all (its header, its size, a record that never ends): the batch fails with
    this sentence. A bad *row* never raises: it is reported on its line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Unit:
    """Rows ``[start, end)`` of the file (bytes), the first of them on line ``line``."""

    number: int
    start: int
    end: int
    line: int
    rows: int


@dataclass(frozen=True)
class Cut:
    """What one chunk gave: the units it completed and where the next chunk starts."""

    units: list[Unit]
    next_offset: int
    next_line: int
    rows: int  # rows in the units


@dataclass
class Checkpoint:
    """Where the splitter is: the next byte and line to read, the units and rows sent so far."""

    offset: int = 0
    line: int = 1
    units: int = 0
    rows: int = 0


COUNTERS = ("total", "notified", "duplicate", "invalid", "not_processed")


@dataclass
class Batch:
    """One enrolment file and its progress. ``counts`` holds COUNTERS; units complete once each."""

    batch_id: str
    status: BatchStatus
    created_at: dt.datetime
    key: str  # the uploaded file's object key
    expected_rows: int | None = None
    phase: Phase | None = None
    version: str | None = None  # the object version the batch is bound to (a second upload is ignored)
    size: int | None = None
    columns: tuple[str, ...] = ()
    checkpoint: Checkpoint = field(default_factory=Checkpoint)
    units_total: int | None = None  # known once the split is done
    units_done: int = 0
    units_failed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    report_key: str | None = None
    reason: str | None = None  # why it failed, or why the end of the file could not be read
    reason_line: int | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    upload_id: str | None = None  # the report's multipart upload
    report_unit: int = 0  # the report holds the parts of the units before this one ...
    report_part: int = 1  # ... in multipart parts numbered before this one

    @property
    def complete(self) -> bool:
        """Every unit sent is done or failed, and no more will be sent."""
        return (self.status == BatchStatus.RUNNING and self.phase in (Phase.SPLIT, Phase.FINALISING)
                and self.units_total is not None and self.units_done + self.units_failed >= self.units_total)


@dataclass
class Run:
    """One run of a fanned-out job: the units its dispatcher sent and what they did."""

    run_id: str
    job: str
    now: dt.datetime
    units_total: int | None = None  # known once the dispatcher stopped
    units_done: int = 0
    units_failed: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    complete_dispatch: bool = True  # False: it stopped near its time limit, the next run takes the rest

    @property
    def finished(self) -> bool:
        return self.units_total is not None and self.units_done + self.units_failed >= self.units_total


class UnitState(StrEnum):
    """What a worker finds when it starts a unit."""

    NEW = "new"  # nobody did it: this worker holds it now
    DONE = "done"  # already done (a duplicate delivery): nothing to do
    BUSY = "busy"  # another attempt holds it: retry later


def _records(data: bytes, start: int, at_eof: bool) -> Iterable[tuple[int, int, bool]]:
    """(end, lines, blank) of each complete record of ``data`` from ``start``; a record ends at a newline outside
    quotes (or at the end of the file)."""
    pos = start
    size = len(data)
    while pos < size:
        begin, quotes, lines = pos, 0, 0
        while True:
            newline = data.find(b"\n", pos)
            if newline == -1:
                if not at_eof:
                    return  # the record goes on in the next chunk
                quotes += data.count(b'"', pos, size)
                if quotes % 2:
                    raise BadFile(f"A quoted cell opened on the record ending the file is never closed "
                                  f"(after byte {begin}).")
                yield size, lines + 1, not data[begin:size].strip()
                return
            quotes += data.count(b'"', pos, newline)
            lines += 1
            pos = newline + 1
            if quotes % 2 == 0:
                break
        yield pos, lines, not data[begin:pos].strip()


def header_end(data: bytes, at_eof: bool) -> int:
    """The byte where the header record ends (after its newline)."""
    for end, _, _ in _records(data, 0, at_eof):
        return end
    raise BadFile(f"The first line is not a header: no line break in its first {len(data):,} bytes.")


def parse_header(raw: bytes) -> tuple[str, ...]:
    """The columns the header names, checked against the contract's."""
    text = raw.removeprefix(BOM)
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise BadFile("The header line is not UTF-8 text.") from None
    try:
        cells = next(csv.reader(io.StringIO(decoded, newline="")), [])
    except csv.Error as error:
        raise BadFile(f"The header line cannot be read as CSV ({error}).") from None
    columns = tuple(c.strip().lower() for c in cells)
    if not columns or columns == ("",):
        raise BadFile("The file is empty: it needs a header line, then one person a line.")
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise BadFile(f"The header names unknown columns ({', '.join(repr(c) for c in unknown)}); the columns "
                      f"are {', '.join(COLUMNS)}.")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise BadFile(f"The header names {', '.join(repeated)} more than once.")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise BadFile(f"The header lacks the required columns {', '.join(missing)}.")
    return columns


def cut(data: bytes, offset: int, line: int, first_unit: int, at_eof: bool, unit_rows: int = UNIT_ROWS,
        unit_max_bytes: int = UNIT_MAX_BYTES) -> Cut:
    """Cut ``data`` (the file's bytes from ``offset``, whose first line is ``line``) into units numbered from
    ``first_unit``. A unit the chunk does not finish is left for the next chunk, which starts where it starts;
    if the chunk finishes no unit at all, its complete records make a shorter one (progress is always made)."""
    units: list[Unit] = []
    unit_start, unit_line, rows, current_line, total = 0, line, 0, line, 0
    last_end = 0
    for end, lines, blank in _records(data, 0, at_eof):
        current_line += lines
        rows += 0 if blank else 1
        last_end = end
        if rows >= unit_rows or end - unit_start >= unit_max_bytes:
            units.append(Unit(first_unit + len(units), offset + unit_start, offset + end, unit_line, rows))
            total += rows
            unit_start, unit_line, rows = end, current_line, 0
    if not at_eof and not units and last_end:
        units.append(Unit(first_unit, offset, offset + last_end, line, rows))
        return Cut(units, offset + last_end, current_line, rows)
    if at_eof and rows:
        units.append(Unit(first_unit + len(units), offset + unit_start, offset + len(data), unit_line, rows))
        total += rows
        unit_start, unit_line = len(data), current_line
    if at_eof:
        return Cut(units, offset + len(data), current_line, total)
    if not units:
        raise BadFile(f"Line {line} does not end within {len(data):,} bytes: a line that long, or a quoted cell "
                      "that is never closed.")
    return Cut(units, offset + unit_start, unit_line, total)


# -- the worker's side -----------------------------------------------------------------------------------------------
@dataclass
class ParsedRow:
    """One row of a unit: the cells as a POST /enrolments row (empty cell = absent), or why it cannot be one."""

    line: int
    row: dict[str, str] | None
    problem: str | None = None

    @property
    def nir(self) -> str:
        return (self.row or {}).get("nir", "")


def parse_unit(data: bytes, first_line: int, columns: Sequence[str]) -> list[ParsedRow]:
    """The rows of a unit's bytes, each with its line in the file. Blank lines (and lines of empty cells only)
    are not rows."""
    text = data.decode("utf-8", errors="surrogateescape")
    # lines end at "\n" only, as the splitter cuts them; a bare "\r" in an unquoted cell is a CSV error on its row
    reader = csv.reader(io.StringIO(text, newline="\n"))
    rows: list[ParsedRow] = []
    while True:
        line = first_line + reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            return rows
        except csv.Error as error:
            rows.append(ParsedRow(line, None, f"line {line} cannot be read as CSV ({error})"))
            continue
        if not any(c.strip() for c in cells):
            continue
        if any("\udc80" <= ch <= "\udcff" for cell in cells for ch in cell):
            rows.append(ParsedRow(line, None, f"line {line} is not UTF-8 text"))
            continue
        if len(cells) != len(columns):
            nir = cells[columns.index("nir")].strip() if len(cells) > columns.index("nir") else ""
            rows.append(ParsedRow(line, {"nir": nir} if nir else None,
                                  f"line {line} has {len(cells)} cells where the header names {len(columns)} "
                                  "columns"))
            continue
        rows.append(ParsedRow(line, {c: v.strip() for c, v in zip(columns, cells, strict=True) if v.strip()}))


@dataclass(frozen=True)
class ReportRow:
    line: int
    nir: str
    status: str  # notified | duplicate | invalid | not_processed
    reason: str = ""


@dataclass
class Tally:
    """The counters of a batch (or of one of its units)."""

    total: int = 0
    notified: int = 0
    duplicate: int = 0
    invalid: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, rows: Iterable[ReportRow]) -> Tally:
        counts = Counter(r.status for r in rows)
        return cls(sum(counts.values()), counts["notified"], counts["duplicate"], counts["invalid"], counts)

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "notified": self.notified, "duplicate": self.duplicate,
                "invalid": self.invalid}


def report_lines(rows: Iterable[ReportRow]) -> bytes:
    """CSV lines ``line,nir,status,reason`` (quoted where needed), without the header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow((row.line, row.nir, row.status, row.reason))
    return out.getvalue().encode("utf-8")


def report_header() -> bytes:
    return (",".join(REPORT_HEADER) + "\n").encode()


def read_report_lines(data: bytes) -> list[ReportRow]:
    """The rows of a report part (a retried unit reuses the part its first attempt wrote)."""
    return [ReportRow(int(line), nir, status, reason)
            for line, nir, status, reason in csv.reader(io.StringIO(data.decode("utf-8"), newline=""))]
