"""The package as `pip install .` builds it (a wheel, not the editable checkout) holds the whole app."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run from outside the checkout, with only the wheel's files ahead of the installed dependencies.
PROBE = """
import json, sys
site = sys.argv[1]
import app, chalicelib
assert chalicelib.__file__.startswith(site), chalicelib.__file__
from chalice.test import Client
with Client(app.app) as client:
    reply = client.http.post("/opt-out", headers={"Content-Type": "application/json"},
                             body=json.dumps({"nir": "not-a-nir", "code": "ABCDEFGHJKMN"}))
    print(reply.status_code, reply.body.decode())
"""


def test_a_wheel_installed_app_answers_a_request_with_a_body(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy: a build/ folder left in the checkout would hide what the wheel lacks
    source.mkdir()
    for name in ("pyproject.toml", "app.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("chalicelib", "ens_cli"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("ens-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "chalicelib/models/lifecycle.py" in names and "chalicelib/data/document_types.json" in names
    run = subprocess.run([sys.executable, "-c", PROBE, str(site)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env={"PYTHONPATH": str(site), "ENS_STAGE": "local", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    status, _, body = run.stdout.strip().partition(" ")
    assert status == "422", run.stdout  # the body was read by the request models the wheel carries
    assert "nir" in body
