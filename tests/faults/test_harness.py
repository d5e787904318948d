"""local.faults meets botocore's attempts, as AWS would: a fault caught inside botocore's retry
loop (before-send), so one throttle is retried by botocore and never seen by the caller, one
lost answer is one attempt whose write happened (and botocore sends the call again), and a
latency past the caller's read timeout is a lost answer after that wait. Hit counts are attempts.

Before issue 20 the harness injected in before-call and after-call, outside the loop: one
throttle failed the call, and every lost answer was two in a row."""
from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from chalicelib.core.limits import Limit
from local import faults


@pytest.fixture
def key(aws) -> str:
    key = f"harness#{uuid.uuid4().hex}"
    Limit(key, hits=0).save()
    return key


def hits(key: str) -> int:
    return int(Limit.get(key, consistent_read=True).hits)


def add_one(key: str) -> None:
    """A plain ADD through PynamoDB's client (botocore's standard retry, two attempts)."""
    Limit(key).update(actions=[Limit.hits.add(1)])


def test_one_throttle_is_retried_by_botocore_and_never_seen(key):
    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException") as fault:
        add_one(key)
    assert (fault.hits, hits(key)) == (1, 1)


def test_a_throttle_on_every_attempt_reaches_the_caller_after_two(key):
    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException",
                         times=100) as fault:
        with pytest.raises(Exception) as raised:
            add_one(key)
    assert fault.hits == 2 and hits(key) == 0
    assert "ProvisionedThroughputExceededException" in str(raised.value)


def test_one_lost_answer_is_a_write_that_happened_and_botocore_sends_it_again(key):
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True) as fault:
        add_one(key)
    assert (fault.hits, hits(key)) == (1, 2)   # the plain ADD applied twice: why update_if(once=True) exists


def test_a_cancelled_transaction_carries_its_reasons(key):
    import boto3

    with faults.injected("dynamodb", "TransactWriteItems", code="TransactionCanceledException",
                         reasons=["None", "ConditionalCheckFailed"]):
        with pytest.raises(ClientError) as raised:
            boto3.client("dynamodb").transact_write_items(TransactItems=[{"ConditionCheck": {
                "TableName": Limit.Meta.table_name, "Key": {"pk": {"S": key}},
                "ConditionExpression": "attribute_exists(pk)"}}])
    assert [r["Code"] for r in raised.value.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]


def test_latency_within_the_read_timeout_only_waits(key, frozen_clock):
    from chalicelib.core import clock

    before = clock.now()
    with faults.injected("dynamodb", "UpdateItem", latency=1.5, timeout=3) as fault:
        add_one(key)
    assert (fault.hits, hits(key)) == (1, 1)
    assert (clock.now() - before).total_seconds() == 1.5


def test_latency_past_the_read_timeout_is_an_answer_lost_after_that_wait(key, frozen_clock):
    from chalicelib.core import clock

    before = clock.now()
    with faults.injected("dynamodb", "UpdateItem", latency=10, timeout=3) as fault:
        add_one(key)
    assert (fault.hits, hits(key)) == (1, 2)   # applied, its answer lost, botocore's second attempt
    assert (clock.now() - before).total_seconds() == 3


def test_s3_and_sqs_errors_parse_as_the_service_would_give_them(aws):
    import boto3

    from chalicelib.core.config import get_settings

    with faults.injected("s3", "PutObject", code="SlowDown", status=503, times=100):
        with pytest.raises(ClientError) as raised:
            boto3.client("s3").put_object(Bucket=get_settings().report_bucket, Key="outbox/x", Body=b"x")
    assert raised.value.response["Error"]["Code"] == "SlowDown"
    with faults.injected("sqs", "GetQueueUrl", code="AWS.SimpleQueueService.NonExistentQueue", times=1):
        with pytest.raises(ClientError) as raised:
            boto3.client("sqs").get_queue_url(QueueName="nope")
    assert raised.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
