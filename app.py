"""ens: the Chalice application.

Routes live in per-capability blueprints under ``chalicelib/api``; this module registers them and declares the
Lambda functions that are not API routes: the S3 object handler (EventBridge "Object Created") and the scheduled
jobs. Every handler is thin: it parses, calls the domain library, and maps errors. Importing this module loads
Chalice, the blueprints' declarations and the access decision's table; each capability's services and adapters,
pydantic, boto3 and PyJWT load with the first request that needs them (cold start).
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice, CORSConfig

from chalicelib import config, resources
from chalicelib.api import (
    care,
    catalogue,
    devsignin,
    exports,
    family,
    fhir,
    lifecycle,
    messaging,
    notifications,
    records,
    sharing,
    system,
    waves,
)
from chalicelib.api.http import uniform_errors

app = Chalice(app_name="ens", configure_logs=False)  # logs: Powertools (chalicelib.observability)
app.api.binary_types.append("application/pdf")
# CORS: the patient portal's origin only (CONTRACT §11), for every route; set before the blueprints register.
# In AWS the origin is known at synthesis (the portal's domain, infra/), so API Gateway's preflight answers it too.
if (_portal_origin := config.portal_origin()) is not None:
    app.api.cors = CORSConfig(allow_origin=_portal_origin, allow_headers=["Authorization", "Content-Type"],
                              expose_headers=["Retry-After", "Content-Disposition"], max_age=600)

app.register_middleware(uniform_errors, "http")
for blueprint in (system.bp, lifecycle.bp, records.bp, sharing.bp, messaging.bp, care.bp, catalogue.bp,
                  family.bp, notifications.bp, exports.bp, devsignin.bp, waves.bp, fhir.bp):
    app.register_blueprint(blueprint)

# S3 → EventBridge "Object Created" → this function (chalice package cannot deploy @app.on_s3_event).
# Locally the same rule targets a queue that the stack drains into this very function.
OBJECT_CREATED = {"source": ["aws.s3"], "detail-type": ["Object Created"]}


@app.on_cw_event(OBJECT_CREATED, name=resources.INGEST_RULE.handler)
def ingest_object(event: Any) -> dict[str, Any]:
    # Each Lambda function loads its own handler's code only: the API's cold start never pays for the ingest's
    # or the jobs' (the same applies below).
    from chalicelib.events import handle_object_created

    return handle_object_created(event.to_dict())


@app.schedule(resources.JOBS["opt-out-expiry"].expression, name=resources.JOBS["opt-out-expiry"].handler)
def opt_out_expiry(event: Any) -> dict[str, Any]:
    from chalicelib import jobs

    return jobs.run("opt-out-expiry", event.to_dict(), event.context)


@app.schedule(resources.JOBS["archive-purge"].expression, name=resources.JOBS["archive-purge"].handler)
def archive_purge(event: Any) -> dict[str, Any]:
    from chalicelib import jobs

    return jobs.run("archive-purge", event.to_dict(), event.context)


@app.schedule(resources.JOBS["reminders"].expression, name=resources.JOBS["reminders"].handler)
def reminders(event: Any) -> dict[str, Any]:
    from chalicelib import jobs

    return jobs.run("reminders", event.to_dict(), event.context)


# National waves (CONTRACT §8): an uploaded enrolment file starts its split; the queues feed the workers. In AWS
# each queue is the event source of its function (infra/ sets the queue, ReportBatchItemFailures and the maximum
# concurrency from resources.CONSUMERS); locally the stack drains the queues into these same functions.
@app.on_cw_event(resources.BATCH_RULE.pattern([]), name=resources.BATCH_RULE.handler)
def batch_uploaded(event: Any) -> dict[str, Any]:
    from chalicelib.workers import handle_batch_uploaded

    return handle_batch_uploaded(event.to_dict(), event.context)


def _consumer(handler: str) -> dict[str, Any]:
    consumer = resources.CONSUMER[handler]
    return {"queue": consumer.queue, "batch_size": consumer.batch_size, "name": handler,
            "maximum_concurrency": consumer.max_concurrency}


@app.on_sqs_message(**_consumer("batch_control"))
def batch_control(event: Any) -> dict[str, Any]:
    from chalicelib.workers import handle_batch_control

    return handle_batch_control(event.to_dict(), event.context)


@app.on_sqs_message(**_consumer("enrolment_unit"))
def enrolment_unit(event: Any) -> dict[str, Any]:
    from chalicelib.workers import handle_enrolment_units

    return handle_enrolment_units(event.to_dict(), event.context)


@app.on_sqs_message(**_consumer("job_unit"))
def job_unit(event: Any) -> dict[str, Any]:
    from chalicelib.workers import handle_job_units

    return handle_job_units(event.to_dict(), event.context)


# Data exports (CONTRACT §10): the queue is the function's event source (infra/ sets the real queue, partial batch
# responses and the maximum concurrency from resources.CONSUMERS); locally the stack drains the queue into this same
# function.
@app.on_sqs_message(**_consumer("export_space"))
def export_space(event: Any) -> dict[str, Any]:
    from chalicelib.workers import handle_export_units

    return handle_export_units(event.to_dict(), event.context)
