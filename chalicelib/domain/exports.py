"""A data export (portability, GDPR art. 20; CONTRACT §10): one ZIP of everything a person may see of a space.

    running ──the last unit completes the ZIP──▶ ready ──EXPORT_VALIDITY later──▶ expired (the file is erased)
       └──a unit fails for good, or the decision now refuses the requester──▶ failed

What the ZIP holds, in order (:data:`SECTIONS`): a note in French on what is where, the data as JSON (the API's own
shapes), the same data as one FHIR R4 ``collection`` Bundle, then every document's file. It is built by units on a
queue; a unit near its time limit stops at a member's boundary, saves a checkpoint and hands over to the next unit
(``services/exports.py``), so an export of any size finishes, a few minutes of work at a time.
Pure: no AWS, no Chalice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.identity import Party
from chalicelib.errors import Conflict

EXPORT_VALIDITY = dt.timedelta(days=2)  # a ready export can be downloaded this long; then it is erased
RUNNING_AT_MOST = dt.timedelta(hours=24)  # an export still running after this is failed (its units died)
RECORD_KEPT = dt.timedelta(days=30)  # the export's record (no health data) outlives its file, then expires (TTL)
UNIT_LEASE = dt.timedelta(minutes=16)  # a unit holds its export this long (> the worker's 15-minute time limit)

#: The members of the ZIP, in order. Each but "documents" is one file; "documents" is one file per document.
SECTIONS: tuple[str, ...] = ("readme", "identity", "profile", "vaccinations", "measurements", "appointments",
                             "conversations", "reimbursements", "consents", "access_log", "documents_index", "fhir",
                             "documents")
#: The ZIP's name of each single-file section.
FILES: dict[str, str] = {
    "readme": "LISEZMOI.txt",
    "identity": "donnees/identite.json",
    "profile": "donnees/profil-medical.json",
    "vaccinations": "donnees/vaccinations.json",
    "measurements": "donnees/mesures.json",
    "appointments": "donnees/rendez-vous.json",
    "conversations": "donnees/messagerie.json",
    "reimbursements": "donnees/remboursements.json",
    "consents": "donnees/consentements-applications.json",
    "access_log": "donnees/historique-des-acces.json",
    "documents_index": "donnees/documents.json",
    "fhir": "fhir/bundle-collection.json",
}
DOCUMENTS_FOLDER = "documents/"


def document_path(document_id: str, created_at: dt.datetime, filename: str) -> str:
    """A document's file in the ZIP: dated, unique (the id's end), named after its title."""
    return f"{DOCUMENTS_FOLDER}{created_at:%Y-%m-%d}-{document_id[-8:]}-{filename}"


@dataclass
class Export:
    export_id: str
    ins: str
    requested_by: Party  # the patient, or the legal representative who asked
    requested_at: dt.datetime
    status: str = "running"  # running | ready | failed
    ready_at: dt.datetime | None = None
    size: int | None = None
    failure: str | None = None
    units: int = 0  # how many units have worked on it (each after a checkpoint)
    claimed_until: dt.datetime | None = None  # a unit is building it until then: a duplicate delivery waits
    version: int = 0

    @property
    def expires_at(self) -> dt.datetime | None:
        """When a ready export's file stops being downloadable (and is erased)."""
        return self.ready_at + EXPORT_VALIDITY if self.ready_at else None

    @property
    def record_expires_at(self) -> dt.datetime:
        """When the record itself may go (DynamoDB TTL): well after its file."""
        return (self.ready_at or self.requested_at) + EXPORT_VALIDITY + RECORD_KEPT

    @property
    def filename(self) -> str:
        return f"export-espace-sante-{self.requested_at:%Y-%m-%d}.zip"

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def stale(self, now: dt.datetime) -> bool:
        """Running far longer than any export takes: its units died (the queue dead-lettered them)."""
        return self.status == "running" and now - self.requested_at > RUNNING_AT_MOST

    # -- rules --------------------------------------------------------------------------------------------------
    def claim(self, now: dt.datetime) -> bool:
        """A unit takes the export, unless another holds it (SQS may deliver a message twice)."""
        if self.status != "running" or (self.claimed_until is not None and now < self.claimed_until):
            return False
        self.claimed_until = now + UNIT_LEASE
        return True

    def complete(self, now: dt.datetime, size: int) -> None:
        if self.status != "running":
            raise Conflict("This export is no longer being built.", code="not_running")
        self.status, self.ready_at, self.size, self.claimed_until = "ready", now, size, None

    def fail(self, reason: str) -> None:
        if self.status == "running":
            self.status, self.failure = "failed", reason
