"""The one versioned update of ens: read → decide → write only if nobody wrote in between, else all again.

Every entity that actors race on (an account, a document, a conversation's status, a catalogue app) is saved by a
conditional write on the version it was read at; the repository raises :class:`~chalicelib.ports.ConcurrentUpdate`
when someone else wrote first. :func:`retrying` runs one such step again, deciding afresh on what is now stored,
at most :data:`MAX_ATTEMPTS` times; when others keep winning, nothing was changed and the answer is one and the
same everywhere: :class:`~chalicelib.errors.Busy` (503 ``busy``, "try again").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.errors import Busy
from chalicelib.ports import ConcurrentUpdate

T = TypeVar("T")
MAX_ATTEMPTS = 5


def retrying(step: Callable[[], T], what: str) -> T:
    """Run ``step`` (which reads, decides and writes conditionally) until it is not overtaken by another writer.

    ``what`` names the thing in the answer when the attempts run out ("the account", "the document"...).
    """
    for _ in range(MAX_ATTEMPTS):
        try:
            return step()
        except ConcurrentUpdate:
            continue
    raise Busy(f"{what[:1].upper()}{what[1:]} is being changed by another request at the same time; nothing was "
               "changed: try again.")
