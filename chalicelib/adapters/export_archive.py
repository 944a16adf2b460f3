"""An export's ZIP on S3: streamed member by member into a multipart upload, in bounded memory, resumable.

    exports/{export_id}/export.zip          the ZIP (multipart upload; parts of PART_SIZE bytes or more)
    exports/{export_id}/checkpoint.json     while a unit hands over: the upload, its parts, the ZIP's state
    exports/{export_id}/checkpoint.tail     ... and the bytes produced but not yet uploaded (less than a part)

**The ZIP** is zipstream-ng's (pinned): each member is generated from an iterable of chunks — a document's bytes
come straight from its S3 object, chunk by chunk — with its CRC and sizes in a data descriptor, so nothing is
held whole; ZIP64 where sizes need it. What a ZIP needs to go on after a member is explicit in zipstream-ng: the
list of the members written (their names, CRCs, sizes, offsets) and the position. :class:`ResumableZip` saves and
restores exactly that, so a unit that stops between two members hands the archive to the next unit, which goes on
writing where it stopped (the ZIP is the same as one written in one go; a test holds it).

**Memory**: the parts' buffer (at most one part and one chunk), the chunk being read, and the directory of the
members (a few hundred bytes each) — never a document, never the archive. A part is :data:`PART_SIZE` (8 MiB) or,
for a very large space, larger, so that an export stays within S3's 10,000 parts.

This module owns these keys; the archive purge and the lifecycle rule erase them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

MIB = 1024 * 1024
PART_SIZE = 8 * MIB
MAX_PARTS = 9_000  # S3 allows 10,000: room for what a size estimate misses
ZIP_NAME = "export.zip"
CHECKPOINT = "checkpoint.json"
TAIL = "checkpoint.tail"


def part_size_for(total: int) -> int:
    """The part size that keeps an archive of about ``total`` bytes within MAX_PARTS parts (whole MiB)."""
    needed = -(-total // MAX_PARTS)
    return max(PART_SIZE, -(-needed // MIB) * MIB)


class ResumableZip:
    """zipstream-ng's ZipStream, whose state between two members (the members written and the position) can be
    saved and restored."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        import zipstream  # zipstream-ng: loaded by the export worker only

        self._zipstream = zipstream
        self.stream = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED)
        if state:
            self.stream._pos = int(state["position"])
            self.stream._filelist = [self._info(entry) for entry in state["members"]]

    def member(self, name: str, chunks: Iterable[bytes], compress: bool, size: int | None = None) -> Iterator[bytes]:
        """The bytes of one member (its header, data and data descriptor), generated as ``chunks`` are read."""
        kind = self._zipstream.ZIP_DEFLATED if compress else self._zipstream.ZIP_STORED
        self.stream.add(iter(chunks), name, size=size, compress_type=kind)
        yield from self.stream.file()

    def footer(self) -> Iterator[bytes]:
        """The central directory and its end records."""
        yield from self.stream.footer()

    @property
    def position(self) -> int:
        return int(self.stream._pos)

    @property
    def names(self) -> list[str]:
        return [info.filename for info in self.stream._filelist]

    def state(self) -> dict[str, Any]:
        return {"position": self.position,
                "members": [self._entry(info) for info in self.stream._filelist]}

    @staticmethod
    def _entry(info: Any) -> dict[str, Any]:
        from zipfile import ZipInfo

        out: dict[str, Any] = {}
        for slot in ZipInfo.__slots__:
            if not hasattr(info, slot):
                continue
            value = getattr(info, slot)
            out[slot] = {"b64": base64.b64encode(value).decode()} if isinstance(value, bytes) else value
        return out

    def _info(self, entry: dict[str, Any]) -> Any:
        from zipstream.ng import ZipStreamInfo

        info = ZipStreamInfo(entry["filename"], tuple(entry["date_time"]))
        for slot, value in entry.items():
            if isinstance(value, dict) and "b64" in value:
                value = base64.b64decode(value["b64"])
            elif slot == "date_time":
                value = tuple(value)
            setattr(info, slot, value)
        return info


class MultipartSink:
    """Bytes into one S3 multipart upload: whole parts are uploaded as they fill; the rest waits in the buffer."""

    def __init__(self, s3: Any, bucket: str, key: str, part_size: int, upload_id: str | None = None,
                 parts: list[dict[str, Any]] | None = None, tail: bytes = b"") -> None:
        self.s3, self.bucket, self.key, self.part_size = s3, bucket, key, part_size
        if upload_id is None:
            upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/zip")["UploadId"]
        self.upload_id = upload_id
        self.parts: list[dict[str, Any]] = list(parts or [])
        self.buffer = bytearray(tail)
        self.written = sum(int(p["Size"]) for p in self.parts) + len(self.buffer)

    def write(self, data: bytes) -> None:
        self.buffer += data
        self.written += len(data)
        while len(self.buffer) >= self.part_size:
            self._upload(bytes(memoryview(self.buffer)[:self.part_size]))
            del self.buffer[:self.part_size]

    def _upload(self, body: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number,
                                     Body=body)
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"], "Size": len(body)})

    def complete(self) -> int:
        if self.buffer or not self.parts:
            self._upload(bytes(self.buffer))  # the last part may be smaller than the others
            self.buffer.clear()
        self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in self.parts]})
        return self.written

    def abort(self) -> None:
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


class S3Archive:
    """One export's ZIP being written (the service's ``Archive`` port)."""

    def __init__(self, s3: Any, bucket: str, prefix: str, size_hint: Callable[[], int]) -> None:
        self.s3, self.bucket, self.prefix = s3, bucket, prefix
        saved = self._read_json(CHECKPOINT)
        self._progress: dict[str, Any] | None = None
        if saved is None:
            self.zip = ResumableZip()
            self.sink = MultipartSink(s3, bucket, prefix + ZIP_NAME, part_size_for(size_hint()))
        else:
            tail = self._read(TAIL) if saved["tail"] else b""
            if len(tail) != saved["tail"]:
                raise RuntimeError("the export's checkpoint and its tail disagree")
            self.zip = ResumableZip(saved["zip"])
            self.sink = MultipartSink(s3, bucket, prefix + ZIP_NAME, saved["part_size"], saved["upload_id"],
                                      saved["parts"], tail)
            self._progress = saved["progress"]

    @property
    def progress(self) -> dict[str, Any] | None:
        return self._progress

    def add(self, name: str, chunks: Iterable[bytes], modified: dt.datetime, compress: bool) -> None:
        for data in self.zip.member(name, chunks, compress):
            self.sink.write(data)

    def checkpoint(self, progress: dict[str, Any]) -> None:
        tail = bytes(self.sink.buffer)
        if tail:
            self.s3.put_object(Bucket=self.bucket, Key=self.prefix + TAIL, Body=tail)
        state = {"upload_id": self.sink.upload_id, "part_size": self.sink.part_size, "parts": self.sink.parts,
                 "tail": len(tail), "zip": self.zip.state(), "progress": progress}
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + CHECKPOINT, Body=json.dumps(state).encode(),
                           ContentType="application/json")
        self._progress = progress

    def finish(self) -> int:
        for data in self.zip.footer():
            self.sink.write(data)
        size = self.sink.complete()
        for name in (CHECKPOINT, TAIL):  # a later retry builds anew rather than resume a completed upload
            self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + name)
        return size

    def abort(self) -> None:
        self.sink.abort()

    def _read(self, name: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"].read())

    def _read_json(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self._read(name)))
        except Exception as error:
            if getattr(error, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise


class S3Archives:
    """Where exports' ZIPs are written, downloaded from and erased (the service's ``ArchiveStore`` port)."""

    def __init__(self, clients: Any, bucket: str, prefix: str, presign_seconds: int) -> None:
        self.clients, self.bucket, self.prefix, self.presign_seconds = clients, bucket, prefix, presign_seconds

    def _prefix(self, export_id: str) -> str:
        return f"{self.prefix}{export_id}/"

    def open(self, export_id: str, size_hint: Callable[[], int]) -> S3Archive:
        return S3Archive(self.clients("s3"), self.bucket, self._prefix(export_id), size_hint)

    def download_url(self, export_id: str, filename: str) -> str:
        return str(self.clients("s3").generate_presigned_url("get_object", Params={
            "Bucket": self.bucket, "Key": self._prefix(export_id) + ZIP_NAME, "ResponseContentType": "application/zip",
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
            ExpiresIn=self.presign_seconds))

    def erase(self, export_id: str) -> int:
        """Every version of the export's objects, and an upload left unfinished."""
        s3 = self.clients("s3")
        prefix = self._prefix(export_id)
        for upload in s3.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        count = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=prefix):
            victims = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if victims:
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": victims, "Quiet": True})
                count += len(victims)
        return count
