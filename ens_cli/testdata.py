"""Valid national identifiers for tests, benchmarks and load runs (never real people's).

NIR: 15 characters with the control key (97 − number mod 97, 2A→19, 2B→18); RPPS and FINESS: Luhn check digit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

_serial = itertools.count(1)


def luhn(body: str) -> str:
    """``body`` followed by its Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def make_nir(sex: int = 1, born: dt.date = dt.date(1980, 5, 1), dept: str = "75") -> str:
    """A valid NIR, different at every call of this process (up to 10⁶ per sex, birth month and département)."""
    n = next(_serial)
    body = f"{sex}{born.year % 100:02d}{born.month:02d}{dept}{(n // 1000) % 999 + 1:03d}{n % 1000:03d}"
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


def make_rpps() -> str:
    return luhn(str(random.randint(10**9, 10**10 - 1)))  # noqa: S311  # nosec B311 - test data, not a secret


def make_finess() -> str:
    return luhn(str(random.randint(10**7, 10**8 - 1)))  # noqa: S311  # nosec B311 - test data, not a secret


def vitale_serial() -> str:
    return str(random.randint(10**9, 10**10 - 1))  # noqa: S311  # nosec B311 - test data, not a secret
