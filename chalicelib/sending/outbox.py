"""Sends whose provider call could not finish (timeout, throttling, 5xx) are never lost.

The message stays pending. Its outbound payload goes to S3 under outbox/ (an email can be
far larger than an SQS message or a DynamoDB item), and a job on the dispatch queue points
at it. The dispatch worker retries; SQS redelivery spaces the attempts, and after
MAX_ATTEMPTS the message is marked Failed and refunded rather than left pending forever.
"""
from __future__ import annotations

import base64
import dataclasses
import json

from chalicelib.core import aws
from chalicelib.core.config import get_settings
from chalicelib.messages import status_updates
from chalicelib.messages.models import Message
from chalicelib.messages.status_rules import RULES
from chalicelib.providers.base import Attachment, Outbound, ProviderRejected, ProviderUnavailable
from chalicelib.providers.registry import provider_for

MAX_ATTEMPTS = 6
FIRST_RETRY_DELAY = 5


def _key(message_id: str) -> str:
    return f"outbox/{message_id}.json"


def encode(outbound: Outbound) -> bytes:
    data = dataclasses.asdict(outbound)
    if outbound.attachment is not None:
        data["attachment"]["data"] = base64.b64encode(outbound.attachment.data).decode()
    return json.dumps(data).encode()


def decode(raw: bytes) -> Outbound:
    data = json.loads(raw)
    if data.get("attachment"):
        attachment = data["attachment"]
        data["attachment"] = Attachment(attachment["filename"], attachment["content_type"],
                                        base64.b64decode(attachment["data"]))
    return Outbound(**data)


def defer(outbound: Outbound) -> None:
    settings = get_settings()
    aws.client("s3").put_object(Bucket=settings.report_bucket, Key=_key(outbound.message_id), Body=encode(outbound),
                                ContentType="application/json")
    aws.send_to_queue(settings.dispatch_queue_name, {"message_id": outbound.message_id},
                      delay_seconds=FIRST_RETRY_DELAY)


def load(message_id: str) -> Outbound | None:
    s3 = aws.client("s3")
    try:
        raw = s3.get_object(Bucket=get_settings().report_bucket, Key=_key(message_id))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None  # already sent and cleaned up by an earlier delivery of this job
    return decode(raw)


def done(message_id: str) -> None:
    aws.client("s3").delete_object(Bucket=get_settings().report_bucket, Key=_key(message_id))


def retry(message_id: str, attempt: int) -> None:
    """One retry from the dispatch queue. Raises ProviderUnavailable to have SQS try again."""
    outbound = load(message_id)
    if outbound is None:
        return
    try:
        message = Message.get(message_id, consistent_read=True)
    except Message.DoesNotExist:
        done(message_id)
        return
    if message.status != RULES[message.channel].initial:
        done(message_id)  # a status event came: an earlier attempt reached the provider after all
        return
    try:
        provider_for(message.channel).send(outbound)
    except ProviderRejected as rejected:
        status_updates.reject(message, rejected.provider_status, rejected.reason)
    except ProviderUnavailable:
        if attempt < MAX_ATTEMPTS:
            raise
        status_updates.reject(message, "DISPATCH_EXHAUSTED", f"Provider unavailable after {attempt} attempts")
    done(message_id)
