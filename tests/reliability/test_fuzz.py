"""A short Schemathesis run against the running local stack (the full one is `make fuzz`, bench/fuzz.py):
every operation of `GET /openapi.json`, positive and negative data, valid tokens per role; no 5xx, and every
answer's status, content type and body are the ones the document declares."""

import json

import pytest

pytestmark = pytest.mark.stack


def test_generated_requests_get_no_5xx_and_only_declared_answers(local_stack):
    import fuzz

    data = fuzz.seed(local_stack)
    report = fuzz.run(local_stack.url, data, examples=5, negative_examples=2, seed_value=20261122)
    fuzz.hostile(local_stack.url, data, report)
    summary = report.as_dict()
    assert any(op.startswith("hostile ") for op in report.by_operation)
    assert summary["requests"] >= 200
    assert summary["operations"] >= summary["operations_in_document"] - 1  # Schemathesis skips /openapi.json
    assert summary["server_errors"] == 0, json.dumps(summary["failures"], ensure_ascii=True)
    assert summary["failures"] == []
