"""boto3 clients and queue URLs, made on first use and kept for the container's life: a client
costs tens of milliseconds to build, and API cold starts should not pay for ones they never use.

Every client fails fast: the API Lambda has 28 s, inside API Gateway's 29 s, and a request that
meets a stuck dependency must end in Kirim's own answer rather than be killed half way
(docs/operating.md#timeouts has the budget; tests/infra/test_timeouts.py checks it)."""
from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any

# Worst case of one call: 2 attempts x (1 s connect + 5 s read) + at most 1 s backoff = 13 s.
TIMEOUTS = {"connect_timeout": 1, "read_timeout": 5, "retries": {"mode": "standard", "total_max_attempts": 2}}


# boto3's default session must not make two clients at once; callback attempts run in threads.
_making = threading.Lock()


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    with _making:
        return boto3.client(service, config=Config(**TIMEOUTS))


@lru_cache(maxsize=None)
def queue_url(name: str) -> str:
    return client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def send_to_queue(queue_name: str, body: dict[str, Any], *, delay_seconds: int = 0) -> None:
    client("sqs").send_message(QueueUrl=queue_url(queue_name), MessageBody=json.dumps(body),
                               DelaySeconds=delay_seconds)
