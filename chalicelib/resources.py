"""The one resource definition of ens.

Every table, index, bucket, queue, topic, event rule and schedule the application uses is declared here, once.
The local stack (`ens_cli.localaws`) creates exactly these in the emulator, and the CDK app in `infra/` declares
exactly these in AWS; a test fails if the two disagree. Application code resolves physical names through
:func:`chalicelib.config.Settings.name`, never by spelling them.

Pure data: importing this module costs nothing (no boto3, no pydantic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

KeyType = Literal["S", "N"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    """A global secondary index. Sparse when its keys are only set on the items it must find."""

    name: str
    partition_key: Key
    sort_key: Key | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class Table:
    logical: str
    purpose: str
    partition_key: Key = Key("pk")
    sort_key: Key | None = Key("sk")
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    local_only: bool = False  # exists only in the local stage (the development outbox)


@dataclass(frozen=True)
class Bucket:
    logical: str
    purpose: str
    versioned: bool = True
    eventbridge: bool = True  # S3 sends "Object Created" events to EventBridge
    prefixes: dict[str, str] = field(default_factory=dict)
    # Lifecycle (AWS): a replaced or deleted version stays restorable this many days (the undo window), then
    # expires. The archive purge never waits for it: it deletes every version of what it erases.
    noncurrent_version_days: int = 30
    kept_prefixes: tuple[str, ...] = ()  # logical prefixes no lifecycle rule ever expires (kept, never early)
    # logical prefixes of short-lived objects (a staged upload nobody submitted): every version expires after
    # ``temporary_days``
    temporary_prefixes: tuple[str, ...] = ()
    temporary_days: int = 1
    browser_uploads: bool = False  # the patient portal PUTs to presigned URLs: CORS allows the portal's origin
    # logical prefix -> days after which current objects expire (files kept only as long as they serve)
    expire_days: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Queue:
    logical: str
    purpose: str
    dead_letter: str | None = None  # logical name of the dead-letter queue
    max_receive_count: int = 5
    visibility_timeout: int = 120
    local_only: bool = False  # in AWS the rule invokes the function directly; locally a queue carries events
    age_alarm_seconds: int | None = None  # alarm when the oldest message waits longer than this (work queues)


@dataclass(frozen=True)
class Topic:
    logical: str
    purpose: str


@dataclass(frozen=True)
class EventRule:
    logical: str
    purpose: str
    buckets: tuple[str, ...]  # logical bucket names whose "Object Created" events match
    handler: str  # the Lambda function (Chalice handler name) that serves the events
    local_queue: str  # locally the rule targets this queue, which the stack drains into `handler`
    key_prefix: str | None = None  # only objects under this key prefix match

    def pattern(self, bucket_names: list[str]) -> dict[str, object]:
        """The EventBridge pattern, given the buckets' physical names (the local stack and infra/ both use it)."""
        detail: dict[str, object] = {"bucket": {"name": bucket_names}}
        if self.key_prefix:
            detail["object"] = {"key": [{"prefix": self.key_prefix}]}
        return {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": detail}


@dataclass(frozen=True)
class Consumer:
    """A Lambda function fed by an SQS queue (event source mapping with partial batch responses).

    Locally the stack drains the queue into the same handler with the same event shape, at most
    ``max_concurrency`` batches at a time (bounded by ENS_LOCAL_WORKERS)."""

    handler: str  # the Chalice handler name in app.py
    queue: str  # logical queue name
    purpose: str
    batch_size: int
    max_concurrency: int  # MaximumConcurrency of the mapping (2-1000): bounds the parallel workers
    timeout_seconds: int  # the function's timeout (.chalice/config.json says the same; a test checks it)


@dataclass(frozen=True)
class Schedule:
    job: str  # the name used by `ens job NAME`
    handler: str  # the Chalice handler function in app.py
    expression: str  # EventBridge schedule expression in AWS
    local_interval_seconds: int  # how often the local stack ticks it
    purpose: str
    # True: the scheduled invocation only finds due work and sends units to the job queue; workers do the work
    # (chalicelib.jobs). False: the job runs as one loop in its invocation.
    fan_out: bool = False


@dataclass(frozen=True)
class WaveLoad:
    """The write rate a national wave puts on the due index, from which its shard count follows.

    The arithmetic is in docs/scale.md. DynamoDB serves at most 1,000 write units a second to one partition key
    value of an index; a wave's writes must stay well under that on every shard."""

    people_per_hour: int = 4_000_000  # the goal: a 4-million-person wave opened within one hour
    # opening a space: expiry→notice key (delete + put) in the write that opens it and claims its notice, the
    # notice key removed once sent: 3, planned as 4 (docs/scale.md)
    index_writes_per_person: int = 4
    write_units_per_index_write: int = 1  # an account item is well under 1 KB
    partition_write_units: int = 1_000  # DynamoDB's per-partition write limit
    headroom: float = 0.5  # plan to use at most half of each partition

    @property
    def index_write_units_per_second(self) -> float:
        return self.people_per_hour / 3600 * self.index_writes_per_person * self.write_units_per_index_write

    def shards(self) -> int:
        """The smallest power of two whose shards each stay under headroom × the partition limit."""
        needed = self.index_write_units_per_second / (self.partition_write_units * self.headroom)
        shards = 1
        while shards < needed:
            shards *= 2
        return shards


# The sparse "due" index serves every scheduled job: an item carries `due_pk` and `due_at` only while a job has
# something to do with it (an opt-out window to close, a notice to send, an archive to purge, a reminder to send).
# `due_pk` is "{kind}#{shard}"; writes spread over DUE_SHARDS partitions, and a job queries each shard for
# `due_at <= now`, so its cost grows with the items due, never with the size of the table. The shard count follows
# from a national wave's write rate (WAVE); it may only grow: an item stays on the shard it was written to until
# it is written again, and jobs query shards 0..DUE_SHARDS-1.
DUE_INDEX = "due"
WAVE = WaveLoad()
DUE_SHARDS = WAVE.shards()

ACCOUNTS = Table(
    logical="accounts",
    purpose="Accounts and everything that decides access to a space: lifecycle state, dependants, professionals "
    "authorised or blocked, care relationships, emergency settings and accesses, app consents, carers, second legal "
    "representatives and invitations. One partition per person (pk NIR#{nir}).",
    indexes=(Index(DUE_INDEX, Key("due_pk"), Key("due_at")),),
    ttl_attribute="expires_at",
)
RECORDS = Table(
    logical="records",
    purpose="The content of a space: documents, profile, vaccinations, measurements, appointments, reimbursements, "
    "prevention statuses and reminders, exports, the notification centre. One partition per patient "
    "(pk PAT#{ins}). Exports and notices expire (TTL).",
    indexes=(
        Index("by_document", Key("doc_key")),
        Index(DUE_INDEX, Key("due_pk"), Key("due_at")),
    ),
    ttl_attribute="expires_at",
)
# The access log's filters (CONTRACT §10): by actor, by mode, by both; a period is a range of the sort key.
LOG_BY_ACTOR, LOG_BY_MODE, LOG_BY_ACTOR_MODE = "log_by_actor", "log_by_mode", "log_by_actor_mode"
AUDIT = Table(
    logical="audit",
    purpose="Append-only access log per patient (pk LOG#{ins}) and inbox rejections per establishment "
    "(pk REJ#{finess}); the log's filters by actor, mode or both read its three indexes.",
    indexes=(
        Index(LOG_BY_ACTOR, Key("log_actor"), Key("sk")),
        Index(LOG_BY_MODE, Key("log_mode"), Key("sk")),
        Index(LOG_BY_ACTOR_MODE, Key("log_actor_mode"), Key("sk")),
    ),
)
MESSAGING = Table(
    logical="messaging",
    purpose="Conversations (pk CONV#{id}) and each participant's list of conversations (pk PARTY#{role}#{id}).",
)
CATALOGUE = Table(
    logical="catalogue",
    purpose="Referenced third-party apps (pk CATALOGUE, sk APP#{app_id}).",
)
WAVES = Table(
    logical="waves",
    purpose="Work that runs as many units: enrolment batches (pk BATCH#{id}) and job runs (pk RUN#{id}), each "
    "with a META item (state, checkpoint, counters) and one UNIT#{n} item per unit (idempotent completion); the "
    "shared sending-rate counters (pk RATE#{channel}#{second}). Items expire (TTL) once they serve nothing.",
    ttl_attribute="expires_at",
)
OUTBOX = Table(
    logical="outbox",
    purpose="Local stage only: a copy of every notification sent, read by `ens outbox`.",
    local_only=True,
)

TABLES: tuple[Table, ...] = (ACCOUNTS, RECORDS, AUDIT, MESSAGING, CATALOGUE, WAVES, OUTBOX)

DOCUMENTS_BUCKET = Bucket(
    logical="documents",
    purpose="The document vault: one object per document (documents/{document_id}), messaging attachments "
    "(attachments/{conversation_id}/{attachment_id}), both uploaded by presigned PUT, and the FHIR staged uploads "
    "(staging/{ins}/{uploader}/{id}) waiting for the Bundle that submits them, expired after a day.",
    prefixes={"documents": "documents/", "attachments": "attachments/", "staging": "staging/"},
    temporary_prefixes=("staging",),
    browser_uploads=True,
)
INBOX_BUCKET = Bucket(
    logical="inbox",
    purpose="Where laboratories and hospitals drop files (inbox/{finess}/...); files that cannot be ingested are "
    "moved to quarantine/{finess}/... and kept.",
    prefixes={"inbox": "inbox/", "quarantine": "quarantine/"},
    kept_prefixes=("quarantine",),
)
EXPORTS_BUCKET = Bucket(
    logical="exports",
    purpose="Data exports (portability, CONTRACT §10): exports/{export_id}/... the ZIP a person downloads by "
    "presigned GET, and the checkpoint of an export a unit hands over to the next. Personal data kept only while it "
    "serves: current objects expire after 3 days (the download link works 2), old versions after 1.",
    eventbridge=False,
    prefixes={"exports": "exports/"},
    noncurrent_version_days=1,
    expire_days={"exports": 3},
)
BATCHES_BUCKET = Bucket(
    logical="batches",
    purpose="Enrolment files the back office PUTs by presigned URL (uploads/{batch_id}.csv) and their per-row "
    "reports (reports/{batch_id}/...). Both hold personal data: they expire once the batch has served.",
    prefixes={"uploads": "uploads/", "reports": "reports/"},
    noncurrent_version_days=1,
    expire_days={"uploads": 30, "reports": 30},
)
BUCKETS: tuple[Bucket, ...] = (DOCUMENTS_BUCKET, INBOX_BUCKET, BATCHES_BUCKET, EXPORTS_BUCKET)

QUEUES: tuple[Queue, ...] = (
    Queue("ingest-events", "Local stage: the EventBridge rule's target, drained into the ingest handler.",
          dead_letter="ingest-dlq", local_only=True),
    Queue("ingest-dlq", "S3 events the ingest handler failed on after its retries."),
    Queue("postal-letters", "Letters for the mailing house (a person with neither email nor phone).",
          dead_letter="postal-dlq"),
    Queue("postal-dlq", "Letters the mailing house could not take."),
    Queue("jobs-dlq", "Scheduled job invocations that failed after their retries."),
    # data exports (CONTRACT §10): one message per export, sent again to continue one stopped near its time limit;
    # visibility = 6 × the consumer's timeout
    Queue("export-units", "Exports to build, or to continue from their checkpoint.", dead_letter="export-units-dlq",
          max_receive_count=3, visibility_timeout=5400, age_alarm_seconds=3600),
    Queue("export-units-dlq", "Exports whose unit failed after its retries (the export is then marked failed)."),
    # national waves (CONTRACT §8): each work queue feeds one consumer; visibility = 6 × the consumer's timeout
    Queue("batch-events", "Local stage: the batch rule's target, drained into the batch_uploaded handler.",
          dead_letter="batch-dlq", local_only=True),
    Queue("batch-control", "Continuations of an enrolment file's split stopped near its time limit, and the "
          "assembly of its report.", dead_letter="batch-dlq", max_receive_count=10, visibility_timeout=5400,
          age_alarm_seconds=3600),
    Queue("batch-dlq", "Upload events and batch continuations that failed after their retries."),
    Queue("enrolment-units", "Units of an enrolment file (a byte range of a few hundred rows) for the workers.",
          dead_letter="enrolment-units-dlq", visibility_timeout=1800, age_alarm_seconds=1800),
    Queue("enrolment-units-dlq", "Enrolment units that failed after their retries (their rows are reported)."),
    Queue("job-units", "Units of a scheduled job's due work (a page of keys) for the workers.",
          dead_letter="job-units-dlq", visibility_timeout=1800, age_alarm_seconds=1800),
    Queue("job-units-dlq", "Job units that failed after their retries."),
)
TOPICS: tuple[Topic, ...] = (Topic("ops-alerts", "Operational alarms (errors, throttles, dead letters)."),)

INGEST_RULE = EventRule(
    logical="object-created",
    purpose="S3 Object Created events of the vault and the inbox, delivered to the ingest handler.",
    buckets=("documents", "inbox"),
    handler="ingest_object",
    local_queue="ingest-events",
)
BATCH_RULE = EventRule(
    logical="batch-uploaded",
    purpose="S3 Object Created events of uploaded enrolment files, delivered to the splitter.",
    buckets=("batches",),
    handler="batch_uploaded",
    local_queue="batch-events",
    key_prefix=BATCHES_BUCKET.prefixes["uploads"],
)
EVENT_RULES: tuple[EventRule, ...] = (INGEST_RULE, BATCH_RULE)

CONSUMERS: tuple[Consumer, ...] = (
    Consumer("batch_control", "batch-control", "Continues splitting an enrolment file, or assembles its report.",
             batch_size=1, max_concurrency=5, timeout_seconds=900),
    Consumer("enrolment_unit", "enrolment-units", "Enrols the rows of one unit of an enrolment file.",
             batch_size=1, max_concurrency=20, timeout_seconds=300),
    Consumer("job_unit", "job-units", "Does one unit of a scheduled job's due work.",
             batch_size=1, max_concurrency=20, timeout_seconds=300),
    Consumer("export_space", "export-units", "Builds a space's export ZIP (or continues it from its checkpoint).",
             batch_size=1, max_concurrency=10, timeout_seconds=900),
)
CONSUMER: dict[str, Consumer] = {c.handler: c for c in CONSUMERS}

SCHEDULES: tuple[Schedule, ...] = (
    Schedule("opt-out-expiry", "opt_out_expiry", "rate(1 hour)", 20,
             "Creates the spaces whose 6-week opt-out window has ended and sends their notices.", fan_out=True),
    Schedule("archive-purge", "archive_purge", "cron(30 2 * * ? *)", 60,
             "Erases closed spaces whose archive period (10 years, or 3 months on request) has ended.",
             fan_out=True),
    Schedule("reminders", "reminders", "cron(0 7 * * ? *)", 60,
             "Sends the vaccination and screening reminders that fall due, and space_of_age at an 18th birthday.",
             fan_out=True),
)

JOBS: dict[str, Schedule] = {s.job: s for s in SCHEDULES}

# The address notices are sent from (an SES identity: verified in each stage, see docs/deploy.md).
SENDER_ADDRESS = "ne-pas-repondre@monespacesante.example"


def env_var(kind: str, logical: str) -> str:
    """The environment variable that carries a resource's physical name, e.g. ENS_TABLE_ACCOUNTS."""
    return f"ENS_{kind.upper()}_{logical.upper().replace('-', '_')}"


def default_name(stage: str, logical: str) -> str:
    """The physical name used when no environment variable overrides it (the local stack)."""
    return f"ens-{stage}-{logical}"
