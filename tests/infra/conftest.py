"""Fixtures of the infra tests: the CDK app synthesized once per session, exactly as `make synth` does it.

Synthesis runs in a child process: `chalice package` (inside the Chalice construct) imports the app and writes the
stage's environment into `os.environ`, which must not leak into the other tests of the session. No AWS account
is needed (a dummy account id, nothing is called); the first run on a machine downloads the Lambda layer's
manylinux wheels, later runs reuse `.chalice/deployments/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from synth_support import ROOT, STAGE, synth


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly directory (what `make synth` writes to infra/cdk.out/)."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    done = synth(outdir)
    assert done.returncode == 0, f"synthesis failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return outdir


@pytest.fixture(scope="session")
def template_json(assembly: Path) -> dict[str, Any]:
    return json.loads((assembly / f"{STAGE}.template.json").read_text())


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(template_json)


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    return json.loads((ROOT / "infra" / "cdk.json").read_text())["context"]
