"""The callback queue: one SQS message per attempt to make, `{message_id, sequence, attempt}`,
where `attempt` is how many attempts the delivery had when it was queued (a stale copy, one
whose attempt already happened, is dropped by the worker's claim).

It is a FIFO queue whose message group is the application: SQS hands out a group's messages
one batch at a time, so one application's callbacks hold at most one worker at once, however
slow its receiver is, and every other application's go on beside it (infra/README.md). The
deduplication id is the job itself, so a job queued twice within SQS's 5 minutes (a send whose
answer was lost) is delivered once.
"""
from __future__ import annotations

import json
import logging
from typing import Iterable

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.callbacks.models import Delivery
from chalicelib.core import aws
from chalicelib.core.config import get_settings

log = logging.getLogger(__name__)

_BATCH = 10  # SQS SendMessageBatch's limit


def _entry(delivery: Delivery, index: int) -> dict:
    body = {"message_id": delivery.message_id, "sequence": int(delivery.sequence),
            "attempt": int(delivery.attempt_count)}
    return {"Id": str(index), "MessageBody": json.dumps(body), "MessageGroupId": delivery.application_id,
            "MessageDeduplicationId": f"{body['message_id']}.{body['sequence']}.{body['attempt']}"}


def enqueue(deliveries: Iterable[Delivery]) -> int:
    """Queue each delivery's next attempt; returns how many SQS took. Best effort: every
    delivery given here is saved as pending with a due time, so the sweeper queues what SQS
    refused once that time comes; a caller never fails for it."""
    deliveries = list(deliveries)
    url = aws.queue_url(get_settings().callback_queue_name)
    queued = 0
    for start in range(0, len(deliveries), _BATCH):
        chunk = deliveries[start:start + _BATCH]
        try:
            answer = aws.client("sqs").send_message_batch(QueueUrl=url, Entries=[
                _entry(delivery, i) for i, delivery in enumerate(chunk)])
        except (BotoCoreError, ClientError) as error:
            log.warning("callback jobs not queued; the sweeper will queue them",
                        extra={"jobs": len(chunk), "error": type(error).__name__})
            continue
        failed = len(answer.get("Failed") or [])
        if failed:
            log.warning("callback jobs not queued; the sweeper will queue them", extra={"jobs": failed})
        queued += len(chunk) - failed
    return queued


def dead_letter(delivery: Delivery) -> None:
    """A delivery that used up its attempts, for the operator (an SQS redrive to the callback
    queue replays it: the worker treats a `dead` job as a replay)."""
    body = {"message_id": delivery.message_id, "sequence": int(delivery.sequence), "dead": True}
    aws.client("sqs").send_message(
        QueueUrl=aws.queue_url(get_settings().callback_dlq_name), MessageBody=json.dumps(body),
        MessageGroupId=delivery.application_id,
        MessageDeduplicationId=f"dead.{body['message_id']}.{body['sequence']}.{int(delivery.attempt_count)}")
