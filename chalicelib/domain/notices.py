"""What ens tells people, and how it reaches them.

A notice never carries medical content: no document title, no document type, no message body, no diagnosis.
Its `data` holds only what the person needs to act (a provisional code, a deadline, an opaque id).
Channel: email when the insurer has an address, else SMS, else a postal letter (R1111-28).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
