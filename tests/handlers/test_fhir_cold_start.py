"""Cold start: the FHIR model library loads only on FHIR routes.

Importing ``app`` and answering non-FHIR requests (health, an enrolment, an activated patient's ``/me`` and
document listing, through the token check, pydantic and DynamoDB) must not import ``fhir.resources``, its
``fhir_core`` or ens's ``chalicelib.fhir``; building one FHIR resource must (so that the check can fail).
Each runs in a fresh interpreter: the test process has long imported everything.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, os, sys
sys.path.insert(0, "tests")
for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "eu-west-3"}.items():
    os.environ[name] = value
os.environ.pop("AWS_ENDPOINT_URL", None)
from moto import mock_aws
with mock_aws():
    from chalice.test import Client
    import app
    from chalicelib import bootstrap
    from chalicelib.adapters.aws import Clients
    from chalicelib.adapters.system import FixedClock
    from chalicelib.adapters.tokens import TokenService
    from chalicelib.config import Settings
    from chalicelib.domain.timeutil import utcnow
    from ens_cli.localaws import create_all
    from helpers import person
    settings = Settings(stage="local", aws_endpoint_url=None, dev_signing_key="k" * 40, secret_pepper="p")
    clients = Clients(settings)
    create_all(clients, settings)
    container = bootstrap.Container(settings, clients, FixedClock(utcnow()))
    bootstrap.use(container)
    tokens = TokenService(settings)
    statuses = []
    with Client(app.app) as client:
        def call(method, path, token=None, body=None):
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = "Bearer " + token
            payload = json.dumps(body).encode() if body else b""
            reply = client.http.request(method, path, headers=headers, body=payload)
            statuses.append(reply.status_code)
            return reply
        call("GET", "/health")
        row = person()
        call("POST", "/enrolments", tokens.sign({"role": "agent"}, 600), {"beneficiaries": [row]})
        code = [n for n in container.notifier.read(row["nir"]) if n["kind"] == "enrolment_notice"][-1]["data"]["code"]
        call("POST", "/activation", None, {"nir": row["nir"], "vitale_serial": row["vitale_serial"], "code": code})
        patient = tokens.sign({"role": "patient", "ins": row["nir"]}, 600)
        call("GET", "/me", patient)
        call("GET", "/patients/" + row["nir"] + "/documents", patient)
        if "--fhir" in sys.argv:
            from chalicelib.fhir import capability
            capability.capability_statement("https://api.example/fhir")
fhir = sorted(m for m in sys.modules
              if m.split(".")[0] in ("fhir", "fhir_core", "fhirclient", "fhirpy") or m.startswith("chalicelib.fhir"))
print(json.dumps({"statuses": statuses, "modules": fhir}))
"""


def probe(*args):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_non_fhir_requests_never_import_the_fhir_models():
    seen = probe()
    assert seen["statuses"] == [200, 200, 200, 200, 200]  # health, enrolment, activation, /me, the documents
    assert seen["modules"] == []


def test_a_fhir_resource_does_import_them():
    seen = probe("--fhir")
    assert "fhir.resources.R4B" in seen["modules"] and "chalicelib.fhir.model" in seen["modules"]
