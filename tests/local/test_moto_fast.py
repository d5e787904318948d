"""local/moto_fast.py: moto with its faster Query, attribute-value writer and projection answers exactly as
moto's own does: items, order and LastEvaluatedKey on a table's partitions and on an index, both directions
and pages; every kind of attribute value (nested, binary) from each read and write that returns items;
projections of nested paths and list items; SQS sends (standard, FIFO by content or by id) leave the
same queue counts; and TransactWriteItems, done or canceled part way, leaves the same items and stream
records."""
from __future__ import annotations

import boto3
from botocore.config import Config
from moto import mock_aws

from local import moto_fast


def _answers(table: str) -> list:
    """The answers of a set of Queries; `table` is new each time (mock_aws nests inside a session's moto)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "gs")],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "gs", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    rich = {"pk": {"S": "rich"}, "sk": {"S": "s"}, "n": {"N": "1.5"}, "t": {"BOOL": True}, "z": {"NULL": True},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "b": {"B": b"\x00bin"}, "bs": {"BS": [b"x", b"y"]},
            "m": {"M": {"a": {"S": "x"}, "l": {"L": [{"N": "1"}, {"M": {"deep": {"BOOL": False}}}, {"B": b"z"}]}}},
            "e": {"M": {}}, "el": {"L": []}}
    client.put_item(TableName=table, Item=rich)
    answers = [client.get_item(TableName=table, Key={"pk": {"S": "rich"}, "sk": {"S": "s"}})["Item"],
               client.update_item(TableName=table, Key={"pk": {"S": "rich"}, "sk": {"S": "s"}},
                                  UpdateExpression="SET n = n + :one, m.a = :s", ReturnValues="ALL_NEW",
                                  ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"S": "y"}})["Attributes"],
               client.put_item(TableName=table, Item={**rich, "n": {"N": "7"}}, ReturnValues="ALL_OLD")["Attributes"],
               client.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": "rich"}, "sk": {"S": "s"}}]}}
                                     )["Responses"][table],
               client.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": {
                   "pk": {"S": "rich"}, "sk": {"S": "s"}}}}])["Responses"]]
    for expression in ("m.l[1].deep, n, m.a", "m, m.a, ss", "m.l[2], m.l[0], nothere, el, e", "bs, b, m.l"):
        answers.append(client.query(TableName=table, KeyConditionExpression="pk = :p", ProjectionExpression=expression,
                                    ExpressionAttributeValues={":p": {"S": "rich"}})["Items"])
    for i in range(300):  # written out of key order; every 5th item is missing from the index
        n = (i * 7919) % 300
        item = {"pk": {"S": f"p{n % 30}"}, "sk": {"S": f"s{n:04d}"}, "v": {"N": str(n)}}
        if n % 5:
            item.update(g={"S": f"g{n % 3}"}, gs={"S": f"x{n % 40:04d}"})  # gs repeats: ties go by the table's keys
        client.put_item(TableName=table, Item=item)

    def query(**kwargs) -> None:
        pages = 0
        while pages < 20:
            answer = client.query(TableName=table, **kwargs)
            answers.append((answer["Items"], answer.get("LastEvaluatedKey")))
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"], pages = answer["LastEvaluatedKey"], pages + 1

    for forward in (True, False):
        query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p7"}}, Limit=3,
              ScanIndexForward=forward)
        query(KeyConditionExpression="pk = :p AND sk > :s", ExpressionAttributeValues={":p": {"S": "p3"},
              ":s": {"S": "s0100"}}, ScanIndexForward=forward)
        query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "none"}}, ScanIndexForward=forward)
        query(IndexName="by-g", KeyConditionExpression="g = :g AND gs BETWEEN :a AND :b", Limit=7,
              ExpressionAttributeValues={":g": {"S": "g1"}, ":a": {"S": "x0005"}, ":b": {"S": "x0020"}},
              ScanIndexForward=forward)
        query(KeyConditionExpression="pk = :p", ProjectionExpression="sk, v, gs", ScanIndexForward=forward,
              ExpressionAttributeValues={":p": {"S": "p4"}}, Limit=4)
        query(IndexName="by-g", KeyConditionExpression="g = :g", FilterExpression="v > :v", Limit=9,
              ExpressionAttributeValues={":g": {"S": "g2"}, ":v": {"N": "150"}}, ScanIndexForward=forward)
    # The stream's records: every write's keys and images (their times, and moto's size estimate made from the
    # time's text, differ from run to run).
    records = _stream_records(client, table)
    varying = ("ApproximateCreationDateTime", "SizeBytes")
    answers.append([(r["eventName"], {k: v for k, v in r["dynamodb"].items() if k not in varying}) for r in records])
    return answers


def _stream_records(client, table: str) -> list[dict]:
    """Every record of the table's stream, from its start."""
    streams = boto3.client("dynamodbstreams", region_name="us-east-1",
                           config=Config(account_id_endpoint_mode="disabled"))
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]


def _unordered_sets(value):
    """DynamoDB's sets have no order (moto's follows Python's set order, which varies from run to run)."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else _unordered_sets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unordered_sets(v) for v in value]
    return value


def test_reads_and_writes_answer_as_moto_alone_does(monkeypatch):
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.table import Table

    assert moto_fast.install(), "moto's version changed: check local/moto_fast.py against it"
    with mock_aws():
        fast = _answers("moto-query-fast")
    monkeypatch.setattr(Table, "query", moto_fast.original["query"])
    monkeypatch.setattr(Table, "all_items", moto_fast.original["all_items"])
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", moto_fast.original["serialize_structure"])
    monkeypatch.setattr(dynamo_type.Item, "project", moto_fast.original["project"])
    with mock_aws():
        slow = _answers("moto-query-slow")
    assert len(fast) > 20 and fast[0]["m"]["M"]["l"]["L"][1] == {"M": {"deep": {"BOOL": False}}}
    assert fast[5][0]["m"]["M"]["l"]["L"] == [{"M": {"deep": {"BOOL": False}}}]  # a projection's nested part
    assert len(fast[-1]) == 303 and fast[-1][1][0] == "MODIFY"  # 3 writes of the rich item, then 300 others
    assert _unordered_sets(fast) == _unordered_sets(slow)


def _queue_answers(prefix: str) -> list:
    """Counts after sends; the queues are new each time (mock_aws nests inside a session's moto)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    answers = []
    plain = sqs.create_queue(QueueName=f"{prefix}-plain")["QueueUrl"]
    by_content = sqs.create_queue(QueueName=f"{prefix}-c.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    by_id = sqs.create_queue(QueueName=f"{prefix}-i.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sqs.send_message_batch(QueueUrl=plain, Entries=[{"Id": str(n), "MessageBody": f"m{n}"} for n in range(7)])
    sqs.send_message(QueueUrl=plain, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=plain, MaxNumberOfMessages=2, VisibilityTimeout=60)
    for _ in range(2):   # the same body twice: one message
        sqs.send_message(QueueUrl=by_content, MessageBody="same", MessageGroupId="g")
    try:
        sqs.send_message(QueueUrl=by_id, MessageBody="no id", MessageGroupId="g")
    except sqs.exceptions.ClientError as error:
        answers.append(error.response["Error"]["Code"])
    for url in (plain, by_content, by_id):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        answers.append({k: v for k, v in attributes.items() if k.startswith("Approximate")})
    return answers


def test_sending_to_a_queue_answers_as_moto_alone_does(monkeypatch):
    from moto.sqs.models import Queue, SQSBackend

    assert moto_fast.install()
    with mock_aws():
        fast = _queue_answers("moto-sqs-fast")
    for name in moto_fast._COUNTS:
        monkeypatch.setattr(Queue, name, moto_fast.original[name])
    for name in ("send_message", "_validate_message"):
        monkeypatch.setattr(SQSBackend, name, moto_fast.original[name])
    with mock_aws():
        slow = _queue_answers("moto-sqs-slow")
    assert fast[1] == {"ApproximateNumberOfMessages": "5", "ApproximateNumberOfMessagesDelayed": "1",
                       "ApproximateNumberOfMessagesNotVisible": "2"}, fast
    assert fast[2]["ApproximateNumberOfMessages"] == "1" and fast == slow


def _transaction_answers(prefix: str) -> list:
    """Items and stream records after transactions that succeed and that are canceled after some of their
    writes were applied (moto writes each in turn, then undoes them)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    names = {"ranged": f"{prefix}-ranged", "plain": f"{prefix}-plain"}
    client.create_table(
        TableName=names["ranged"], BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    client.create_table(
        TableName=names["plain"], BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ranged, plain = names["ranged"], names["plain"]
    client.put_item(TableName=ranged, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"},
                                             "m": {"M": {"x": {"L": [{"S": "deep"}]}}}})
    client.put_item(TableName=plain, Item={"id": {"S": "q"}, "units": {"N": "10"}})

    def debit(units: int, message: str, condition: str = "units >= :u") -> dict:
        return {"TransactItems": [
            {"Update": {"TableName": plain, "Key": {"id": {"S": "q"}}, "UpdateExpression": "SET units = units - :u",
                        "ConditionExpression": condition, "ExpressionAttributeValues": {":u": {"N": str(units)}}}},
            {"Update": {"TableName": ranged, "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = n + :one, m.x[0] = :s",
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":s": {"S": message}}}},
            {"Put": {"TableName": ranged, "Item": {"pk": {"S": "a"}, "sk": {"S": message}},
                     "ConditionExpression": "attribute_not_exists(pk)"}}]}

    answers = []
    for request in (debit(3, "first"),                      # done
                    debit(3, "first"),                      # canceled by its last write, after two applied
                    debit(30, "big"),                       # canceled by its first
                    {"TransactItems": [                     # a deletion and a new partition, then a refusal
                        {"Delete": {"TableName": ranged, "Key": {"pk": {"S": "a"}, "sk": {"S": "first"}}}},
                        {"Put": {"TableName": plain, "Item": {"id": {"S": "new"}}}},
                        {"ConditionCheck": {"TableName": plain, "Key": {"id": {"S": "q"}},
                                            "ConditionExpression": "units > :u",
                                            "ExpressionAttributeValues": {":u": {"N": "100"}}}}]},
                    debit(2, "second")):                    # done
        try:
            client.transact_write_items(**request)
            answers.append("done")
        except client.exceptions.TransactionCanceledException as error:
            answers.append([reason["Code"] for reason in error.response["CancellationReasons"]])
    for table in (ranged, plain):
        answers.append(sorted(map(str, client.scan(TableName=table)["Items"])))
        records = _stream_records(client, table)
        answers.append([(r["eventName"], r["dynamodb"]["Keys"], r["dynamodb"].get("NewImage")) for r in records])
    return answers


def test_transactions_done_or_canceled_leave_what_moto_alone_leaves(monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    assert moto_fast.install()
    with mock_aws():
        fast = _transaction_answers("moto-tx-fast")
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", moto_fast.original["transact_write_items"])
    with mock_aws():
        slow = _transaction_answers("moto-tx-slow")
    assert fast[:5] == ["done", ["None", "None", "ConditionalCheckFailed"], ["ConditionalCheckFailed", "None", "None"],
                        ["None", "None", "ConditionalCheckFailed"], "done"], fast[:5]
    assert len(fast[6]) == 1 + 2 + 2 and len(fast[8]) == 1 + 1 + 1  # the first writes, then the two done
    assert fast == slow
