"""Bearer tokens (JWT, PyJWT).

* local stage: HS256 with the development key from `.chalice/config.json` (the `ens token` command signs with it);
* other stages: RS256 only, verified against the JWKS of the configured OIDC issuers (the patients' identity
  provider, Pro Santé Connect for professionals...); there is no development key outside the local stage.

Every failure is :class:`Unauthenticated` (401) with a message that says what was wrong, never the token.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from chalicelib.config import OidcIssuer, Settings
from chalicelib.errors import Unauthenticated

REQUIRED_CLAIMS = ["exp", "iat", "role"]
_jwks_clients: dict[str, Any] = {}
_lock = threading.Lock()


def _jwks_client(issuer: OidcIssuer) -> Any:
    import jwt

    with _lock:
        client = _jwks_clients.get(issuer.jwks_url)
        if client is None:
            client = _jwks_clients[issuer.jwks_url] = jwt.PyJWKClient(issuer.jwks_url, cache_keys=True, lifespan=3600)
        return client


class TokenService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def verify(self, token: str) -> dict[str, Any]:
        import jwt

        try:
            if self.settings.dev_signing_key:  # local stage: one parse, HS256 only
                try:
                    return jwt.decode(token, self.settings.dev_signing_key, algorithms=["HS256"],
                                      audience=self.settings.audience, issuer=self.settings.dev_issuer,
                                      options={"require": REQUIRED_CLAIMS}, leeway=5)
                except jwt.InvalidAlgorithmError:
                    pass  # an RS256 token: verified against the issuers below
            if jwt.get_unverified_header(token).get("alg") != "RS256":
                raise Unauthenticated("The token is signed with an algorithm this service does not accept.",
                                      code="invalid_token")
            unverified = jwt.decode(token, options={"verify_signature": False})
            issuer = next((i for i in self.settings.oidc_issuers if i.issuer == unverified.get("iss")), None)
            if issuer is None:
                raise Unauthenticated("The token comes from an issuer this service does not trust.",
                                      code="invalid_token")
            signing_key = _jwks_client(issuer).get_signing_key_from_jwt(token)
            claims = jwt.decode(token, signing_key.key, algorithms=["RS256"], audience=issuer.audience,
                                issuer=issuer.issuer, options={"require": REQUIRED_CLAIMS}, leeway=5)
            if claims.get("role") not in issuer.roles:
                raise Unauthenticated("This issuer may not assert the token's role.", code="invalid_token")
            return claims
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("The token has expired: sign in again.", code="token_expired") from error
        except jwt.InvalidSignatureError as error:
            raise Unauthenticated("The token's signature is not valid.", code="invalid_token") from error
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated(f"The token lacks the '{error.claim}' claim.", code="invalid_token") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated("The token is malformed or not valid for this service.",
                                  code="invalid_token") from error

    def sign(self, claims: dict[str, Any], ttl_seconds: int = 3600) -> str:
        """Local stage only: a development token (what `ens token` prints)."""
        import jwt

        if not self.settings.is_local or not self.settings.dev_signing_key:
            raise PermissionError("Development tokens exist only in the local stage.")
        now = int(time.time())
        payload = {"iss": self.settings.dev_issuer, "aud": self.settings.audience, "iat": now,
                   "nbf": min(now, now + ttl_seconds), "exp": now + ttl_seconds, **claims}
        return jwt.encode(payload, self.settings.dev_signing_key, algorithm="HS256")
