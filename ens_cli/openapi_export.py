"""Writes the API's OpenAPI document (`GET /openapi.json`) from the code, without a running stack.

`python -m ens_cli.openapi_export portal/openapi.json` is the first half of `make portal-client`; the portal's API
client (`portal/src/api/schema.d.ts`) is generated from that file, and tests fail when either is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def document() -> dict[str, Any]:
    from ens_cli.stagecfg import apply_local_environment

    apply_local_environment()  # the local stage's routes and settings; nothing is contacted
    from chalicelib.api.openapi import document as build

    return build()


def render(doc: dict[str, Any]) -> str:
    """The committed form: stable key order, two-space indent, UTF-8, final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render(document())
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
