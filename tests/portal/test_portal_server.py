"""The portal's local hosting (`ens_cli.portal_server`) and its committed API description.

The server answers as CloudFront does in AWS: the same security headers (one definition,
`portal/security-headers.json`), the runtime `config.json`, the single-page fallback, nothing but GET and HEAD."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ens_cli import portal_server
from ens_cli.openapi_export import document, render

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_document_is_the_apis() -> None:
    committed = (ROOT / "portal" / "openapi.json").read_text(encoding="utf-8")
    assert committed == render(document()), "portal/openapi.json is stale: run `make portal-client`"


def test_the_security_headers_are_strict_and_name_the_stages_origins() -> None:
    headers = portal_server.security_headers(["http://127.0.0.1:8000", "http://127.0.0.1:5000"])
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and "unsafe" not in headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'"
    assert csp["connect-src"] == "'self' http://127.0.0.1:8000 http://127.0.0.1:5000"
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><html lang="fr"><title>Mon Espace Santé</title></html>')
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    handler = portal_server.make_handler(tmp_path, portal_server.security_headers(["http://127.0.0.1:1"]),
                                         portal_server.runtime_config("http://127.0.0.1:1"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_route_of_the_app_answers_the_page_with_its_headers(portal: str) -> None:
    status, headers, body = fetch(f"{portal}/documents")
    assert status == 200
    assert b'lang="fr"' in body
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_cached_and_a_missing_one_is_a_404(portal: str) -> None:
    status, headers, _ = fetch(f"{portal}/assets/index-abc.js")
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert fetch(f"{portal}/assets/gone.js")[0] == 404


def test_the_runtime_configuration_names_the_api_and_no_oidc_locally(portal: str) -> None:
    status, _, body = fetch(f"{portal}/config.json")
    assert status == 200
    config: dict[str, Any] = json.loads(body)
    assert config == {"api_url": "http://127.0.0.1:1", "stage": "local", "oidc": None}


def test_nothing_outside_the_build_is_served_and_only_reads_are_allowed(portal: str) -> None:
    status, _, body = fetch(f"{portal}/../../etc/passwd")
    assert b"root:" not in body
    assert fetch(f"{portal}/", method="POST")[0] == 405
