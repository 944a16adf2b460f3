"""Secure messaging's model: participants, conversations, messages, attachments, and their rules.

Who may do what in a conversation (only professionals and establishments start one; the two participants alone see
it; both write while it is open, the patient only replying; the starter closes and may reopen it) is decided by
the one access decision (``domain/access.py``) from these entities. Pure: no AWS, no Chalice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain import identity
from chalicelib.domain.documents import safe_filename

OPEN, CLOSED = "open", "closed"
PENDING, AVAILABLE, REJECTED = "pending", "available", "rejected"
STARTERS = ("professional", "establishment")
PARTICIPANT_ROLES = ("patient", *STARTERS)
ID = re.compile(r"^[0-9a-f]{28}$")  # chalicelib.adapters.system.new_id
ATTACHMENT_KEY = re.compile(r"^attachments/([0-9a-f]{28})/([0-9a-f]{28})$")


# -- the model --------------------------------------------------------------------------------------------------
Party = identity.Party  # a participant: the patient (``patient#{ins}``), or the professional or establishment


@dataclass
class Conversation:
    conversation_id: str
    patient_ins: str
    starter: Party
    subject: str
    created_at: dt.datetime
    last_message_at: dt.datetime
    status: str = OPEN
    message_count: int = 1
    closed_at: dt.datetime | None = None

    @property
    def patient(self) -> Party:
        return Party("patient", self.patient_ins)

    @property
    def parties(self) -> tuple[Party, Party]:
        return self.starter, self.patient

    def has(self, actor: identity.Actor) -> bool:
        return any(p.is_(actor) for p in self.parties)


@dataclass
class Attachment:
    attachment_id: str
    conversation_id: str
    message_id: str
    kind: str  # document (of the patient's record) | upload (a new file)
    sender: Party
    created_at: dt.datetime
    document_id: str | None = None  # kind document
    title: str | None = None  # kind upload (a record document's title is read, with the decision, when asked)
    content_type: str | None = None
    size: int | None = None
    status: str | None = None  # kind upload: pending → available | rejected
    object_version: str | None = None
    rejection: str | None = None
    available_at: dt.datetime | None = None
    filed_document_id: str | None = None
    filed_at: dt.datetime | None = None

    @property
    def object_key(self) -> str:
        return f"attachments/{self.conversation_id}/{self.attachment_id}"

    @property
    def filename(self) -> str:
        return safe_filename(self.title or "", self.content_type or "", "piece-jointe")

    def ref(self) -> dict[str, Any]:
        """How a message names it (no title for a record document: the reader may not be allowed to see it)."""
        if self.kind == "document":
            return {"attachment_id": self.attachment_id, "kind": "document", "document_id": self.document_id}
        return {"attachment_id": self.attachment_id, "kind": "upload", "title": self.title,
                "content_type": self.content_type, "size": self.size, "status": self.status}


@dataclass
class Message:
    message_id: str
    conversation_id: str
    sender: Party
    body: str
    sent_at: dt.datetime
    attachments: list[dict[str, Any]] = field(default_factory=list)  # Attachment.ref() at sending time
