"""The API on Chalice's local server (what `chalice local --stage local` runs), without request lines in the log,
and with the interactive API reference at ``/docs`` (`ens_cli.apidocs`).

Chalice's dev server writes each request line ("GET /patients/<INS>/documents") to stderr: that would put an INS
in a log. This runs the same server with a handler that says nothing; the app logs each request itself, with
the route template only.
"""

from __future__ import annotations

import argparse
import os

from ens_cli.stagecfg import ROOT


def serve(host: str, port: int, stage: str = "local") -> None:
    import json

    from chalice.cli.factory import CLIFactory
    from chalice.local import ChaliceRequestHandler, CustomLocalChalice, ForbiddenError, LocalChalice, LocalDevServer

    from chalicelib.api.http import FHIR_NO_ROUTE, NO_ROUTE, TOO_LARGE_HEADERS, error_body
    from ens_cli.apidocs import docs_response

    class QuietHandler(ChaliceRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def do_GET(self) -> None:
            # GET /docs: the interactive API reference (local stack only, from a pinned package, offline).
            docs = docs_response(self.path)
            if docs is None:
                self._generic_handle()
                return
            self._parse_payload()
            status, headers, body = docs
            self._send_http_response(status, headers, body)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # What the HTTP server refuses before the app sees the request (headers too large, a request line
            # too long or unreadable) is answered in the API's {code, message} shape too, as the gateway does in
            # AWS (DEFAULT_4XX), never as an HTML page.
            body = TOO_LARGE_HEADERS if code == 431 else error_body(
                "bad_request", "The request could not be read (its request line or headers are malformed or "
                               "too long).")
            payload = json.dumps(body).encode()
            self.send_response(code, message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            if getattr(self, "command", None) != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(payload)

        def _send_error_response(self, error: object) -> None:
            # API Gateway's "Missing Authentication Token" for a path no route matches (chalice local even echoes
            # the bearer token in it): answered 404 {code, message} (an OperationOutcome under /fhir), as infra/
            # configures the gateway in AWS.
            if isinstance(error, ForbiddenError):
                if self.path.split("?")[0] == "/fhir" or self.path.startswith("/fhir/"):  # FHIR: an OperationOutcome
                    from chalicelib.api import fhirio

                    self._send_http_response(404, {"Content-Type": fhirio.CONTENT_TYPE},
                                             fhirio.outcome_body(404, *FHIR_NO_ROUTE))
                    return
                self._send_http_response(404, {"Content-Type": "application/json"}, json.dumps(NO_ROUTE))
                return
            super()._send_error_response(error)  # type: ignore[arg-type]

    factory = CLIFactory(project_dir=str(ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = factory.load_chalice_app(config.environment_variables)
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    server = LocalDevServer(app, config, host, port, handler_cls=QuietHandler)
    server.server.daemon_threads = True
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the ens API locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ENS_API_PORT", "8000")))
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
