"""Reads a stage's environment from `.chalice/config.json`, as `chalice local` and Lambda apply it."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stage_environment(stage: str = "local", root: Path = ROOT) -> dict[str, str]:
    config = json.loads((root / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return env


def ports() -> tuple[int, int]:
    """(API port, AWS emulator port) from ENS_API_PORT / ENS_AWS_PORT."""
    return int(os.environ.get("ENS_API_PORT", "8000")), int(os.environ.get("ENS_AWS_PORT", "5000"))


def portal_port() -> int:
    """The patient portal's port (CONTRACT §11), from ENS_PORTAL_PORT."""
    return int(os.environ.get("ENS_PORTAL_PORT", "8080"))


def portal_origin() -> str:
    """The local portal's origin: the only one the API's CORS allows."""
    return f"http://127.0.0.1:{portal_port()}"


def local_process_environment(stage: str = "local") -> dict[str, str]:
    """The environment of every local process: the stage's variables, the emulator, dummy credentials."""
    api_port, aws_port = ports()
    env = dict(os.environ)
    env.update(stage_environment(stage))
    env.update({
        "ENS_API_PORT": str(api_port),
        "ENS_AWS_PORT": str(aws_port),
        "ENS_PORTAL_PORT": str(portal_port()),
        "ENS_PORTAL_ORIGIN": portal_origin(),
        "ENS_AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": env.get("ENS_LOCAL_ACCESS_KEY", "testing"),
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-west-3",
        "POWERTOOLS_LOG_LEVEL": env.get("POWERTOOLS_LOG_LEVEL", "INFO"),
    })
    env.pop("AWS_PROFILE", None)
    return env


def apply_local_environment() -> None:
    """Make this process a local-stage process (the CLI does this before importing the app)."""
    os.environ.update(local_process_environment())
