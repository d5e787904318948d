"""The local worker delivers SQS, SNS and DynamoDB stream records to Chalice handlers as Lambda
would, and calls scheduled handlers."""
from __future__ import annotations

import json
import sys
import types
import uuid

import boto3
from chalice import Chalice, Rate

from local.worker import LocalWorker


def _app_with_handlers(received: dict, queue: str, topic: str, stream_arn: str, fail: dict) -> Chalice:
    app = Chalice(app_name="worker-test")
    module = types.ModuleType(f"worker_test_handlers_{uuid.uuid4().hex[:6]}")
    sys.modules[module.__name__] = module

    @app.on_sqs_message(queue=queue, batch_size=5, name="jobs")
    def jobs(event):
        bodies = [record.body for record in event]
        received.setdefault("sqs", []).extend(bodies)
        # Report the poison message as failed, like Powertools' BatchProcessor does.
        return {"batchItemFailures": [{"itemIdentifier": r.to_dict()["messageId"]} for r in event
                                      if r.body == "poison"]}

    @app.on_sns_message(topic=topic, name="events")
    def events(event):
        received.setdefault("sns", []).append((event.message, event.to_dict()["Records"][0]["Sns"]["TopicArn"]))

    @app.on_dynamodb_record(stream_arn=stream_arn, batch_size=2, name="changes")
    def changes(event):
        records = list(event)
        received.setdefault("stream", []).append([r.new_image["id"]["S"] for r in records])
        if fail.pop("raise", False):
            raise RuntimeError("the whole batch comes again")
        ids = [r.new_image["id"]["S"] for r in records]
        failed = fail.pop("report") if fail.get("report") in ids else None
        return {"batchItemFailures": [{"itemIdentifier": r.sequence_number} for r in records
                                      if r.new_image["id"]["S"] == failed]}

    @app.schedule(Rate(1, unit=Rate.MINUTES), name="every_minute")
    def every_minute(event):
        received.setdefault("schedule", []).append(event.to_dict()["detail-type"])
        return "ran"

    for name, handler in (("jobs", jobs), ("events", events), ("changes", changes), ("every_minute", every_minute)):
        setattr(module, name, handler)
    for config in app.event_sources:
        config.handler_string = f"{module.__name__}.{config.name}"
    return app


def test_worker_delivers_batches_and_keeps_failures(aws):
    sqs, sns, ddb = boto3.client("sqs"), boto3.client("sns"), boto3.client("dynamodb")
    name = f"worker-test-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    table = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    received: dict = {}
    fail = {"raise": True, "report": "c"}
    worker = LocalWorker(_app_with_handlers(received, name, name, table["TableDescription"]["LatestStreamArn"],
                                            fail), sqs, sns)
    for body in ("one", "two", "poison"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    sns.publish(TopicArn=topic_arn, Message=json.dumps({"eventType": "Delivery"}))
    for item in "abcde":
        ddb.put_item(TableName=name, Item={"id": {"S": item}})

    while worker.poll_once():
        pass
    assert sorted(received["sqs"]) == ["one", "poison", "two"]
    assert received["sns"] == [('{"eventType": "Delivery"}', topic_arn)]
    # Only the failed message is still on the queue (invisible until its timeout passes).
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attributes["ApproximateNumberOfMessages"] == "0"
    # The stream, in order, two at a time: a raise brings the batch back whole, a reported
    # failure brings back the stream from that record on.
    assert received["stream"] == [["a", "b"], ["a", "b"], ["c", "d"], ["c", "d"], ["e"]]
    assert worker.run_schedules() == {"every_minute": "ran"}
    assert received["schedule"] == ["Scheduled Event"]
