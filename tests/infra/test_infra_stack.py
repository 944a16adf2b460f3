"""The synthesized CloudFormation template of the prod stage: what `make synth` writes, checked property by property.

The expected values come from `chalicelib.resources` (the definition the local stack also creates) and from
`infra.permissions` (the least-privilege matrix), never from copies: if local and AWS disagree, a test fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from synth_support import ACCOUNT, ROOT, STAGE

from chalicelib import config, resources
from chalicelib.adapters.notifier import SENDER_ADDRESS
from infra import permissions
from infra.stack import PLACEHOLDER_ROLE, function_name, sam_logical_id

# cfn-lint findings tolerated (rule ids), each with its reason. Errors are never tolerated.
CFN_LINT_IGNORED: dict[str, str] = {}

AWS_TABLES = [t for t in resources.TABLES if not t.local_only]
AWS_QUEUES = [q for q in resources.QUEUES if not q.local_only]


# -- helpers --------------------------------------------------------------------------------------------------------


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get("Properties", {})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def table_id(template: dict[str, Any], logical: str) -> str:
    name = resources.default_name(STAGE, logical)
    [found] = [k for k, v in of_type(template, "AWS::DynamoDB::Table").items() if props(v)["TableName"] == name]
    return found


def queue_id(template: dict[str, Any], logical: str) -> str:
    name = resources.default_name(STAGE, logical)
    [found] = [k for k, v in of_type(template, "AWS::SQS::Queue").items() if props(v)["QueueName"] == name]
    return found


def bucket_id(template: dict[str, Any], logical: str) -> str:
    output = {"documents": "DocumentsBucket", "inbox": "InboxBucket", "batches": "BatchesBucket",
              "exports": "ExportsBucket"}[logical]
    return template["Outputs"][output]["Value"]["Ref"]


def key_id(template: dict[str, Any]) -> str:
    [found] = of_type(template, "AWS::KMS::Key")
    return found


def topic_id(template: dict[str, Any], logical: str) -> str:
    name = resources.default_name(STAGE, logical)
    [found] = [k for k, v in of_type(template, "AWS::SNS::Topic").items() if props(v)["TopicName"] == name]
    return found


def function(template: dict[str, Any], handler: str) -> dict[str, Any]:
    return template["Resources"][sam_logical_id(handler)]


def role_of(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    role = props(function(template, handler))["Role"]
    assert set(role) == {"Fn::GetAtt"}, role
    logical = role["Fn::GetAtt"][0]
    return logical, template["Resources"][logical]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(document.get("Statement", []))


def role_statements(template: dict[str, Any], handler: str) -> list[dict[str, Any]]:
    _, role = role_of(template, handler)
    return [s for p in props(role).get("Policies", []) for s in statements(p["PolicyDocument"])]


def policy_documents(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every IAM and resource policy document of the template."""
    found: list[tuple[str, dict[str, Any]]] = []
    for logical, resource in template["Resources"].items():
        p = props(resource)
        for policy in p.get("Policies", []) if isinstance(p.get("Policies"), list) else []:
            if isinstance(policy, dict) and "PolicyDocument" in policy:
                found.append((logical, policy["PolicyDocument"]))
        for key in ("PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument"):
            if isinstance(p.get(key), dict):
                found.append((logical, p[key]))
    return found


def refs_in(value: Any) -> set[str]:
    """Logical ids referenced (Ref / Fn::GetAtt) anywhere inside ``value``."""
    if isinstance(value, dict):
        found: set[str] = set()
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                found.add(v)
            elif k == "Fn::GetAtt":
                found.add(v[0] if isinstance(v, list) else v.split(".")[0])
            else:
                found |= refs_in(v)
        return found
    if isinstance(value, list):
        return set().union(*(refs_in(v) for v in value)) if value else set()
    return set()


def joined_text(value: Any) -> str:
    """The literal parts of an Fn::Join, e.g. '/documents/*'."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(p for p in value["Fn::Join"][1] if isinstance(p, str))
    return value if isinstance(value, str) else ""


# -- the assembly ---------------------------------------------------------------------------------------------------


def test_synthesis_writes_the_data_stack_and_the_portal_stack_of_the_prod_stage_in_paris(assembly: Path) -> None:
    manifest = json.loads((assembly / "manifest.json").read_text())
    stacks = {k: v for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack"}
    assert sorted(stacks) == [STAGE, f"{STAGE}-portal"]
    for artifact in stacks.values():
        assert artifact["environment"] == f"aws://{ACCOUNT}/{config.REGION}"
    assert stacks[STAGE]["properties"]["stackName"] == f"ens-{STAGE}"
    assert stacks[f"{STAGE}-portal"]["properties"]["stackName"] == f"ens-{STAGE}-portal"
    assert STAGE in stacks[f"{STAGE}-portal"].get("dependencies", [])
    assert sorted(p.name for p in assembly.glob("*.template.json")) == [f"{STAGE}-portal.template.json",
                                                                          f"{STAGE}.template.json"]


def test_cfn_lint_reports_no_error_on_any_template(assembly: Path) -> None:
    templates = sorted(str(p) for p in assembly.glob("*.template.json"))
    assert templates
    runner = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"
    command = [sys.executable, "-c", runner, "--format", "parseable", "--regions", config.REGION]
    if CFN_LINT_IGNORED:
        command += ["--ignore-checks", *CFN_LINT_IGNORED]
    done = subprocess.run([*command, "--", *templates], capture_output=True, text=True, timeout=300, check=False)
    # exit code bits: 2 errors, 4 warnings, 8 informational; anything else (1) is a crash
    assert done.returncode == 0, f"cfn-lint (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"


def test_cdk_validation_reports_nothing_unacknowledged(assembly: Path) -> None:
    report = assembly / "validation-report.json"
    if report.exists():
        violations = [v for r in json.loads(report.read_text())["pluginReports"] for v in r.get("violations", [])]
        assert violations == []


def test_no_development_key_exists_in_aws(assembly: Path, template_json: dict[str, Any]) -> None:
    local = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["local"]["environment_variables"]
    for path in assembly.glob("*.json"):
        text = path.read_text()
        assert "ENS_DEV_SIGNING_KEY" not in text, path.name
        assert local["ENS_DEV_SIGNING_KEY"] not in text, path.name
        assert local["ENS_SECRET_PEPPER"] not in text, path.name


# -- data: tables ---------------------------------------------------------------------------------------------------


def test_exactly_the_declared_aws_tables_exist_with_their_keys_indexes_and_ttl(template_json: dict[str, Any]) -> None:
    tables = of_type(template_json, "AWS::DynamoDB::Table")
    assert sorted(props(t)["TableName"] for t in tables.values()) == sorted(
        resources.default_name(STAGE, t.logical) for t in AWS_TABLES)
    assert all(props(t)["TableName"] != resources.default_name(STAGE, "outbox") for t in tables.values())
    for declared in AWS_TABLES:
        table = props(tables[table_id(template_json, declared.logical)])
        attributes = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        expected_schema = [{"AttributeName": declared.partition_key.name, "KeyType": "HASH"}]
        if declared.sort_key:
            expected_schema.append({"AttributeName": declared.sort_key.name, "KeyType": "RANGE"})
        assert table["KeySchema"] == expected_schema, declared.logical
        keys = [declared.partition_key, declared.sort_key] + [k for i in declared.indexes
                                                              for k in (i.partition_key, i.sort_key)]
        assert attributes == {k.name: k.type for k in keys if k}, declared.logical
        indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
        assert sorted(indexes) == sorted(i.name for i in declared.indexes), declared.logical
        for index in declared.indexes:
            schema = [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}]
            if index.sort_key:
                schema.append({"AttributeName": index.sort_key.name, "KeyType": "RANGE"})
            assert indexes[index.name]["KeySchema"] == schema
            assert indexes[index.name]["Projection"] == {"ProjectionType": index.projection}
        if declared.ttl_attribute:
            assert table["TimeToLiveSpecification"] == {"AttributeName": declared.ttl_attribute, "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in table


def test_aws_tables_are_the_tables_the_local_stack_creates(template_json: dict[str, Any]) -> None:
    from ens_cli.localaws import table_definition

    for declared in AWS_TABLES:
        local = table_definition(declared, resources.default_name(STAGE, declared.logical))
        aws = props(template_json["Resources"][table_id(template_json, declared.logical)])
        assert aws["TableName"] == local["TableName"]
        assert aws["KeySchema"] == local["KeySchema"]
        assert sorted(aws["AttributeDefinitions"], key=str) == sorted(local["AttributeDefinitions"], key=str)
        assert sorted(aws.get("GlobalSecondaryIndexes", []), key=str) == sorted(
            local.get("GlobalSecondaryIndexes", []), key=str)
        assert aws["BillingMode"] == local["BillingMode"]


def test_tables_are_on_demand_recoverable_protected_retained_and_encrypted_with_the_cmk(
        template_json: dict[str, Any], template: Any) -> None:
    from aws_cdk.assertions import Match

    key = key_id(template_json)
    for logical, table in of_type(template_json, "AWS::DynamoDB::Table").items():
        p = props(table)
        assert p["BillingMode"] == "PAY_PER_REQUEST", logical
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, logical
        assert p["DeletionProtectionEnabled"] is True, logical
        assert p["SSESpecification"] == {"KMSMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}, "SSEEnabled": True,
                                         "SSEType": "KMS"}, logical
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain", logical
    template.resource_count_is("AWS::DynamoDB::Table", len(AWS_TABLES))
    template.all_resources_properties("AWS::DynamoDB::Table", Match.object_like({
        "BillingMode": "PAY_PER_REQUEST", "DeletionProtectionEnabled": True,
        "PointInTimeRecoverySpecification": Match.object_like({"PointInTimeRecoveryEnabled": True})}))


def test_the_key_rotates_and_its_policy_grants_no_kms_star(template_json: dict[str, Any]) -> None:
    [key] = of_type(template_json, "AWS::KMS::Key").values()
    assert props(key)["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    for statement in statements(props(key)["KeyPolicy"]):
        assert not {"*", "kms:*"} & set(as_list(statement["Action"])), statement
    [alias] = of_type(template_json, "AWS::KMS::Alias").values()
    assert props(alias)["AliasName"] == f"alias/ens-{STAGE}-data"


# -- data: buckets --------------------------------------------------------------------------------------------------


def test_buckets_are_versioned_kms_encrypted_private_and_send_events_to_eventbridge(
        template_json: dict[str, Any], template: Any) -> None:
    key = key_id(template_json)
    buckets = of_type(template_json, "AWS::S3::Bucket")
    assert len(buckets) == len(resources.BUCKETS)
    for declared in resources.BUCKETS:
        bucket = buckets[bucket_id(template_json, declared.logical)]
        p = props(bucket)
        assert p["VersioningConfiguration"] == {"Status": "Enabled"}
        [rule] = p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule == {"BucketKeyEnabled": True, "ServerSideEncryptionByDefault": {
            "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]}, "SSEAlgorithm": "aws:kms"}}
        assert p["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                       "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
        assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        if declared.eventbridge:
            assert p["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
        else:  # nothing listens to it (the exports' bucket: the worker writes, the person downloads)
            assert "NotificationConfiguration" not in p, declared.logical
        assert bucket["DeletionPolicy"] == "Retain"
    # no custom resource (and its Lambda function) to configure notifications
    assert not of_type(template_json, "Custom::S3BucketNotifications")
    assert not of_type(template_json, "AWS::Lambda::Function")
    template.resource_count_is("AWS::S3::BucketPolicy", len(resources.BUCKETS))


def test_bucket_policies_refuse_anything_but_tls(template_json: dict[str, Any]) -> None:
    policies = {refs_in(props(p)["Bucket"]).pop(): props(p)["PolicyDocument"]
                for p in of_type(template_json, "AWS::S3::BucketPolicy").values()}
    for declared in resources.BUCKETS:
        logical = bucket_id(template_json, declared.logical)
        tls = [s for s in statements(policies[logical])
               if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
        assert len(tls) == 1, declared.logical
        assert tls[0]["Principal"] == {"AWS": "*"} and tls[0]["Action"] == "s3:*"
        assert {joined_text(r) for r in tls[0]["Resource"]} == {"", "/*"}  # the bucket and every object
        assert all(s["Effect"] == "Deny" for s in statements(policies[logical]))


def _rules_applying_to(rules: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    def prefix(rule: dict[str, Any]) -> str:
        return rule.get("Prefix", rule.get("Filter", {}).get("Prefix", ""))

    return [r for r in rules if r["Status"] == "Enabled" and key.startswith(prefix(r))]


EXPIRING = ("ExpirationInDays", "ExpirationDate", "NoncurrentVersionExpiration", "NoncurrentVersionExpirationInDays",
            "Transitions", "NoncurrentVersionTransitions", "Transition", "NoncurrentVersionTransition")


def test_lifecycle_keeps_an_undo_window_and_never_expires_the_quarantine(template_json: dict[str, Any]) -> None:
    for declared in resources.BUCKETS:
        rules = props(template_json["Resources"][bucket_id(template_json, declared.logical)])[
            "LifecycleConfiguration"]["Rules"]
        assert any(r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1} for r in rules)
        for logical, prefix in declared.prefixes.items():
            applying = _rules_applying_to(rules, f"{prefix}750000002/some-file.pdf")
            expiring = [r for r in applying if any(k in r for k in EXPIRING)]
            if logical in declared.kept_prefixes:
                assert expiring == [], f"{declared.logical}/{prefix} must never expire: {expiring}"
                continue
            if logical in declared.temporary_prefixes:  # a staged upload nobody submitted: gone, every version
                assert [(r.get("ExpirationInDays"), r["NoncurrentVersionExpiration"]) for r in expiring] == [
                    (declared.temporary_days, {"NoncurrentDays": declared.temporary_days})], f"{prefix}: {expiring}"
                continue
            assert [r["NoncurrentVersionExpiration"] for r in expiring] == [
                {"NoncurrentDays": declared.noncurrent_version_days}], f"{declared.logical}/{prefix}"
            if logical in declared.expire_days:  # kept only while they serve: enrolment files, reports, exports
                assert [r["ExpirationInDays"] for r in expiring] == [declared.expire_days[logical]]
                continue
            # current versions never expire by lifecycle: the app (and the archive purge) decide
            assert not any(k in r for r in applying for k in ("ExpirationInDays", "ExpirationDate"))
    assert resources.INBOX_BUCKET.kept_prefixes == ("quarantine",)
    assert resources.DOCUMENTS_BUCKET.temporary_prefixes == ("staging",)  # never documents/ nor attachments/
    assert resources.DOCUMENTS_BUCKET.noncurrent_version_days >= 7  # long enough to notice and undo a mistake
    assert not resources.DOCUMENTS_BUCKET.expire_days and not resources.INBOX_BUCKET.expire_days


# -- data: queues and topic -----------------------------------------------------------------------------------------


def test_exactly_the_declared_aws_queues_exist_with_their_dead_letters_encrypted(template_json: dict[str, Any]) -> None:
    queues = of_type(template_json, "AWS::SQS::Queue")
    assert sorted(props(q)["QueueName"] for q in queues.values()) == sorted(
        resources.default_name(STAGE, q.logical) for q in AWS_QUEUES)
    key = key_id(template_json)
    for declared in AWS_QUEUES:
        queue = props(queues[queue_id(template_json, declared.logical)])
        assert queue["VisibilityTimeout"] == declared.visibility_timeout
        assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
        if declared.dead_letter:
            assert queue["RedrivePolicy"] == {
                "deadLetterTargetArn": {"Fn::GetAtt": [queue_id(template_json, declared.dead_letter), "Arn"]},
                "maxReceiveCount": declared.max_receive_count}
        else:
            assert "RedrivePolicy" not in queue
    assert not [q for q in resources.QUEUES if q.local_only and any(
        props(x)["QueueName"] == resources.default_name(STAGE, q.logical) for x in queues.values())]


def test_the_ops_topic_is_encrypted(template_json: dict[str, Any]) -> None:
    topics = of_type(template_json, "AWS::SNS::Topic")
    assert sorted(props(t)["TopicName"] for t in topics.values()) == sorted(
        resources.default_name(STAGE, t.logical) for t in resources.TOPICS)
    for topic in topics.values():
        assert props(topic)["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id(template_json), "Arn"]}


# -- functions ------------------------------------------------------------------------------------------------------


def test_every_function_of_the_app_is_deployed_with_its_own_role(template_json: dict[str, Any]) -> None:
    functions = of_type(template_json, "AWS::Serverless::Function")
    assert sorted(functions) == sorted(sam_logical_id(h) for h in permissions.handlers())
    assert sorted(props(f)["FunctionName"] for f in functions.values()) == sorted(
        function_name(STAGE, h) for h in permissions.handlers())
    roles = [role_of(template_json, h)[0] for h in permissions.handlers()]
    assert len(set(roles)) == len(roles)  # one role per function
    lambda_roles = [k for k, r in of_type(template_json, "AWS::IAM::Role").items()
                    if any(s.get("Principal") == {"Service": "lambda.amazonaws.com"}
                           for s in statements(props(r)["AssumeRolePolicyDocument"]))]
    assert sorted(lambda_roles) == sorted(roles)  # and no other role for Lambda (Chalice manages none)
    assert PLACEHOLDER_ROLE not in json.dumps(template_json)
    for logical in lambda_roles:  # the roles are closed: no managed policy, no policy attached elsewhere
        assert "ManagedPolicyArns" not in props(template_json["Resources"][logical])
    assert not of_type(template_json, "AWS::IAM::Policy")
    assert not of_type(template_json, "AWS::IAM::ManagedPolicy")


def test_no_policy_allows_a_wildcard_action(template_json: dict[str, Any]) -> None:
    for where, document in policy_documents(template_json):
        for statement in statements(document):
            if statement["Effect"] != "Allow":
                continue  # Deny s3:* without TLS is the point of the bucket policies
            for action in as_list(statement.get("Action", [])):
                assert action != "*" and not action.endswith(":*"), f"{where}: {statement}"


def test_resource_star_only_where_aws_offers_nothing_narrower(template_json: dict[str, Any]) -> None:
    for handler in permissions.handlers():
        for statement in role_statements(template_json, handler):
            if "*" in as_list(statement["Resource"]):
                actions = set(as_list(statement["Action"]))
                assert actions <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                   "xray:GetSamplingTargets", "sns:Publish"}, (handler, statement)


def _table_grants(template_json: dict[str, Any], handler: str) -> dict[str, set[str]]:
    by_id = {table_id(template_json, t.logical): t.logical for t in AWS_TABLES}
    grants: dict[str, set[str]] = {}
    for statement in role_statements(template_json, handler):
        actions = {a for a in as_list(statement["Action"]) if a.startswith("dynamodb:")}
        if not actions:
            continue
        for logical in refs_in(statement["Resource"]):
            grants.setdefault(by_id[logical], set()).update(actions)
    return grants


def test_each_role_reaches_exactly_the_tables_of_the_matrix_without_scan(template_json: dict[str, Any]) -> None:
    for access in permissions.FUNCTIONS:
        grants = _table_grants(template_json, access.handler)
        assert grants == {t: set(permissions.TABLE_ACTIONS[level]) for t, level in access.tables.items()}, (
            access.handler)
        assert not any("dynamodb:Scan" in a for a in grants.values())
    # the purge is fanned out: its scheduled function only reads the due index; its units erase everything
    assert set(permissions.BY_HANDLER["archive_purge"].tables) == {"accounts", "waves"}
    assert set(permissions.BY_HANDLER["job_unit"].tables) >= {"accounts", "records", "audit", "messaging"}


def _object_grants(template_json: dict[str, Any], handler: str) -> dict[tuple[str, str], set[str]]:
    names = {bucket_id(template_json, b.logical): b.logical for b in resources.BUCKETS}
    grants: dict[tuple[str, str], set[str]] = {}
    for statement in role_statements(template_json, handler):
        actions = {a for a in as_list(statement["Action"]) if a.startswith("s3:")}
        for resource in as_list(statement["Resource"]) if actions else []:
            [bucket] = refs_in(resource)
            suffix = joined_text(resource)
            if suffix == "":  # the bucket itself: listing, only under a prefix
                suffix = "/" + statement["Condition"]["StringLike"]["s3:prefix"]
            grants.setdefault((names[bucket], suffix), set()).update(actions)
    return grants


def test_each_role_reaches_exactly_the_object_prefixes_of_the_matrix(template_json: dict[str, Any]) -> None:
    for access in permissions.FUNCTIONS:
        expected: dict[tuple[str, str], set[str]] = {}
        for grant in access.objects:
            prefix = next(b for b in resources.BUCKETS if b.logical == grant.bucket).prefixes[grant.prefix]
            expected.setdefault((grant.bucket, f"/{prefix}*"), set()).update(grant.actions)
        assert _object_grants(template_json, access.handler) == expected, access.handler
    # the quarantine is written by the ingest function only, and deleted by no one
    for handler in permissions.handlers():
        for (bucket, prefix), actions in _object_grants(template_json, handler).items():
            if prefix.startswith("/quarantine/"):
                assert handler == "ingest_object" and actions == {"s3:PutObject"}


def test_notices_go_through_ses_sns_sms_and_the_postal_queue_only(template_json: dict[str, Any]) -> None:
    postal = queue_id(template_json, permissions.NOTICE_QUEUE)
    for access in permissions.FUNCTIONS:
        found = role_statements(template_json, access.handler)
        ses = [s for s in found if any(a.startswith("ses:") for a in as_list(s["Action"]))]
        sns = [s for s in found if any(a.startswith("sns:") for a in as_list(s["Action"]))]
        sqs: dict[str, set[str]] = {}
        for statement in found:
            for action in as_list(statement["Action"]):
                if action.startswith("sqs:"):
                    sqs.setdefault(action, set()).update(refs_in(statement["Resource"]))
        work = {queue_id(template_json, q) for q in (*access.sends, *([access.consumes] if access.consumes else []))}
        if not access.notifies:
            assert not ses and not sns and sqs.get("sqs:GetQueueUrl", set()) == work, access.handler
            continue
        [email] = ses
        assert email["Condition"] == {"StringEquals": {"ses:FromAddress": SENDER_ADDRESS}}
        assert {joined_text(r).rsplit("/", 1)[1] for r in email["Resource"]} == {
            SENDER_ADDRESS, SENDER_ADDRESS.split("@")[1]}
        [sms] = sns
        assert as_list(sms["Action"]) == ["sns:Publish"]
        assert sqs["sqs:GetQueueUrl"] == {postal} | work


def test_the_data_key_is_usable_only_through_the_data_services(template_json: dict[str, Any]) -> None:
    key = key_id(template_json)
    for handler in permissions.handlers():
        kms = [s for s in role_statements(template_json, handler)
               if any(a.startswith("kms:") for a in as_list(s["Action"]))]
        [statement] = kms
        assert statement["Resource"] == {"Fn::GetAtt": [key, "Arn"]}
        services = set(as_list(statement["Condition"]["StringEquals"]["kms:ViaService"]))
        assert services <= {f"{s}.{config.REGION}.amazonaws.com" for s in ("dynamodb", "s3", "sqs")}


def test_establishments_write_only_under_their_own_finess(template_json: dict[str, Any]) -> None:
    role_arn = template_json["Outputs"]["EstablishmentInboxRoleArn"]["Value"]["Fn::GetAtt"][0]
    role = props(template_json["Resources"][role_arn])
    [trust] = statements(role["AssumeRolePolicyDocument"])
    assert set(trust["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
    assert trust["Condition"]["StringLike"] == {"aws:RequestTag/finess": "?????????"}
    granted = [s for p in role["Policies"] for s in statements(p["PolicyDocument"])]
    s3 = [s for s in granted if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    assert len(s3) == 1 and as_list(s3[0]["Action"]) == ["s3:PutObject"]
    assert refs_in(s3[0]["Resource"]) == {bucket_id(template_json, "inbox")}
    assert joined_text(s3[0]["Resource"]) == "/" + resources.INBOX_BUCKET.prefixes["inbox"] + \
        "${aws:PrincipalTag/finess}/*"


def test_functions_get_every_resource_name_through_the_variables_config_reads(template_json: dict[str, Any]) -> None:
    settings = json.loads((ROOT / "infra" / "cdk.json").read_text())["context"][f"ens:{STAGE}"]
    for handler in permissions.handlers():
        p = props(function(template_json, handler))
        env = p["Environment"]["Variables"]
        assert p["Tracing"] == "Active" and p["KmsKeyArn"] == {"Fn::GetAtt": [key_id(template_json), "Arn"]}
        expected = {resources.env_var("table", t.logical): {"Ref": table_id(template_json, t.logical)}
                    for t in AWS_TABLES}
        expected |= {resources.env_var("bucket", b.logical): {"Ref": bucket_id(template_json, b.logical)}
                     for b in resources.BUCKETS}
        expected |= {resources.env_var("queue", q.logical): {"Fn::GetAtt": [queue_id(template_json, q.logical),
                                                                           "QueueName"]} for q in AWS_QUEUES}
        expected |= {resources.env_var("topic", t.logical): {"Fn::GetAtt": [topic_id(template_json, t.logical),
                                                                           "TopicName"]} for t in resources.TOPICS}
        assert {k: v for k, v in env.items() if k.startswith(("ENS_TABLE_", "ENS_BUCKET_", "ENS_QUEUE_",
                                                               "ENS_TOPIC_"))} == expected, handler
        assert env["ENS_STAGE"] == STAGE and env["ENS_REGION"] == config.REGION
        assert env["POWERTOOLS_SERVICE_NAME"] == "ens" and env["POWERTOOLS_METRICS_NAMESPACE"] == "Ens"
        assert env["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"  # responses hold personal data
        assert json.loads(env["ENS_OIDC_ISSUERS"]) == [
            {k: i[k] for k in ("issuer", "jwks_url", "audience", "roles")} for i in settings["oidcIssuers"]]
        pepper = env["ENS_SECRET_PEPPER"]["Fn::Join"][1]
        assert pepper[0] == "{{resolve:secretsmanager:" and pepper[-1] == ":SecretString:::}}"

        # what the app makes of this environment, once CloudFormation has resolved the names
        resolved = {k: (f"physical-{k}" if isinstance(v, dict) else v) for k, v in env.items()}
        loaded = config.load(resolved)
        assert loaded.stage == STAGE and loaded.dev_signing_key is None and loaded.aws_endpoint_url is None
        assert [i.issuer for i in loaded.oidc_issuers] == [i["issuer"] for i in settings["oidcIssuers"]]
        for t in AWS_TABLES:
            assert loaded.table(t.logical) == f"physical-{resources.env_var('table', t.logical)}"
        for b in resources.BUCKETS:
            assert loaded.bucket(b.logical) == f"physical-{resources.env_var('bucket', b.logical)}"
        for q in AWS_QUEUES:
            assert loaded.queue(q.logical) == f"physical-{resources.env_var('queue', q.logical)}"


def test_functions_log_to_their_own_encrypted_retained_log_group(template_json: dict[str, Any]) -> None:
    groups = {props(g)["LogGroupName"]: (k, g) for k, g in of_type(template_json, "AWS::Logs::LogGroup").items()}
    for handler in permissions.handlers():
        logical, group = groups[f"/aws/lambda/{function_name(STAGE, handler)}"]
        assert props(group)["KmsKeyId"] == {"Fn::GetAtt": [key_id(template_json), "Arn"]}
        assert props(group)["RetentionInDays"] >= 30
        assert logical in as_list(function(template_json, handler).get("DependsOn", []))
        [logs] = [s for s in role_statements(template_json, handler) if "logs:PutLogEvents" in as_list(s["Action"])]
        assert logs["Resource"] == {"Fn::GetAtt": [logical, "Arn"]}


# -- events, schedules, retries -------------------------------------------------------------------------------------


def _event(template_json: dict[str, Any], handler: str) -> dict[str, Any]:
    [event] = props(function(template_json, handler))["Events"].values()
    return event


def test_schedules_run_the_jobs_with_the_expressions_of_resources(template_json: dict[str, Any]) -> None:
    for schedule in resources.SCHEDULES:
        event = _event(template_json, schedule.handler)
        assert event["Type"] == "Schedule"
        assert event["Properties"]["Schedule"] == schedule.expression
        assert event["Properties"]["Name"] == f"ens-{STAGE}-{schedule.job}"
        dead_letter = permissions.BY_HANDLER[schedule.handler].async_dead_letter
        assert event["Properties"]["DeadLetterConfig"] == {
            "Arn": {"Fn::GetAtt": [queue_id(template_json, dead_letter), "Arn"]}}
        assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_s3_object_created_events_of_the_two_buckets_reach_the_ingest_function(
        template_json: dict[str, Any]) -> None:
    event = _event(template_json, resources.INGEST_RULE.handler)
    assert event["Type"] == "CloudWatchEvent"
    assert event["Properties"]["Pattern"] == {
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [{"Ref": bucket_id(template_json, b)} for b in resources.INGEST_RULE.buckets]}}}
    assert event["Properties"]["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": [queue_id(template_json, "ingest-dlq"), "Arn"]}}
    # no SQS hop in AWS: the rule targets the function (the queue exists only locally)
    assert not any(props(q)["QueueName"].endswith(resources.INGEST_RULE.local_queue)
                   for q in of_type(template_json, "AWS::SQS::Queue").values())


def test_failed_asynchronous_invocations_are_retried_then_dead_lettered(template_json: dict[str, Any]) -> None:
    configs = {props(c)["FunctionName"]["Ref"]: props(c)
               for c in of_type(template_json, "AWS::Lambda::EventInvokeConfig").values()}
    asynchronous = [a for a in permissions.FUNCTIONS if a.async_dead_letter]
    assert sorted(configs) == sorted(sam_logical_id(a.handler) for a in asynchronous)
    assert {a.handler for a in asynchronous} == {r.handler for r in resources.EVENT_RULES} | {
        s.handler for s in resources.SCHEDULES}
    for access in asynchronous:
        c = configs[sam_logical_id(access.handler)]
        assert c["Qualifier"] == "$LATEST" and 1 <= c["MaximumRetryAttempts"] <= 2
        assert c["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [
            queue_id(template_json, access.async_dead_letter), "Arn"]}}}
        assert {"sqs:SendMessage"} <= {a for s in role_statements(template_json, access.handler)
                                       if queue_id(template_json, access.async_dead_letter) in refs_in(s["Resource"])
                                       for a in as_list(s["Action"])}


def test_rules_may_put_undeliverable_events_on_the_dead_letter_queues(template_json: dict[str, Any]) -> None:
    policies = of_type(template_json, "AWS::SQS::QueuePolicy")
    for logical in {a.async_dead_letter for a in permissions.FUNCTIONS if a.async_dead_letter}:
        queue = queue_id(template_json, logical)
        [policy] = [props(p)["PolicyDocument"] for p in policies.values() if refs_in(props(p)["Queues"]) == {queue}]
        [allow] = [s for s in statements(policy) if s["Effect"] == "Allow"]
        assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
        assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


# -- operations -----------------------------------------------------------------------------------------------------


def _alarms(template_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {props(a)["AlarmName"]: props(a) for a in of_type(template_json, "AWS::CloudWatch::Alarm").values()}


def test_alarms_on_errors_throttles_dead_letters_and_the_api_notify_the_ops_topic(
        template_json: dict[str, Any]) -> None:
    alarms = _alarms(template_json)
    topic = topic_id(template_json, "ops-alerts")
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic}] and alarm["TreatMissingData"] == "notBreaching"
    for handler in permissions.handlers():
        for metric in ("Errors", "Throttles"):
            alarm = alarms[f"ens-{STAGE}-{handler}-{metric.lower()}"]
            assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": function_name(STAGE, handler)}]
            assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    for queue in AWS_QUEUES:
        if not queue.logical.endswith("-dlq"):
            continue
        alarm = alarms[f"ens-{STAGE}-{queue.logical}-depth"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {
            "Fn::GetAtt": [queue_id(template_json, queue.logical), "QueueName"]}}]
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    api = alarms[f"ens-{STAGE}-api-5xx"]
    assert (api["Namespace"], api["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert {d["Name"]: d["Value"] for d in api["Dimensions"]} == {"ApiName": "ens", "Stage": "v1"}
    # cloudwatch may publish to the encrypted topic
    [key] = of_type(template_json, "AWS::KMS::Key").values()
    assert any(s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} for s in statements(props(key)["KeyPolicy"]))


def test_api_gateway_is_throttled_traced_and_never_logs_bodies(template_json: dict[str, Any], template: Any) -> None:
    from aws_cdk.assertions import Match

    api = props(template_json["Resources"]["RestAPI"])
    assert api["StageName"] == "v1" and api["TracingEnabled"] is True
    [settings] = api["MethodSettings"]
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] >= settings["ThrottlingRateLimit"]
    assert settings["DataTraceEnabled"] is False
    template.has_resource_properties("AWS::Serverless::Api", {"MethodSettings": Match.array_with([
        Match.object_like({"ThrottlingRateLimit": Match.any_value(), "ThrottlingBurstLimit": Match.any_value()})])})


def test_the_pepper_is_generated_once_and_kept(template_json: dict[str, Any]) -> None:
    [secret] = of_type(template_json, "AWS::SecretsManager::Secret").values()
    assert secret["DeletionPolicy"] == "Retain"
    assert props(secret)["KmsKeyId"] == {"Fn::GetAtt": [key_id(template_json), "Arn"]}
    assert "SecretString" not in props(secret)  # generated by Secrets Manager, never in the template


@pytest.mark.parametrize("handler", permissions.handlers())
def test_lambda_settings_come_from_the_chalice_prod_stage(template_json: dict[str, Any], handler: str) -> None:
    stage = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][STAGE]
    p = props(function(template_json, handler))
    assert stage["autogen_policy"] is False
    assert p["MemorySize"] == stage["lambda_functions"][handler]["lambda_memory_size"]
    assert p["Timeout"] == stage["lambda_functions"][handler]["lambda_timeout"]
    assert p["Runtime"] == "python3.11"


def test_gateway_errors_have_the_apps_shape_and_unknown_paths_are_404(template_json: dict[str, Any]) -> None:
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in template_json["Resources"].values()
                 if r["Type"] == "AWS::ApiGateway::GatewayResponse"}
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for properties in responses.values():
        body = json.loads(properties["ResponseTemplates"]["application/json"])
        assert set(body) == {"code", "message"}


# -- national waves: queues, event source mappings, sending rate -------------------------------------------------


def test_each_work_queue_is_the_event_source_of_its_function_with_partial_batch_responses(
        template_json: dict[str, Any]) -> None:
    from infra.stack import sqs_event_id

    for consumer in resources.CONSUMERS:
        events = props(function(template_json, consumer.handler))["Events"]
        assert list(events) == [sqs_event_id(consumer.handler)]
        event = events[sqs_event_id(consumer.handler)]
        assert event["Type"] == "SQS"
        assert event["Properties"]["Queue"] == {"Fn::GetAtt": [queue_id(template_json, consumer.queue), "Arn"]}
        assert event["Properties"]["BatchSize"] == consumer.batch_size
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert event["Properties"]["ScalingConfig"] == {"MaximumConcurrency": consumer.max_concurrency}
        queue = props(template_json["Resources"][queue_id(template_json, consumer.queue)])
        assert queue["VisibilityTimeout"] >= props(function(template_json, consumer.handler))["Timeout"]
        assert props(function(template_json, consumer.handler))["Timeout"] == consumer.timeout_seconds
        assert "RedrivePolicy" in queue
        consume = [s for s in role_statements(template_json, consumer.handler)
                   if "sqs:ReceiveMessage" in as_list(s["Action"])]
        assert [refs_in(s["Resource"]) for s in consume] == [{queue_id(template_json, consumer.queue)}]


def test_uploaded_enrolment_files_reach_the_splitter_and_nothing_else_does(template_json: dict[str, Any]) -> None:
    event = _event(template_json, resources.BATCH_RULE.handler)
    assert event["Type"] == "CloudWatchEvent"
    assert event["Properties"]["Pattern"]["detail"] == {
        "bucket": {"name": [{"Ref": bucket_id(template_json, "batches")}]},
        "object": {"key": [{"prefix": resources.BATCHES_BUCKET.prefixes["uploads"]}]}}
    assert event["Properties"]["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": [queue_id(template_json, "batch-dlq"), "Arn"]}}
    ingest = _event(template_json, resources.INGEST_RULE.handler)["Properties"]["Pattern"]["detail"]["bucket"]["name"]
    assert {"Ref": bucket_id(template_json, "batches")} not in ingest


def test_work_queues_alarm_on_the_age_of_their_oldest_message(template_json: dict[str, Any]) -> None:
    alarms = _alarms(template_json)
    aged = [q for q in AWS_QUEUES if q.age_alarm_seconds]
    assert {c.queue for c in resources.CONSUMERS} <= {q.logical for q in aged}
    for queue in aged:
        alarm = alarms[f"ens-{STAGE}-{queue.logical}-age"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
        assert alarm["Threshold"] == queue.age_alarm_seconds
    for queue in ("batch-dlq", "enrolment-units-dlq", "job-units-dlq"):
        assert f"ens-{STAGE}-{queue}-depth" in alarms


def test_the_sending_rate_is_set_and_its_counters_are_the_only_keys_a_notifier_may_write_in_waves(
        template_json: dict[str, Any], cdk_context: dict[str, Any]) -> None:
    stage = cdk_context[f"ens:{STAGE}"]
    waves = table_id(template_json, "waves")
    for access in permissions.FUNCTIONS:
        env = props(function(template_json, access.handler))["Environment"]["Variables"]
        assert float(env["ENS_SES_RATE"]) == stage["sesMaxSendRate"]
        if access.tables.get("waves") == "counters":
            [grant] = [s for s in role_statements(template_json, access.handler)
                       if waves in refs_in(s["Resource"])]
            assert as_list(grant["Action"]) == ["dynamodb:UpdateItem"]
            assert grant["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["RATE#*"]}}
