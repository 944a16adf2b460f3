"""The repository's own API reference: docs/api.md is the OpenAPI document written out, never stale, and the
page behind GET /docs is served from the pinned package with nothing fetched from outside."""

from __future__ import annotations

import re

from ens_cli import apidocs


def test_docs_api_md_is_up_to_date_with_the_openapi_document():
    assert apidocs.API_MD.exists(), "docs/api.md is missing: run `make api-docs`"
    assert apidocs.API_MD.read_text(encoding="utf-8") == apidocs.current_markdown(), (
        "docs/api.md is stale: run `make api-docs` and commit the result")


def test_docs_api_md_names_every_operation_with_its_roles_and_answers():
    from chalicelib.api.openapi import document

    text = apidocs.API_MD.read_text(encoding="utf-8")
    spec = document()
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            heading = f"### `{method.upper()} {path}`"
            assert heading in text, heading
            section = text.split(heading, 1)[1].split("\n### ", 1)[0]
            for role in op.get("x-roles", []):
                assert f"`{role}`" in section, (heading, role)
            for status in op["responses"]:
                assert f"`{status}`" in section, (heading, status)
    for name in spec["components"]["schemas"]:
        assert f"### {name}\n" in text, name


def test_the_docs_page_and_its_files_come_from_this_origin_only():
    status, headers, body = apidocs.docs_response("/docs")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/docs/") for s in sources), sources
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for source in sources:
        status, headers, body = apidocs.docs_response(source)
        assert status == 200 and body, source
        if source.endswith(".js"):
            assert headers["Content-Type"].startswith("text/javascript")
    init = apidocs.docs_response("/docs/init.js")[2].decode()
    assert 'url: "/openapi.json"' in init and "validatorUrl: null" in init
    assert apidocs.docs_response("/docs/../../etc/passwd")[0] == 404
    assert apidocs.docs_response("/documents") is None and apidocs.docs_response("/health") is None
