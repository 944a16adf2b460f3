"""Documents on DynamoDB: partition ``PAT#{ins}`` (the patient's records partition, which the care, agenda and
reimbursement repositories share, each with keys of its own), items ``DOC#{document_id}`` (ids are time-ordered,
so a reverse Query lists newest first) and ``INBOX#{fingerprint}`` (the marker of an inbox file already ingested).
The ``by_document`` index finds a document from its id alone (S3 events carry only the object key). Saves are
versioned conditional writes; a replacement and the document it supersedes change in one transaction. This
repository owns these keys, and erases exactly them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from chalicelib.adapters.dynamo import Table, dump, is_conditional_failure, load, values
from chalicelib.domain.documents import Author, Document, Status
from chalicelib.domain.results import Page
from chalicelib.domain.timeutil import iso_ms, parse
from chalicelib.ports import AlreadyExists, ConcurrentUpdate

DOCUMENT, INBOX_MARKER = "DOC#", "INBOX#"
# What a count reads of each document: what the access decision and the FHIR search filters look at, no more.
COUNTED = {"#pk": "pk", "#sk": "sk", "#id": "document_id", "#ins": "ins", "#author": "author", "#type": "type_code",
           "#category": "category", "#status": "status", "#masked": "masked", "#hidden": "hidden_from_patient",
           "#secret": "hidden_from_representatives", "#created": "created_at", "#deleted": "deleted_at"}


def patient_pk(ins: str) -> str:
    return f"PAT#{ins}"


def doc_sk(document_id: str) -> str:
    return f"{DOCUMENT}{document_id}"


def _t(value: dt.datetime | None) -> str | None:
    return iso_ms(value) if value else None


def to_item(doc: Document) -> dict[str, Any]:
    return {
        "pk": patient_pk(doc.ins), "sk": doc_sk(doc.document_id), "doc_key": doc.document_id,
        "document_id": doc.document_id, "ins": doc.ins, "title": doc.title, "type_code": doc.type_code,
        "category": doc.category, "content_type": doc.content_type, "size": doc.size,
        "author": doc.author.as_dict(), "created_at": _t(doc.created_at), "status": doc.status.value,
        "source": doc.source, "masked": doc.masked or None, "hidden_from_patient": doc.hidden_from_patient or None,
        "hidden_from_representatives": doc.hidden_from_representatives or None,
        "replaces": doc.replaces, "superseded_by": doc.superseded_by, "deleted_at": _t(doc.deleted_at),
        "deleted_by": doc.deleted_by, "object_version": doc.object_version, "rejection": doc.rejection,
        "available_at": _t(doc.available_at), "sha1": doc.sha1, "version": doc.version, "extra": doc.extra or None,
    }


def counted_from(item: dict[str, Any]) -> Document:
    """A document read for a count: the projected attributes only (no title, format or size: nothing that a
    count's ``accept`` reads)."""
    return from_item({"title": "", "content_type": "", "size": 0, **item})


def from_item(item: dict[str, Any]) -> Document:
    author = item["author"]
    return Document(
        document_id=item["document_id"], ins=item["ins"], title=item["title"], type_code=item["type_code"],
        category=item["category"], content_type=item["content_type"], size=int(item["size"]),
        author=Author(author["role"], author["id"], author.get("profession"), author.get("rpps")),
        created_at=parse(item["created_at"]), status=Status(item["status"]), source=item.get("source", "upload"),
        masked=bool(item.get("masked")), hidden_from_patient=bool(item.get("hidden_from_patient")),
        hidden_from_representatives=bool(item.get("hidden_from_representatives")),
        replaces=item.get("replaces"), superseded_by=item.get("superseded_by"),
        deleted_at=parse(item["deleted_at"]) if item.get("deleted_at") else None,
        deleted_by=item.get("deleted_by"), object_version=item.get("object_version"),
        rejection=item.get("rejection"),
        available_at=parse(item["available_at"]) if item.get("available_at") else None, sha1=item.get("sha1"),
        version=int(item.get("version", 0)), extra=item.get("extra") or {},
    )


class DynamoDocuments:
    def __init__(self, client: Any, table_name: str) -> None:
        self.table = Table(client, table_name)

    def add(self, doc: Document) -> None:
        doc.version = 1
        try:
            self.table.put(to_item(doc), condition="attribute_not_exists(pk)")
        except Exception as error:
            doc.version = 0
            if is_conditional_failure(error):
                raise AlreadyExists(doc.document_id) from error
            raise

    def add_once(self, doc: Document, fingerprint: str) -> bool:
        """Create ``doc`` unless a document with this fingerprint (bucket, key and content of an inbox file)
        exists: a marker item and the document are written in one transaction. False for a repeat."""
        doc.version = 1
        marker = {"pk": patient_pk(doc.ins), "sk": f"{INBOX_MARKER}{fingerprint}", "document_id": doc.document_id}
        try:
            self.table.client.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.table.name, "Item": dump(marker),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": self.table.name, "Item": dump(to_item(doc)),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
            return True
        except Exception as error:
            doc.version = 0
            if is_conditional_failure(error):
                return False
            raise

    def seen(self, ins: str, fingerprint: str) -> str | None:
        marker = self.table.get(patient_pk(ins), f"{INBOX_MARKER}{fingerprint}")
        return marker["document_id"] if marker else None

    def get(self, ins: str, document_id: str) -> Document | None:
        item = self.table.get(patient_pk(ins), doc_sk(document_id))
        return from_item(item) if item else None

    def find(self, document_id: str) -> Document | None:
        """From the id alone (an S3 event): the index, then a consistent read of the item."""
        items, _ = self.table.query(document_id, index="by_document", pk_name="doc_key", limit=1)
        if not items:
            return None
        return self.get(items[0]["ins"], document_id)

    def _put_versioned(self, doc: Document) -> dict[str, Any]:
        expected = doc.version
        doc.version += 1
        return {"Put": {"TableName": self.table.name, "Item": dump(to_item(doc)),
                        "ConditionExpression": "version = :v", "ExpressionAttributeValues": values(v=expected)}}

    def save(self, *docs: Document) -> None:
        """Write one or several documents, each only if unchanged since read (one transaction)."""
        before = [d.version for d in docs]
        try:
            operations = [self._put_versioned(d) for d in docs]
            if len(operations) == 1:
                put = operations[0]["Put"]
                self.table.client.put_item(**put)
            else:
                self.table.client.transact_write_items(TransactItems=operations)
        except Exception as error:
            for doc, version in zip(docs, before, strict=True):
                doc.version = version
            if is_conditional_failure(error):
                raise ConcurrentUpdate(",".join(d.document_id for d in docs)) from error
            raise

    def page(self, ins: str, limit: int, cursor: str | None, accept: Callable[[Document], bool],
             category: str | None = None, type_code: str | None = None) -> Page[Document]:
        """Newest first, without deleted documents, with optional filters; ``accept`` applies the access rules."""
        conditions = ["attribute_not_exists(deleted_at)"]
        filter_values: dict[str, Any] = {}
        if category:
            conditions.append("category = :category")
            filter_values.update(values(category=category))
        if type_code:
            conditions.append("type_code = :type_code")
            filter_values.update(values(type_code=type_code))
        items, next_cursor = self.table.page(
            patient_pk(ins), limit, cursor, sk_prefix=DOCUMENT, filter_expression=" AND ".join(conditions),
            filter_values=filter_values, accept=lambda item: accept(from_item(item)))
        return Page([from_item(i) for i in items], next_cursor)

    def add_all(self, docs: Sequence[Document], superseded: Sequence[Document] = ()) -> None:
        """Create ``docs`` and save ``superseded`` (each only if unchanged since read) in one transaction: all of
        them or none (a FHIR Provide Document Bundle). ConcurrentUpdate when any condition fails."""
        operations = []
        for doc in docs:
            doc.version = 1
            operations.append({"Put": {"TableName": self.table.name, "Item": dump(to_item(doc)),
                                       "ConditionExpression": "attribute_not_exists(pk)"}})
        before = [d.version for d in superseded]
        operations += [self._put_versioned(d) for d in superseded]
        try:
            self.table.client.transact_write_items(TransactItems=operations)
        except Exception as error:
            for doc in docs:
                doc.version = 0
            for doc, version in zip(superseded, before, strict=True):
                doc.version = version
            if is_conditional_failure(error):
                raise ConcurrentUpdate(",".join(d.document_id for d in [*docs, *superseded])) from error
            raise

    def count(self, ins: str, accept: Callable[[Document], bool]) -> int:
        """How many of the patient's documents (deleted ones left out) pass ``accept``, reading only the attributes
        of :data:`COUNTED`: one Query per megabyte of the patient's documents (DynamoDB reads up to 1 MB a page)."""
        found, start = 0, None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table.name, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
                "FilterExpression": "attribute_not_exists(deleted_at)", "ProjectionExpression": ", ".join(COUNTED),
                "ExpressionAttributeNames": COUNTED,
                "ExpressionAttributeValues": values(pk=patient_pk(ins), prefix=DOCUMENT)}
            if start:
                kwargs["ExclusiveStartKey"] = start
            answer = self.table.client.query(**kwargs)
            found += sum(1 for raw in answer.get("Items", []) if accept(counted_from(load(raw))))
            start = answer.get("LastEvaluatedKey")
            if not start:
                return found

    def all_for(self, ins: str) -> list[Document]:
        """Every document of a patient, deleted and superseded included (the archive)."""
        return [from_item(i) for i in self.table.query_all(patient_pk(ins), sk_prefix=DOCUMENT, consistent=True)]

    def erase(self, ins: str) -> int:
        """The patient's documents and inbox markers (the rest of the partition is other repositories')."""
        return self.table.erase_prefixes(patient_pk(ins), (DOCUMENT, INBOX_MARKER))
