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
TABLE_ACTIONS: dict[str, tuple[str, ...]] = {"read": READ, "readwrite": READ + WRITE, "purge": PURGE}

TableLevel = Literal["read", "readwrite", "purge"]


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


API_HANDLER = "api_handler"
NOTICE_QUEUE = "postal-letters"

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

FUNCTIONS: tuple[FunctionAccess, ...] = (
    FunctionAccess(
        API_HANDLER,
        "The REST API: every route of the blueprints.",
        tables={"accounts": "readwrite", "records": "readwrite", "audit": "readwrite", "messaging": "readwrite",
                "catalogue": "readwrite"},
        objects=(_VAULT_PRESIGN, _ATTACHMENTS_PRESIGN, _VAULT_SUBMISSIONS, _STAGING),
        notifies=True,
    ),
    FunctionAccess(
        resources.INGEST_RULE.handler,
        "S3 Object Created (vault uploads, inbox drops): checks the head of the object, files or quarantines it.",
        tables={"records": "readwrite", "accounts": "read", "catalogue": "read", "audit": "readwrite",
                "messaging": "readwrite"},
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
        resources.JOBS["opt-out-expiry"].handler,
        resources.JOBS["opt-out-expiry"].purpose,
        tables={"accounts": "readwrite", "records": "readwrite"},
        notifies=True,
        async_dead_letter="jobs-dlq",
    ),
    FunctionAccess(
        resources.JOBS["archive-purge"].handler,
        resources.JOBS["archive-purge"].purpose,
        tables={"accounts": "readwrite", "records": "purge", "audit": "purge", "messaging": "purge"},
        # every version and delete marker of an erased document: nothing is left to restore
        objects=(ObjectAccess("documents", "documents", ("s3:ListBucketVersions", "s3:DeleteObjectVersion")),
                 ObjectAccess("documents", "attachments", ("s3:ListBucketVersions", "s3:DeleteObjectVersion")),
                 ObjectAccess("documents", "staging", ("s3:ListBucketVersions", "s3:DeleteObjectVersion"))),
        async_dead_letter="jobs-dlq",
    ),
    FunctionAccess(
        resources.JOBS["reminders"].handler,
        resources.JOBS["reminders"].purpose,
        tables={"accounts": "readwrite", "records": "readwrite"},
        notifies=True,
        async_dead_letter="jobs-dlq",
    ),
)

BY_HANDLER: dict[str, FunctionAccess] = {f.handler: f for f in FUNCTIONS}


def handlers() -> tuple[str, ...]:
    """Every Lambda function of the app: the API and the event and schedule handlers of `resources`."""
    return (API_HANDLER, resources.INGEST_RULE.handler, *(s.handler for s in resources.SCHEDULES))
