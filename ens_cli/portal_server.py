"""The patient portal on the local stack (CONTRACT §11): the static build of `portal/` on
``127.0.0.1:$ENS_PORTAL_PORT``, as CloudFront serves it in AWS.

* The same security headers as CloudFront's response-headers policy, from the one definition
  ``portal/security-headers.json``; ``connect-src`` names the local API and the AWS emulator (presigned uploads).
* ``/config.json`` is written at start from the stack's ports (API URL, stage, no OIDC in the local stage): one
  build serves every stage, each with its own runtime configuration.
* Single-page fallback: a path that is not a file answers ``index.html`` (as CloudFront's error responses do);
  a missing file under ``/assets/`` stays a 404.
* Only GET and HEAD; no directory listing; no request line in the log (a path may hold an INS).
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ens_cli.stagecfg import ROOT

PORTAL = ROOT / "portal"
DIST = PORTAL / "dist"
HEADERS_FILE = PORTAL / "security-headers.json"
IMMUTABLE = "public, max-age=31536000, immutable"  # Vite's hashed assets
REVALIDATE = "no-cache"  # index.html and config.json: always the current build and settings


def security_headers(connect_src: list[str], definition: dict[str, Any] | None = None) -> dict[str, str]:
    """The portal's security headers, with the stage's origins added to ``connect-src``."""
    spec = definition or json.loads(HEADERS_FILE.read_text(encoding="utf-8"))
    directives = {name: list(values) for name, values in spec["content_security_policy"].items()}
    directives["connect-src"] = list(dict.fromkeys(directives.get("connect-src", []) + connect_src))
    hsts = spec["strict_transport_security"]
    sts = f"max-age={hsts['max_age_seconds']}" + ("; includeSubDomains" if hsts.get("include_subdomains") else "") \
        + ("; preload" if hsts.get("preload") else "")
    return {
        "Content-Security-Policy": "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items()),
        "Strict-Transport-Security": sts,
        "Referrer-Policy": spec["referrer_policy"],
        "X-Frame-Options": spec["frame_options"],
        "X-Content-Type-Options": spec["content_type_options"],
        **spec.get("custom", {}),
    }


def runtime_config(api_url: str, stage: str = "local") -> dict[str, Any]:
    """What the portal reads at start (`portal/src/config.ts`): the API, the stage, the sign-in method."""
    return {"api_url": api_url, "stage": stage, "oidc": None}


def make_handler(dist: Path, headers: dict[str, str], config: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    root = dist.resolve()
    config_body = json.dumps(config).encode()

    class PortalHandler(BaseHTTPRequestHandler):
        server_version = "ens-portal"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:
            return None

        def _send(self, status: int, body: bytes, content_type: str, cache: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", cache)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _serve(self, head: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            if path == "/config.json":
                self._send(200, config_body, "application/json", REVALIDATE, head)
                return
            target = (root / path.lstrip("/")).resolve()
            inside = target == root or root in target.parents
            if inside and target.is_file():
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                if kind.startswith("text/") or kind in ("application/javascript", "application/json",
                                                        "image/svg+xml"):
                    kind += "; charset=utf-8"
                cache = IMMUTABLE if path.startswith("/assets/") else REVALIDATE
                self._send(200, target.read_bytes(), kind, cache, head)
                return
            if path.startswith("/assets/") or not inside:
                self._send(404, b"Fichier introuvable.", "text/plain; charset=utf-8", REVALIDATE, head)
                return
            index = root / "index.html"  # the single-page app's own routes
            self._send(200, index.read_bytes(), "text/html; charset=utf-8", REVALIDATE, head)

        def do_GET(self) -> None:
            self._serve(head=False)

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def _refuse(self) -> None:
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Length", "0")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse

    return PortalHandler


def serve(port: int, api_url: str, aws_url: str, dist: Path = DIST, host: str = "127.0.0.1") -> None:
    if not (dist / "index.html").is_file():
        raise SystemExit(f"ens: the portal is not built ({dist}/index.html is missing): run `make run`.")
    headers = security_headers([api_url, aws_url])
    server = ThreadingHTTPServer((host, port), make_handler(dist, headers, runtime_config(api_url)))
    server.daemon_threads = True
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the built patient portal locally.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ENS_PORTAL_PORT", "8080")))
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--aws-url", required=True)
    parser.add_argument("--dist", type=Path, default=DIST)
    args = parser.parse_args()
    serve(args.port, args.api_url, args.aws_url, args.dist)


if __name__ == "__main__":
    main()
