"""A write-only sink that streams bytes to one S3 object with a multipart upload, so a report
of any size is uploaded with a bounded buffer (PART_SIZE)."""
from __future__ import annotations

from typing import Any

PART_SIZE = 8 * 1024 * 1024  # S3's minimum is 5 MiB for every part but the last


class MultipartSink:
    def __init__(self, s3: Any, bucket: str, key: str, *, content_type: str, content_disposition: str) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type,
                                                    ContentDisposition=content_disposition)["UploadId"]
        self.parts: list[dict[str, Any]] = []
        self.buffer = bytearray()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.buffer += data
        self.size += len(data)
        while len(self.buffer) >= PART_SIZE:
            self._part(bytes(self.buffer[:PART_SIZE]))
            del self.buffer[:PART_SIZE]

    def _part(self, body: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number,
                                     Body=body)
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def close(self) -> None:
        if self.buffer or not self.parts:
            self._part(bytes(self.buffer))
            self.buffer.clear()
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                          MultipartUpload={"Parts": self.parts})

    def abort(self) -> None:
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
