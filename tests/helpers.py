"""Test data: valid identifiers and people."""

from __future__ import annotations

import datetime as dt
import itertools
import random

_counter = itertools.count(1)


def make_nir(sex: int = 1, born: dt.date = dt.date(1980, 5, 1), dept: str = "75") -> str:
    """A valid NIR, different at every call."""
    n = next(_counter)
    body = f"{sex}{born.year % 100:02d}{born.month:02d}{dept}{(n // 1000) % 1000 + 1:03d}{n % 1000:03d}"
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


def luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def make_rpps() -> str:
    return luhn(str(random.randint(10**9, 10**10 - 1)))


def make_finess() -> str:
    return luhn(str(random.randint(10**7, 10**8 - 1)))


def person(born: dt.date = dt.date(1980, 5, 1), sex: int = 1, **extra: object) -> dict:
    row = {"nir": make_nir(sex, born), "given_name": "Camille", "family_name": "Martin",
           "birth_date": born.isoformat(), "email": "camille.martin@example.org",
           "vitale_serial": str(random.randint(10**9, 10**10 - 1))}
    row.update(extra)
    return {k: v for k, v in row.items() if v is not None}
