"""The local worker delivers SQS and SNS messages to Chalice handlers as Lambda would."""
from __future__ import annotations

import json
import sys
import types

import boto3
from chalice import Chalice

from local.worker import LocalWorker


def _app_with_handlers(received: dict) -> Chalice:
    app = Chalice(app_name="worker-test")
    module = types.ModuleType("worker_test_handlers")
    sys.modules[module.__name__] = module

    @app.on_sqs_message(queue="kirim-local-reports", batch_size=5, name="jobs")
    def jobs(event):
        bodies = [record.body for record in event]
        received.setdefault("sqs", []).extend(bodies)
        # Report the poison message as failed, like Powertools' BatchProcessor does.
        return {"batchItemFailures": [{"itemIdentifier": r.to_dict()["messageId"]} for r in event
                                      if r.body == "poison"]}

    @app.on_sns_message(topic="kirim-local-provider-events", name="events")
    def events(event):
        received.setdefault("sns", []).append((event.message, event.to_dict()["Records"][0]["Sns"]["TopicArn"]))

    for name, handler in (("jobs", jobs), ("events", events)):
        setattr(module, name, handler)
    for config in app.event_sources:
        config.handler_string = f"{module.__name__}.{config.name}"
    return app


def test_worker_delivers_batches_and_keeps_failures(aws):
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    received: dict = {}
    worker = LocalWorker(_app_with_handlers(received), sqs, sns)
    queue_url = aws["ReportQueueUrl"]
    for body in ("one", "two", "poison"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    sns.publish(TopicArn=aws["ProviderEventsTopicArn"], Message=json.dumps({"eventType": "Delivery"}))

    while worker.poll_once():
        pass
    assert sorted(received["sqs"]) == ["one", "poison", "two"]
    assert received["sns"] == [('{"eventType": "Delivery"}', aws["ProviderEventsTopicArn"])]
    # Only the failed message is still on the queue (invisible until its timeout passes).
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attributes["ApproximateNumberOfMessages"] == "0"
