"""The local stand-in for Lambda's event sources: poll moto's queues and streams and call the
very handler objects that Lambda would call, with events shaped as Lambda shapes them.

- SQS sources (`@app.on_sqs_message`): receive from the queue, call the handler with a
  Lambda SQS batch, delete what succeeded. With ReportBatchItemFailures the handler returns
  the failed ids; those stay on the queue, so the redrive policy moves poison to the DLQ.
- SNS sources (`@app.on_sns_message`): Lambda subscribes to the topic; here a private queue
  is subscribed instead, and each envelope is handed over as a Lambda SNS record.
- DynamoDB stream sources (`@app.on_dynamodb_record`): read each shard in order from its start
  (TRIM_HORIZON), hand batches over as Lambda does, and, like Lambda, read again from the first
  failed record (the partial batch response) or from the batch's start when the handler raised.
  One reader per stream per process, however many workers there are, as Lambda has one.
- Schedules (`@app.schedule`): `run_schedules()` calls each; `run()` does so every minute.
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

from chalice.app import Chalice, DynamoDBEventConfig, ScheduledEventConfig, SNSEventConfig, SQSEventConfig
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


def _client(service: str):
    import boto3
    from botocore.config import Config

    # botocore sends stream calls to an account-specific host that moto's in-process mock
    # does not know; the plain regional endpoint serves the same API.
    return boto3.client(service, config=Config(account_id_endpoint_mode="disabled"))


def _resolve(handler_string: str) -> Callable[[dict, Any], Any]:
    module, _, attribute = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def _context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=900_000)


class _StreamReader:
    """One DynamoDB stream read in order, shard by shard, as Lambda's event source mapping does."""

    def __init__(self, streams, stream_arn: str, region: str) -> None:
        self.streams, self.stream_arn, self.region = streams, stream_arn, region
        # shard id -> (AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER, sequence number): where to read next
        self.positions: dict[str, tuple[str, str]] = {}
        self.lock = threading.Lock()

    def _iterator(self, shard_id: str) -> str:
        position = self.positions.get(shard_id)
        kind = {"ShardIteratorType": position[0], "SequenceNumber": position[1]} if position else {
            "ShardIteratorType": "TRIM_HORIZON"}
        return self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **kind)["ShardIterator"]

    def _record(self, record: dict) -> dict:
        data = dict(record["dynamodb"])
        created = data.get("ApproximateCreationDateTime")
        data["ApproximateCreationDateTime"] = created.timestamp() if hasattr(created, "timestamp") else (
            created or time.time())
        data.setdefault("SizeBytes", 0)
        return {**record, "dynamodb": data, "eventSourceARN": self.stream_arn, "awsRegion": self.region}

    def deliver(self, name: str, handler, batch_size: int) -> int:
        delivered = 0
        with self.lock:
            shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                shard_id = shard["ShardId"]
                records = self.streams.get_records(ShardIterator=self._iterator(shard_id),
                                                   Limit=batch_size)["Records"]
                if not records:
                    continue
                delivered += len(records)
                try:
                    result = handler({"Records": [self._record(r) for r in records]}, _context(name))
                except Exception:  # noqa: BLE001 - as in Lambda: the whole batch comes again
                    log.exception("handler %s failed; the batch will be redelivered", name)
                    self.positions[shard_id] = ("AT_SEQUENCE_NUMBER", records[0]["dynamodb"]["SequenceNumber"])
                    continue
                failed = [f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])
                          ] if isinstance(result, dict) else []
                if failed:
                    self.positions[shard_id] = ("AT_SEQUENCE_NUMBER", failed[0])
                else:
                    self.positions[shard_id] = ("AFTER_SEQUENCE_NUMBER", records[-1]["dynamodb"]["SequenceNumber"])
        return delivered


_readers: dict[str, _StreamReader] = {}


def _reader(streams, stream_arn: str, region: str) -> _StreamReader:
    if stream_arn not in _readers:
        _readers[stream_arn] = _StreamReader(streams, stream_arn, region)
    return _readers[stream_arn]


def _stream_arn(dynamodb, configured: str) -> str:
    """The table's current stream (the configured ARN may be a placeholder or a past stack's)."""
    table = configured.split(":table/", 1)[1].split("/", 1)[0]
    return dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]


def stream_consumers(app: Chalice, region: str = "us-east-1", dynamodb=None, streams=None
                     ) -> list[tuple[str, Callable, int, _StreamReader]]:
    """(name, handler, batch size, reader) of each of the app's DynamoDB stream sources."""
    consumers = []
    for config in app.event_sources:
        if isinstance(config, DynamoDBEventConfig):
            dynamodb, streams = dynamodb or _client("dynamodb"), streams or _client("dynamodbstreams")
            consumers.append((config.name, _resolve(config.handler_string), config.batch_size or 100,
                              _reader(streams, _stream_arn(dynamodb, config.stream_arn), region)))
    return consumers


def drain_streams(consumers: list[tuple[str, Callable, int, _StreamReader]], rounds: int = 100) -> int:
    """Deliver stream batches until every shard is read to its end; returns the records delivered."""
    total = 0
    for _ in range(rounds):
        delivered = sum(reader.deliver(name, handler, batch) for name, handler, batch, reader in consumers)
        total += delivered
        if not delivered:
            return total
    raise RuntimeError("streams did not drain")


class LocalWorker:
    def __init__(self, app: Chalice, sqs, sns, region: str = "us-east-1", dynamodb=None, streams=None,
                 visibility_timeout: int | None = None) -> None:
        self.sqs, self.sns, self.region = sqs, sns, region
        # In place of each queue's own (six times its Lambda's timeout), so that a test's batch
        # whose worker died comes back within seconds.
        self.visibility_timeout = visibility_timeout
        self.sources: list[_Source] = []
        self.stream_sources = stream_consumers(app, region, dynamodb, streams)
        self.schedules: list[tuple[str, Callable]] = []
        for config in app.event_sources:
            handler = _resolve(config.handler_string)
            if isinstance(config, SQSEventConfig):
                url = sqs.get_queue_url(QueueName=config.queue)["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                self.sources.append(_Source(config.name, handler, url, arn, "sqs", config.batch_size or 10))
            elif isinstance(config, SNSEventConfig):
                self.sources.append(self._subscribe(config, handler))
            elif isinstance(config, ScheduledEventConfig):
                self.schedules.append((config.name, handler))

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

    def deliver_streams(self) -> int:
        """Deliver one batch from every stream shard; returns how many records were handed over."""
        return sum(reader.deliver(name, handler, batch) for name, handler, batch, reader in self.stream_sources)

    def run_schedules(self) -> dict[str, object]:
        """Call every scheduled handler once, as its rule would; returns their answers."""
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "region": self.region, "resources": [], "detail": {}}
        return {name: handler(event, _context(name)) for name, handler in self.schedules}

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Deliver one batch from every source; returns how many messages were handed over."""
        delivered = self.deliver_streams()
        for source in self.sources:
            delivered += self._poll(source, wait_seconds)
        return delivered

    def poll_source(self, name: str, wait_seconds: int = 0) -> int:
        """One batch from one SQS source, as one more concurrent Lambda of that function would
        take it (tests run several at once); returns how many messages were handed over."""
        return self._poll(next(source for source in self.sources if source.name == name), wait_seconds)

    def _poll(self, source: _Source, wait_seconds: int) -> int:
        visibility = {} if self.visibility_timeout is None else {"VisibilityTimeout": self.visibility_timeout}
        messages = self.sqs.receive_message(
            QueueUrl=source.queue_url, MaxNumberOfMessages=source.batch_size, WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"], **visibility).get("Messages", [])
        if not messages:
            return 0
        records = [self._record(source, m) for m in messages]
        try:
            result = source.handler({"Records": records}, _context(source.name))
        except Exception:  # noqa: BLE001 - as in Lambda: the whole batch returns to the queue
            log.exception("handler %s failed; the batch will be redelivered", source.name)
            return len(messages)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])
                  } if isinstance(result, dict) else set()
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        return len(messages)

    def run(self, stop: threading.Event, idle_sleep: float = 0.5, schedule_every: float = 60.0) -> None:
        next_schedule = time.monotonic() + schedule_every
        while not stop.is_set():
            try:
                if time.monotonic() >= next_schedule:
                    next_schedule = time.monotonic() + schedule_every
                    self.run_schedules()
                if not self.poll_once():
                    stop.wait(idle_sleep)
            except Exception:  # noqa: BLE001 - keep polling; moto may be restarting
                log.exception("poll failed")
                time.sleep(1)


def main() -> None:
    import sys

    import boto3

    from local import terminal

    # Everything (botocore's chatter included) goes to stdout untagged, which `make run` keeps in
    # the worker's log file; the events are tagged lines that its terminal shows.
    logging.basicConfig(level=logging.DEBUG if terminal.debug() else logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("chalicelib").addHandler(terminal.EventLines())
    log.addHandler(terminal.EventLines())
    from app import app
    from chalicelib.messages import changes

    changes.on_status_change(terminal.status_lines())
    worker = LocalWorker(app, boto3.client("sqs"), boto3.client("sns"))
    print(terminal.tag("worker") + "polling " + (", ".join(f"{s.kind}:{s.name}" for s in worker.sources)
                                                 or "no event sources yet"), flush=True)
    stop = threading.Event()
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
