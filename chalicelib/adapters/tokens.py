"""Bearer tokens (JWT).

* local stage: HS256 with the development key from `.chalice/config.json` (the `ens token` command signs with it),
  checked with the standard library's ``hmac`` (:func:`verify_hs256`): PyJWT imports the ``cryptography`` package
  on its first import, which a symmetric signature does not need and a cold start would pay for;
* other stages: RS256 only, verified with PyJWT against the JWKS of the configured OIDC issuers (the patients'
  identity provider, Pro Santé Connect for professionals...); there is no development key outside the local stage.

Both check the same things: the algorithm, the signature, the required claims (``exp``, ``iat``, ``role``), the
expiry and the not-before times (5 s of leeway), the audience and the issuer. Every failure is
:class:`Unauthenticated` (401) with a message that says what was wrong, never the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
from typing import Any

from chalicelib.config import OidcIssuer, Settings
from chalicelib.errors import Unauthenticated

REQUIRED_CLAIMS = ["exp", "iat", "role"]
LEEWAY = 5  # seconds


def _malformed() -> Unauthenticated:
    return Unauthenticated("The token is malformed or not valid for this service.", code="invalid_token")


def _segment(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise _malformed() from error


def _json_object(value: str) -> dict[str, Any]:
    try:
        decoded = json.loads(_segment(value))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise _malformed() from error
    if not isinstance(decoded, dict):
        raise _malformed()
    return decoded


def algorithm_of(token: str) -> str | None:
    """The ``alg`` of a token's header (unverified), or None when it has no readable header."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        alg = _json_object(parts[0]).get("alg")
    except Unauthenticated:
        return None
    return alg if isinstance(alg, str) else None


def verify_hs256(token: str, key: str, audience: str, issuer: str, now: float | None = None) -> dict[str, Any]:
    """The claims of an HS256 token signed with ``key``, checked as PyJWT checks them."""
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed()
    header, payload, signature = parts
    if _json_object(header).get("alg") != "HS256":
        raise Unauthenticated("The token is signed with an algorithm this service does not accept.",
                              code="invalid_token")
    expected = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _segment(signature)):
        raise Unauthenticated("The token's signature is not valid.", code="invalid_token")
    claims = _json_object(payload)
    for claim in REQUIRED_CLAIMS:
        if claim not in claims:
            raise Unauthenticated(f"The token lacks the '{claim}' claim.", code="invalid_token")
    now = time.time() if now is None else now
    for claim in ("exp", "iat", "nbf"):
        if claim in claims and (isinstance(claims[claim], bool) or not isinstance(claims[claim], (int, float))):
            raise _malformed()
    if claims["exp"] <= now - LEEWAY:
        raise Unauthenticated("The token has expired: sign in again.", code="token_expired")
    if claims["iat"] > now + LEEWAY or ("nbf" in claims and claims["nbf"] > now + LEEWAY):
        raise _malformed()  # not valid yet
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    if not isinstance(audiences, list) or audience not in audiences or claims.get("iss") != issuer:
        raise _malformed()
    return claims
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
        if self.settings.dev_signing_key and algorithm_of(token) == "HS256":  # local stage: the development key
            return verify_hs256(token, self.settings.dev_signing_key, self.settings.audience, self.settings.dev_issuer)
        if algorithm_of(token) is None:
            raise _malformed()
        return self._verify_rs256(token)

    def _verify_rs256(self, token: str) -> dict[str, Any]:
        import jwt  # PyJWT (and cryptography): only for tokens of an OIDC issuer

        try:
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
                                issuer=issuer.issuer, options={"require": REQUIRED_CLAIMS}, leeway=LEEWAY)
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
