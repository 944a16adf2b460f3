"""NIR/INS, RPPS and FINESS rules, and claims → caller."""

import datetime as dt

import pytest
from helpers import luhn, make_nir

from chalicelib.domain import identity
from chalicelib.errors import InvalidInput, Unauthenticated


def test_a_valid_nir_passes_and_is_normalised():
    nir = make_nir()
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    assert identity.check_nir(spaced) == nir


def test_a_wrong_control_key_is_refused_naming_the_field():
    nir = make_nir()
    bad = nir[:-2] + f"{(int(nir[-2:]) + 1) % 100:02d}"
    with pytest.raises(InvalidInput) as error:
        identity.check_nir(bad, field="beneficiaries.0.nir")
    assert "beneficiaries.0.nir" in error.value.message and "control key" in error.value.message
    assert bad not in error.value.message  # a message never repeats the number


@pytest.mark.parametrize("value", ["", "12345", "380057512345602", "180137512345602", 180057512345602, None])
def test_malformed_nirs_are_refused(value):
    assert identity.nir_problem(value)


def test_corsica_keys_use_19_for_2a_and_18_for_2b():
    for dept in ("2A", "2B"):
        nir = make_nir(born=dt.date(1990, 3, 1), dept=dept)
        assert identity.nir_problem(nir) is None
        substituted = nir[:5] + ("19" if dept == "2A" else "18") + nir[7:13]
        assert int(nir[13:]) == 97 - int(substituted) % 97


def test_corsica_2a_2b_only_for_births_from_1976_and_20_only_before():
    born_1970 = dt.date(1970, 3, 1)
    assert identity.nir_birth_problem(make_nir(born=born_1970, dept="2A"), born_1970)
    assert identity.nir_birth_problem(make_nir(born=born_1970, dept="20"), born_1970) is None
    born_1990 = dt.date(1990, 3, 1)
    assert identity.nir_birth_problem(make_nir(born=born_1990, dept="20"), born_1990)
    assert identity.nir_birth_problem(make_nir(born=born_1990, dept="2B"), born_1990) is None


def test_nir_must_agree_with_the_birth_date():
    nir = make_nir(born=dt.date(1980, 5, 1))
    assert identity.nir_birth_problem(nir, dt.date(1980, 5, 17)) is None
    assert "year" in identity.nir_birth_problem(nir, dt.date(1981, 5, 1))
    assert "month" in identity.nir_birth_problem(nir, dt.date(1980, 6, 1))


def test_rpps_and_finess_need_their_luhn_digit():
    rpps = luhn("1000123456")
    assert identity.is_rpps(rpps)
    assert not identity.is_rpps(rpps[:-1] + str((int(rpps[-1]) + 1) % 10))
    finess = luhn("75000000")
    assert identity.is_finess(finess) and not identity.is_finess(finess + "0")


def test_claims_make_a_caller_or_an_invalid_token():
    nir = make_nir()
    assert identity.actor_from_claims({"role": "patient", "ins": nir}).ins == nir
    pro = identity.actor_from_claims({"role": "professional", "rpps": luhn("1000123456"), "profession": "infirmier",
                                      "samu": True})
    assert pro.samu and pro.id == pro.rpps
    for claims in ({"role": "root"}, {"role": "patient", "ins": "123"},
                   {"role": "professional", "rpps": luhn("1000123456"), "profession": "sorcier"},
                   {"role": "establishment", "finess": "123456789"}, {"role": "app", "ins": nir}):
        with pytest.raises(Unauthenticated):
            identity.actor_from_claims(claims)


def test_an_app_tokens_scope_claim_is_read_as_the_grants_it_narrows_the_consent_to():
    nir = make_nir()
    app = {"role": "app", "app_id": "glyco", "ins": nir}
    assert identity.actor_from_claims(app).scopes is None  # no claim: the consent alone decides
    scoped = identity.actor_from_claims({**app, "scope": "openid launch/patient patient/Observation.write "
                                                         "patient/DocumentReference.rs"})
    assert scoped.scopes == {("measurements", "write"), ("documents", "read")}
    assert identity.actor_from_claims({**app, "scope": "openid"}).scopes == frozenset()  # no resource scope: none
    for bad in ("patient/AuditEvent.read", "patient/Observation.x", 42, "patient/" * 500):
        with pytest.raises(Unauthenticated):
            identity.actor_from_claims({**app, "scope": bad})
