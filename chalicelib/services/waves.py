"""Bulk enrolment by file (CONTRACT §8): a batch's whole life, as many small retryable steps.

1. ``create``: a batch ``awaiting_upload`` and a presigned PUT for its CSV (bytes never pass through Lambda).
2. ``uploaded`` (the file's S3 event): the batch is bound to that object version, then *split*: the file is read
   by ranged GETs of a few MiB, cut at record boundaries into units (byte ranges of a few hundred rows with the
   number of their first line) sent ten at a time to the units queue; after each SendMessageBatch the checkpoint
   (byte offset, line, units sent) is written under the batch's lease. Near its time limit the invocation stops,
   queues a continuation and releases the lease; ``resume`` carries on from the checkpoint. Replays are harmless:
   only the lease holder sends, from the checkpoint, and unit ids are their numbers (a unit sent twice after a
   crash is the same unit, done once — see ``run_unit``).
3. ``run_unit`` (a worker): the unit's rows are read with one ranged GET, enrolled under exactly the rules of
   ``POST /enrolments`` (the lifecycle service), and their report part written to S3; the unit is then completed
   in one transaction with the batch's counters, so a retried or duplicated unit never counts twice.
4. The last unit (or the end of the split) queues the report: ``resume`` assembles the parts in order into one CSV
   ``line,nir,status,reason`` with a multipart upload, part by part (bounded memory, resumable), and marks the
   batch ``done``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.access import Action
from chalicelib.domain.identity import Actor
from chalicelib.domain.results import InvalidRow
from chalicelib.domain.waves import (
    CHUNK_BYTES,
    PART_BYTES,
    UNIT_ROWS,
    BadFile,
    Batch,
    BatchStatus,
    Checkpoint,
    ParsedRow,
    Phase,
    ReportRow,
    Tally,
    UnitState,
    cut,
    header_end,
    parse_header,
    parse_unit,
    read_report_lines,
    report_header,
    report_lines,
)
from chalicelib.errors import NotFound
from chalicelib.observability import logger
from chalicelib.ports import Clock, Ids
from chalicelib.services.access import AccessService

if TYPE_CHECKING:
    from chalicelib.models.lifecycle import Beneficiary
    from chalicelib.models.waves import BatchRequest

CONTROL_QUEUE = "batch-control"
UNITS_QUEUE = "enrolment-units"
SEND_GROUP = 10  # units per SendMessageBatch, and per checkpoint
REPORT_WINDOW = 64  # report parts fetched ahead, concurrently
BATCH_ID = re.compile(r"^[0-9a-f]{28}$")
# A unit enrols for the back office: the agent who created the batch was authorised then (``create``), and the
# unit's rows go through the same decision again, as the agent's (the decision, not the worker, says who may enrol).
BACK_OFFICE = Actor(role="agent")


class Budget(Protocol):
    def low(self) -> bool:
        """True when the invocation must stop now to end cleanly before its time limit."""
        ...


@dataclass(frozen=True)
class Attempt:
    """One delivery of a queue message to a worker."""

    owner: str  # unique to this attempt: what holds a unit or a lease
    last: bool  # the queue dead-letters the message if this attempt fails


class Busy(Exception):
    """Another attempt holds the unit or the batch's lease: retry this message once it may have ended."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"{what} is held by another attempt; retry in {retry_after} s")
        self.retry_after = retry_after


class EnrolledRow(Protocol):
    @property
    def nir(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str | None: ...


class Enroller(Protocol):
    def enrol_rows(self, actor: Actor, rows: Sequence[Beneficiary | InvalidRow]) -> Sequence[EnrolledRow]: ...


RowValidator = Callable[[int, Any], "Beneficiary | InvalidRow"]


@dataclass(frozen=True)
class Ticket:
    """A new batch and where its file goes."""

    batch_id: str
    status: str
    upload_url: str
    upload_headers: dict[str, str]


@dataclass(frozen=True)
class UnitProgress:
    sent: int
    done: int
    failed: int


@dataclass(frozen=True)
class BatchView:
    """A batch as the back office sees it (``GET /enrolment-batches/{id}``)."""

    batch_id: str
    status: str
    total: int
    notified: int
    duplicate: int
    invalid: int
    created_at: dt.datetime
    not_processed: int | None = None
    expected_rows: int | None = None
    units: UnitProgress | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    reason: str | None = None
    report_url: str | None = None


class BatchFiles(Protocol):
    def presign_upload(self, key: str) -> tuple[str, dict[str, str]]: ...
    def presign_download(self, key: str, filename: str) -> str: ...
    def read(self, key: str, version: str | None, start: int, end: int) -> bytes: ...
    def get(self, key: str) -> bytes | None: ...
    def exists(self, key: str) -> bool: ...
    def put(self, key: str, data: bytes) -> None: ...
    def start_upload(self, key: str) -> str: ...
    def upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> None: ...
    def complete_upload(self, key: str, upload_id: str) -> None: ...
    def delete(self, keys: list[str]) -> None: ...


class Queues(Protocol):
    def send(self, logical: str, bodies: Sequence[dict[str, Any]], delay_seconds: int = 0) -> None: ...


def _groups(units: Sequence[Any], size: int) -> Iterator[tuple[int, Sequence[Any]]]:
    for start in range(0, len(units), size):
        yield start, units[start:start + size]


class EnrolmentBatches:
    def __init__(self, ledger: Any, files: BatchFiles, queues: Queues, lifecycle: Enroller, access: AccessService,
                 clock: Clock, ids: Ids, validate: RowValidator, *, uploads_prefix: str, reports_prefix: str,
                 lease_seconds: int, unit_lease_seconds: int, unit_rows: int = UNIT_ROWS,
                 chunk_bytes: int = CHUNK_BYTES, part_bytes: int = PART_BYTES, fetchers: int = 8) -> None:
        self.ledger = ledger
        self.files = files
        self.queues = queues
        self.lifecycle = lifecycle
        self.access = access
        self.clock = clock
        self.validate = validate
        self.uploads = uploads_prefix
        self.reports = reports_prefix
        self.lease = dt.timedelta(seconds=lease_seconds)  # the splitter's and the report's
        self.unit_lease = dt.timedelta(seconds=unit_lease_seconds)  # a worker's hold on one unit
        self.ids = ids.new
        self.unit_rows = unit_rows
        self.chunk_bytes = chunk_bytes
        self.part_bytes = part_bytes
        self.fetchers = fetchers

    # -- the back office -------------------------------------------------------------------------------------------
    def create(self, actor: Actor, body: BatchRequest) -> Ticket:
        self.access.check(actor, Action.ENROL)
        now = self.clock.now()
        batch_id = self.ids(now)
        key = f"{self.uploads}{batch_id}.csv"
        self.ledger.create_batch(Batch(batch_id, BatchStatus.AWAITING_UPLOAD, now, key, body.rows))
        url, headers = self.files.presign_upload(key)
        return Ticket(batch_id, BatchStatus.AWAITING_UPLOAD.value, url, headers)

    def view(self, actor: Actor, batch_id: str) -> BatchView:
        self.access.check(actor, Action.ENROL)
        batch = self.ledger.batch(batch_id) if BATCH_ID.match(batch_id) else None
        if batch is None:
            raise NotFound(f"No enrolment batch '{batch_id}'.", code="unknown_batch")
        counts = batch.counts
        running = batch.status != BatchStatus.AWAITING_UPLOAD
        return BatchView(
            batch_id=batch.batch_id, status=batch.status.value,
            total=counts.get("total", 0), notified=counts.get("notified", 0),
            duplicate=counts.get("duplicate", 0), invalid=counts.get("invalid", 0), created_at=batch.created_at,
            not_processed=counts.get("not_processed") or None, expected_rows=batch.expected_rows,
            units=UnitProgress(batch.checkpoint.units, batch.units_done, batch.units_failed) if running else None,
            started_at=batch.started_at, finished_at=batch.finished_at, reason=batch.reason or None,
            report_url=(self.files.presign_download(batch.report_key, f"rapport-{batch.batch_id}.csv")
                        if batch.status == BatchStatus.DONE and batch.report_key else None))

    # -- the splitter ----------------------------------------------------------------------------------------------
    def uploaded(self, key: str, version: str | None, size: int, budget: Budget) -> str:
        """The file's S3 event: the first one starts the batch; a replayed one never splits it twice."""
        if not key.startswith(self.uploads) or not key.endswith(".csv"):
            return "ignored"
        batch_id = key[len(self.uploads):-len(".csv")]
        batch = self.ledger.batch(batch_id) if BATCH_ID.match(batch_id) else None
        if batch is None:
            return "unknown batch"
        now = self.clock.now()
        version = version or "null"
        if batch.status == BatchStatus.AWAITING_UPLOAD:
            owner = self.ids(now)
            bound = self.ledger.bind(batch_id, version, size, owner, now + self.lease, now)
            if bound is not None:
                return self._work(bound, owner, budget)
            batch = self.ledger.batch(batch_id)
        if batch is None or batch.status != BatchStatus.RUNNING or batch.version != version:
            return "ignored"  # done, failed, or bound to another upload of the same URL
        try:
            return self.resume(batch_id, budget)
        except Busy:
            # Someone holds the lease. If they died, this queued continuation takes over once the lease ends.
            self.queues.send(CONTROL_QUEUE, [{"batch_id": batch_id}], delay_seconds=60)
            return "replayed"

    def resume(self, batch_id: str, budget: Budget) -> str:
        """A continuation: carry on splitting, or assemble the report, from the batch's checkpoint."""
        batch = self.ledger.batch(batch_id)
        if batch is None or batch.status != BatchStatus.RUNNING:
            return "nothing to do"
        if batch.phase == Phase.SPLIT and not batch.complete:
            return "units running"  # the last unit queues the report
        now = self.clock.now()
        owner = self.ids(now)
        held = self.ledger.take_lease(batch_id, owner, now + self.lease, now)
        if held is None:
            raise Busy("the batch", int(self.lease.total_seconds()))
        return self._work(held, owner, budget)

    def _work(self, batch: Batch, owner: str, budget: Budget) -> str:
        if batch.phase == Phase.SPLITTING:
            try:
                outcome, split = self._split(batch, owner, budget)
            except BadFile as problem:
                self.ledger.fail(batch.batch_id, owner, problem.message, self.clock.now())
                return "failed"
            if split is None:
                return outcome
            batch = split
        if batch.phase == Phase.SPLIT:
            if not batch.complete:
                self.ledger.release(batch.batch_id, owner)
                self._maybe_finish(self.ledger.batch(batch.batch_id))  # the last unit may have ended meanwhile
                return "split"
            started = self.ledger.start_report(batch.batch_id, owner)
            if started is None:
                return "lost"
            batch = started
        if batch.phase == Phase.FINALISING:
            return self._report(batch, owner, budget)
        self.ledger.release(batch.batch_id, owner)
        return "nothing to do"

    def _pause(self, batch_id: str, owner: str) -> str:
        """Near the time limit: queue the continuation, then let it take the lease at once."""
        self.queues.send(CONTROL_QUEUE, [{"batch_id": batch_id}])
        self.ledger.release(batch_id, owner)
        return "continued"

    def _until(self) -> dt.datetime:
        return self.clock.now() + self.lease

    def _unit_message(self, batch: Batch, columns: tuple[str, ...], unit: Any) -> dict[str, Any]:
        return {"batch_id": batch.batch_id, "unit": unit.number, "start": unit.start, "end": unit.end,
                "line": unit.line, "rows": unit.rows, "key": batch.key, "version": batch.version,
                "columns": list(columns)}

    def _split(self, batch: Batch, owner: str, budget: Budget) -> tuple[str, Batch | None]:
        """Send the units from the checkpoint on; (outcome, the batch once split, or None if paused or lost)."""
        size = batch.size or 0
        checkpoint, columns = batch.checkpoint, batch.columns
        if checkpoint.offset == 0:
            if size == 0:
                raise BadFile("The file is empty: it needs a header line, then one person a line.")
            head = self.files.read(batch.key, batch.version, 0, min(self.chunk_bytes, size))
            end = header_end(head, len(head) >= size)
            columns = parse_header(head[:end])
            checkpoint = Checkpoint(end, 2, 0, 0)
            if not self.ledger.save_checkpoint(batch.batch_id, owner, self._until(), checkpoint, columns):
                return "lost", None
        reason, reason_line = None, None
        while checkpoint.offset < size:
            if budget.low():
                return self._pause(batch.batch_id, owner), None
            data = self.files.read(batch.key, batch.version, checkpoint.offset,
                                   min(checkpoint.offset + self.chunk_bytes, size))
            at_eof = checkpoint.offset + len(data) >= size
            try:
                piece = cut(data, checkpoint.offset, checkpoint.line, checkpoint.units, at_eof, self.unit_rows)
            except BadFile as problem:  # the rest of the file cannot be read: what was sent goes on, and is said
                reason, reason_line = problem.message, checkpoint.line
                break
            units = piece.units
            for start, group in _groups(units, SEND_GROUP):
                self.queues.send(UNITS_QUEUE, [self._unit_message(batch, columns, u) for u in group])
                following = units[start + len(group)] if start + len(group) < len(units) else None
                checkpoint = Checkpoint(
                    following.start if following else piece.next_offset,
                    following.line if following else piece.next_line,
                    checkpoint.units + len(group), checkpoint.rows + sum(u.rows for u in group))
                if not self.ledger.save_checkpoint(batch.batch_id, owner, self._until(), checkpoint):
                    return "lost", None
            if not units:
                checkpoint = Checkpoint(piece.next_offset, piece.next_line, checkpoint.units, checkpoint.rows)
        split = self.ledger.split_done(batch.batch_id, owner, checkpoint.units, reason, reason_line)
        return ("split", split) if split is not None else ("lost", None)

    # -- the workers -----------------------------------------------------------------------------------------------
    def _part_key(self, batch_id: str, number: int) -> str:
        return f"{self.reports}{batch_id}/parts/{number:07d}.csv"

    def run_unit(self, message: dict[str, Any], attempt: Attempt) -> str:
        """Enrol one unit's rows, once: a duplicate or a retry of a finished unit does nothing."""
        batch_id, number = message["batch_id"], int(message["unit"])
        scope = self.ledger.batch_scope(batch_id)
        now = self.clock.now()
        state, attempts = self.ledger.begin_unit(scope, number, attempt.owner, now + self.unit_lease, now,
                                                 {"line": message["line"], "rows": message["rows"]})
        if state == UnitState.DONE:
            self._maybe_finish(self.ledger.batch(batch_id))
            return "duplicate"
        if state == UnitState.BUSY:
            raise Busy(f"unit {number}", int(self.unit_lease.total_seconds()))
        try:
            tally = Tally.of(self._unit_rows(message, retried=attempts > 1))
            completed = self.ledger.complete_unit(scope, number, attempt.owner,
                                                  {k: v for k, v in tally.counts.items() if v}
                                                  | {"total": tally.total})
        except Exception:
            if attempt.last:  # dead-lettered next: its rows are counted and reported as not processed
                rows = int(message["rows"])
                self.ledger.fail_unit(scope, number, attempt.owner, {"total": rows, "not_processed": rows})
                self._maybe_finish(self.ledger.batch(batch_id))
            else:
                self.ledger.release_unit(scope, number, attempt.owner)
            raise
        if not completed:
            return "lost"
        self._maybe_finish(self.ledger.batch(batch_id))
        return "done"

    def _unit_rows(self, message: dict[str, Any], retried: bool) -> list[ReportRow]:
        part = self._part_key(message["batch_id"], int(message["unit"]))
        written = self.files.get(part) if retried else None
        if written is not None:  # an earlier attempt enrolled these rows and failed after: reuse its outcome
            return read_report_lines(written)
        data = self.files.read(message["key"], message.get("version"), int(message["start"]), int(message["end"]))
        rows = self._enrol(parse_unit(data, int(message["line"]), tuple(message["columns"])))
        self.files.put(part, report_lines(rows))
        return rows

    def _enrol(self, parsed: list[ParsedRow]) -> list[ReportRow]:
        """The unit's readable rows through the lifecycle service's enrolment, each reported on its line."""
        readable = [self.validate(n, p.row) for n, p in enumerate(parsed) if p.problem is None]
        results = iter(self.lifecycle.enrol_rows(BACK_OFFICE, readable) if readable else [])
        out: list[ReportRow] = []
        for row in parsed:
            if row.problem is not None:
                out.append(ReportRow(row.line, row.nir, "invalid", row.problem))
                continue
            result = next(results)
            out.append(ReportRow(row.line, result.nir or row.nir, result.status, result.reason or ""))
        return out

    def _maybe_finish(self, batch: Batch | None) -> None:
        if batch is not None and batch.complete:
            self.queues.send(CONTROL_QUEUE, [{"batch_id": batch.batch_id}])

    # -- the report ------------------------------------------------------------------------------------------------
    def _missing_part(self, batch_id: str, number: int) -> bytes:
        """A unit that failed for good: one report line says which lines were not processed."""
        unit = self.ledger.unit(self.ledger.batch_scope(batch_id), number) or {}
        line, rows = unit.get("line", 0), unit.get("rows", 0)
        return report_lines([ReportRow(int(line), "", "not_processed",
                                       f"the {rows} rows from line {line} on could not be processed; send them "
                                       "again in a new file")])

    def _report(self, batch: Batch, owner: str, budget: Budget) -> str:
        batch_id, total = batch.batch_id, batch.units_total or 0
        key = f"{self.reports}{batch_id}.csv"
        upload_id, number, part = batch.upload_id, batch.report_unit, batch.report_part
        if upload_id is not None and self.files.exists(key):  # assembled by an attempt that died just after
            return "done" if self.ledger.finish(batch_id, owner, key, self.clock.now()) else "lost"
        if upload_id is None:
            upload_id, number, part = self.files.start_upload(key), 0, 1
            if not self.ledger.save_report_progress(batch_id, owner, self._until(), upload_id, number, part):
                return "lost"
        buffer = bytearray(report_header() if number == 0 else b"")
        with ThreadPoolExecutor(self.fetchers) as pool:
            while number < total:
                if budget.low():
                    return self._pause(batch_id, owner)  # resumes from the last part uploaded
                window = range(number, min(number + REPORT_WINDOW, total))
                for unit, data in zip(window, pool.map(lambda n: self.files.get(self._part_key(batch_id, n)),
                                                       window), strict=True):
                    buffer += data if data is not None else self._missing_part(batch_id, unit)
                    number = unit + 1
                    if len(buffer) >= self.part_bytes:
                        self.files.upload_part(key, upload_id, part, bytes(buffer))
                        part += 1
                        buffer.clear()
                        if not self.ledger.save_report_progress(batch_id, owner, self._until(), upload_id, number,
                                                                part):
                            return "lost"
        if batch.reason:
            buffer += report_lines([ReportRow(batch.reason_line or 0, "", "invalid", batch.reason)])
        if buffer or part == 1:
            self.files.upload_part(key, upload_id, part, bytes(buffer))
        self.files.complete_upload(key, upload_id)
        if not self.ledger.finish(batch_id, owner, key, self.clock.now()):
            return "lost"
        try:
            self.files.delete([self._part_key(batch_id, n) for n in range(total)])
        except Exception:  # the parts expire with the reports' lifecycle anyway
            logger().warning("report parts not deleted", extra={"batch_id": batch_id})
        return "done"
