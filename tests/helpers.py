"""Test data: valid identifiers and people."""

from __future__ import annotations

import datetime as dt
import random

from ens_cli.testdata import luhn, make_finess, make_nir, make_rpps  # noqa: F401 - re-exported to tests


def person(born: dt.date = dt.date(1980, 5, 1), sex: int = 1, **extra: object) -> dict:
    row = {"nir": make_nir(sex, born), "given_name": "Camille", "family_name": "Martin",
           "birth_date": born.isoformat(), "email": "camille.martin@example.org",
           "vitale_serial": str(random.randint(10**9, 10**10 - 1))}
    row.update(extra)
    return {k: v for k, v in row.items() if v is not None}
