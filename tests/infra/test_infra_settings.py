"""The stage settings (`infra/cdk.json`) and the least-privilege matrix, without synthesizing anything."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from synth_support import ROOT, STAGE, synth

from chalicelib import resources
from chalicelib.adapters.notifier import SENDER_ADDRESS
from infra import permissions
from infra.settings import ROLES, SettingsError, load


@pytest.fixture
def shipped() -> dict[str, Any]:
    return json.loads((ROOT / "infra" / "cdk.json").read_text())["context"][f"ens:{STAGE}"]


def test_the_shipped_prod_settings_load(shipped: dict[str, Any]) -> None:
    settings = load(STAGE, shipped)
    assert settings.oidc_issuers and all(set(i["roles"]) <= set(ROLES) for i in settings.oidc_issuers)
    assert {r for i in settings.oidc_issuers for r in i["roles"]} == set(ROLES)  # every role has an issuer
    assert "professional" in next(i for i in settings.oidc_issuers if "esante.gouv.fr" in i["issuer"])["roles"]
    assert SENDER_ADDRESS.split("@")[1] == settings.ses_identity  # the notices' sender is in the identity
    assert settings.api_burst_limit >= settings.api_rate_limit > 0


def test_the_shipped_settings_still_hold_example_values_so_deploying_them_is_refused(shipped: dict[str, Any],
                                                                                      tmp_path: Any) -> None:
    assert load(STAGE, shipped).placeholders()
    done = synth(tmp_path, {"ENS_DEPLOY": "1"}, timeout=300)
    assert done.returncode != 0 and "refusing to deploy" in done.stderr


@pytest.mark.parametrize(("change", "message"), [
    (lambda c: c.update(oidcIssuers=[]), "at least one issuer"),
    (lambda c: c["oidcIssuers"][0].update(issuer="http://idp.example.org"), "https"),
    (lambda c: c["oidcIssuers"][0].update(roles=["root"]), "unknown role"),
    (lambda c: c["oidcIssuers"][0].pop("jwks_url"), "missing jwks_url"),
    (lambda c: c["oidcIssuers"].append(dict(c["oidcIssuers"][0])), "listed twice"),
    (lambda c: c.pop("sesIdentity"), "sesIdentity"),
    (lambda c: c.update(pointInTimeRecoveryDays=90), "1 to 35"),
    (lambda c: c.update(establishmentPrincipals=["123456789012"]), "not an ARN"),
    (lambda c: c.pop("portal"), "portal: required"),
    (lambda c: c["portal"].update(domain="https://monespacesante.fr/"), "host name"),
    (lambda c: c["portal"].update(certificateArn="arn:aws:acm:eu-west-3:1:certificate/x"), "us-east-1"),
    (lambda c: c["portal"].pop("oidcClientId"), "missing oidcClientId"),
    (lambda c: c.update(oidcIssuers=[i for i in c["oidcIssuers"] if "patient" not in i["roles"]]), "patient role"),
])
def test_bad_settings_fail_at_synthesis(shipped: dict[str, Any], change: Any, message: str) -> None:
    context = copy.deepcopy(shipped)
    change(context)
    with pytest.raises(SettingsError, match=message):
        load(STAGE, context)


def test_real_values_are_not_placeholders(shipped: dict[str, Any]) -> None:
    context = copy.deepcopy(shipped)
    context["sesIdentity"] = "monespacesante.fr"
    for n, issuer in enumerate(context["oidcIssuers"]):
        issuer["issuer"] = f"https://idp{n}.monespacesante.fr/realms/x"
        issuer["jwks_url"] = f"https://idp{n}.monespacesante.fr/realms/x/certs"
        issuer["audience"] = "ens-prod"
    context["portal"] = {"domain": "monespacesante.fr", "oidcClientId": "ens-portal",
                         "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0b1c-42"}
    assert load(STAGE, context).placeholders() == []


def test_the_matrix_names_only_declared_aws_resources() -> None:
    aws_tables = {t.logical for t in resources.TABLES if not t.local_only}
    aws_queues = {q.logical for q in resources.QUEUES if not q.local_only}
    buckets = {b.logical: b for b in resources.BUCKETS}
    assert [f.handler for f in permissions.FUNCTIONS] == list(permissions.handlers())
    for access in permissions.FUNCTIONS:
        assert set(access.tables) <= aws_tables, access.handler
        assert set(access.tables.values()) <= set(permissions.TABLE_ACTIONS)
        for grant in access.objects:
            assert grant.prefix in buckets[grant.bucket].prefixes, access.handler
        assert access.async_dead_letter in aws_queues | {None}
        assert set(access.sends) <= aws_queues and access.consumes in aws_queues | {None}
    assert permissions.NOTICE_QUEUE in aws_queues
    assert not any("dynamodb:Scan" in actions for actions in permissions.TABLE_ACTIONS.values())


def test_the_matrix_covers_every_lambda_function_of_the_app() -> None:
    import app

    functions = {f.name for f in app.app.pure_lambda_functions} | {e.name for e in app.app.event_sources}
    assert {permissions.API_HANDLER, *functions} == set(permissions.handlers())


def test_every_bucket_prefix_is_either_kept_or_under_an_undo_window() -> None:
    for bucket in resources.BUCKETS:
        assert set(bucket.kept_prefixes) <= set(bucket.prefixes), bucket.logical
        assert set(bucket.expire_days) <= set(bucket.prefixes) - set(bucket.kept_prefixes), bucket.logical
        assert bucket.noncurrent_version_days >= 1


def test_a_fanned_out_dispatcher_reads_exactly_the_tables_of_its_job_sources() -> None:
    from chalicelib.jobs import fanout_job

    for schedule in resources.SCHEDULES:
        sources = {s.table for s in fanout_job(schedule.job).sources}
        assert set(permissions.DISPATCH_TABLES[schedule.job]) == sources, schedule.job
        if schedule.fan_out:
            access = permissions.BY_HANDLER[schedule.handler]
            assert access.tables == {"waves": "readwrite", **{t: "read" for t in sources}}
            assert access.sends == ("job-units",) and not access.notifies


def test_every_function_that_notifies_may_take_sending_tokens_and_every_job_step_is_allowed_to_the_unit_worker():
    for access in permissions.FUNCTIONS:
        if access.notifies:
            assert permissions.RATE_TABLE in access.tables, access.handler
    worker = permissions.BY_HANDLER["job_unit"]
    for job, tables in permissions.JOB_TABLES.items():
        for table, level in tables.items():
            assert set(permissions.TABLE_ACTIONS[level]) <= set(permissions.TABLE_ACTIONS[worker.tables[table]]), job


def test_queue_consumers_have_a_timeout_their_queue_can_hold_and_their_function_says_the_same() -> None:
    import json

    stage = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][STAGE]["lambda_functions"]
    for consumer in resources.CONSUMERS:
        queue = next(q for q in resources.QUEUES if q.logical == consumer.queue)
        assert queue.visibility_timeout >= 6 * consumer.timeout_seconds, consumer.handler  # AWS's advice
        assert queue.dead_letter and 2 <= consumer.max_concurrency <= 1000
        assert stage[consumer.handler]["lambda_timeout"] == consumer.timeout_seconds
        assert permissions.BY_HANDLER[consumer.handler].consumes == consumer.queue


def test_the_due_index_shards_hold_a_national_wave() -> None:
    wave = resources.WAVE
    per_shard = wave.index_write_units_per_second / resources.DUE_SHARDS
    assert per_shard <= wave.partition_write_units * wave.headroom
    assert resources.DUE_SHARDS >= 8  # never fewer than before: an item stays on the shard it was written to
