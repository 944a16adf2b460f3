"""A stage's deployment settings, read from the CDK context (`infra/cdk.json`, or `-c` on the command line).

Everything a cloud engineer sets per stage lives under the context key ``ens:<stage>``; nothing is read from the
environment except what the CDK itself uses (the target account). Validation happens at synthesis, so a mistake
fails `make synth` and its tests rather than a deployment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

ROLES = ("patient", "professional", "establishment", "agent", "app")  # CONTRACT §2


class SettingsError(ValueError):
    """The stage's context is missing something or holds a bad value."""


@dataclass(frozen=True)
class PortalSettings:
    """The patient portal's hosting (CONTRACT §11): its domain (CloudFront, TLS with an ACM certificate of us-east-1,
    as CloudFront requires) and its OIDC client at the patients' identity provider."""

    domain: str  # e.g. monespacesante.fr: the portal's origin is https://{domain}, the only one the API's CORS allows
    certificate_arn: str  # ACM certificate for the domain, in us-east-1
    oidc_client_id: str  # the portal's public client (authorization code + PKCE, no secret)
    oidc_scope: str = "openid"

    @property
    def origin(self) -> str:
        return f"https://{self.domain}"


@dataclass(frozen=True)
class StageSettings:
    stage: str
    oidc_issuers: tuple[dict[str, Any], ...]  # as `chalicelib.config` reads ENS_OIDC_ISSUERS
    ses_identity: str  # the verified SES identity (a domain) the notices are sent from
    alarm_email: str | None  # subscribed to the ops-alerts topic when set
    api_rate_limit: float  # API Gateway stage throttling: steady requests per second ...
    api_burst_limit: int  # ... and burst
    log_retention_days: int
    undo_days_dynamodb: int  # point-in-time recovery window (1-35 days)
    establishment_principals: tuple[str, ...]  # who may assume the inbox upload role (ARNs); empty: this account
    portal: PortalSettings
    ses_rate: float = 14.0  # the SES account's maximum send rate (emails a second): notices never exceed it
    sms_rate: float = 20.0  # SNS's SMS rate for the account (messages a second)

    @property
    def patients_issuer(self) -> dict[str, Any]:
        """The identity provider the portal signs patients in with (the issuer asserting the patient role)."""
        return next(i for i in self.oidc_issuers if "patient" in i["roles"])

    @property
    def oidc_json(self) -> str:
        """The value of ENS_OIDC_ISSUERS."""
        return json.dumps(list(self.oidc_issuers), separators=(",", ":"), sort_keys=True)

    def placeholders(self) -> list[str]:
        """Values still pointing at reserved example domains (RFC 2606): fine to synthesize, not to deploy."""
        found = [i["issuer"] for i in self.oidc_issuers if _is_example(i["issuer"]) or _is_example(i["jwks_url"])]
        found += [i["issuer"] for i in self.oidc_issuers if "REPLACE" in i["audience"]]
        if _is_example(self.ses_identity):
            found.append(self.ses_identity)
        if _is_example(self.portal.domain):
            found.append(self.portal.domain)
        if "REPLACE" in self.portal.certificate_arn or ":000000000000:" in self.portal.certificate_arn:
            found.append(self.portal.certificate_arn)
        return found


def _is_example(value: str) -> bool:
    host = urlparse(value).hostname if "://" in value else value
    return bool(host) and bool(re.search(r"(^|\.)(example|invalid|test|localhost)$", host or ""))


def _issuer(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: an issuer is an object {{issuer, jwks_url, audience, roles}}")
    missing = [k for k in ("issuer", "jwks_url", "audience", "roles") if not raw.get(k)]
    if missing:
        raise SettingsError(f"{where}: missing {', '.join(missing)}")
    for key in ("issuer", "jwks_url"):
        if urlparse(raw[key]).scheme != "https":
            raise SettingsError(f"{where}.{key}: must be an https URL, got {raw[key]!r}")
    unknown = sorted(set(raw["roles"]) - set(ROLES))
    if unknown:
        raise SettingsError(f"{where}.roles: unknown role(s) {unknown}; known: {list(ROLES)}")
    return {"issuer": raw["issuer"], "jwks_url": raw["jwks_url"], "audience": raw["audience"],
            "roles": list(raw["roles"])}


def _required(context: dict[str, Any], key: str, stage: str) -> str:
    value = context.get(key)
    if not value or not isinstance(value, str):
        raise SettingsError(f"ens:{stage}.{key}: required")
    return value


def load(stage: str, context: dict[str, Any] | None) -> StageSettings:
    """The settings of ``stage`` from the context value of key ``ens:<stage>``."""
    if not context:
        raise SettingsError(f"no context 'ens:{stage}': see infra/cdk.json and docs/deploy.md")
    issuers = tuple(_issuer(raw, f"ens:{stage}.oidcIssuers[{n}]") for n, raw in
                    enumerate(context.get("oidcIssuers") or ()))
    if not issuers:
        raise SettingsError(f"ens:{stage}.oidcIssuers: at least one issuer (the stage has no development key)")
    if len({i["issuer"] for i in issuers}) != len(issuers):
        raise SettingsError(f"ens:{stage}.oidcIssuers: an issuer is listed twice")
    throttle = context.get("apiThrottle") or {}
    pitr_days = int(context.get("pointInTimeRecoveryDays", 35))
    if not 1 <= pitr_days <= 35:
        raise SettingsError(f"ens:{stage}.pointInTimeRecoveryDays: 1 to 35")
    rates = {key: float(context.get(key, default)) for key, default in (("sesMaxSendRate", 14), ("smsMaxSendRate", 20))}
    for key, rate in rates.items():
        if not 1 <= rate <= 100_000:
            raise SettingsError(f"ens:{stage}.{key}: a rate from 1 to 100,000 a second (the account's quota)")
    principals = tuple(context.get("establishmentPrincipals") or ())
    for arn in principals:
        if not arn.startswith("arn:"):
            raise SettingsError(f"ens:{stage}.establishmentPrincipals: {arn!r} is not an ARN")
    if not any("patient" in i["roles"] for i in issuers):
        raise SettingsError(f"ens:{stage}.oidcIssuers: no issuer asserts the patient role (the portal signs in there)")
    return StageSettings(
        stage=stage,
        oidc_issuers=issuers,
        ses_identity=_required(context, "sesIdentity", stage),
        alarm_email=context.get("alarmEmail") or None,
        api_rate_limit=float(throttle.get("rateLimit", 100)),
        api_burst_limit=int(throttle.get("burstLimit", 200)),
        log_retention_days=int(context.get("logRetentionDays", 365)),
        undo_days_dynamodb=pitr_days,
        establishment_principals=principals,
        portal=_portal(context.get("portal"), stage),
        ses_rate=rates["sesMaxSendRate"],
        sms_rate=rates["smsMaxSendRate"],
    )


def _portal(raw: Any, stage: str) -> PortalSettings:
    where = f"ens:{stage}.portal"
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: required, {{domain, certificateArn, oidcClientId}}")
    missing = [k for k in ("domain", "certificateArn", "oidcClientId") if not raw.get(k)]
    if missing:
        raise SettingsError(f"{where}: missing {', '.join(missing)}")
    domain = str(raw["domain"])
    if "://" in domain or "/" in domain or not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", domain):
        raise SettingsError(f"{where}.domain: a host name such as monespacesante.fr, got {domain!r}")
    arn = str(raw["certificateArn"])
    if not arn.startswith("arn:aws:acm:us-east-1:"):
        raise SettingsError(f"{where}.certificateArn: CloudFront needs an ACM certificate of us-east-1, got {arn!r}")
    return PortalSettings(domain=domain, certificate_arn=arn, oidc_client_id=str(raw["oidcClientId"]),
                          oidc_scope=str(raw.get("oidcScope") or "openid"))
