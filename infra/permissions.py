"""What each Lambda function may touch, and nothing more: the least-privilege matrix the stack turns into one IAM
role per function.

Pure data, like `chalicelib.resources`: a reviewer reads one table to know who can do what. The names are the
logical names of `chalicelib.resources` (tables, buckets and their prefixes, queues); the stack resolves them to
ARNs. A test checks that every name here exists there, and that the synthesized policies match this matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib import resources

# DynamoDB action sets. No Scan anywhere: the application never scans (a test of the app proves it), so no role
# may. Transactions need no action of their own: TransactWriteItems is authorised by the item actions it contains.
READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
PURGE = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
# The shared sending-rate counters (adapters/sending_rate.py): UpdateItem only, on keys RATE#... only (the stack adds
# the dynamodb:LeadingKeys condition).
COUNTERS = ("dynamodb:UpdateItem",)
COUNTER_KEYS = "RATE#*"
TABLE_ACTIONS: dict[str, tuple[str, ...]] = {"read": READ, "readwrite": READ + WRITE, "purge": PURGE,
                                             "counters": COUNTERS}

TableLevel = Literal["read", "readwrite", "purge", "counters"]


@dataclass(frozen=True)
class ObjectAccess:
    """Object actions on one prefix of one bucket (``s3:ListBucketVersions`` is granted on the bucket, limited to
    the prefix by the ``s3:prefix`` condition)."""

    bucket: str  # logical bucket name
    prefix: str  # logical prefix name (a key of Bucket.prefixes)
    actions: tuple[str, ...]


@dataclass(frozen=True)
class FunctionAccess:
    handler: str  # the Chalice handler name: api_handler or a function of app.py
    purpose: str
    tables: dict[str, TableLevel]
    objects: tuple[ObjectAccess, ...] = ()
    notifies: bool = False  # SES email, SNS SMS, SQS postal letters (the notice channels)
    async_dead_letter: str | None = None  # logical queue receiving failed asynchronous invocations
    sends: tuple[str, ...] = ()  # logical queues it sends work to
    consumes: str | None = None  # the logical queue that is its event source (receive, delete, change visibility)


API_HANDLER = "api_handler"
NOTICE_QUEUE = "postal-letters"
RATE_TABLE = "waves"  # where the sending-rate counters live: every function that notifies takes tokens there

# Presigned URLs carry the permissions of the function that signs them: the API signs the uploads (PUT) and the
# downloads (GET of a version) of the vault, so it holds exactly those two object permissions there.
_VAULT_PRESIGN = ObjectAccess("documents", "documents", ("s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"))
# Messaging attachments: presigned like documents; the API also reads them as the source of the server-side copy
# that files an attachment into the record.
_ATTACHMENTS_PRESIGN = ObjectAccess("documents", "attachments",
                                    ("s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"))
# FHIR (ITI-65): the API writes a submitted document's bytes (inline, or copied from its staged upload) and removes
# them again when the submission fails before its transaction commits; a staged upload is presigned (PUT), read (its
# head, and the copy's source) and removed once submitted.
_VAULT_SUBMISSIONS = ObjectAccess("documents", "documents", ("s3:PutObject", "s3:DeleteObjectVersion"))
_STAGING = ObjectAccess("documents", "staging", ("s3:PutObject", "s3:GetObject", "s3:GetObjectVersion",
                                                 "s3:DeleteObject", "s3:DeleteObjectVersion"))

# Enrolment files: the API signs the back office's PUT of the file and the GET of its report.
_BATCH_UPLOAD_PRESIGN = ObjectAccess("batches", "uploads", ("s3:PutObject",))
_BATCH_REPORT_PRESIGN = ObjectAccess("batches", "reports", ("s3:GetObject",))
_READ_BATCH_FILE = ObjectAccess("batches", "uploads", ("s3:GetObject", "s3:GetObjectVersion"))
# the report: one part per unit, then one object assembled by multipart upload, the parts then deleted
_WRITE_REPORTS = ObjectAccess("batches", "reports", ("s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts",
                                                     "s3:AbortMultipartUpload", "s3:DeleteObject"))
# Data exports: the API signs the download (GET) of a ready ZIP; the worker streams the documents' objects into the
# ZIP (a multipart upload) and keeps its checkpoint beside it; the archive purge erases a space's exports.
_EXPORT_DOWNLOAD_PRESIGN = ObjectAccess("exports", "exports", ("s3:GetObject",))
_WRITE_EXPORTS = ObjectAccess("exports", "exports", ("s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                                     "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"))
# the archive purge erases every version and delete marker of a space's objects: nothing is left to restore (and
# an export's unfinished upload)
_PURGE_OBJECTS = (ObjectAccess("documents", "documents", ("s3:ListBucketVersions", "s3:DeleteObjectVersion")),
                  ObjectAccess("documents", "attachments", ("s3:ListBucketVersions", "s3:DeleteObjectVersion")),
                  ObjectAccess("documents", "staging", ("s3:ListBucketVersions", "s3:DeleteObjectVersion")),
                  ObjectAccess("exports", "exports", ("s3:ListBucketVersions", "s3:DeleteObjectVersion",
                                                      "s3:ListBucketMultipartUploads", "s3:AbortMultipartUpload")))
# The job functions' tables when they run their loop, and the tables their dispatcher reads when fanned out (the
# due index of chalicelib.jobs.fanout_job's sources; a test checks they agree).
JOB_TABLES: dict[str, dict[str, TableLevel]] = {
    "opt-out-expiry": {"accounts": "readwrite", "records": "readwrite"},
    "archive-purge": {"accounts": "readwrite", "records": "purge", "audit": "purge", "messaging": "purge"},
    "reminders": {"accounts": "readwrite", "records": "readwrite"},
}
DISPATCH_TABLES: dict[str, tuple[str, ...]] = {"opt-out-expiry": ("accounts",), "archive-purge": ("accounts",),
                                               "reminders": ("records", "accounts")}  # accounts: 18th birthdays


def _job(job: str, notifies: bool, objects: tuple[ObjectAccess, ...] = ()) -> FunctionAccess:
    """A scheduled job's function: its loop's access, or a dispatcher's when the job is fanned out."""
    schedule = resources.JOBS[job]
    if schedule.fan_out:
        return FunctionAccess(schedule.handler, f"{schedule.purpose} Dispatcher: finds the due work, sends units.",
                              tables={"waves": "readwrite", **{t: "read" for t in DISPATCH_TABLES[job]}},
                              sends=("job-units",), async_dead_letter="jobs-dlq")
    tables = dict(JOB_TABLES[job])
    if notifies:
        tables.setdefault(RATE_TABLE, "counters")
    return FunctionAccess(schedule.handler, schedule.purpose, tables=tables, objects=objects, notifies=notifies,
                          async_dead_letter="jobs-dlq")


def _union(*levels: dict[str, TableLevel]) -> dict[str, TableLevel]:
    """The widest level of each table (readwrite holds every action of the others)."""
    order = {"counters": 0, "read": 1, "purge": 2, "readwrite": 3}
    out: dict[str, TableLevel] = {}
    for tables in levels:
        for table, level in tables.items():
            if table not in out or order[level] > order[out[table]]:
                out[table] = level
    return out


FUNCTIONS: tuple[FunctionAccess, ...] = (
    FunctionAccess(
        API_HANDLER,
        "The REST API: every route of the blueprints.",
        tables={"accounts": "readwrite", "records": "readwrite", "audit": "readwrite", "messaging": "readwrite",
                "catalogue": "readwrite", "waves": "readwrite"},
        objects=(_VAULT_PRESIGN, _ATTACHMENTS_PRESIGN, _VAULT_SUBMISSIONS, _STAGING, _BATCH_UPLOAD_PRESIGN,
                 _BATCH_REPORT_PRESIGN, _EXPORT_DOWNLOAD_PRESIGN),
        notifies=True,
        sends=("export-units",),
    ),
    FunctionAccess(
        resources.INGEST_RULE.handler,
        "S3 Object Created (vault uploads, inbox drops): checks the head of the object, files or quarantines it.",
        tables={"records": "readwrite", "accounts": "read", "catalogue": "read", "audit": "readwrite",
                "messaging": "readwrite", RATE_TABLE: "counters"},
        objects=(
            # ranged GET of the new object version, and the source side of the server-side copies
            ObjectAccess("documents", "documents", ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject")),
            ObjectAccess("inbox", "inbox", ("s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion")),
            # a file that cannot be ingested is copied here and kept: written, never deleted
            ObjectAccess("inbox", "quarantine", ("s3:PutObject",)),
            # attachments: their bytes are checked like documents; an object nobody declared is erased
            ObjectAccess("documents", "attachments", ("s3:GetObject", "s3:GetObjectVersion",
                                                      "s3:ListBucketVersions", "s3:DeleteObjectVersion")),
        ),
        notifies=True,
        async_dead_letter="ingest-dlq",
    ),
    FunctionAccess(
        resources.BATCH_RULE.handler,
        "S3 Object Created of an enrolment file: binds the batch, splits the file into units.",
        tables={"waves": "readwrite"},
        objects=(_READ_BATCH_FILE,),
        sends=("enrolment-units", "batch-control"),
        async_dead_letter="batch-dlq",
    ),
    _job("opt-out-expiry", notifies=True),
    _job("archive-purge", notifies=False, objects=_PURGE_OBJECTS),
    _job("reminders", notifies=True),
    FunctionAccess(
        "batch_control",
        resources.CONSUMER["batch_control"].purpose,
        tables={"waves": "readwrite"},
        objects=(_READ_BATCH_FILE, _WRITE_REPORTS),
        sends=("enrolment-units", "batch-control"),
        consumes="batch-control",
    ),
    FunctionAccess(
        "enrolment_unit",
        resources.CONSUMER["enrolment_unit"].purpose,
        tables={"accounts": "readwrite", "waves": "readwrite"},
        objects=(_READ_BATCH_FILE, ObjectAccess("batches", "reports", ("s3:GetObject", "s3:PutObject"))),
        notifies=True,
        sends=("batch-control",),
        consumes="enrolment-units",
    ),
    FunctionAccess(
        "job_unit",
        resources.CONSUMER["job_unit"].purpose + " Any job's unit: the union of the jobs' own access.",
        tables=_union(*JOB_TABLES.values(), {"waves": "readwrite"}),
        objects=_PURGE_OBJECTS,
        notifies=True,
        consumes="job-units",
    ),
    FunctionAccess(
        "export_space",
        resources.CONSUMER["export_space"].purpose + " Reads the space through the services the routes use.",
        tables={"records": "readwrite", "accounts": "read", "audit": "readwrite", "messaging": "read",
                "catalogue": "read", RATE_TABLE: "counters"},
        # the documents' current versions, streamed into the ZIP
        objects=(ObjectAccess("documents", "documents", ("s3:GetObject", "s3:GetObjectVersion")), _WRITE_EXPORTS),
        notifies=True,  # export_ready
        sends=("export-units",),  # the next unit, after a checkpoint near the time limit
        consumes="export-units",
    ),
)

BY_HANDLER: dict[str, FunctionAccess] = {f.handler: f for f in FUNCTIONS}


def handlers() -> tuple[str, ...]:
    """Every Lambda function of the app: the API and the event, schedule and queue handlers of `resources`."""
    return (API_HANDLER, *(r.handler for r in resources.EVENT_RULES), *(s.handler for s in resources.SCHEDULES),
            *(c.handler for c in resources.CONSUMERS))
