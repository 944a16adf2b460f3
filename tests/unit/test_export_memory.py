"""The data export in bounded memory (CONTRACT §10): a space of 1,000 documents of 5 MB (5 GB) is exported through
the real archive (zipstream-ng into a multipart upload) while the memory it allocates is measured: at its peak it
holds a few parts' worth of bytes, never a document, never the archive.

The S3 client is a recorder that keeps each part's size and CRC (not its bytes) and the last part (the ZIP's
directory), so the test holds no more than the code under test; the documents' bytes are generated as they are read.
"""

from __future__ import annotations

import datetime as dt
import struct
import tracemalloc
import zlib
from typing import Any

import fakes
from test_services import NOW, World

from chalicelib.adapters.export_archive import PART_SIZE, S3Archives
from chalicelib.adapters.export_render import ExportRenderer
from chalicelib.domain.documents import Author, Document, Status
from chalicelib.services.exports import ExportService, SpaceServices

MIB = 1024 * 1024
DOCUMENTS = 1_000
DOCUMENT_SIZE = 5 * MIB
CHUNK = bytes(range(256)) * (MIB // 256)  # one MiB, yielded again and again: the generator allocates nothing


class SyntheticStore(fakes.FakeStore):
    """Every document's object is DOCUMENT_SIZE bytes, produced one MiB at a time as the export reads it."""

    def stream(self, bucket: str, key: str, version_id: str | None):
        for _ in range(DOCUMENT_SIZE // MIB):
            yield CHUNK


class RecordingS3:
    """The S3 calls of an archive: parts counted, not kept (but the last one, which holds the ZIP's directory)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.parts: list[tuple[int, int]] = []  # (size, crc32)
        self.last = b""
        self.completed: list[dict[str, Any]] = []

    def create_multipart_upload(self, **kwargs: Any) -> dict[str, str]:
        return {"UploadId": "upload-1"}

    def upload_part(self, Body: bytes, PartNumber: int, **kwargs: Any) -> dict[str, str]:
        del self.parts[PartNumber - 1:]
        self.parts.append((len(Body), zlib.crc32(Body)))
        self.last = Body
        return {"ETag": f'"{PartNumber}"'}

    def complete_multipart_upload(self, MultipartUpload: dict[str, Any], **kwargs: Any) -> None:
        self.completed.append(MultipartUpload)

    def put_object(self, Key: str, Body: bytes, **kwargs: Any) -> None:
        self.objects[Key] = Body

    def get_object(self, Key: str, **kwargs: Any) -> dict[str, Any]:
        if Key not in self.objects:
            raise Missing()
        return {"Body": Reader(self.objects[Key])}

    def delete_object(self, Key: str, **kwargs: Any) -> None:
        self.objects.pop(Key, None)

    def abort_multipart_upload(self, **kwargs: Any) -> None:
        raise AssertionError("a completed export is never aborted")


class Missing(Exception):
    def __init__(self) -> None:
        super().__init__("NoSuchKey")
        self.response = {"Error": {"Code": "NoSuchKey"}}


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


class Queue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, logical: str, bodies: Any, delay_seconds: int = 0) -> None:
        self.sent += list(bodies)


class Unlimited:
    def low(self) -> bool:
        return False


def large_space(world: World) -> str:
    patient = world.patient()
    for n in range(DOCUMENTS):
        world.documents.add(Document(
            document_id=f"{n:028x}", ins=patient.ins, title=f"Compte rendu {n}", type_code="11488-4",
            category="CPT_REND", content_type="application/pdf", size=DOCUMENT_SIZE,
            author=Author("patient", patient.ins), created_at=NOW - dt.timedelta(days=1), status=Status.AVAILABLE,
            object_version="v1"))
    return patient.ins


def test_a_space_of_a_thousand_5_mb_documents_exports_in_bounded_memory():
    world = World(store=SyntheticStore())
    ins = large_space(world)
    s3, queue, exports = RecordingS3(), Queue(), fakes.FakeExports()
    service = ExportService(
        exports, S3Archives(lambda _: s3, "exports-bucket", "exports/", 300), queue, world.store, ExportRenderer(),
        world.accounts, world.access, world.messenger, world.clock, world.ids, "docs",
        services=lambda: SpaceServices(world.records, world.care, world.agenda, world.messaging,
                                       world.reimbursements, world.catalogue, world.sharing))
    from chalicelib.domain.identity import Actor

    export = service.request(Actor("patient", ins=ins), ins)
    [message] = queue.sent

    tracemalloc.start()
    try:
        report = service.run(message, Unlimited(), last_attempt=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert report.outcome == "ready"
    total = sum(size for size, _ in s3.parts)
    assert total > DOCUMENTS * DOCUMENT_SIZE  # every document's bytes went into the archive...
    assert peak < 6 * PART_SIZE, f"{peak / MIB:.0f} MiB at the peak for {total / MIB:.0f} MiB exported"  # ...in parts
    assert exports.get(ins, export.export_id).size == total
    assert len(s3.completed[0]["Parts"]) == len(s3.parts) < 10_000  # within S3's limit on parts
    # the ZIP's end (zip64: more than 4 GiB): its directory names every member
    end = s3.last.rindex(b"PK\x06\x06")
    members = struct.unpack_from("<Q", s3.last, end + 32)[0]
    assert members == DOCUMENTS + 12  # the note, ten JSON files and the FHIR Bundle
