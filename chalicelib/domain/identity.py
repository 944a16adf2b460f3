"""Who is calling, and the national identifiers they carry.

NIR / INS (social-security number, also the national health identifier here), RPPS (health professionals) and
FINESS (establishments) are validated with python-stdnum, plus the rules of the French registry that the library
leaves to its callers (sex digit, month, Corsica's 2A/2B only for births from 1976).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.domain.smart import scope_claim
from chalicelib.errors import InvalidInput, Unauthenticated

ROLES: tuple[str, ...] = ("patient", "professional", "establishment", "agent", "app")
PROFESSIONS: tuple[str, ...] = (
    "medecin",
    "pharmacien",
    "infirmier",
    "chirurgien-dentiste",
    "sage-femme",
    "masseur-kinesitherapeute",
)

# Registry format (DOMAIN.md): sex 1|2, year, month 01-12, département (2A/2B for Corsica), commune, order, key.
_NIR_SHAPE = re.compile(r"^[12]\d{2}(0[1-9]|1[0-2])(2[AB]|\d{2})\d{6}\d{2}$")
CORSICA_SPLIT_YEAR = 1976  # Corsica became 2A/2B on 1 January 1976; before, it was 20


def nir_problem(value: object) -> str | None:
    """Why ``value`` is not a valid NIR, or None. The reason never repeats the number."""
    from stdnum import exceptions
    from stdnum.fr import nir

    if not isinstance(value, str):
        return "must be a string of 15 characters"
    compact = value.replace(" ", "").upper()
    if len(compact) != 15:
        return "must have 15 characters"
    if not _NIR_SHAPE.match(compact):
        return "must be sex (1 or 2), year, month (01-12), département (2A/2B for Corsica), commune, order and key"
    try:
        nir.validate(compact)
    except exceptions.InvalidChecksum:
        return "has a control key that does not match the number"
    except exceptions.ValidationError:
        return "is not a valid social-security number"
    return None


def normalise_nir(value: str) -> str:
    return value.replace(" ", "").upper()


def check_nir(value: object, field: str = "nir") -> str:
    """The normalised NIR, or InvalidInput naming ``field``."""
    problem = nir_problem(value)
    if problem:
        raise InvalidInput(f"The field '{field}' {problem}.", code="invalid_nir", field=field)
    return normalise_nir(str(value))


def nir_birth_problem(nir: str, birth_date: dt.date) -> str | None:
    """Why a (valid) NIR does not agree with a birth date, or None."""
    if int(nir[1:3]) != birth_date.year % 100:
        return "its year of birth differs from birth_date"
    if int(nir[3:5]) != birth_date.month:
        return "its month of birth differs from birth_date"
    dept = nir[5:7]
    if dept in ("2A", "2B") and birth_date.year < CORSICA_SPLIT_YEAR:
        return "uses département 2A/2B, which only exist for births from 1976 (Corsica was 20 before)"
    if dept == "20" and birth_date.year >= CORSICA_SPLIT_YEAR:
        return "uses département 20, which since 1976 is written 2A or 2B"
    return None


def sex_of(nir: str) -> Literal["M", "F"]:
    return "M" if nir[0] == "1" else "F"


def luhn_valid(digits: str, length: int) -> bool:
    from stdnum import luhn

    return len(digits) == length and digits.isdigit() and luhn.is_valid(digits)


def is_rpps(value: object) -> bool:
    """RPPS: 11 digits, the last a Luhn check digit."""
    return isinstance(value, str) and luhn_valid(value, 11)


def is_finess(value: object) -> bool:
    """FINESS: 9 digits, the last a Luhn check digit."""
    return isinstance(value, str) and luhn_valid(value, 9)


@dataclass(frozen=True)
class Actor:
    """The authenticated caller, built from a verified token's claims."""

    role: str
    ins: str | None = None
    rpps: str | None = None
    profession: str | None = None
    finess: str | None = None
    app_id: str | None = None
    samu: bool = False
    # an app token's SMART scope claim, as the grants it narrows the consent to (None: no claim, the consent decides)
    scopes: frozenset[tuple[str, str]] | None = None

    @property
    def id(self) -> str:
        """The caller's identifier for logs shown to the patient (never a secret)."""
        return {
            "patient": self.ins,
            "professional": self.rpps,
            "establishment": self.finess,
            "app": self.app_id,
            "agent": "agent",
        }[self.role] or ""



@dataclass(frozen=True)
class Party:
    """Someone who did something in a space, as the patient is shown it: who wrote a message, recorded an entry,
    made an access (role, identifier and, for a professional, profession). Never a secret."""

    role: str
    id: str
    profession: str | None = None

    @property
    def key(self) -> str:
        return f"{self.role}#{self.id}"

    def as_dict(self) -> dict[str, str]:
        out = {"role": self.role, "id": self.id}
        if self.profession:
            out["profession"] = self.profession
        return out

    @classmethod
    def of(cls, actor: Actor) -> Party:
        return cls(actor.role, actor.id, actor.profession)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Party:
        return cls(str(raw["role"]), str(raw["id"]), raw.get("profession"))

    def is_(self, actor: Actor) -> bool:
        return self.role == actor.role and self.id == actor.id


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    """Build the caller from verified claims; a claim that breaks the contract makes the token invalid (401)."""
    role = claims.get("role")
    if role not in ROLES:
        raise Unauthenticated("The token has no valid 'role' claim.", code="invalid_token")
    if role == "patient":
        ins = claims.get("ins")
        if nir_problem(ins):
            raise Unauthenticated("The token's 'ins' claim is not a valid INS.", code="invalid_token")
        return Actor(role=role, ins=normalise_nir(str(ins)))
    if role == "professional":
        if not is_rpps(claims.get("rpps")):
            raise Unauthenticated("The token's 'rpps' claim must be 11 digits with a Luhn key.", code="invalid_token")
        if claims.get("profession") not in PROFESSIONS:
            raise Unauthenticated(
                "The token's 'profession' claim must be one of " + ", ".join(PROFESSIONS) + ".", code="invalid_token"
            )
        return Actor(role=role, rpps=claims["rpps"], profession=claims["profession"], samu=claims.get("samu") is True)
    if role == "establishment":
        if not is_finess(claims.get("finess")):
            raise Unauthenticated("The token's 'finess' claim must be 9 digits with a Luhn key.", code="invalid_token")
        return Actor(role=role, finess=claims["finess"])
    if role == "app":
        app_id = claims.get("app_id")
        if not isinstance(app_id, str) or not app_id or nir_problem(claims.get("ins")):
            raise Unauthenticated("An app token needs 'app_id' and a valid 'ins' claim.", code="invalid_token")
        try:
            scopes = scope_claim(claims.get("scope"))
        except InvalidInput as error:
            raise Unauthenticated(f"The token's 'scope' claim is not valid: {error.message}",
                                  code="invalid_token") from error
        return Actor(role=role, app_id=app_id, ins=normalise_nir(str(claims["ins"])), scopes=scopes)
    return Actor(role="agent")
