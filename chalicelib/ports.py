"""The interfaces the services depend on, when several services share them. Adapters implement them with AWS;
tests with plain Python (``tests/fakes.py``). A port only one service uses is declared in that service's module.

Nothing here imports boto3, Chalice or pydantic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Protocol

from chalicelib.domain.accounts import Account, Contact, DueKind
from chalicelib.domain.notices import Notice


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class Ids(Protocol):
    """Opaque, time-ordered identifiers (the second source of non-determinism, after the clock)."""

    def new(self, now: dt.datetime) -> str: ...


class SecretGenerator(Protocol):
    def code(self) -> str:
        """A fresh provisional code from a CSPRNG."""
        ...


class ConcurrentUpdate(Exception):
    """The entity changed since it was read: reload and decide again."""


class AlreadyExists(Exception):
    """A conditional create found the key taken."""


class ObjectGone(Exception):
    """The stored object (version) no longer exists: already moved or erased."""


class AccountRepository(Protocol):
    def get(self, nir: str) -> Account | None: ...

    def get_many(self, nirs: Iterable[str]) -> dict[str, Account]: ...

    def add(self, account: Account) -> None:
        """Create; AlreadyExists if the NIR is taken."""
        ...

    def add_with_dependant_link(self, account: Account, representative_nir: str) -> None:
        """Create a child's account and its link in the representative's partition, atomically."""
        ...

    def save(self, account: Account) -> None:
        """Write if nobody wrote since it was read (version check); ConcurrentUpdate otherwise."""
        ...

    def remove(self, account: Account) -> None:
        """Delete an account just created whose notice could not go out (version check)."""
        ...

    def dependants(self, representative_nir: str) -> list[str]: ...

    def due(self, kind: DueKind, now: dt.datetime) -> Iterator[str]:
        """NIRs of the accounts with `kind` due at or before `now` (a Query per shard of the sparse index)."""
        ...

    def erase(self, nir: str) -> int:
        """Delete the person's whole partition (account last). Returns the number of items deleted."""
        ...


class Notifier(Protocol):
    def send(self, notice: Notice, contact: Contact) -> str:
        """Send through the contact's channel; returns the channel used."""
        ...


class StoredObject(Protocol):
    """What the checks read of a stored object: its metadata and first bytes (never the whole file)."""

    @property
    def key(self) -> str: ...
    @property
    def version_id(self) -> str | None: ...
    @property
    def size(self) -> int: ...
    @property
    def content_type(self) -> str: ...
    @property
    def metadata(self) -> dict[str, str]: ...
    @property
    def head(self) -> bytes: ...
    @property
    def last_modified(self) -> dt.datetime | None: ...
    @property
    def etag(self) -> str: ...
    @property
    def sha1(self) -> str | None:
        """The base64 SHA-1 of the whole object, when asked for (``digest``)."""
        ...


class ObjectStore(Protocol):
    """Objects on S3: bytes never pass through Lambda (presigned URLs, server-side copies, ranged reads)."""

    def presign_put(self, bucket: str, key: str, content_type: str, size: int,
                    sha1: str | None = None) -> tuple[str, dict[str, str]]:
        """A presigned PUT of exactly this type and size (and, given ``sha1``, checked by S3 against it)."""
        ...
    def presign_get(self, bucket: str, key: str, version_id: str | None, content_type: str, filename: str) -> str: ...
    def put(self, bucket: str, key: str, content: bytes, content_type: str, sha1: str) -> str | None:
        """Write small bytes (a FHIR request's inline document), checked by S3 against ``sha1``; the version id."""
        ...
    def read_head(self, bucket: str, key: str, version_id: str | None, digest: bool = False) -> StoredObject:
        """Metadata and the first bytes (``domain.documents.SNIFF_BYTES``); ObjectGone when it is not there. With
        ``digest``, the whole object's SHA-1 too, from the same single read streamed in chunks."""
        ...
    def copy(self, source_bucket: str, source_key: str, version_id: str | None, bucket: str,
             key: str) -> str | None: ...
    def stream(self, bucket: str, key: str, version_id: str | None) -> Iterator[bytes]:
        """The object's bytes, chunk by chunk (never whole in memory): what an export copies into its ZIP."""
        ...
    def copy_with_sha1(self, source_bucket: str, source_key: str, version_id: str | None, bucket: str,
                       key: str) -> tuple[str | None, str | None]:
        """A server-side copy whose SHA-1 S3 computes: (version id, base64 SHA-1)."""
        ...
    def delete_version(self, bucket: str, key: str, version_id: str | None) -> None: ...
    def erase(self, bucket: str, prefix: str) -> int: ...


class ArchiveEraser(Protocol):
    """A capability that keeps a person's data: erases all of it when their archive expires (CONTRACT §4)."""

    def erase(self, ins: str) -> int: ...


class SpaceListener(Protocol):
    """A capability that prepares something when a space opens (reminders are scheduled)."""

    def space_opened(self, ins: str, birth_date: dt.date, now: dt.datetime) -> None: ...
