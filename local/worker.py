"""The local stand-in for Lambda's event sources: poll moto's queues and call the very
handler objects that Lambda would call, with events shaped as Lambda shapes them.

- SQS sources (`@app.on_sqs_message`): receive from the queue, call the handler with a
  Lambda SQS batch, delete what succeeded. With ReportBatchItemFailures the handler returns
  the failed ids; those stay on the queue, so the redrive policy moves poison to the DLQ.
- SNS sources (`@app.on_sns_message`): Lambda subscribes to the topic; here a private queue
  is subscribed instead, and each envelope is handed over as a Lambda SNS record.
"""
from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from chalice.app import Chalice, SNSEventConfig, SQSEventConfig
from chalice.local import LambdaContext

log = logging.getLogger("kirim.worker")


@dataclass
class _Source:
    name: str
    handler: Callable[[dict, Any], Any]
    queue_url: str
    queue_arn: str
    kind: str  # "sqs" or "sns"
    batch_size: int = 10


def _resolve(handler_string: str) -> Callable[[dict, Any], Any]:
    module, _, attribute = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def _context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=900_000)


class LocalWorker:
    def __init__(self, app: Chalice, sqs, sns, region: str = "us-east-1") -> None:
        self.sqs, self.sns, self.region = sqs, sns, region
        self.sources: list[_Source] = []
        for config in app.event_sources:
            handler = _resolve(config.handler_string)
            if isinstance(config, SQSEventConfig):
                url = sqs.get_queue_url(QueueName=config.queue)["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                self.sources.append(_Source(config.name, handler, url, arn, "sqs", config.batch_size or 10))
            elif isinstance(config, SNSEventConfig):
                self.sources.append(self._subscribe(config, handler))

    def _subscribe(self, config: SNSEventConfig, handler) -> _Source:
        topic_arn = config.topic if config.topic.startswith("arn:") else next(
            t["TopicArn"] for t in self.sns.list_topics()["Topics"] if t["TopicArn"].endswith(":" + config.topic))
        queue_name = f"local-worker-{config.name}"
        url = self.sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        return _Source(config.name, handler, url, topic_arn, "sns", 1)

    def _record(self, source: _Source, message: dict) -> dict:
        if source.kind == "sns":
            envelope = json.loads(message["Body"])
            return {"EventSource": "aws:sns", "EventVersion": "1.0",
                    "EventSubscriptionArn": f"{source.queue_arn}:{uuid.uuid4()}",
                    "Sns": {**{k: envelope.get(k) for k in ("Type", "MessageId", "TopicArn", "Subject",
                                                            "Message", "Timestamp", "SignatureVersion",
                                                            "Signature", "UnsubscribeURL")},
                            "SigningCertUrl": envelope.get("SigningCertURL"),
                            "MessageAttributes": envelope.get("MessageAttributes", {})}}
        return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"], "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody"), "eventSource": "aws:sqs",
                "eventSourceARN": source.queue_arn, "awsRegion": self.region}

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Deliver one batch from every source; returns how many messages were handed over."""
        delivered = 0
        for source in self.sources:
            messages = self.sqs.receive_message(
                QueueUrl=source.queue_url, MaxNumberOfMessages=source.batch_size, WaitTimeSeconds=wait_seconds,
                AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            delivered += len(messages)
            records = [self._record(source, m) for m in messages]
            try:
                result = source.handler({"Records": records}, _context(source.name))
            except Exception:  # noqa: BLE001 - as in Lambda: the whole batch returns to the queue
                log.exception("handler %s failed; the batch will be redelivered", source.name)
                continue
            failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])
                      } if isinstance(result, dict) else set()
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self.sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        return delivered

    def run(self, stop: threading.Event, idle_sleep: float = 0.5) -> None:
        while not stop.is_set():
            try:
                if not self.poll_once():
                    stop.wait(idle_sleep)
            except Exception:  # noqa: BLE001 - keep polling; moto may be restarting
                log.exception("poll failed")
                time.sleep(1)


def main() -> None:
    import boto3

    logging.basicConfig(level=logging.INFO, format="worker  | %(message)s")
    from app import app

    worker = LocalWorker(app, boto3.client("sqs"), boto3.client("sns"))
    log.info("polling %s", ", ".join(f"{s.kind}:{s.name}" for s in worker.sources) or "no event sources yet")
    stop = threading.Event()
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
