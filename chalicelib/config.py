"""Runtime settings, read from the environment once, on first use (never at import time).

The stage's environment comes from `.chalice/config.json` (locally, `chalice local` and the `ens` CLI apply it;
in AWS, Lambda does). Nothing here imports boto3 or pydantic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib import resources

REGION = "eu-west-3"  # health data stays in France


@dataclass(frozen=True)
class OidcIssuer:
    """A trusted identity provider (prod): tokens it signs are verified against its JWKS."""

    issuer: str
    jwks_url: str
    audience: str
    roles: tuple[str, ...]  # the roles this issuer may assert


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str = REGION
    aws_endpoint_url: str | None = None  # the emulator, locally; None in AWS
    dev_signing_key: str | None = None  # local stage only: HS256 development key
    dev_issuer: str = "ens-local"
    audience: str = "ens"
    oidc_issuers: tuple[OidcIssuer, ...] = ()
    secret_pepper: str = ""  # keyed hashing of provisional codes and card serials
    overrides: dict[str, str] = field(default_factory=dict)
    presign_seconds: int = 300
    portal_origin: str | None = None  # the patient portal's origin, the only one CORS allows (CONTRACT §11)
    # sends a second, across every function (the SES account's rate; SNS's SMS rate); None: not limited here
    ses_rate: float | None = None
    sms_rate: float | None = None

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def name(self, kind: str, logical: str) -> str:
        """Physical name of a declared resource (kind: table, bucket, queue, topic)."""
        return self.overrides.get(resources.env_var(kind, logical)) or resources.default_name(self.stage, logical)

    def table(self, logical: str) -> str:
        return self.name("table", logical)

    def bucket(self, logical: str) -> str:
        return self.name("bucket", logical)

    def queue(self, logical: str) -> str:
        return self.name("queue", logical)


def _issuers(raw: str | None) -> tuple[OidcIssuer, ...]:
    if not raw:
        return ()
    return tuple(
        OidcIssuer(i["issuer"], i["jwks_url"], i.get("audience", "ens"), tuple(i["roles"])) for i in json.loads(raw)
    )


def load(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    stage = env.get("ENS_STAGE", "local")
    endpoint = env.get("ENS_AWS_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL")
    if not endpoint and stage == "local":
        endpoint = f"http://127.0.0.1:{env.get('ENS_AWS_PORT', '5000')}"
    dev_key = env.get("ENS_DEV_SIGNING_KEY") if stage == "local" else None
    return Settings(
        stage=stage,
        region=env.get("ENS_REGION", REGION),
        aws_endpoint_url=endpoint,
        dev_signing_key=dev_key,
        oidc_issuers=_issuers(env.get("ENS_OIDC_ISSUERS")),
        secret_pepper=env.get("ENS_SECRET_PEPPER", ""),
        overrides={k: v for k, v in env.items() if k.startswith(("ENS_TABLE_", "ENS_BUCKET_", "ENS_QUEUE_",
                                                                   "ENS_TOPIC_"))},
        portal_origin=portal_origin(env),
        ses_rate=_rate(env.get("ENS_SES_RATE")),
        sms_rate=_rate(env.get("ENS_SMS_RATE")),
    )


def portal_origin(environ: Mapping[str, str] | None = None) -> str | None:
    """The patient portal's origin (``ENS_PORTAL_ORIGIN``: locally ``http://127.0.0.1:$ENS_PORTAL_PORT``, in AWS
    ``https://`` the portal's domain); the API's CORS allows this origin only, and none when it is unset."""
    env = os.environ if environ is None else environ
    return (env.get("ENS_PORTAL_ORIGIN") or "").rstrip("/") or None


def _rate(raw: str | None) -> float | None:
    """A sending rate from the environment: a positive number, else not limited."""
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        return None
    return value if value >= 1 else None


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process's settings, read once."""
    return load()


def reset() -> None:
    """Forget the cached settings (tests that change the environment)."""
    settings.cache_clear()
