"""Objects on S3. Bytes never pass through Lambda: clients PUT and GET through presigned URLs, inbox files are
copied server-side, and the checks read only the first few kilobytes (a ranged GET)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_plus

from chalicelib.domain.documents import SNIFF_BYTES
from chalicelib.ports import ObjectGone

CHUNK = 1024 * 1024  # what a stream reads at a time


@dataclass(frozen=True)
class StoredObject:
    key: str
    version_id: str | None
    size: int
    content_type: str
    metadata: dict[str, str]
    head: bytes  # the first bytes, for the format check
    last_modified: dt.datetime | None
    etag: str = ""  # identifies the content


def _code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


class S3Store:
    def __init__(self, clients: Any, presign_seconds: int = 300) -> None:
        self.clients = clients
        self.presign_seconds = presign_seconds

    @property
    def s3(self) -> Any:
        return self.clients("s3")

    def presign_put(self, bucket: str, key: str, content_type: str, size: int) -> tuple[str, dict[str, str]]:
        """A URL for one PUT of exactly ``size`` bytes of ``content_type`` (both are signed headers)."""
        url = self.s3.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": size},
            ExpiresIn=self.presign_seconds, HttpMethod="PUT")
        return url, {"Content-Type": content_type}

    def presign_get(self, bucket: str, key: str, version_id: str | None, content_type: str, filename: str) -> str:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "ResponseContentType": content_type,
                                  "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
        if version_id:
            params["VersionId"] = version_id
        return str(self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=self.presign_seconds))

    def read_head(self, bucket: str, key: str, version_id: str | None, length: int = SNIFF_BYTES) -> StoredObject:
        """Metadata and the first ``length`` bytes of an object version. Keys of S3 events may arrive URL-encoded."""
        for candidate in dict.fromkeys((key, unquote_plus(key))):
            params: dict[str, Any] = {"Bucket": bucket, "Key": candidate, "Range": f"bytes=0-{length - 1}"}
            if version_id:
                params["VersionId"] = version_id
            try:
                answer = self.s3.get_object(**params)
            except Exception as error:
                code = _code(error)
                if code == "InvalidRange":  # an empty object
                    return self._empty(bucket, candidate, version_id)
                if code in ("NoSuchKey", "NoSuchVersion", "404", "InvalidArgument"):
                    continue
                raise
            body = answer["Body"].read()
            total = answer.get("ContentRange", "").rpartition("/")[2]
            return StoredObject(
                key=candidate, version_id=answer.get("VersionId", version_id),
                size=int(total) if total.isdigit() else int(answer.get("ContentLength", len(body))),
                content_type=answer.get("ContentType", ""), metadata=dict(answer.get("Metadata", {})), head=body,
                last_modified=answer.get("LastModified"), etag=answer.get("ETag", "").strip('"'))
        raise ObjectGone(key)

    def _empty(self, bucket: str, key: str, version_id: str | None) -> StoredObject:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        answer = self.s3.head_object(**params)
        return StoredObject(key, answer.get("VersionId", version_id), int(answer.get("ContentLength", 0)),
                            answer.get("ContentType", ""), dict(answer.get("Metadata", {})), b"",
                            answer.get("LastModified"), answer.get("ETag", "").strip('"'))

    def copy(self, source_bucket: str, source_key: str, version_id: str | None, bucket: str, key: str) -> str | None:
        """Server-side copy (metadata kept); returns the new object's version id."""
        source: dict[str, Any] = {"Bucket": source_bucket, "Key": source_key}
        if version_id:
            source["VersionId"] = version_id
        answer = self.s3.copy_object(CopySource=source, Bucket=bucket, Key=key, MetadataDirective="COPY")
        version = answer.get("VersionId")
        return str(version) if version else None

    def stream(self, bucket: str, key: str, version_id: str | None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """The object's bytes in chunks of ``chunk_size``, read from S3 as they are consumed."""
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        body = self.s3.get_object(**params)["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def delete_version(self, bucket: str, key: str, version_id: str | None) -> None:
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        self.s3.delete_object(**params)

    def erase(self, bucket: str, prefix: str) -> int:
        """Delete every version and delete marker under ``prefix`` (purge: nothing is left to restore)."""
        paginator = self.s3.get_paginator("list_object_versions")
        count = 0
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            victims = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            for start in range(0, len(victims), 1000):
                chunk = victims[start:start + 1000]
                self.s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
                count += len(chunk)
        return count
