"""Traces and metrics are on in AWS and off locally; their names are set in code."""

from chalicelib import config, observability


def test_local_stage_has_no_tracer_or_metrics(monkeypatch):
    monkeypatch.setenv("ENS_STAGE", "local")
    config.reset()
    monkeypatch.setattr(observability, "_tracer", None)
    monkeypatch.setattr(observability, "_metrics", None)
    assert observability.tracer() is None and observability.metrics() is None
    observability.count("Anything")  # a no-op
    observability.flush()
    config.reset()


def test_aws_stage_emits_metrics_in_the_namespace_set_in_code(monkeypatch, capsys):
    monkeypatch.setenv("ENS_STAGE", "prod")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "SomethingElse")
    config.reset()
    monkeypatch.setattr(observability, "_metrics", None)
    observability.count("DocumentsIngested")
    observability.flush()
    emitted = capsys.readouterr().out
    assert '"Namespace":"Ens"' in emitted.replace(" ", "") and "DocumentsIngested" in emitted
    monkeypatch.setattr(observability, "_metrics", None)
    config.reset()
