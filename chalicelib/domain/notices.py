"""What ens tells people, how it reaches them, and which notices a person may switch off.

A notice never carries medical content: no document title, no document type, no message body, no diagnosis.
Its `data` holds only what the person needs to act (a provisional code, a deadline, an opaque id).
Channel: email when the insurer has an address, else SMS, else a postal letter (R1111-28).

**One place decides what may be switched off** (:data:`GOVERNED_BY`): every kind of notice is governed either by one
of the five preferences a person sets (``GET|PUT /me/notification-preferences``: messages, documents, appointments,
synchronised services, prevention — the official app's five switches), or is :data:`REQUIRED`: a notice the law
or the person's own rights require, which always goes (the enrolment notice and its 6-week opt-out window,
R1111-28; provisional codes; the space's creation; an emergency access to the record, L1111-17; a carer's
invitation; the answer to a portability request, GDPR art. 12(3)). Senders never decide it themselves: the
messenger (``services/notices.py``) asks :func:`allowed` for every notice.

What was sent is also kept in the space's notification centre (:class:`Notification`), without what must never be
kept in clear (:data:`SECRET_DATA`: a provisional code is stored only as a keyed hash).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

from chalicelib.domain.accounts import Contact

Channel = Literal["email", "sms", "postal"]

SERVICE = "Mon Espace Santé"

# kind -> (subject, text). Texts are formatted with the notice's data and nothing else.
TEMPLATES: dict[str, tuple[str, str]] = {
    "enrolment_notice": (
        "Votre espace santé va être créé",
        "Bonjour,\nVotre espace santé personnel va être créé. Si vous ne le souhaitez pas, vous pouvez vous y "
        "opposer avant le {opt_out_deadline} en ligne ou par téléphone au 3422.\nPour l'activer dès maintenant, "
        "utilisez votre code provisoire : {code} (valable 42 jours), avec votre numéro de sécurité sociale et le "
        "numéro de série de votre carte Vitale.",
    ),
    "activation_code": (
        "Votre nouveau code provisoire",
        "Bonjour,\nVoici votre nouveau code provisoire : {code}. Il est valable jusqu'au {expires_at}. "
        "Le code précédent ne fonctionne plus.",
    ),
    "space_created": (
        "Votre espace santé est créé",
        "Bonjour,\nVotre espace santé a été créé. Vous pouvez l'activer avec votre carte Vitale pour le consulter "
        "et choisir qui peut y accéder.",
    ),
    "document_added": (
        "Un nouveau document dans votre espace santé",
        "Bonjour,\nUn nouveau document a été ajouté à votre espace santé. Connectez-vous pour le consulter.",
    ),
    "emergency_access": (
        "Accès en urgence à votre espace santé",
        "Bonjour,\nUn professionnel de santé a accédé à votre dossier en urgence le {at}. "
        "Retrouvez le détail dans l'historique des accès de votre espace santé.",
    ),
    "new_message": (
        "Nouveau message dans votre espace santé",
        "Bonjour,\nVous avez reçu un nouveau message d'un professionnel de santé. Connectez-vous pour le lire.",
    ),
    "reminder": (
        "Un rappel dans votre espace santé",
        "Bonjour,\nUn rappel de prévention vous attend dans votre espace santé. Connectez-vous pour le consulter.",
    ),
    "appointment_reminder": (
        "Rappel de rendez-vous",
        "Bonjour,\nVous avez un rendez-vous le {when} (heure de Paris). Retrouvez-le dans l'agenda de votre espace "
        "santé.",
    ),
    "export_ready": (
        "Vos données sont prêtes à être téléchargées",
        "Bonjour,\nL'export de vos données que vous avez demandé est prêt. Téléchargez-le depuis votre espace santé "
        "avant le {expires_at} : il sera ensuite effacé.",
    ),
    # family (CONTRACT §10): no name and no health information, only what the person needs to act
    "carer_invitation": (
        "Une invitation à devenir aidant",
        "Bonjour,\nUne personne vous invite à devenir son aidant dans Mon Espace Santé. Connectez-vous à votre "
        "espace santé pour accepter ou refuser cette invitation avant le {expires_at}.",
    ),
    "representative_invitation": (
        "Une invitation à gérer l'espace santé d'un enfant",
        "Bonjour,\nLe représentant légal d'un enfant vous invite à gérer avec lui l'espace santé de cet enfant. "
        "Connectez-vous à votre espace santé pour accepter ou refuser cette invitation avant le {expires_at}.",
    ),
    "carer_revoked": (
        "Vous n'êtes plus aidant",
        "Bonjour,\nVous n'êtes plus l'aidant d'une personne dans Mon Espace Santé : vous n'avez plus accès à son "
        "espace santé. Retrouvez les personnes que vous aidez dans votre espace.",
    ),
    "space_of_age": (
        "Votre espace santé est désormais le vôtre",
        "Bonjour,\nVous avez 18 ans : vos représentants légaux n'ont plus accès à votre espace santé. Connectez-vous "
        "pour le prendre en main, choisir qui peut y accéder et approuver à nouveau les services que vos parents "
        "avaient autorisés.",
    ),
}

Preference = Literal["message", "document", "appointment", "synchronised_service", "prevention"]
PREFERENCES: tuple[Preference, ...] = ("message", "document", "appointment", "synchronised_service", "prevention")
REQUIRED = "required"  # the law (or the person's own request) requires it: always sent

#: What governs each kind of notice: one of the five preferences, or REQUIRED. Every kind of TEMPLATES is here (a
#: unit test holds it), and so are the kinds other capabilities send (carer invitations).
GOVERNED_BY: dict[str, str] = {
    "enrolment_notice": REQUIRED,  # R1111-28: the notice opens the 6-week opt-out window
    "activation_code": REQUIRED,
    "space_created": REQUIRED,  # R1111-28
    "emergency_access": REQUIRED,  # L1111-17: the patient is told of every emergency access
    "carer_invitation": REQUIRED,  # an invitation to act in someone's space must reach the person
    "representative_invitation": REQUIRED,  # the same, for a child's second legal representative
    "carer_revoked": REQUIRED,  # an access that ends at once: the former carer must know
    "space_of_age": REQUIRED,  # at 18 the young adult takes over the space (CONTRACT §10)
    "export_ready": REQUIRED,  # GDPR art. 12(3): the person is told what was done with their request
    "document_added": "document",
    "new_message": "message",
    "appointment_reminder": "appointment",
    "reminder": "prevention",
}
#: Who caused a notice can change what governs it: a document a synchronised service (a catalogue app) added is
#: that service's doing, governed by the "synchronised services" switch.
GOVERNED_BY_ORIGIN: dict[tuple[str, str], str] = {("document_added", "app"): "synchronised_service"}

#: Data a notice carries for its recipient alone and that is never kept (the centre keeps the rest).
SECRET_DATA = frozenset({"code"})


def governing(kind: str, origin: str | None = None) -> str:
    """The preference that governs ``kind`` (caused by a caller of role ``origin``), or REQUIRED."""
    if origin is not None and (kind, origin) in GOVERNED_BY_ORIGIN:
        return GOVERNED_BY_ORIGIN[(kind, origin)]
    return GOVERNED_BY.get(kind, REQUIRED)


@dataclass(frozen=True)
class NotificationPreferences:
    """The five switches; a person who never set them gets everything (default true)."""

    message: bool = True
    document: bool = True
    appointment: bool = True
    synchronised_service: bool = True
    prevention: bool = True
    updated_at: dt.datetime | None = None

    def allows(self, kind: str, origin: str | None = None) -> bool:
        """May a notice of ``kind`` go to this person? Always for a REQUIRED kind."""
        governed = governing(kind, origin)
        return governed == REQUIRED or bool(getattr(self, governed))

    @property
    def required(self) -> list[str]:
        """The kinds that always go, whatever the switches."""
        return sorted(kind for kind, governed in GOVERNED_BY.items() if governed == REQUIRED)

    def with_values(self, values: dict[str, bool], now: dt.datetime) -> NotificationPreferences:
        return replace(self, **{k: v for k, v in values.items() if k in PREFERENCES}, updated_at=now)


@dataclass(frozen=True)
class Notification:
    """A notice as the notification centre keeps it: what was sent about a space (``ins``), when, through which
    channel, with its data but the secrets. ``read_by``: the people (NIRs) who marked it read — each person who
    manages the space has a read state of their own."""

    notification_id: str
    ins: str
    kind: str
    at: dt.datetime
    channel: str
    data: dict[str, str] = field(default_factory=dict)
    read_by: frozenset[str] = frozenset()

    @property
    def subject(self) -> str:
        return TEMPLATES[self.kind][0] if self.kind in TEMPLATES else self.kind

    def read_for(self, reader: str) -> bool:
        return reader in self.read_by

    @staticmethod
    def kept(data: dict[str, str]) -> dict[str, str]:
        """The data the centre keeps: everything but the secrets."""
        return {k: v for k, v in data.items() if k not in SECRET_DATA}


@dataclass(frozen=True)
class Notice:
    kind: str
    to: str  # the NIR of the person it concerns (a child's notice reaches their legal representative's contact)
    data: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in TEMPLATES:
            raise ValueError(f"unknown notice kind {self.kind!r}")

    def render(self) -> tuple[str, str]:
        subject, text = TEMPLATES[self.kind]
        return f"{SERVICE} : {subject}", text.format(**self.data) if self.data else text


def channel_for(contact: Contact) -> Channel | None:
    """Email, else SMS, else post; None when there is no way to reach the person."""
    if contact.email:
        return "email"
    if contact.phone:
        return "sms"
    if contact.postal_address:
        return "postal"
    return None
