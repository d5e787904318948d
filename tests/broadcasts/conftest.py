"""S3 for the recipient file tests: moto in this process, one bucket, a fresh key per upload."""
from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.broadcasts import plan

BUCKET = "kirim-broadcast-files"
APP = "app_test"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def upload(s3: Any, data: bytes) -> str:
    """Puts `data` where an upload lands; returns the broadcast id."""
    broadcast_id = f"bc_{next(_numbers):06d}"
    s3.put_object(Bucket=BUCKET, Key=plan.upload_key(APP, broadcast_id), Body=data)
    return broadcast_id


def chunks(s3: Any, broadcast_id: str, count: int) -> list[bytes]:
    return [s3.get_object(Bucket=BUCKET, Key=plan.chunk_key(APP, broadcast_id, n))["Body"].read() for n in range(count)]
