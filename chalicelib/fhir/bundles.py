"""Bundles ens answers: ``searchset`` pages (``total``, ``link`` self and next) and ``transaction-response``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.fhir.model import resource


def full_url(base: str, model: Any) -> str:
    return f"{base.rstrip('/')}/{model.get_resource_type()}/{model.id}"


def searchset(resources: list[Any], base: str, self_url: str, next_url: str | None = None,
              total: int | None = None) -> Any:
    """A page of search results. ``next_url`` comes from :meth:`chalicelib.fhir.search.Search.next_url` (a cursor,
    never an offset); ``total`` is given when known (:meth:`~chalicelib.fhir.search.Search.total`)."""
    links = [resource("BundleLink", relation="self", url=self_url)]
    if next_url:
        links.append(resource("BundleLink", relation="next", url=next_url))
    entries = [resource("BundleEntry", fullUrl=full_url(base, r), resource=r,
                        search=resource("BundleEntrySearch", mode="match")) for r in resources]
    return resource("Bundle", type="searchset", total=total, link=links, entry=entries or None)


@dataclass(frozen=True)
class EntryResult:
    """What happened to one entry of a transaction: ``status`` ("201 Created", "200 OK"), ``location``
    (``DocumentReference/{id}``), and optionally the resource created."""

    status: str
    location: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    resource: Any = None


def transaction_response(results: list[EntryResult], base: str | None = None) -> Any:
    """The answer to a transaction: one entry per request entry, in the same order (FHIR R4 §3.1.0.11.4)."""
    entries = []
    for result in results:
        url = f"{base.rstrip('/')}/{result.location}" if base and result.location else None
        entries.append(resource("BundleEntry", fullUrl=url, resource=result.resource,
                                response=resource("BundleEntryResponse", status=result.status,
                                                  location=result.location, etag=result.etag,
                                                  lastModified=result.last_modified)))
    return resource("Bundle", type="transaction-response", entry=entries)


def collection(resources: list[Any], base: str, timestamp: str | None = None) -> Any:
    """A ``collection`` Bundle (the export of CONTRACT §10)."""
    return resource("Bundle", type="collection", timestamp=timestamp,
                    entry=[resource("BundleEntry", fullUrl=full_url(base, r), resource=r) for r in resources]
                    or None)
