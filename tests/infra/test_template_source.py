"""A template reaches CloudFormation inline when it fits AWS's 51,200 bytes, else by URL from a private,
encrypted deployment bucket (moto accepts any size inline; `template_of` in test_index_steps.py refuses it
as AWS does, and every deploy there passes through it)."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from infra import template_source
from tests.infra.fake_aws import fake_credentials
from tests.infra.template_yaml import ROOT


@pytest.fixture
def aws(monkeypatch):
    fake_credentials(monkeypatch, "ap-southeast-3")
    with mock_aws():
        yield boto3.client("cloudformation")


def test_a_small_template_goes_inline_and_makes_no_bucket(aws):
    buckets = boto3.client("s3").list_buckets()["Buckets"]   # mock_aws may nest in a session's moto
    assert template_source.template_argument(aws, "Resources: {}\n", "kirim-dev") == {"TemplateBody": "Resources: {}\n"}
    assert boto3.client("s3").list_buckets()["Buckets"] == buckets


def test_kirims_template_goes_by_url_from_a_private_bucket(aws, capsys):
    body = (ROOT / "infra" / "template.yaml").read_text()
    assert len(body.encode()) > template_source.INLINE_LIMIT   # why this exists
    first = template_source.template_argument(aws, body, "kirim-dev")
    bucket = "kirim-deploy-123456789012-ap-southeast-3"
    assert first["TemplateURL"].startswith(f"https://{bucket}.s3.ap-southeast-3.amazonaws.com/templates/kirim-dev/")
    s3 = boto3.client("s3")
    key = first["TemplateURL"].split(".amazonaws.com/", 1)[1]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode() == body
    blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values()) and len(blocked) == 4
    rule, = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    expiry, = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert expiry["Expiration"]["Days"] == template_source.EXPIRE_DAYS
    assert "making the deployment bucket" in capsys.readouterr().out
    # Again: the same bucket and key, said once.
    assert template_source.template_argument(aws, body, "kirim-dev") == first
    assert capsys.readouterr().out == ""
    # moto's CloudFormation reads it from there, as AWS's does.
    aws.validate_template(TemplateURL=first["TemplateURL"])
