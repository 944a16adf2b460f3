"""Scale: the same operation with few and with many other items in the tables.

* listing: ``GET /patients/{ins}/documents`` (a professional with a care relationship, 10 documents) with 10³ vs
  10⁵ other patients' documents in ``records``;
* expiry: the ``opt-out-expiry`` job with 10 accounts due among 10² vs 10⁵ accounts not due in ``accounts``
  (notified, their window still open: they sit in the same sparse ``due`` index partitions, with later dates).

Both sizes live side by side in one moto, as two sets of tables (``ens-small-*``, ``ens-large-*``) behind two
containers; rounds alternate between them. The other items are written with ``batch_write_item`` (25 a call)
through the app's own item builders (``records_repo.to_item``, ``accounts_repo.to_item``), so they follow its key
design. Each side reports its AWS calls (botocore hooks), the items DynamoDB reads for it (``ScannedCount``), and
its time split into the time inside AWS calls (botocore and the emulator) and the app's own time.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.harness import START, Harness
from bench.stats import Paired, rotate, timed
from ens_cli.testdata import make_nir

DUE = 10
JOB_TIME = START + dt.timedelta(days=60)
LISTED = 10  # the listed patient's own documents


@dataclass
class TableSet:
    """One size: its tables, the container wired to them, and the listed patient."""

    tag: str
    others: int  # other patients' documents seeded in records
    not_due: int  # accounts not due seeded in accounts
    container: Any
    ins: str = ""
    doctor: str = ""
    seed_seconds: float = 0.0
    listing_event: dict[str, Any] = field(default_factory=dict)  # built before each timed listing


@dataclass
class Side:
    calls: Counter[str] = field(default_factory=Counter)
    scanned: int = 0  # items DynamoDB read (ScannedCount of the Queries)
    app_calls: int = 0  # Python function calls in the app's own code (chalicelib, app.py): its work, counted


class AppWork:
    """Counts the Python function calls made in the app's own modules (a deterministic measure of its work).
    Suspended while a request is in the emulator (see ``Recorder.profiler``): moto's own Python is not traced."""

    def __init__(self, recorder: Any) -> None:
        self.calls = 0
        self.recorder = recorder
        self._mine: dict[Any, bool] = {}

    def _hook(self, frame: Any, event: str, _: Any) -> None:
        if event == "call":
            code = frame.f_code
            mine = self._mine.get(code)
            if mine is None:
                name = code.co_filename.replace("\\", "/")
                mine = self._mine[code] = "/chalicelib/" in name or name.endswith("/app.py")
            if mine:
                self.calls += 1

    def __enter__(self) -> AppWork:
        self.recorder.profiler = self._hook
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)
        self.recorder.profiler = None


@dataclass
class ScaleResult:
    name: str
    what: str
    sizes: tuple[str, str]
    sides: dict[str, Side]
    total: Paired
    aws: Paired
    own: Paired

    @property
    def same_calls(self) -> bool:
        a, b = (self.sides[s] for s in self.sizes)
        return a.calls == b.calls

    def ratio(self, paired: Paired) -> float:
        small, large = self.sizes
        return paired.ratio(large, small)


def _tables(h: Harness, tag: str) -> Any:
    """A container whose tables are ``ens-{tag}-*`` (created here), sharing buckets, queues and clients."""
    from chalicelib import bootstrap, resources
    from chalicelib.config import Settings
    from ens_cli.localaws import table_definition

    overrides = {resources.env_var("table", t.logical): f"ens-{tag}-{t.logical}" for t in resources.TABLES}
    settings = Settings(stage="local", aws_endpoint_url=None, dev_signing_key=h.settings.dev_signing_key,
                        secret_pepper=h.settings.secret_pepper, overrides=overrides)
    dynamodb = h.clients("dynamodb")
    for table in resources.TABLES:
        name = settings.table(table.logical)
        dynamodb.create_table(**table_definition(table, name))
        h.recorder.names[name] = table.logical
    return bootstrap.Container(settings, h.clients, h.clock)


def write_all(h: Harness, table: str, items: Iterable[dict[str, Any]]) -> int:
    """BatchWriteItem, 25 items a call, retrying what DynamoDB leaves unprocessed; returns the calls made."""
    from chalicelib.adapters.dynamo import dump

    def batches() -> Iterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append({"PutRequest": {"Item": dump(item)}})
            if len(batch) == 25:
                yield batch
                batch = []
        if batch:
            yield batch

    client, calls = h.clients("dynamodb"), 0
    for batch in batches():
        request: dict[str, Any] = {table: batch}
        while request:
            calls += 1
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return calls


def other_documents(count: int) -> Iterator[dict[str, Any]]:
    """Other patients' available documents (10 each), as ``records_repo`` writes them."""
    from chalicelib.adapters.records_repo import to_item
    from chalicelib.adapters.system import new_id
    from chalicelib.domain.authorization_matrix import document_type
    from chalicelib.domain.documents import Author, Document, Status

    kind = document_type("11488-4")
    assert kind is not None
    owner = ""
    for i in range(count):
        if i % 10 == 0:
            owner = make_nir(sex=1 + i % 2)
        at = START - dt.timedelta(minutes=i)
        yield to_item(Document(document_id=new_id(at), ins=owner, title="Compte rendu", type_code=kind.code,
                               category=kind.category, content_type="application/pdf", size=2048,
                               author=Author("patient", owner), created_at=at, status=Status.AVAILABLE,
                               object_version="v1", available_at=at, version=2))


def accounts(count: int, notified_at: dt.datetime) -> Iterator[dict[str, Any]]:
    """Notified accounts, as ``accounts_repo`` writes them (in the due index until their window ends)."""
    from chalicelib.adapters.accounts_repo import to_item
    from chalicelib.domain.accounts import Account, Contact, Status

    for _ in range(count):
        nir = make_nir(born=dt.date(1970 + random.randint(0, 40), random.randint(1, 12), 1))
        yield to_item(Account(nir=nir, given_name="Dominique", family_name="Bernard",
                              birth_date=dt.date(1980, 5, 1), status=Status.NOTIFIED, notified_at=notified_at,
                              contact=Contact(email="dominique@example.org"), vitale_hash="0" * 64, version=1))


def build(h: Harness, tag: str, others: int, not_due: int) -> TableSet:
    """The tables of one size, the listed patient (through the API), and the other items (seeded directly)."""
    table_set = TableSet(tag, others, not_due, _tables(h, tag))
    h.use(table_set.container)
    table_set.ins, _ = h.patient()
    _, table_set.doctor = h.professional()
    assert h.post(f"/patients/{table_set.ins}/care-relationship", table_set.doctor).status == 201
    for _ in range(LISTED):
        h.upload(table_set.ins, table_set.doctor)
    settings = table_set.container.settings
    seconds, _ = timed(lambda: write_all(h, settings.table("records"), other_documents(others)))
    seconds2, _ = timed(lambda: write_all(h, settings.table("accounts"),
                                          accounts(not_due, JOB_TIME - dt.timedelta(days=10))))
    table_set.seed_seconds = seconds + seconds2
    return table_set


def _measure(h: Harness, name: str, what: str, sets: list[TableSet], rounds: int, before: Any,
             action: Any) -> ScaleResult:
    """A captured warm-up run per size (calls, items read), then timed rounds alternating the sizes."""
    sides: dict[str, Side] = {}
    for table_set in sets:
        h.use(table_set.container)
        before(table_set)
        with h.recorder.window(capture=True) as window, AppWork(h.recorder) as work:
            action(table_set)
        sides[table_set.tag] = Side(window.by_label(exclude=("outbox",)), window.scanned, work.calls)
    total, aws, own = Paired(), Paired(), Paired()
    for round_ in range(rounds):
        for table_set in rotate(sets, round_):
            h.use(table_set.container)
            before(table_set)
            with h.recorder.window(capture=False) as window:
                seconds, _ = timed(lambda table_set=table_set: action(table_set))  # type: ignore[misc]
            total.add(table_set.tag, seconds)
            aws.add(table_set.tag, window.aws_seconds)
            own.add(table_set.tag, seconds - window.aws_seconds)
    h.use(h.container)
    small, large = (s.tag for s in sets)
    return ScaleResult(name, what, (small, large), sides, total, aws, own)


def cold_cache(h: Harness, sets: list[TableSet], rounds: int) -> Paired:
    """The same fixed piece of the app's own work — what the job does with an account between two calls
    (``accounts_repo.from_item``, ``to_item``, ``dynamo.dump``, three times: about 0.1 ms) — timed right after the
    job's own raw Query (one shard of the ``due`` index) on each size. The emulator runs in this process, on this
    core: after walking 10⁵ items, the next microseconds of its caller run on cold CPU caches. This measures how
    much slower identical app code gets from that alone."""
    from chalicelib import resources
    from chalicelib.adapters.accounts_repo import from_item, to_item
    from chalicelib.adapters.dynamo import dump, load, values
    from chalicelib.domain.accounts import DueKind
    from chalicelib.domain.timeutil import iso_ms

    raw = dump(next(accounts(1, JOB_TIME)))

    def work() -> None:
        for _ in range(3):
            dump(to_item(from_item(load(raw))))

    client = h.clients("dynamodb")
    paired = Paired()
    for round_ in range(rounds):
        for table_set in rotate(sets, round_):
            client.query(TableName=table_set.container.settings.table("accounts"), IndexName=resources.DUE_INDEX,
                         KeyConditionExpression="due_pk = :pk AND due_at <= :now",
                         ExpressionAttributeValues=values(pk=f"{DueKind.EXPIRY.value}#0", now=iso_ms(JOB_TIME)))
            seconds, _ = timed(work)
            paired.add(table_set.tag, seconds)
    return paired


def run(h: Harness, small: tuple[int, int], large: tuple[int, int], listing_rounds: int,
        expiry_rounds: int) -> tuple[list[ScaleResult], list[TableSet], Paired]:
    """``small`` and ``large``: (other documents, accounts not due)."""
    sets = [build(h, "small", *small), build(h, "large", *large)]
    # The emulator's items live in this process; a full garbage collection walks them all, a cost a Lambda
    # function never pays for its database. Freeze them out of the collector's view (both sizes alike).
    gc.collect()
    gc.freeze()

    def listing(table_set: TableSet) -> None:
        reply = h.invoke(table_set.listing_event)
        assert reply.status == 200 and len(reply.json["items"]) == LISTED, reply

    def new_listing_event(table_set: TableSet) -> None:
        table_set.listing_event = h.event("GET", f"/patients/{table_set.ins}/documents", table_set.doctor)

    def due_accounts(table_set: TableSet) -> None:
        write_all(h, table_set.container.settings.table("accounts"),
                  accounts(DUE, JOB_TIME - dt.timedelta(days=43)))

    def expiry(table_set: TableSet) -> None:
        report = h.run_job("opt-out-expiry", h.job_event("opt-out-expiry", JOB_TIME))
        assert report["processed"] == DUE, report

    results = [
        _measure(h, "listing", "GET /patients/{ins}/documents, 10 documents, professional (logged)", sets,
                 listing_rounds, new_listing_event, listing),
        _measure(h, "expiry", f"opt-out-expiry job, {DUE} accounts due", sets, expiry_rounds, due_accounts, expiry),
    ]
    calibration = cold_cache(h, sets, max(3, expiry_rounds))
    gc.unfreeze()
    return results, sets, calibration
