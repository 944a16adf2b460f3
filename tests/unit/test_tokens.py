"""The local stage's HS256 check (standard library) agrees with PyJWT's on every kind of token."""

import time

import jwt
import pytest

from chalicelib.adapters.tokens import REQUIRED_CLAIMS, verify_hs256
from chalicelib.errors import Unauthenticated

KEY, AUD, ISS = "unit-test-key-0123456789abcdef0123456789", "ens", "ens-local"
NOW = int(time.time())


def pyjwt_accepts(token: str) -> bool:
    try:
        jwt.decode(token, KEY, algorithms=["HS256"], audience=AUD, issuer=ISS, options={"require": REQUIRED_CLAIMS},
                   leeway=5)
        return True
    except jwt.PyJWTError:
        return False


def ours_accepts(token: str) -> bool:
    try:
        verify_hs256(token, KEY, AUD, ISS)
        return True
    except Unauthenticated:
        return False


BASE = {"iss": ISS, "aud": AUD, "iat": NOW, "exp": NOW + 600, "role": "patient", "ins": "180057512345602"}
CASES = {
    "valid": (BASE, KEY, "HS256"),
    "audience in a list": ({**BASE, "aud": ["other", AUD]}, KEY, "HS256"),
    "expired": ({**BASE, "exp": NOW - 60}, KEY, "HS256"),
    "expired within the leeway": ({**BASE, "exp": NOW - 2}, KEY, "HS256"),
    "not valid yet": ({**BASE, "nbf": NOW + 600}, KEY, "HS256"),
    "issued in the future": ({**BASE, "iat": NOW + 600}, KEY, "HS256"),
    "another key": (BASE, KEY + "x", "HS256"),
    "another audience": ({**BASE, "aud": "someone"}, KEY, "HS256"),
    "another issuer": ({**BASE, "iss": "elsewhere"}, KEY, "HS256"),
    "no role": ({k: v for k, v in BASE.items() if k != "role"}, KEY, "HS256"),
    "no expiry": ({k: v for k, v in BASE.items() if k != "exp"}, KEY, "HS256"),
    "no iat": ({k: v for k, v in BASE.items() if k != "iat"}, KEY, "HS256"),
    "a text expiry": ({**BASE, "exp": "tomorrow"}, KEY, "HS256"),
    "HS512": (BASE, KEY, "HS512"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_standard_library_check_agrees_with_pyjwt(case):
    claims, key, algorithm = CASES[case]
    token = jwt.encode(claims, key, algorithm=algorithm)
    assert ours_accepts(token) == pyjwt_accepts(token), case


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "e30.e30.", "x" * 10_000, "..", "eyJhbGciOiJub25lIn0.e30."])
def test_garbage_is_refused(token):
    assert not ours_accepts(token) and not pyjwt_accepts(token)


def test_a_tampered_payload_is_refused():
    header, _, signature = jwt.encode(BASE, KEY, algorithm="HS256").split(".")
    forged = jwt.encode({**BASE, "role": "agent"}, KEY + "another", algorithm="HS256").split(".")[1]
    assert not ours_accepts(f"{header}.{forged}.{signature}")
