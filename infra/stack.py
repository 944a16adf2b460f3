"""The AWS stack of one stage: every resource of `chalicelib.resources` (but the local-only ones), the Chalice app
through its CDK construct, one IAM role per function, encryption with one customer-managed key, alarms.

Decisions (see docs/deploy.md for the operator's view):

* **Resources come from `chalicelib.resources`**, the definition the local stack also creates: tables (keys,
  indexes, TTL), buckets (prefixes, lifecycle), queues (dead letters), topics, the S3 rule and the schedules.
  Local-only resources (the notification outbox, the queue standing in for the rule's Lambda target) are skipped.
* **IAM roles are CDK's, not Chalice's.** Chalice gets ``manage_iam_role: false`` and a placeholder ARN; each
  function's ``Role`` is then overridden with its own role, whose inline policy is built from `infra.permissions`
  with the real ARNs. Policy files in `.chalice/` could not name resources whose names CloudFormation generates.
* **The Chalice template is adjusted through the construct's escape hatch** (`get_resource` + overrides), so
  `app.py` keeps its decorators: function names, roles, KMS key of the environment, the S3 rule narrowed to the
  two buckets, dead letters and retries of the rules, API Gateway throttling and tracing.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from chalice.package import to_cfn_resource_name
from constructs import Construct

from chalicelib import config as app_config
from chalicelib import resources
from infra import permissions
from infra.settings import StageSettings

APP_NAME = "ens"
ROOT = Path(__file__).resolve().parent.parent
# Chalice must be given some role ARN when it does not manage roles; every function's Role is overridden below
# (a test checks that this placeholder does not survive in the template).
PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/ens-role-set-by-infra"
ASYNC_RETRIES = 2  # Lambda's own retries of a failed asynchronous invocation (0-2)
ASYNC_MAX_AGE = cdk.Duration.hours(6)  # an event older than this goes to the dead-letter queue unprocessed
RULE_RETRIES = 8  # EventBridge's retries when it cannot deliver to the function (throttled, unavailable)
RULE_MAX_AGE = cdk.Duration.hours(24)


def function_name(stage: str, handler: str) -> str:
    """Chalice's own naming ({app}-{stage}-{handler}), kept so that logs and alarms are easy to find."""
    return f"{APP_NAME}-{stage}-{handler}"


# bucket-level listings, granted on the bucket and limited to the prefix by the s3:prefix condition
BUCKET_LISTS = ("s3:ListBucketVersions", "s3:ListBucketMultipartUploads")


def sam_logical_id(handler: str) -> str:
    """The logical id `chalice package` gives a function in its SAM template."""
    return "APIHandler" if handler == permissions.API_HANDLER else to_cfn_resource_name(handler)


def sqs_event_id(handler: str) -> str:
    """The name `chalice package` gives a function's SQS event source."""
    return to_cfn_resource_name(f"{handler}-sqs-event-source")


class EnsStack(cdk.Stack):
    def __init__(self, scope: Construct, settings: StageSettings, *, work_dir: Path, **kwargs: Any) -> None:
        # The Chalice construct takes its stage from its scope's name: the stack's id is the stage.
        super().__init__(scope, settings.stage, stack_name=f"{APP_NAME}-{settings.stage}",
                         description=f"ens ({settings.stage}): Espace Numérique de Santé, Chalice app and its data",
                         **kwargs)
        self.settings = settings
        self.stage = settings.stage
        cdk.Tags.of(self).add("app", APP_NAME)
        cdk.Tags.of(self).add("stage", self.stage)

        self.key = self._key()
        self.tables = {t.logical: self._table(t) for t in resources.TABLES if not t.local_only}
        self.buckets = {b.logical: self._bucket(b) for b in resources.BUCKETS}
        self.queues: dict[str, sqs.Queue] = {}
        for queue in sorted(resources.QUEUES, key=lambda q: q.dead_letter is not None):  # dead letters first
            if not queue.local_only:
                self.queues[queue.logical] = self._queue(queue)
        self.topics = {t.logical: self._topic(t) for t in resources.TOPICS}
        self.alerts = self.topics["ops-alerts"]
        self.pepper = self._pepper()

        self.log_groups = {h: self._log_group(h) for h in permissions.handlers()}
        self.roles = {h: self._role(permissions.BY_HANDLER[h]) for h in permissions.handlers()}
        self.app = self._chalice(work_dir)
        for handler in permissions.handlers():
            self._adjust_function(handler)
        self._adjust_rules()
        self._adjust_consumers()
        self._adjust_schedules()
        self._adjust_api()
        self.establishment_role = self._establishment_role()
        self._alarms()
        self._outputs()

    # -- encryption --------------------------------------------------------------------------------------------

    def _key(self) -> kms.Key:
        """One customer-managed key for the data: tables, buckets, queues, topic, secret, log groups.

        Its policy has no ``kms:*``: the account administers the key and may delegate its use through IAM (the
        function roles hold exactly the use they need); AWS services that write encrypted data on the stack's
        behalf (alarms to the topic, rules to the dead-letter queues, log groups) are named one by one."""
        account, region = self.account, self.region
        root = iam.AccountRootPrincipal()
        policy = iam.PolicyDocument(statements=[
            iam.PolicyStatement(
                sid="AccountAdministersTheKey", principals=[root], resources=["*"],
                actions=["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                         "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
                         "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                         "kms:RotateKeyOnDemand"]),
            iam.PolicyStatement(
                sid="IamPoliciesMayGrantUse", principals=[root], resources=["*"],
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
                         "kms:ListGrants", "kms:DescribeKey"]),
            iam.PolicyStatement(
                sid="AlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")], resources=["*"],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                conditions={"StringEquals": {"aws:SourceAccount": account}}),
            iam.PolicyStatement(
                sid="RulesSendToTheEncryptedDeadLetterQueues",
                principals=[iam.ServicePrincipal("events.amazonaws.com")], resources=["*"],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                conditions={"StringEquals": {"aws:SourceAccount": account}}),
            iam.PolicyStatement(
                sid="LogGroupsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")], resources=["*"],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                        f"arn:{self.partition}:logs:{region}:{account}:log-group:*"}}),
        ])
        return kms.Key(self, "DataKey", alias=f"alias/{APP_NAME}-{self.stage}-data", enable_key_rotation=True,
                       description=f"ens {self.stage}: health data at rest", policy=policy,
                       pending_window=cdk.Duration.days(30), removal_policy=cdk.RemovalPolicy.RETAIN)

    def _use_key(self, *services: str) -> iam.PolicyStatement:
        """Use of the data key, only through the AWS services that hold the data."""
        return iam.PolicyStatement(
            sid="DataKeyThroughServices",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources=[self.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": [f"{s}.{self.region}.amazonaws.com"
                                                            for s in sorted(set(services))]}})

    # -- data ---------------------------------------------------------------------------------------------------

    def _table(self, table: resources.Table) -> dynamodb.Table:
        def key(k: resources.Key) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=k.name, type=dynamodb.AttributeType(
                "STRING" if k.type == "S" else "NUMBER"))

        construct = dynamodb.Table(
            self, f"Table-{table.logical}",
            table_name=resources.default_name(self.stage, table.logical),
            partition_key=key(table.partition_key),
            sort_key=key(table.sort_key) if table.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True, recovery_period_in_days=self.settings.undo_days_dynamodb),
            deletion_protection=True,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute=table.ttl_attribute,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for index in table.indexes:
            construct.add_global_secondary_index(
                index_name=index.name,
                partition_key=key(index.partition_key),
                sort_key=key(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType(index.projection),
            )
        return construct

    def _bucket(self, bucket: resources.Bucket) -> s3.Bucket:
        rules = [s3.LifecycleRule(id="abort-incomplete-uploads",
                                  abort_incomplete_multipart_upload_after=cdk.Duration.days(1))]
        for logical, prefix in sorted(bucket.prefixes.items()):
            if logical in bucket.kept_prefixes:
                continue  # kept, never expired: no rule at all may touch it
            if logical in bucket.temporary_prefixes:  # short-lived (a staged upload nobody submitted): every version
                rules.append(s3.LifecycleRule(
                    id=f"{logical}-temporary", prefix=prefix, expiration=cdk.Duration.days(bucket.temporary_days),
                    noncurrent_version_expiration=cdk.Duration.days(bucket.temporary_days)))
                continue
            if logical in bucket.expire_days:  # files kept only as long as they serve (personal data)
                rules.append(s3.LifecycleRule(
                    id=f"{logical}-retention", prefix=prefix,
                    expiration=cdk.Duration.days(bucket.expire_days[logical]),
                    noncurrent_version_expiration=cdk.Duration.days(bucket.noncurrent_version_days)))
                continue
            rules.append(s3.LifecycleRule(
                id=f"{logical}-undo-window", prefix=prefix,
                noncurrent_version_expiration=cdk.Duration.days(bucket.noncurrent_version_days),
                expired_object_delete_marker=True))
        construct = s3.Bucket(
            self, f"Bucket-{bucket.logical}",
            versioned=bucket.versioned,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=rules,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            # The portal PUTs files to presigned URLs from the browser: only from its own origin.
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.PUT], allowed_origins=[self.settings.portal.origin],
                              allowed_headers=["content-type", "content-length"], max_age=600)]
            if bucket.browser_uploads else None,
        )
        if bucket.eventbridge:
            # Native CloudFormation property rather than `event_bridge_enabled`, which deploys a custom-resource
            # Lambda function (and its role) only to call PutBucketNotification.
            cfn = construct.node.default_child
            cfn.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        return construct

    def _queue(self, queue: resources.Queue) -> sqs.Queue:
        dead_letter = None
        if queue.dead_letter:
            dead_letter = sqs.DeadLetterQueue(queue=self.queues[queue.dead_letter],
                                              max_receive_count=queue.max_receive_count)
        is_dead_letter = any(q.dead_letter == queue.logical for q in resources.QUEUES) or queue.logical.endswith(
            "-dlq")
        construct = sqs.Queue(
            self, f"Queue-{queue.logical}",
            queue_name=resources.default_name(self.stage, queue.logical),
            visibility_timeout=cdk.Duration.seconds(queue.visibility_timeout),
            retention_period=cdk.Duration.days(14 if is_dead_letter else 4),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            data_key_reuse=cdk.Duration.hours(1),
            enforce_ssl=True,
            dead_letter_queue=dead_letter,
        )
        if queue.logical in {f.async_dead_letter for f in permissions.FUNCTIONS}:
            # The rules (S3 → ingest, schedules) put here what they could not deliver to their function.
            construct.add_to_resource_policy(iam.PolicyStatement(
                sid="RulesDeliveryFailures", principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"], resources=[construct.queue_arn],
                conditions={"StringEquals": {"aws:SourceAccount": self.account},
                            "ArnLike": {"aws:SourceArn":
                                        f"arn:{self.partition}:events:{self.region}:{self.account}:rule/*"}}))
        return construct

    def _topic(self, topic: resources.Topic) -> sns.Topic:
        construct = sns.Topic(self, f"Topic-{topic.logical}",
                              topic_name=resources.default_name(self.stage, topic.logical),
                              master_key=self.key, enforce_ssl=True)
        construct.add_to_resource_policy(iam.PolicyStatement(
            sid="AlarmsOfThisAccount", principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"], resources=[construct.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": self.account}}))
        if self.settings.alarm_email and topic.logical == "ops-alerts":
            construct.add_subscription(subscriptions.EmailSubscription(self.settings.alarm_email))
        return construct

    def _pepper(self) -> secretsmanager.Secret:
        """The key of the keyed hashes of provisional codes and card serials. Generated once and kept forever:
        a new pepper would make every stored hash unverifiable."""
        return secretsmanager.Secret(
            self, "Pepper", secret_name=f"{APP_NAME}/{self.stage}/secret-pepper",
            description="ENS_SECRET_PEPPER: keyed hashing of provisional codes and card serials (never rotate)",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    # -- functions ----------------------------------------------------------------------------------------------

    def _log_group(self, handler: str) -> logs.LogGroup:
        return logs.LogGroup(
            self, f"Logs-{handler}", log_group_name=f"/aws/lambda/{function_name(self.stage, handler)}",
            retention=_retention(self.settings.log_retention_days),
            encryption_key=self.key, removal_policy=cdk.RemovalPolicy.RETAIN)

    def _role(self, access: permissions.FunctionAccess) -> iam.Role:
        """The function's own role: an inline policy with exactly the actions and resources it uses."""
        statements = [
            iam.PolicyStatement(sid="OwnLogGroup", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                resources=[self.log_groups[access.handler].log_group_arn]),
            # X-Ray has no resource-level permissions: its write actions only ever take "*".
            iam.PolicyStatement(sid="Tracing", resources=["*"], actions=[
                "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets"]),
            # Powertools Metrics writes EMF lines to the log group: no cloudwatch:PutMetricData needed.
        ]
        services = {"dynamodb"}
        for logical, level in sorted(access.tables.items()):
            table = self.tables[logical]
            arns = [table.table_arn]
            declared = next(t for t in resources.TABLES if t.logical == logical)
            if declared.indexes and "dynamodb:Query" in permissions.TABLE_ACTIONS[level]:
                arns.append(f"{table.table_arn}/index/*")
            conditions = None
            if level == "counters":  # the sending-rate counters' keys only
                conditions = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [permissions.COUNTER_KEYS]}}
            statements.append(iam.PolicyStatement(
                sid=f"Table{_camel(logical)}{_camel(level)}", actions=list(permissions.TABLE_ACTIONS[level]),
                resources=arns, conditions=conditions))
        for n, grant in enumerate(access.objects):
            bucket = self.buckets[grant.bucket]
            prefix = next(b for b in resources.BUCKETS if b.logical == grant.bucket).prefixes[grant.prefix]
            services.add("s3")
            object_actions = [a for a in grant.actions if a not in BUCKET_LISTS]
            if object_actions:
                statements.append(iam.PolicyStatement(
                    sid=f"Objects{_camel(grant.bucket)}{_camel(grant.prefix)}{n}", actions=object_actions,
                    resources=[bucket.arn_for_objects(f"{prefix}*")]))
            if lists := [a for a in grant.actions if a in BUCKET_LISTS]:
                statements.append(iam.PolicyStatement(
                    sid=f"List{_camel(grant.bucket)}{_camel(grant.prefix)}{n}", actions=lists,
                    resources=[bucket.bucket_arn], conditions={"StringLike": {"s3:prefix": f"{prefix}*"}}))
        if access.notifies:
            services.add("sqs")
            domain = self.settings.ses_identity
            statements += [
                iam.PolicyStatement(
                    sid="EmailFromTheNoticeSender", actions=["ses:SendEmail", "ses:SendRawEmail"],
                    resources=[f"arn:{self.partition}:ses:{self.region}:{self.account}:identity/{domain}",
                               f"arn:{self.partition}:ses:{self.region}:{self.account}:identity/{resources.SENDER_ADDRESS}"],
                    conditions={"StringEquals": {"ses:FromAddress": resources.SENDER_ADDRESS}}),
                # SMS are published to a phone number, not to a topic: SNS authorises that only on "*" (there is no
                # ARN for a phone number). The role holds no other SNS action.
                iam.PolicyStatement(sid="SmsToPhoneNumbers", actions=["sns:Publish"], resources=["*"]),
                iam.PolicyStatement(
                    sid="PostalLetters", actions=["sqs:SendMessage", "sqs:GetQueueUrl"],
                    resources=[self.queues[permissions.NOTICE_QUEUE].queue_arn]),
            ]
        if access.async_dead_letter:
            services.add("sqs")
            statements.append(iam.PolicyStatement(
                sid="FailedInvocationsToDeadLetterQueue", actions=["sqs:SendMessage"],
                resources=[self.queues[access.async_dead_letter].queue_arn]))
        if access.sends:
            services.add("sqs")
            statements.append(iam.PolicyStatement(
                sid="SendWork", actions=["sqs:SendMessage", "sqs:GetQueueUrl"],
                resources=[self.queues[q].queue_arn for q in access.sends]))
        if access.consumes:
            services.add("sqs")
            # what the event source mapping does with the function's role, and the visibility of a held message
            statements.append(iam.PolicyStatement(
                sid="ConsumeItsQueue", actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                                "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"],
                resources=[self.queues[access.consumes].queue_arn]))
        statements.append(self._use_key(*services))
        return iam.Role(
            self, f"Role-{access.handler}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"ens {self.stage} {access.handler}: {access.purpose}"[:1000],
            inline_policies={"least-privilege": iam.PolicyDocument(statements=statements)},
        )

    def _environment(self) -> dict[str, str]:
        """What `chalicelib.config` reads: the physical name of every resource, the issuers, the pepper."""
        env: dict[str, str] = {"ENS_REGION": self.region, "ENS_OIDC_ISSUERS": self.settings.oidc_json,
                               "ENS_SECRET_PEPPER": self.pepper.secret_value.unsafe_unwrap(),
                               # the API's CORS allows the portal's origin only (app.py reads it at import, which
                               # `chalice package` does with this environment: API Gateway's preflight names it too)
                               "ENS_PORTAL_ORIGIN": self.settings.portal.origin,
                               "ENS_SES_RATE": f"{self.settings.ses_rate:g}",
                               "ENS_SMS_RATE": f"{self.settings.sms_rate:g}"}
        # unsafe_unwrap: a CloudFormation dynamic reference, resolved at deployment; the template holds no secret.
        for logical, table in self.tables.items():
            env[resources.env_var("table", logical)] = table.table_name
        for logical, bucket in self.buckets.items():
            env[resources.env_var("bucket", logical)] = bucket.bucket_name
        for logical, queue in self.queues.items():
            env[resources.env_var("queue", logical)] = queue.queue_name
        for logical, topic in self.topics.items():
            env[resources.env_var("topic", logical)] = topic.topic_name
        return env

    def _chalice(self, work_dir: Path) -> Chalice:
        stage_config = {
            # roles are created above, one per function; Chalice must neither create nor need any
            "manage_iam_role": False,
            "iam_role_arn": PLACEHOLDER_ROLE,
            "environment_variables": self._environment(),
        }
        work_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.chdir(work_dir):  # the construct packages the app into ./chalice.out
            return Chalice(self, "App", source_dir=str(ROOT), stage_config=stage_config)

    def _adjust_function(self, handler: str) -> None:
        function = self.app.get_resource(sam_logical_id(handler))
        function.add_property_override("FunctionName", function_name(self.stage, handler))
        function.add_property_override("Role", self.roles[handler].role_arn)
        function.add_property_override("KmsKeyArn", self.key.key_arn)  # the environment holds the pepper
        function.add_resource_dependency(self.log_groups[handler].node.default_child)
        access = permissions.BY_HANDLER[handler]
        if access.async_dead_letter:
            lambda_.CfnEventInvokeConfig(
                self, f"AsyncConfig-{handler}", function_name=function.ref, qualifier="$LATEST",
                maximum_retry_attempts=ASYNC_RETRIES,
                maximum_event_age_in_seconds=int(ASYNC_MAX_AGE.to_seconds()),
                destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                    on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                        destination=self.queues[access.async_dead_letter].queue_arn)))

    def _rule_delivery(self, handler: str) -> dict[str, Any]:
        dead_letter = permissions.BY_HANDLER[handler].async_dead_letter
        assert dead_letter, handler
        return {"DeadLetterConfig": {"Arn": self.queues[dead_letter].queue_arn},
                "RetryPolicy": {"MaximumRetryAttempts": RULE_RETRIES,
                                "MaximumEventAgeInSeconds": int(RULE_MAX_AGE.to_seconds())}}

    def _adjust_rules(self) -> None:
        """Chalice's rules match every S3 "Object Created" of the account: narrow each to its buckets (and key
        prefix), as the local stack does (`ens_cli.localaws`)."""
        for rule in resources.EVENT_RULES:
            logical = sam_logical_id(rule.handler)
            pattern = rule.pattern([self.buckets[b].bucket_name for b in rule.buckets])
            function = self.app.get_resource(logical)
            function.add_property_override(f"Events.{logical}Event.Properties.Pattern", pattern)
            for key, value in self._rule_delivery(rule.handler).items():
                function.add_property_override(f"Events.{logical}Event.Properties.{key}", value)

    def _adjust_consumers(self) -> None:
        """Each queue of resources.CONSUMERS is its function's event source: the real queue, partial batch
        responses, the batch size and the maximum concurrency (which bounds the parallel workers)."""
        for consumer in resources.CONSUMERS:
            function = self.app.get_resource(sam_logical_id(consumer.handler))
            event = f"Events.{sqs_event_id(consumer.handler)}.Properties"
            function.add_property_override(f"{event}.Queue", self.queues[consumer.queue].queue_arn)
            function.add_property_override(f"{event}.BatchSize", consumer.batch_size)
            function.add_property_override(f"{event}.FunctionResponseTypes", ["ReportBatchItemFailures"])
            function.add_property_override(f"{event}.ScalingConfig", {"MaximumConcurrency": consumer.max_concurrency})

    def _adjust_schedules(self) -> None:
        for schedule in resources.SCHEDULES:
            logical = sam_logical_id(schedule.handler)
            function = self.app.get_resource(logical)
            function.add_property_override(f"Events.{logical}Event.Properties.Schedule", schedule.expression)
            function.add_property_override(f"Events.{logical}Event.Properties.Name",
                                           f"{APP_NAME}-{self.stage}-{schedule.job}")
            for key, value in self._rule_delivery(schedule.handler).items():
                function.add_property_override(f"Events.{logical}Event.Properties.{key}", value)
            # CDK's built-in validator (CloudFormation Validate 1.12) fails to transform a SAM Schedule event that
            # has a DeadLetterConfig ("Missing required property 'Schedule'", although it is there). SAM documents
            # DeadLetterConfig on Schedule events and cfn-lint, which the tests run, validates the template clean.
            cdk.Validations.of(function).acknowledge(cdk.Acknowledgment(
                id="CloudFormation-Validate::E0001",
                reason="false positive of the built-in SAM transform on Schedule.DeadLetterConfig; cfn-lint is clean"))

    def _adjust_api(self) -> None:
        api = self.app.get_resource("RestAPI")
        api.add_property_override("TracingEnabled", True)
        api.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*",
            "ThrottlingRateLimit": self.settings.api_rate_limit,
            "ThrottlingBurstLimit": self.settings.api_burst_limit,
            "MetricsEnabled": True,
            "DataTraceEnabled": False,  # would log request and response bodies: personal data
        }])
        # Errors the gateway answers itself get the app's {code, message} shape; a path no route matches is a 404
        # (API Gateway's default is a 403 "Missing Authentication Token"), as the local stack answers it. A FHIR
        # client (Accept: application/fhir+json) gets the same as an OperationOutcome: a gateway response's
        # template cannot depend on the path (no VTL, simple substitution only), so the gateway picks it by the
        # request's Accept header, the key of its templates (docs/fhir.md, "Errors").
        body = '{"code": "%s", "message": "%s"}'
        outcome = ('{"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "%s", "details": '
                   '{"coding": [{"system": "urn:ens:fhir:CodeSystem:error-code", "code": "%s"}]}, '
                   '"diagnostics": "%s"}]}')
        for response_type, status, code, issue, message in (
            ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found", "not-found",
             "There is nothing at this address: check the method and the path. Every route is listed in "
             "GET /openapi.json (GET /fhir/metadata for the FHIR interface)."),
            ("THROTTLED", "429", "throttled", "throttled", "Too many requests: slow down and try again."),
            # API Gateway's own 10 MB limit (a larger request never reaches the app, which refuses above 6,000,000)
            ("REQUEST_TOO_LARGE", "413", "too_large", "too-long",
             "This request is too large: a document above 4,487,712 bytes goes through POST /fhir/Binary/$upload."),
            ("DEFAULT_4XX", None, "bad_request", "processing", "The request was refused by the gateway."),
            ("DEFAULT_5XX", None, "unavailable", "transient", "The service is temporarily unavailable; try again."),
        ):
            properties: dict[str, object] = {
                "ResponseType": response_type, "RestApiId": api.ref,
                "ResponseTemplates": {"application/json": body % (code, message),
                                      "application/fhir+json": outcome % (issue, code, message)},
                "ResponseParameters": {"gatewayresponse.header.Cache-Control": "'no-store'"},
            }
            if status:
                properties["StatusCode"] = status
            cdk.CfnResource(self, f"GatewayResponse{response_type.title().replace('_', '')}",
                            type="AWS::ApiGateway::GatewayResponse", properties=properties)

    # -- establishments ------------------------------------------------------------------------------------------

    def _establishment_role(self) -> iam.Role:
        """The role an establishment's drop client assumes to upload into the inbox, only under its own FINESS.

        Attribute-based: the session carries the tag ``finess`` (set by whoever vouches for the establishment:
        a broker calling sts:AssumeRole with a session tag, or IAM Roles Anywhere mapping the certificate), and the
        policy allows writes to ``inbox/${aws:PrincipalTag/finess}/*`` only. Without the tag nothing matches."""
        inbox = self.buckets["inbox"]
        prefix = resources.INBOX_BUCKET.prefixes["inbox"]
        principals: list[iam.IPrincipal] = [iam.ArnPrincipal(a) for a in self.settings.establishment_principals] \
            or [iam.AccountRootPrincipal()]
        trusted = iam.CompositePrincipal(*principals)
        role = iam.Role(
            self, "EstablishmentInboxRole",
            assumed_by=iam.SessionTagsPrincipal(trusted).with_conditions({
                "StringLike": {"aws:RequestTag/finess": "?????????"},  # nine characters, every session
                "ForAllValues:StringEquals": {"aws:TagKeys": ["finess"]},
            }),
            max_session_duration=cdk.Duration.hours(1),
            description=f"ens {self.stage}: establishments drop files into inbox/<their FINESS>/ only",
            inline_policies={"own-inbox-prefix": iam.PolicyDocument(statements=[
                iam.PolicyStatement(
                    sid="DropIntoOwnFinessPrefix", actions=["s3:PutObject"],
                    resources=[inbox.arn_for_objects(prefix + "${aws:PrincipalTag/finess}/*")]),
                iam.PolicyStatement(
                    sid="EncryptUploads", actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[self.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}}),
            ])},
        )
        return role

    # -- operations ---------------------------------------------------------------------------------------------

    def _alarm(self, name: str, description: str, metric: cloudwatch.Metric, threshold: float = 1) -> None:
        alarm = cloudwatch.Alarm(
            self, f"Alarm-{name}", alarm_name=f"{APP_NAME}-{self.stage}-{name}", alarm_description=description,
            metric=metric, threshold=threshold, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm.add_alarm_action(cw_actions.SnsAction(self.alerts))
        alarm.add_ok_action(cw_actions.SnsAction(self.alerts))

    def _alarms(self) -> None:
        period = cdk.Duration.minutes(5)
        for handler in permissions.handlers():
            name = function_name(self.stage, handler)

            def lambda_metric(metric: str, fn: str = name) -> cloudwatch.Metric:
                return cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric,
                                         dimensions_map={"FunctionName": fn}, statistic="Sum", period=period)

            self._alarm(f"{handler}-errors", f"{name} raised errors (uncaught exceptions, timeouts)",
                        lambda_metric("Errors"))
            self._alarm(f"{handler}-throttles", f"{name} was throttled (concurrency exhausted)",
                        lambda_metric("Throttles"))
            if permissions.BY_HANDLER[handler].async_dead_letter:
                self._alarm(f"{handler}-dead-letter-delivery",
                            f"{name}: a failed event could not even be put on its dead-letter queue",
                            lambda_metric("DestinationDeliveryFailures"))
        for logical, queue in self.queues.items():
            declared = next(q for q in resources.QUEUES if q.logical == logical)
            if declared.age_alarm_seconds:
                self._alarm(f"{logical}-age", f"The oldest message of {resources.default_name(self.stage, logical)} "
                            f"waits more than {declared.age_alarm_seconds} s: its workers are failing or too few",
                            queue.metric_approximate_age_of_oldest_message(period=period, statistic="Maximum"),
                            threshold=declared.age_alarm_seconds)
            if not logical.endswith("-dlq"):
                continue
            self._alarm(f"{logical}-depth", f"Messages wait in {resources.default_name(self.stage, logical)}: "
                        "failed events or letters, to look at and replay",
                        queue.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum"))
        api_dims = {"ApiName": APP_NAME, "Stage": self._api_stage()}
        self._alarm("api-5xx", "The API answered 5XX (server errors) to clients",
                    cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="5XXError", dimensions_map=api_dims,
                                      statistic="Sum", period=period), threshold=5)
        self._alarm("api-latency", "The API's p99 latency exceeded 5 seconds",
                    cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="Latency", dimensions_map=api_dims,
                                      statistic="p99", period=period), threshold=5000)

    @property
    def api_origin(self) -> str:
        """The API's origin (a token: the REST API's id is known at deployment)."""
        return cdk.Fn.join("", ["https://", self.app.get_resource("RestAPI").ref, ".execute-api.", self.region, ".",
                                self.url_suffix])

    @property
    def api_url(self) -> str:
        return cdk.Fn.join("", [self.api_origin, "/", self._api_stage()])

    @property
    def upload_origins(self) -> list[str]:
        """Where browsers send the bytes of presigned uploads (virtual-hosted style, regional and global)."""
        return [cdk.Fn.join("", ["https://", self.buckets[b.logical].bucket_name, host])
                for b in resources.BUCKETS if b.browser_uploads
                for host in (f".s3.{self.region}.amazonaws.com", ".s3.amazonaws.com")]

    def _api_stage(self) -> str:
        stage = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][self.stage]
        return stage["api_gateway_stage"]

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "DocumentsBucket", value=self.buckets["documents"].bucket_name)
        cdk.CfnOutput(self, "InboxBucket", value=self.buckets["inbox"].bucket_name)
        cdk.CfnOutput(self, "BatchesBucket", value=self.buckets["batches"].bucket_name)
        cdk.CfnOutput(self, "ExportsBucket", value=self.buckets["exports"].bucket_name)
        cdk.CfnOutput(self, "EstablishmentInboxRoleArn", value=self.establishment_role.role_arn)
        cdk.CfnOutput(self, "OpsAlertsTopicArn", value=self.alerts.topic_arn)
        cdk.CfnOutput(self, "PepperSecretArn", value=self.pepper.secret_arn)
        cdk.CfnOutput(self, "Region", value=app_config.REGION)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


# The retentions CloudWatch Logs accepts, in days.
RETENTIONS = {1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
              60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
              365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS",
              1096: "THREE_YEARS", 1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS", 2922: "EIGHT_YEARS",
              3288: "NINE_YEARS", 3653: "TEN_YEARS"}


def _retention(days: int) -> logs.RetentionDays:
    if days not in RETENTIONS:
        raise ValueError(f"CloudWatch Logs has no retention of {days} days; one of {sorted(RETENTIONS)}")
    return logs.RetentionDays[RETENTIONS[days]]
