"""local/moto_query.py: moto's Query without its whole-table sort answers exactly as moto's own does
(items, order, LastEvaluatedKey), on a table's partitions and on an index, both directions and pages."""
from __future__ import annotations

import boto3
from moto import mock_aws

from local import moto_query


def _answers(table: str) -> list:
    """The answers of a set of Queries; `table` is new each time (mock_aws nests inside a session's moto)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "gs")],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "gs", "KeyType": "RANGE"}]}])
    for i in range(300):  # written out of key order; every 5th item is missing from the index
        n = (i * 7919) % 300
        item = {"pk": {"S": f"p{n % 30}"}, "sk": {"S": f"s{n:04d}"}, "v": {"N": str(n)}}
        if n % 5:
            item.update(g={"S": f"g{n % 3}"}, gs={"S": f"x{n % 40:04d}"})  # gs repeats: ties go by the table's keys
        client.put_item(TableName=table, Item=item)
    answers = []

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
        query(IndexName="by-g", KeyConditionExpression="g = :g", FilterExpression="v > :v", Limit=9,
              ExpressionAttributeValues={":g": {"S": "g2"}, ":v": {"N": "150"}}, ScanIndexForward=forward)
    return answers


def test_a_query_answers_as_moto_alone_does(monkeypatch):
    from moto.dynamodb.models.table import Table

    assert moto_query.install(), "moto's version changed: check local/moto_query.py against it"
    with mock_aws():
        fast = _answers("moto-query-fast")
    monkeypatch.setattr(Table, "query", moto_query.original["query"])
    monkeypatch.setattr(Table, "all_items", moto_query.original["all_items"])
    with mock_aws():
        slow = _answers("moto-query-slow")
    assert len(fast) > 20 and any(items for items, _ in fast)
    assert fast == slow
