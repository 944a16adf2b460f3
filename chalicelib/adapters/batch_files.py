"""Enrolment files and their reports on S3 (bucket ``batches``). Bytes never pass through Lambda on the way in
or out (presigned PUT and GET); inside, every read is a ranged GET of a bounded size and the report is written
with a multipart upload, part by part: memory stays bounded whatever the file's size."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

CSV = "text/csv"


def _code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


class S3BatchFiles:
    def __init__(self, clients: Any, bucket: str, presign_seconds: int = 900) -> None:
        self.clients = clients
        self.bucket = bucket
        self.presign_seconds = presign_seconds

    @property
    def s3(self) -> Any:
        return self.clients("s3")

    def presign_upload(self, key: str) -> tuple[str, dict[str, str]]:
        """A URL for one PUT of a CSV file (any size up to S3's 5 GB for one PUT)."""
        url = str(self.s3.generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": key,
                                                                       "ContentType": CSV},
                                                 ExpiresIn=self.presign_seconds, HttpMethod="PUT"))
        return url, {"Content-Type": CSV}

    def presign_download(self, key: str, filename: str) -> str:
        return str(self.s3.generate_presigned_url("get_object", Params={
            "Bucket": self.bucket, "Key": key, "ResponseContentType": f"{CSV}; charset=utf-8",
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
            ExpiresIn=self.presign_seconds))

    def read(self, key: str, version: str | None, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of one version of an object (fewer at its end)."""
        if end <= start:
            return b""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Range": f"bytes={start}-{end - 1}"}
        if version:
            params["VersionId"] = version
        try:
            data: bytes = self.s3.get_object(**params)["Body"].read()
            return data
        except Exception as error:
            if _code(error) == "InvalidRange":
                return b""
            raise

    def get(self, key: str) -> bytes | None:
        """A small object (a unit's report part), or None if there is none."""
        try:
            data: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return data
        except Exception as error:
            if _code(error) in ("NoSuchKey", "404"):
                return None
            raise

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if _code(error) in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def put(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=f"{CSV}; charset=utf-8")

    def start_upload(self, key: str) -> str:
        return str(self.s3.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                   ContentType=f"{CSV}; charset=utf-8")["UploadId"])

    def upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> None:
        """Part ``number``; sending the same part again replaces it (a resumed report is idempotent)."""
        self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)

    def complete_upload(self, key: str, upload_id: str) -> None:
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            answer = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker)
            parts += [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in answer.get("Parts", [])]
            if not answer.get("IsTruncated"):
                break
            marker = answer["NextPartNumberMarker"]
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                          MultipartUpload={"Parts": parts})

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})
