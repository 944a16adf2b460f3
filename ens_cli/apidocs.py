"""Human-readable API documentation: the local stack's interactive page (``GET /docs``) and ``docs/api.md``.

- ``GET /docs`` (local stack only) is Swagger UI over ``GET /openapi.json``, served from the pinned
  ``swagger-ui-bundle-v2`` package: no CDN, nothing fetched from outside (the page's Content-Security-Policy
  allows this origin alone), so it works offline. "Authorize" takes a token from ``ens token``.
- ``docs/api.md`` is the reference written from the same OpenAPI document: ``python -m ens_cli.apidocs``
  (``make api-docs``) rewrites it, and a test fails when the file is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ens_cli.stagecfg import ROOT

API_MD = ROOT / "docs" / "api.md"

# -- GET /docs ---------------------------------------------------------------------------------------------------
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ens API — interactive reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

# validatorUrl null: Swagger UI would otherwise send the document to an online validator.
DOCS_INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
"""

ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'")


def docs_response(path: str) -> tuple[int, dict[str, str], bytes] | None:
    """The answer to ``GET path`` when it is the docs page or one of its files; None for any other path."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    if path not in ("/docs", "/docs/") and not path.startswith("/docs/"):
        return None
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    name = path.removeprefix("/docs").strip("/")
    if name in ("", "index.html"):
        return 200, {**headers, "Content-Type": "text/html; charset=utf-8"}, DOCS_PAGE.encode()
    if name == "init.js":
        return 200, {**headers, "Content-Type": "text/javascript; charset=utf-8"}, DOCS_INIT.encode()
    if name in ASSETS:
        from swagger_ui_bundle import swagger_ui_path

        body = (Path(str(swagger_ui_path)) / name).read_bytes()
        return 200, {**headers, "Content-Type": ASSETS[name]}, body
    message = {"code": "not_found", "message": "There is no such file in the documentation: open /docs."}
    return 404, {**headers, "Content-Type": "application/json"}, json.dumps(message).encode()


# -- docs/api.md -------------------------------------------------------------------------------------------------
def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: dict[str, Any]) -> str:
    """A schema's type in a few words: `string (date-time)`, `list of DataAccess`, `Profile`..."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return f"[{_ref_name(schema['$ref'])}](#{_ref_name(schema['$ref']).lower()})"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            kinds = [_type(s) for s in schema[key] if s.get("type") != "null"]
            nullable = any(s.get("type") == "null" for s in schema[key])
            return " or ".join(dict.fromkeys(kinds)) + (" or null" if nullable and kinds else "")
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"object of {_type(schema['additionalProperties'])}"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _limits(schema: dict[str, Any]) -> str:
    words = []
    if schema.get("minLength") == 1:
        schema = {k: v for k, v in schema.items() if k != "minLength"}
        words.append("not empty")
    if schema.get("minItems") == 1:
        schema = {k: v for k, v in schema.items() if k != "minItems"}
        words.append("at least 1 item")
    for key, text in (("minLength", "at least {} characters"), ("maxLength", "at most {} characters"),
                      ("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"),
                      ("exclusiveMaximum", "< {}"), ("minItems", "at least {} items"),
                      ("maxItems", "at most {} items"), ("pattern", "pattern `{}`")):
        if key in schema:
            words.append(text.format(schema[key]))
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            words.append(_limits(option))
    return "; ".join(w for w in words if w)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _schema_table(name: str, schema: dict[str, Any]) -> list[str]:
    out = [f"### {name}", ""]
    if schema.get("description"):
        out += [_cell(schema["description"]), ""]
    properties = schema.get("properties") or {}
    if not properties:
        out += [f"Type: {_type(schema)}.", ""]
        return out
    required = set(schema.get("required") or ())
    out += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, prop in properties.items():
        description = prop.get("description", "")
        limits = _limits(prop)
        if "default" in prop and prop["default"] not in (None, [], {}):
            limits = "; ".join(x for x in (limits, f"default `{json.dumps(prop['default'])}`") if x)
        text = " — ".join(x for x in (description, limits) if x)
        out.append(f"| `{field}` | {_cell(_type(prop))} | {'yes' if field in required else ''} | {_cell(text)} |")
    out.append("")
    return out


def render_markdown(document: dict[str, Any]) -> str:
    """The API reference as Markdown: every operation by tag (roles, parameters, body, answers), then every
    schema."""
    info = document["info"]
    lines = [
        f"# {info['title']} — API reference",
        "",
        "<!-- Generated from the OpenAPI document (GET /openapi.json) by `make api-docs`: do not edit by hand; "
        "a test fails when this file is stale. -->",
        "",
        info.get("description", ""),
        "",
        "Authentication: `Authorization: Bearer <JWT>` (locally, `ens token --role ROLE ...`). Errors are "
        "[Error](#error) objects: `{code, message}`, and for a 422 `errors`, one entry per field at fault. Bodies "
        "are JSON, sent with `Content-Type: application/json`. The local stack also serves this reference, "
        "interactive, at `/docs`.",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            by_tag.setdefault((op.get("tags") or ["Other"])[0], []).append((path, method, op))
    lines += ["## Operations", ""]
    for tag in by_tag:
        lines.append(f"- [{tag}](#{_anchor(tag)})")
    lines.append("")
    for tag, operations in by_tag.items():
        lines += [f"## {tag}", ""]
        for path, method, op in operations:
            lines += [f"### `{method.upper()} {path}`", "", _cell(op.get("summary", "")), ""]
            if op.get("description"):
                lines += [op["description"].strip(), ""]
            security = op.get("security")
            who = ", ".join(f"`{r}`" for r in op.get("x-roles", []))
            if security == []:
                lines.append("- Token: none." + (f" Roles: {who}." if who else ""))
            elif security and {} in security:
                lines.append("- Token: optional." + (f" Roles: {who}." if who else ""))
            else:
                lines.append("- Token: required." + (f" Roles: {who}." if who else ""))
            for param in op.get("parameters", []):
                schema = param.get("schema", {})
                extra = _limits(schema)
                text = " — ".join(x for x in (param.get("description", ""), extra) if x)
                lines.append(f"- {param['in']} `{param['name']}` ({_type(schema)}"
                             f"{', required' if param.get('required') else ''}){': ' + text if text else ''}")
            body = op.get("requestBody")
            if body:
                schema = next(iter(body["content"].values()))["schema"]
                lines.append(f"- Body (`{next(iter(body['content']))}`): {_type(schema)}")
            answers = []
            for status, answer in op.get("responses", {}).items():
                content = answer.get("content") or {}
                media, spec = next(iter(content.items())) if content else (None, {})
                kind = f" — `{media}` {_type(spec.get('schema', {}))}" if media else ""
                answers.append(f"  - `{status}` {answer.get('description', '')}{kind}")
            lines += ["- Answers:", *answers, ""]
    lines += ["## Schemas", ""]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += _schema_table(name, schema)
    return "\n".join(lines).rstrip() + "\n"


def _anchor(text: str) -> str:
    import re

    return re.sub(r"[^\w\- ]", "", text.lower()).strip().replace(" ", "-")


def current_markdown() -> str:
    from chalicelib.api.openapi import document

    return render_markdown(document())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/api.md from the OpenAPI document.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is stale, write nothing")
    args = parser.parse_args(argv)
    text = current_markdown()
    if args.check:
        stale = not API_MD.exists() or API_MD.read_text(encoding="utf-8") != text
        if stale:
            print("docs/api.md is stale: run `make api-docs`.", file=sys.stderr)
        return 1 if stale else 0
    API_MD.write_text(text, encoding="utf-8")
    print(f"wrote {API_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
