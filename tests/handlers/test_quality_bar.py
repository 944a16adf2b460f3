"""What the lifecycle promises beyond status codes: no personal data in logs, no Scan, job cost bounded by
the work due."""

import datetime as dt
import io
import logging
from collections import Counter

import pytest
from helpers import person


@pytest.fixture
def dynamo_calls(api):
    calls: Counter = Counter()

    def count(event_name, **_):
        calls[event_name.rsplit(".", 1)[-1]] += 1

    api.container.clients("dynamodb").meta.events.register("before-call.dynamodb.*", count)
    return calls


@pytest.fixture
def log_lines(api):
    """Every log line as the deployed formatter writes it, and every raw record's fields."""
    from chalicelib.observability import logger

    powertools = logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(powertools.registered_formatter)
    raw: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            raw.append(record)

    base = logging.getLogger("ens")
    base.addHandler(handler)
    base.addHandler(keep := Keep())
    yield stream, raw
    base.removeHandler(handler)
    base.removeHandler(keep)


def test_logs_carry_no_nir_name_code_or_token(api, log_lines):
    stream, raw = log_lines
    parent = api.enrol(given_name="Anastasia", family_name="Zygomatique", email="anastasia.z@example.org")
    child = person(born=dt.date(2016, 4, 1), given_name="Bérénice", family_name="Zygomatique",
                   legal_representative_nir=parent["nir"])
    api.post("/enrolments", api.agent, {"beneficiaries": [child, {"nir": "bad"}]})
    code = api.latest_code(parent["nir"])
    api.post("/activation", body={"nir": parent["nir"], "vitale_serial": parent["vitale_serial"],
                                  "code": "WRONG1234567"})
    api.clock.advance(seconds=31)
    token = api.activate(parent)
    api.get("/me", token)
    api.get("/me", token[:-3] + "abc")
    api.post("/opt-out", body={"nir": child["nir"], "code": api.latest_code(child["nir"])})
    api.post("/activation-codes", body={"nir": parent["nir"], "vitale_serial": parent["vitale_serial"]})
    api.run_job("opt-out-expiry", api.clock.now() + dt.timedelta(days=50))
    api.post("/me/closure", token, {"delete_requested": True})

    text = stream.getvalue()
    assert "request" in text and "POST /activation" in text  # the logs did record the activity
    fields = " ".join(str(vars(r)) for r in raw)
    secrets = [parent["nir"], child["nir"], "Anastasia", "Zygomatique", "Bérénice", code, token,
               api.latest_code(parent["nir"]), parent["vitale_serial"], "anastasia.z@example.org"]
    for secret in secrets:
        assert secret not in text, f"a log line carries {secret!r}"
        assert secret not in fields, f"a log record carries {secret!r}"


def test_the_redacting_formatter_catches_mistakes():
    from chalicelib.observability import redact

    leaked = ("nir 1 80 05 75 123 456 78 / 180057512345678 mail a.b@c.fr tel +33612345678 "
              "code ABCDEFGHJKMN jwt eyJa.eyJb.c")
    cleaned = redact(leaked)
    for secret in ("180057512345678", "a.b@c.fr", "+33612345678", "ABCDEFGHJKMN", "eyJa.eyJb.c", "1 80 05 75"):
        assert secret not in cleaned
    assert "2026-11-22T09:00:00Z" in redact("at 2026-11-22T09:00:00Z took 12.5 ms")


def test_no_scan_anywhere_in_the_lifecycle(api, dynamo_calls):
    row, token = api.patient()
    api.get("/me", token)
    api.enrol(notified_at=(api.clock.now() - dt.timedelta(days=43)).isoformat())
    api.run_job("opt-out-expiry")
    api.post("/me/closure", token, {"delete_requested": True})
    api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=100))
    assert dynamo_calls and "Scan" not in dynamo_calls


def _expiry_calls(api, dynamo_calls, not_due: int) -> Counter:
    now = api.clock.now()
    batch = [person(notified_at=(now - dt.timedelta(days=5)).isoformat()) for _ in range(not_due)]
    batch += [person(notified_at=(now - dt.timedelta(days=43)).isoformat()) for _ in range(3)]
    for start in range(0, len(batch), 500):
        api.post("/enrolments", api.agent, {"beneficiaries": batch[start:start + 500]})
    dynamo_calls.clear()
    assert api.run_job("opt-out-expiry")["processed"] == 3
    return Counter(dynamo_calls)


def test_expiry_cost_grows_with_the_accounts_due_not_with_all(api, dynamo_calls):
    few = _expiry_calls(api, dynamo_calls, not_due=3)
    many = _expiry_calls(api, dynamo_calls, not_due=300)
    assert "Scan" not in many
    assert many == few  # 300 accounts in their window cost nothing to a job that has 3 to open
