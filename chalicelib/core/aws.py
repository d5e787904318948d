"""boto3 clients and queue URLs, made on first use and kept for the container's life: a client
costs tens of milliseconds to build, and API cold starts should not pay for ones they never use."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)


@lru_cache(maxsize=None)
def queue_url(name: str) -> str:
    return client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def send_to_queue(queue_name: str, body: dict[str, Any], *, delay_seconds: int = 0) -> None:
    client("sqs").send_message(QueueUrl=queue_url(queue_name), MessageBody=json.dumps(body),
                               DelaySeconds=delay_seconds)
