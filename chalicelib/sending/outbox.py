"""The payloads of sends waiting for a dispatch retry, and the jobs that point at them.

The outbound payload goes to S3 under outbox/ (an email can be far larger than an SQS message
or a DynamoDB item); a job on the dispatch queue names the message. What a job may do to its
message, and when, is sending.dispatch's business.
"""
from __future__ import annotations

import base64
import json

from chalicelib.core import aws
from chalicelib.core.config import get_settings
from chalicelib.providers.base import Attachment, Outbound


def _key(message_id: str) -> str:
    return f"outbox/{message_id}.json"


def encode(outbound: Outbound) -> bytes:
    data = outbound._asdict()
    if outbound.attachment is not None:
        data["attachment"] = {**outbound.attachment._asdict(), "data": base64.b64encode(outbound.attachment.data).decode()}
    return json.dumps(data).encode()


def decode(raw: bytes) -> Outbound:
    data = json.loads(raw)
    if data.get("attachment"):
        attachment = data["attachment"]
        data["attachment"] = Attachment(attachment["filename"], attachment["content_type"],
                                        base64.b64decode(attachment["data"]))
    return Outbound(**data)


def store(outbound: Outbound) -> None:
    aws.client("s3").put_object(Bucket=get_settings().report_bucket, Key=_key(outbound.message_id),
                                Body=encode(outbound), ContentType="application/json")


def enqueue(message_id: str, delay_seconds: int) -> None:
    aws.send_to_queue(get_settings().dispatch_queue_name, {"message_id": message_id},
                      delay_seconds=min(max(0, delay_seconds), 900))


def load(message_id: str) -> Outbound | None:
    s3 = aws.client("s3")
    try:
        raw = s3.get_object(Bucket=get_settings().report_bucket, Key=_key(message_id))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return decode(raw)


def done(message_id: str) -> None:
    aws.client("s3").delete_object(Bucket=get_settings().report_bucket, Key=_key(message_id))
