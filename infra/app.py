#!/usr/bin/env python3
"""The CDK app: per stage, the data and API stack (built from `chalicelib.resources`) and the patient portal's
hosting stack (`infra.portal`), from the stage's context in `cdk.json`.

`python infra/app.py` synthesizes into `infra/cdk.out/` (or `$CDK_OUTDIR`, which the `cdk` CLI sets) without any
AWS account: the account is `$CDK_DEFAULT_ACCOUNT` (the CLI sets it from your credentials when deploying).
`-c ens:stage=NAME` (CLI) or `ENS_INFRA_STAGE=NAME` picks the stage; its settings are the context `ens:NAME`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
# Run as a script, this file's directory heads sys.path, where `import app` (which `chalice package` does) would
# find this file instead of the Chalice app: the repository root takes its place.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() not in (INFRA, ROOT)]

import aws_cdk as cdk  # noqa: E402

from chalicelib import config as app_config  # noqa: E402
from infra import settings as stage_settings  # noqa: E402
from infra.stack import EnsStack  # noqa: E402


def build(outdir: str, stage: str | None = None) -> cdk.App:
    """Synthesize the stage's stack into ``outdir``."""
    context = json.loads((INFRA / "cdk.json").read_text())["context"]
    app = cdk.App(outdir=outdir, context=context, analytics_reporting=False)
    stage = stage or os.environ.get("ENS_INFRA_STAGE") or app.node.try_get_context("ens:stage") or "prod"
    settings = stage_settings.load(stage, app.node.try_get_context(f"ens:{stage}"))
    if os.environ.get("ENS_DEPLOY") == "1" and settings.placeholders():
        found = ", ".join(settings.placeholders())
        raise SystemExit(f"refusing to deploy {stage}: set real values in infra/cdk.json (ens:{stage}) for {found}")
    # Health data stays in France: the region is the app's, whatever the CLI's default region is.
    env = cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=app_config.REGION)
    os.environ.setdefault("AWS_DEFAULT_REGION", app_config.REGION)  # `chalice package` builds ARNs, calls nothing
    work = Path(tempfile.mkdtemp(prefix="ens-chalice-package-"))
    try:
        from infra.portal import PortalStack

        data = EnsStack(app, settings, work_dir=work, env=env)
        # The portal's stack depends on the data stack through the references it is given (API, bucket).
        PortalStack(app, settings, api_url=data.api_url, api_origin=data.api_origin,
                    upload_origins=data.upload_origins, env=env)
        app.synth()
    finally:
        shutil.rmtree(work, ignore_errors=True)  # `chalice package` output, already copied as CDK assets
    return app


if __name__ == "__main__":
    build(os.environ.get("CDK_OUTDIR") or str(INFRA / "cdk.out"))
