"""The README's walkthroughs, pasted as a new user would: every shell block marked ``<!-- walkthrough -->``, in
order, in one bash session, against a fresh stack started on free ports. The run stops at the first command that
fails and names it, so that a later edit of the README cannot leave a step that no longer works."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import test_local_stack

stack = test_local_stack.stack  # the same module-scoped fixture: a fresh stack for this module

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARK = "<!-- walkthrough -->"


def walkthrough_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, shell text) of each marked block, in order."""
    blocks = []
    for match in re.finditer(re.escape(MARK) + r"\n```(\w+)\n(.*?)\n```", text, re.S):
        assert match.group(1) in ("sh", "bash"), f"a walkthrough block must be sh, not {match.group(1)}"
        blocks.append((text.count("\n", 0, match.start()) + 2, match.group(2)))
    return blocks


def test_the_readme_is_self_contained_and_its_walkthroughs_pasteable_as_written():
    text = README.read_text(encoding="utf-8")
    blocks = walkthrough_blocks(text)
    assert len(blocks) >= 6 and text.count(MARK) == len(blocks)
    assert "../shared/CONTRACT.md" not in text  # a clone has no ../shared
    assert "docs/api.md" in text and "/docs" in text
    for line, block in blocks:
        assert not re.search(r"localhost:8000|127\.0\.0\.1:8000|:5000\b", block), line  # ports come from the stack
        assert not re.search(r"<[a-z_]+>", block), f"a placeholder to fill by hand in the block at line {line}"
    assert "/me/closure" in blocks[-1][1] and not any("/me/closure" in b for _, b in blocks[:-1]), \
        "the closure must come last: the other walkthroughs need an active space"


def test_the_walkthroughs_run_top_to_bottom_on_a_fresh_stack(stack, tmp_path):
    assert shutil.which("curl"), "the README's walkthroughs need curl (7.82 or later, for --json)"
    blocks = walkthrough_blocks(README.read_text(encoding="utf-8"))
    script = ["set -Eeo pipefail",
              "trap 'echo \"README walkthrough: this command failed: $BASH_COMMAND\" >&2' ERR"]
    for line, block in blocks:
        script += [f"echo '### README.md line {line}' >&2", block]
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")  # the blocks run from a repository root: .venv is there
    env = {k: v for k, v in stack.env.items() if k != "VIRTUAL_ENV"}
    run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    tail = "\n".join((run.stdout + "\n" + run.stderr).splitlines()[-30:])
    assert run.returncode == 0, f"a README walkthrough command failed:\n{tail}"
    assert "this command failed" not in run.stderr, tail

    # what a person would then open: a real PDF with Camille's profile, and a calendar with her appointment
    from pypdf import PdfReader

    pdf = (tmp_path / "synthese.pdf").read_bytes()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Camille MARTIN" in text and "pénicilline" in text and "72,5" in text
    import vobject

    calendar = vobject.readOne((tmp_path / "agenda.ics").read_text(encoding="utf-8"))
    assert [e.summary.value for e in calendar.vevent_list] == ["Dentiste"]
    assert '"status":"closed"' in run.stdout and run.stdout.rstrip().endswith("404")
