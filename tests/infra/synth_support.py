"""Synthesis of the CDK app for the infra tests, as `make synth` runs it (a child process, a dummy account)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "000000000000"
STAGE = "prod"


def synth(outdir: Path, extra_env: dict[str, str] | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run `infra/app.py` into ``outdir``. Variables of the test session (ENS_*, CDK_*) are not inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENS_", "CDK_", "POWERTOOLS_"))}
    env.update({"CDK_DEFAULT_ACCOUNT": ACCOUNT, "CDK_DEFAULT_REGION": "eu-west-3", "CDK_OUTDIR": str(outdir)})
    env.update(extra_env or {})
    return subprocess.run([sys.executable, str(ROOT / "infra" / "app.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
