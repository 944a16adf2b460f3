"""Builds the patient portal for `make run` and the tests: `npm ci` from the committed lockfile, then `vite build`,
each skipped when nothing it depends on changed since the last time (hashes kept beside what they produced).

`python -m ens_cli.portal_build` does it once and prints what it did.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ens_cli.stagecfg import ROOT

PORTAL = ROOT / "portal"
DIST = PORTAL / "dist"
MODULES = PORTAL / "node_modules"
DEPS_STAMP = MODULES / ".ens-lock-hash"
BUILD_STAMP = DIST / ".ens-source-hash"
# What the build reads: a change to any of these rebuilds; tests, openapi.json and docs do not.
BUILD_INPUTS = ("index.html", "vite.config.ts", "tsconfig.json", "package-lock.json", "src", "public")
SKIPPED_PARTS = {"__tests__", "node_modules"}


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(PORTAL)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_hash() -> str:
    files: list[Path] = []
    for name in BUILD_INPUTS:
        entry = PORTAL / name
        if entry.is_file():
            files.append(entry)
        elif entry.is_dir():
            files += [p for p in entry.rglob("*") if p.is_file() and not SKIPPED_PARTS & set(p.parts)
                      and not p.name.endswith(".test.ts")]
    return _hash_files(files)


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("ens: the patient portal needs Node.js 20 and npm (Debian: apt-get install nodejs npm).")
    return npm


def _run(args: list[str]) -> None:
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "npm_config_fund": "false",
           "npm_config_audit": "false", "npm_config_update_notifier": "false"}
    done = subprocess.run(args, cwd=PORTAL, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout)
        raise SystemExit(f"ens: `{' '.join(args[1:])}` failed in portal/ (exit {done.returncode}).")


def ensure_dependencies() -> bool:
    """`npm ci` when node_modules does not match the committed lockfile; True when it ran."""
    wanted = _hash_files([PORTAL / "package-lock.json"])
    if DEPS_STAMP.is_file() and DEPS_STAMP.read_text() == wanted:
        return False
    _run([_npm(), "ci"])
    DEPS_STAMP.write_text(wanted)
    return True


def ensure_build() -> bool:
    """`vite build` when the sources changed since the build in dist/; True when it ran."""
    ensure_dependencies()
    wanted = source_hash()
    if BUILD_STAMP.is_file() and BUILD_STAMP.read_text() == wanted and (DIST / "index.html").is_file():
        return False
    _run([_npm(), "exec", "--", "vite", "build"])
    BUILD_STAMP.write_text(wanted)
    return True


def main() -> int:
    installed = ensure_dependencies()
    built = ensure_build()
    print(f"ens: portal dependencies {'installed' if installed else 'up to date'}, "
          f"build {'done' if built else 'up to date'} ({DIST}).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
