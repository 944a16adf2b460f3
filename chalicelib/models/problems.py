"""What was wrong with a request body, said so that a person understands it.

pydantic's ``ValidationError`` becomes a stable ``code`` and a sentence naming the field at fault. The body parser
(`chalicelib.api.http.parse_body`) and the row-by-row validations (enrolment rows, reimbursement lines) use it, so
every caller reads the same kind of sentence.
"""

from __future__ import annotations

from typing import Any


def validation_message(error: Any, prefix: str = "") -> tuple[str, str]:
    """pydantic's ValidationError → (code, a sentence naming the field)."""
    problems = error.errors(include_url=False)
    first = problems[0]
    location = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body",))
    location = f"{prefix}{location}" if location else (prefix.rstrip(".") or "body")
    message = first.get("msg", "is not valid")
    message = message.removeprefix("Value error, ")
    text = f"The field '{location}' is not valid: {message}."
    text = text.replace("..", ".")
    if len(problems) > 1:
        text += f" ({len(problems) - 1} other problem{'s' if len(problems) > 2 else ''} in the request.)"
    ctx_code = (first.get("ctx") or {}).get("code") if isinstance(first.get("ctx"), dict) else None
    code = ctx_code or ("missing_field" if first.get("type") == "missing" else "invalid_field")
    return code, text
