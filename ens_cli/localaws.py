"""Creates, in the emulator, every resource of `chalicelib.resources` (the same definition `infra/` deploys)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import resources
from chalicelib.config import Settings

LOCAL_VISIBILITY = 30  # seconds (ens_cli.worker.LOCAL_VISIBILITY)


def _error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def table_definition(table: resources.Table, name: str) -> dict[str, Any]:
    attributes = {table.partition_key.name: table.partition_key.type}
    schema = [{"AttributeName": table.partition_key.name, "KeyType": "HASH"}]
    if table.sort_key:
        attributes[table.sort_key.name] = table.sort_key.type
        schema.append({"AttributeName": table.sort_key.name, "KeyType": "RANGE"})
    indexes = []
    for index in table.indexes:
        attributes[index.partition_key.name] = index.partition_key.type
        key_schema = [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}]
        if index.sort_key:
            attributes[index.sort_key.name] = index.sort_key.type
            key_schema.append({"AttributeName": index.sort_key.name, "KeyType": "RANGE"})
        indexes.append({"IndexName": index.name, "KeySchema": key_schema,
                        "Projection": {"ProjectionType": index.projection}})
    definition: dict[str, Any] = {
        "TableName": name,
        "KeySchema": schema,
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": v} for k, v in attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"Enabled": True},
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    return definition


def create_all(clients: Any, settings: Settings) -> dict[str, Any]:
    """Idempotent: creates what is missing. Returns the physical names."""
    dynamodb, s3, sqs, sns, events, ses = (clients(s) for s in ("dynamodb", "s3", "sqs", "sns", "events", "ses"))
    created: dict[str, Any] = {"tables": {}, "buckets": {}, "queues": {}, "topics": {}, "rules": {}}

    for table in resources.TABLES:
        name = settings.table(table.logical)
        try:
            dynamodb.create_table(**table_definition(table, name))
        except Exception as error:
            if _error_code(error) != "ResourceInUseException":
                raise
        if table.ttl_attribute:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": table.ttl_attribute})
        created["tables"][table.logical] = name

    for bucket in resources.BUCKETS:
        name = settings.bucket(bucket.logical)
        try:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": settings.region})
        except Exception as error:
            if _error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        if bucket.versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
        if bucket.eventbridge:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
        if bucket.browser_uploads and settings.portal_origin:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [{
                "AllowedMethods": ["PUT"], "AllowedOrigins": [settings.portal_origin],
                "AllowedHeaders": ["content-type", "content-length"], "MaxAgeSeconds": 600}]})
        created["buckets"][bucket.logical] = name

    arns: dict[str, str] = {}
    for queue in sorted(resources.QUEUES, key=lambda q: q.dead_letter is not None):  # dead-letter queues first
        name = settings.queue(queue.logical)
        # locally a failed message comes back within seconds, not after AWS's timeouts (ens_cli.worker heartbeats
        # the messages whose handler is still running)
        attributes = {"VisibilityTimeout": str(min(queue.visibility_timeout, LOCAL_VISIBILITY))}
        if queue.dead_letter:
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arns[queue.dead_letter],
                                                      "maxReceiveCount": str(queue.max_receive_count)})
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arns[queue.logical] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        created["queues"][queue.logical] = name

    for topic in resources.TOPICS:
        name = settings.name("topic", topic.logical)
        sns.create_topic(Name=name)
        created["topics"][topic.logical] = name

    for rule in resources.EVENT_RULES:
        name = f"ens-{settings.stage}-{rule.logical}"
        pattern = rule.pattern([settings.bucket(b) for b in rule.buckets])
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=name, Targets=[{"Id": "local-drain", "Arn": arns[rule.local_queue]}])
        created["rules"][rule.logical] = name

    ses.verify_email_identity(EmailAddress=resources.SENDER_ADDRESS)
    return created
