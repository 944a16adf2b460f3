"""The `ens` CLI as an operator meets it (no stack needed): tokens refused without the claims their role needs,
naming the flag; help that lists the roles with their flags, the professions and the jobs; `ens` alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from helpers import make_finess, make_nir, make_rpps

ENS = str(Path(sys.executable).parent / "ens")


def ens(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ENS, *args], capture_output=True, text=True, timeout=60, cwd="/")


NIR, RPPS, FINESS = make_nir(), make_rpps(), make_finess()
BAD_NIR = NIR[:-2] + f"{(int(NIR[-2:]) + 1) % 100:02d}"
BAD_RPPS = RPPS[:-1] + str((int(RPPS[-1]) + 1) % 10)
BAD_FINESS = FINESS[:-1] + str((int(FINESS[-1]) + 1) % 10)


@pytest.mark.parametrize(("args", "flag", "words"), [
    (["--role", "patient"], "--ins", "needs --ins"),
    (["--role", "patient", "--ins", BAD_NIR], "--ins", "control key"),
    (["--role", "patient", "--ins", "12345"], "--ins", "15 characters"),
    (["--role", "professional", "--profession", "medecin"], "--rpps", "needs --rpps"),
    (["--role", "professional", "--rpps", RPPS], "--profession", "needs --profession"),
    (["--role", "professional", "--rpps", BAD_RPPS, "--profession", "medecin"], "--rpps", "Luhn"),
    (["--role", "professional", "--rpps", RPPS, "--profession", "docteur"], "--profession", "one of medecin"),
    (["--role", "establishment"], "--finess", "needs --finess"),
    (["--role", "establishment", "--finess", BAD_FINESS], "--finess", "9 digits"),
    (["--role", "app", "--ins", NIR], "--app-id", "needs --app-id"),
    (["--role", "app", "--app-id", "glyco"], "--ins", "needs --ins"),
    (["--role", "app", "--app-id", "glyco", "--ins", BAD_NIR], "--ins", "control key"),
    (["--role", "app", "--app-id", "my app", "--ins", NIR], "--app-id", "no spaces"),
    (["--role", "app", "--app-id", "glyco", "--ins", NIR, "--scope", "patient/AuditEvent.read"], "--scope",
     "does not open to apps"),
    (["--role", "app", "--app-id", "glyco", "--ins", NIR, "--scope", "patient/Observation.delete"], "--scope",
     "unknown access"),
    (["--role", "app", "--app-id", "glyco", "--ins", NIR, "--scope", " "], "--scope", "at least one"),
    (["--role", "professional", "--rpps", RPPS, "--profession", "medecin", "--scope", "patient/*.read"], "--scope",
     "does not go with --role professional"),
    (["--role", "agent", "--ins", NIR], "--ins", "does not go with --role agent"),
    (["--role", "patient", "--ins", NIR, "--samu"], "--samu", "does not go with --role patient"),
    (["--role", "nurse"], "--role", "invalid choice"),
])
def test_a_token_is_refused_naming_the_flag(args, flag, words):
    out = ens("token", *args)
    assert out.returncode != 0 and out.stdout == ""  # no token
    assert flag in out.stderr and words in out.stderr, out.stderr
    assert NIR not in out.stderr and BAD_NIR not in out.stderr  # never repeats a NIR


@pytest.mark.parametrize(("args", "claims"), [
    (["--role", "agent"], {"role": "agent"}),
    (["--role", "patient", "--ins", NIR], {"role": "patient", "ins": NIR}),
    (["--role", "professional", "--rpps", RPPS, "--profession", "sage-femme", "--samu"],
     {"role": "professional", "rpps": RPPS, "profession": "sage-femme", "samu": True}),
    (["--role", "establishment", "--finess", FINESS], {"role": "establishment", "finess": FINESS}),
    (["--role", "app", "--app-id", "glyco", "--ins", NIR], {"role": "app", "app_id": "glyco", "ins": NIR}),
    (["--role", "app", "--app-id", "glyco", "--ins", NIR, "--scope", "openid  patient/Observation.write"],
     {"role": "app", "app_id": "glyco", "ins": NIR, "scope": "openid patient/Observation.write"}),
])
def test_a_token_carries_the_claims_of_its_role(args, claims):
    out = ens("token", *args)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    token = json.loads(out.stdout)["token"]
    payload = jwt.decode(token, options={"verify_signature": False})
    assert {k: payload[k] for k in claims} == claims
    assert not {"ins", "rpps", "profession", "finess", "app_id", "samu", "scope"} - set(claims) & set(payload)


def test_help_lists_the_roles_with_their_flags_the_professions_and_the_jobs():
    from chalicelib import resources
    from chalicelib.domain.identity import PROFESSIONS

    for args in (["--help"], []):
        out = ens(*args)
        assert out.returncode == 0 and out.stdout.startswith("usage: ens"), (args, out)
        text = out.stdout
        for line in ("patient        --ins NIR", "professional   --rpps RPPS --profession PROFESSION [--samu]",
                     "establishment  --finess FINESS", "agent          (no other flag)",
                     "app            --app-id APP_ID --ins NIR"):
            assert line in text, line
        assert all(p in text for p in PROFESSIONS)
        assert all(job in text for job in resources.JOBS)
        for command in ("info", "token", "job", "outbox"):
            assert f"    {command} " in text
    token_help = ens("token", "--help").stdout
    assert "professional   --rpps RPPS --profession PROFESSION [--samu]" in token_help
    assert all(p in token_help for p in PROFESSIONS)
    job_help = ens("job", "--help").stdout
    assert all(job in job_help for job in resources.JOBS) and "--now" in job_help


def test_an_unknown_job_is_refused_with_the_list_of_jobs():
    out = ens("job", "no-such-job")
    assert out.returncode == 1 and out.stdout == ""
    assert "unknown job 'no-such-job'" in out.stderr and "opt-out-expiry" in out.stderr
