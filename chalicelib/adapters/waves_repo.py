"""The bookkeeping of work that runs as many units, on DynamoDB (table ``waves``).

Keys, designed for the reads and the races:

* ``BATCH#{id}`` / ``META``: an enrolment batch — what ``GET /enrolment-batches/{id}`` reads (one GetItem), the
  splitter's checkpoint, the report's progress, the counters, and a *lease*: only the invocation holding it
  splits the file or assembles the report (a conditional write takes it; it expires if its holder dies);
* ``RUN#{id}`` / ``META``: one run of a fanned-out job (units sent, done, failed; the job's counters);
* ``BATCH#{id}`` or ``RUN#{id}`` / ``UNIT#{n:07d}``: one item per unit. A worker starts a unit with a conditional
  write (nobody holds it, or its holder's lease ended) and completes it in one transaction with the counters of
  its META item: a retried or duplicated unit never counts twice.

A batch's units share its partition: at most a few writes per unit, far under a partition's 1,000 writes a second
(docs/scale.md). Items expire (TTL ``expires_at``) once they serve nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from chalicelib.adapters.dynamo import Table, is_conditional_failure, key, load, values
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.domain.waves import COUNTERS, Batch, BatchStatus, Checkpoint, Phase, Run, UnitState

META = "META"
BATCH_DAYS = 90  # a batch (and its report's address) is kept this long, then expires
RUN_DAYS = 30


def batch_pk(batch_id: str) -> str:
    return f"BATCH#{batch_id}"


def run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


def unit_sk(number: int) -> str:
    return f"UNIT#{number:07d}"


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _expiry(moment: dt.datetime, days: int) -> int:
    return int((moment + dt.timedelta(days=days)).timestamp())


def _t(value: str | None) -> dt.datetime | None:
    return parse(value) if value else None


_FUNCTIONS = {"attribute_exists", "attribute_not_exists", "if_not_exists", "begins_with", "contains"}
_NAME = re.compile(r"(?<![:#\w])([a-z][a-z0-9_]*)\b")


def escaped(*expressions: str) -> tuple[list[str], dict[str, str]]:
    """Every attribute name of the expressions as a #placeholder (DynamoDB reserves hundreds of words: size,
    status, key, ...). Attribute names here are lower case; keywords are upper case."""
    names: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        word = match.group(1)
        if word in _FUNCTIONS:
            return word
        names[f"#{word}"] = word
        return f"#{word}"

    return [_NAME.sub(swap, e) for e in expressions], names


def batch_from_item(item: dict[str, Any]) -> Batch:
    return Batch(
        batch_id=item["batch_id"], status=BatchStatus(item["status"]), created_at=parse(item["created_at"]),
        key=item["key"], expected_rows=item.get("expected_rows"),
        phase=Phase(item["phase"]) if item.get("phase") else None, version=item.get("version"),
        size=item.get("size"), columns=tuple(item.get("columns") or ()),
        checkpoint=Checkpoint(int(item.get("cp_offset", 0)), int(item.get("cp_line", 1)),
                              int(item.get("cp_units", 0)), int(item.get("cp_rows", 0))),
        units_total=item.get("units_total"), units_done=int(item.get("units_done", 0)),
        units_failed=int(item.get("units_failed", 0)),
        counts={c: int(item.get(f"n_{c}", 0)) for c in COUNTERS}, report_key=item.get("report_key"),
        reason=item.get("reason"), reason_line=item.get("reason_line"), started_at=_t(item.get("started_at")),
        finished_at=_t(item.get("finished_at")), upload_id=item.get("upload_id"),
        report_unit=int(item.get("report_unit", 0)), report_part=int(item.get("report_part", 1)))


def run_from_item(item: dict[str, Any]) -> Run:
    return Run(run_id=item["run_id"], job=item["job"], now=parse(item["now"]), units_total=item.get("units_total"),
               units_done=int(item.get("units_done", 0)), units_failed=int(item.get("units_failed", 0)),
               counters={k[2:]: int(v) for k, v in item.items() if k.startswith("c_")},
               complete_dispatch=not item.get("stopped_early"))


class DynamoWaves:
    """Batches, runs and their units, with the conditional writes that make replays and retries harmless."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    # -- updates with a condition, answering the item as written (or None when the condition does not hold) --------
    def _update(self, pk: str, sk: str, expression: str, condition: str, **vals: Any) -> dict[str, Any] | None:
        (expression, condition), names = escaped(expression, condition)
        answer = self.table.update(pk, sk, expression, names=names, expression_values=values(**vals),
                                   condition=condition, returns="ALL_NEW")
        return answer if isinstance(answer, dict) else None

    # -- batches ------------------------------------------------------------------------------------------------
    def create_batch(self, batch: Batch) -> None:
        self.table.put({"pk": batch_pk(batch.batch_id), "sk": META, "kind": "batch", "batch_id": batch.batch_id,
                        "status": batch.status.value, "created_at": iso_ms(batch.created_at), "key": batch.key,
                        "expected_rows": batch.expected_rows, "expires_at": _expiry(batch.created_at, BATCH_DAYS)},
                       condition="attribute_not_exists(pk)")

    def batch(self, batch_id: str) -> Batch | None:
        item = self.table.get(batch_pk(batch_id), META)
        return batch_from_item(item) if item and item.get("kind") == "batch" else None

    def bind(self, batch_id: str, version: str, size: int, owner: str, until: dt.datetime,
             now: dt.datetime) -> Batch | None:
        """The first upload starts the batch (awaiting_upload → running), bound to that object version, with the
        splitter's lease held by ``owner``. None if it had already started."""
        item = self._update(
            batch_pk(batch_id), META,
            "SET status = :running, phase = :splitting, version = :version, size = :size, started_at = :now, "
            "lease_owner = :owner, lease_until = :until, cp_offset = :zero, cp_line = :one, cp_units = :zero, "
            "cp_rows = :zero",
            "status = :awaiting", running=BatchStatus.RUNNING.value,
            splitting=Phase.SPLITTING.value, version=version, size=size, now=iso_ms(now), owner=owner,
            until=_ms(until), zero=0, one=1, awaiting=BatchStatus.AWAITING_UPLOAD.value)
        return batch_from_item(item) if item else None

    def take_lease(self, batch_id: str, owner: str, until: dt.datetime, now: dt.datetime) -> Batch | None:
        """Hold a running batch's lease if nobody does (released, or its holder's time is up)."""
        item = self._update(batch_pk(batch_id), META, "SET lease_owner = :owner, lease_until = :until",
                            "status = :running AND lease_until < :now",
                            owner=owner, until=_ms(until), now=_ms(now), running=BatchStatus.RUNNING.value)
        return batch_from_item(item) if item else None

    def release(self, batch_id: str, owner: str) -> None:
        self._update(batch_pk(batch_id), META, "SET lease_until = :zero", "lease_owner = :owner", zero=0,
                     owner=owner)

    def save_checkpoint(self, batch_id: str, owner: str, until: dt.datetime, checkpoint: Checkpoint,
                        columns: tuple[str, ...] | None = None) -> bool:
        """Record the split's progress (and extend the lease); False if ``owner`` no longer holds it."""
        expression = ("SET cp_offset = :offset, cp_line = :line, cp_units = :units, cp_rows = :rows, "
                      "lease_until = :until")
        extra: dict[str, Any] = {}
        if columns is not None:
            expression += ", columns = :columns"
            extra["columns"] = list(columns)
        return self._update(batch_pk(batch_id), META, expression, "lease_owner = :owner AND phase = :splitting",
                            offset=checkpoint.offset, line=checkpoint.line, units=checkpoint.units,
                            rows=checkpoint.rows, until=_ms(until), owner=owner,
                            splitting=Phase.SPLITTING.value, **extra) is not None

    def split_done(self, batch_id: str, owner: str, units_total: int, reason: str | None = None,
                   reason_line: int | None = None) -> Batch | None:
        expression = "SET phase = :split, units_total = :total"
        extra: dict[str, Any] = {}
        if reason:
            expression += ", reason = :reason, reason_line = :line"
            extra = {"reason": reason, "line": reason_line}
        item = self._update(batch_pk(batch_id), META, expression, "lease_owner = :owner AND phase = :splitting",
                            split=Phase.SPLIT.value, total=units_total, owner=owner,
                            splitting=Phase.SPLITTING.value, **extra)
        return batch_from_item(item) if item else None

    def start_report(self, batch_id: str, owner: str) -> Batch | None:
        item = self._update(batch_pk(batch_id), META, "SET phase = :finalising",
                            "lease_owner = :owner AND phase = :split", finalising=Phase.FINALISING.value,
                            owner=owner, split=Phase.SPLIT.value)
        return batch_from_item(item) if item else None

    def save_report_progress(self, batch_id: str, owner: str, until: dt.datetime, upload_id: str, unit: int,
                             part: int) -> bool:
        return self._update(batch_pk(batch_id), META, "SET upload_id = :upload, report_unit = :unit, "
                            "report_part = :part, lease_until = :until", "lease_owner = :owner",
                            upload=upload_id, unit=unit, part=part, until=_ms(until), owner=owner) is not None

    def finish(self, batch_id: str, owner: str, report_key: str, now: dt.datetime) -> bool:
        return self._update(batch_pk(batch_id), META, "SET status = :done, report_key = :report, "
                            "finished_at = :now, lease_until = :zero REMOVE phase",
                            "lease_owner = :owner AND status = :running",
                            done=BatchStatus.DONE.value, report=report_key, now=iso_ms(now), zero=0, owner=owner,
                            running=BatchStatus.RUNNING.value) is not None

    def fail(self, batch_id: str, owner: str, reason: str, now: dt.datetime) -> bool:
        return self._update(batch_pk(batch_id), META, "SET status = :failed, reason = :reason, finished_at = :now, "
                            "lease_until = :zero REMOVE phase", "lease_owner = :owner AND status = :running",
                            failed=BatchStatus.FAILED.value, reason=reason, now=iso_ms(now), zero=0, owner=owner,
                            running=BatchStatus.RUNNING.value) is not None

    # -- runs of fanned-out jobs -----------------------------------------------------------------------------------
    def start_run(self, run_id: str, job: str, now: dt.datetime, started: dt.datetime) -> None:
        self.table.put({"pk": run_pk(run_id), "sk": META, "kind": "run", "run_id": run_id, "job": job,
                        "now": iso_ms(now), "started_at": iso_ms(started), "expires_at": _expiry(started, RUN_DAYS)},
                       condition="attribute_not_exists(pk)")

    def run_dispatched(self, run_id: str, units_total: int, items: int, stopped_early: bool) -> None:
        self._update(run_pk(run_id), META, "SET units_total = :units, items = :items, stopped_early = :stop",
                     "attribute_exists(pk)", units=units_total, items=items, stop=stopped_early)

    def run(self, run_id: str) -> Run | None:
        item = self.table.get(run_pk(run_id), META)
        return run_from_item(item) if item and item.get("kind") == "run" else None

    # -- units ----------------------------------------------------------------------------------------------------
    @staticmethod
    def batch_scope(batch_id: str) -> str:
        """Where a batch's units live (the services pass it back without reading it)."""
        return batch_pk(batch_id)

    @staticmethod
    def run_scope(run_id: str) -> str:
        return run_pk(run_id)

    @staticmethod
    def _counter(scope: str, name: str) -> str:
        """A batch counts rows (n_total, n_notified, ...), a run its job's counters (c_processed, ...)."""
        if name in ("units_done", "units_failed"):
            return name
        return ("n_" if scope.startswith("BATCH#") else "c_") + name

    def begin_unit(self, pk: str, number: int, owner: str, until: dt.datetime, now: dt.datetime,
                   info: dict[str, Any]) -> tuple[UnitState, int]:
        """Hold unit ``number`` for this attempt, unless it is done or another live attempt holds it; with the
        number of attempts that held it so far (this one included)."""
        expires_at = _expiry(now, BATCH_DAYS if pk.startswith("BATCH#") else RUN_DAYS)
        names = {"#state": "state"}
        expression = "SET #state = :running, #lo = :owner, #lu = :until, #exp = :expires"
        names |= {"#lo": "lease_owner", "#lu": "lease_until", "#exp": "expires_at", "#att": "attempts"}
        vals: dict[str, Any] = {"running": "running", "owner": owner, "until": _ms(until), "now": _ms(now),
                                "released": "released", "expires": expires_at}
        for n, (name, value) in enumerate(sorted(info.items())):
            names[f"#i{n}"] = name
            vals[f"i{n}"] = value
            expression += f", #i{n} = :i{n}"
        expression += " ADD #att :one"
        vals["one"] = 1
        try:
            answer = self.table.client.update_item(
                TableName=self.table.name, Key=key(pk, unit_sk(number)), UpdateExpression=expression,
                ConditionExpression="attribute_not_exists(#state) OR #state = :released OR "
                "(#state = :running AND #lu < :now)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values(**vals),
                ReturnValues="UPDATED_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except Exception as error:
            if not is_conditional_failure(error):
                raise
            old = getattr(error, "response", {}).get("Item")
            found = load(old) if old else (self.table.get(pk, unit_sk(number)) or {})
            state = UnitState.DONE if found.get("state") in ("done", "failed") else UnitState.BUSY
            return state, int(found.get("attempts", 0))
        return UnitState.NEW, int(load(answer.get("Attributes", {})).get("attempts", 1))

    def _close_unit(self, pk: str, number: int, owner: str, state: str, counters: dict[str, int]) -> bool:
        """The unit's final state and its META counters, in one transaction (False: this attempt lost it)."""
        names, additions, vals = {}, [], {}
        for n, (name, value) in enumerate(sorted(counters.items())):
            names[f"#c{n}"] = self._counter(pk, name)
            vals[f"c{n}"] = value
            additions.append(f"#c{n} :c{n}")
        try:
            self.table.client.transact_write_items(TransactItems=[
                {"Update": {"TableName": self.table.name, "Key": key(pk, unit_sk(number)),
                            "UpdateExpression": "SET #state = :final", "ConditionExpression":
                            "#state = :running AND #lo = :owner", "ExpressionAttributeNames":
                            {"#state": "state", "#lo": "lease_owner"}, "ExpressionAttributeValues": values(
                                final=state, running="running", owner=owner)}},
                {"Update": {"TableName": self.table.name, "Key": key(pk, META),
                            "UpdateExpression": "ADD " + ", ".join(additions), "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values(**vals)}},
            ])
        except Exception as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def complete_unit(self, pk: str, number: int, owner: str, counters: dict[str, int]) -> bool:
        return self._close_unit(pk, number, owner, "done", {"units_done": 1, **counters})

    def fail_unit(self, pk: str, number: int, owner: str, counters: dict[str, int]) -> bool:
        """A unit's last attempt failed: it is counted as failed (its rows as not processed), never lost silently."""
        return self._close_unit(pk, number, owner, "failed", {"units_failed": 1, **counters})

    def release_unit(self, pk: str, number: int, owner: str) -> None:
        """An attempt failed and will be retried: let the retry start at once."""
        self._update(pk, unit_sk(number), "SET state = :released", "state = :running AND lease_owner = :owner",
                     released="released", running="running", owner=owner)

    def unit(self, pk: str, number: int) -> dict[str, Any] | None:
        return self.table.get(pk, unit_sk(number))
