"""Structured logs (Powertools Logger) that never carry personal data.

The logger is built on first use (Powertools costs tens of milliseconds to import). Its formatter redacts,
in the final JSON line, anything shaped like a NIR/INS, a JWT, an email address, a phone number or a
provisional code, so a mistake elsewhere cannot leak them. Handlers log route templates and opaque ids only.
"""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

from chalicelib.config import settings

SERVICE = "ens"

_REDACTIONS = (
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), "[token]"),  # JWT
    (re.compile(r"[12]\s?\d{2}\s?(?:0[1-9]|1[0-2])\s?(?:2[AB]|\d{2})\s?\d{3}\s?\d{3}\s?\d{2}"), "[nir]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"\+\d{10,14}\b|\b0[1-9](?:[ .-]?\d{2}){4}\b"), "[phone]"),
    (re.compile(r"\b[A-HJ-NP-Z2-9]{12}\b"), "[code]"),
)

_logger: Any = None
_lock = threading.Lock()


# One pass over each line: the patterns above as alternatives of one regex (logging is on every request's path).
_ONE_PASS = re.compile("|".join(f"(?P<r{n}>{p.pattern})" for n, (p, _) in enumerate(_REDACTIONS)))


def redact(text: str) -> str:
    return _ONE_PASS.sub(lambda m: _REDACTIONS[int(m.lastgroup[1:])][1], text)  # type: ignore[index]


def logger() -> Any:
    """The process's Powertools Logger (JSON, correlation id, redacting formatter)."""
    global _logger
    if _logger is None:
        with _lock:
            if _logger is None:
                import logging
                import sys

                from aws_lambda_powertools import Logger
                from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

                class RedactingFormatter(LambdaPowertoolsFormatter):
                    def serialize(self, log: Any) -> str:
                        return redact(str(super().serialize(log)))

                # stderr: Lambda sends both streams to CloudWatch, and the CLI keeps stdout for its JSON.
                _logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter(), use_rfc3339=True,
                                 logger_handler=logging.StreamHandler(sys.stderr))
    return _logger


def correlation_id(request: Any) -> str:
    """The caller's X-Correlation-Id if sane, else API Gateway's request id, else a new one."""
    supplied = request.headers.get("x-correlation-id") if request is not None else None
    if supplied and re.fullmatch(r"[\w.-]{1,64}", supplied):
        return str(supplied)
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId") or uuid.uuid4())


# -- AWS stage only: X-Ray traces and CloudWatch metrics (EMF) ----------------------------------------------------
NAMESPACE = "Ens"  # set here, in code: never read from the environment at import time
_tracer: Any = None
_metrics: Any = None


def in_aws() -> bool:
    return not settings().is_local


def tracer() -> Any:
    """Powertools Tracer in AWS (patches botocore so every AWS call is a subsegment); None locally."""
    global _tracer
    if _tracer is None and in_aws():
        with _lock:
            if _tracer is None:
                from aws_lambda_powertools import Tracer

                _tracer = Tracer(service=SERVICE)
    return _tracer


def metrics() -> Any:
    global _metrics
    if _metrics is None and in_aws():
        with _lock:
            if _metrics is None:
                from aws_lambda_powertools import Metrics

                _metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
    return _metrics


def count(name: str, value: float = 1) -> None:
    """A business metric (e.g. DocumentsIngested); locally a no-op. Never a dimension with personal data."""
    recorder = metrics()
    if recorder is not None:
        from aws_lambda_powertools.metrics import MetricUnit

        recorder.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush() -> None:
    """Emit the metrics gathered during this invocation (EMF on stdout, read by CloudWatch)."""
    recorder = metrics()
    if recorder is not None:
        recorder.flush_metrics(raise_on_empty_metrics=False)
