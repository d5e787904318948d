"""The callback queue: one SQS message per attempt to make, `{message_id, sequence, attempt}`,
where `attempt` is how many attempts the delivery had when it was queued (a stale copy, one
whose attempt already happened, is dropped by the worker's claim)."""
from __future__ import annotations

import json
from typing import Iterable

from chalicelib.core import aws
from chalicelib.core.config import get_settings

_BATCH = 10  # SQS SendMessageBatch's limit


def job(message_id: str, sequence: int, attempt: int) -> dict:
    return {"message_id": message_id, "sequence": int(sequence), "attempt": int(attempt)}


def enqueue(jobs: Iterable[dict]) -> int:
    jobs = list(jobs)
    url = aws.queue_url(get_settings().callback_queue_name)
    for start in range(0, len(jobs), _BATCH):
        chunk = jobs[start:start + _BATCH]
        answer = aws.client("sqs").send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(chunk)])
        if answer.get("Failed"):
            # Not lost either way (the sweeper queues every due delivery), but say so now.
            raise RuntimeError(f"{len(answer['Failed'])} callback jobs were not queued")
    return len(jobs)


def dead_letter(message_id: str, sequence: int) -> None:
    """A delivery that used up its attempts, for the operator (an SQS redrive to the callback
    queue replays it: the worker treats a `dead` job as a replay)."""
    aws.send_to_queue(get_settings().callback_dlq_name,
                      {"message_id": message_id, "sequence": int(sequence), "dead": True})
