"""One report file as one S3 multipart upload that several invocations add parts to.

The upload is known by its id and its parts' [number, ETag] (what a checkpoint keeps), so any
invocation can rebuild it and go on. A part number uploaded again replaces the earlier bytes,
which is how a resumed slice redoes the part a crashed one may have sent. Every part but the last
must be at least 5 MiB (S3); a report's parts are PART_BYTES (8 MiB) or a little more, cut at row
boundaries. An upload that is never completed is aborted by the bucket's lifecycle rule after a day.
"""
from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

PART_BYTES = 8 << 20
MAX_PARTS = 10_000  # S3's limit per upload


class TooManyParts(Exception):
    pass


def multipart_etag(part_etags: list[str]) -> str:
    """The ETag S3 gives an object completed from these parts: MD5 of their MD5s, dash, count."""
    digest = hashlib.md5(b"".join(bytes.fromhex(e.strip('"')) for e in part_etags)).hexdigest()  # noqa: S324
    return f'"{digest}-{len(part_etags)}"'


class MultipartUpload:
    def __init__(self, s3: Any, bucket: str, key: str, upload_id: str, parts: list[list]) -> None:
        self.s3, self.bucket, self.key, self.upload_id = s3, bucket, key, upload_id
        self.parts = [list(p) for p in parts]

    @classmethod
    def create(cls, s3: Any, bucket: str, key: str, *, content_type: str,
               content_disposition: str) -> "MultipartUpload":
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type,
                                               ContentDisposition=content_disposition)["UploadId"]
        return cls(s3, bucket, key, upload_id, [])

    def upload(self, body: bytes | bytearray) -> int:
        """The next part; returns its size."""
        number = len(self.parts) + 1
        if number > MAX_PARTS:
            raise TooManyParts(f"a file of more than {MAX_PARTS:,} parts")
        answer = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                     PartNumber=number, Body=body)
        self.parts.append([number, answer["ETag"]])
        return len(body)

    def complete(self) -> None:
        """Complete; if an earlier attempt already did (and died before saying so), the object is
        there with exactly the ETag these parts make, and that is accepted."""
        try:
            self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                              MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e}
                                                                         for n, e in self.parts]})
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
            head = self.s3.head_object(Bucket=self.bucket, Key=self.key)
            if head.get("ETag") != multipart_etag([e for _, e in self.parts]):
                raise

    def abort(self) -> None:
        try:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except ClientError:
            pass  # gone already; the lifecycle rule is the backstop
