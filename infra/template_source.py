"""How a template reaches CloudFormation: inline when it fits, else from S3.

CloudFormation takes at most 51,200 bytes in `TemplateBody`; Kirim's template (its comments say why each
resource is as it is) is larger, so it goes by `TemplateURL` (up to 1 MB) from a deployment bucket, one per
account and region, that `make deploy` makes the first time: private (public access blocked), encrypted at
rest, and its templates expire after 30 days (a stack keeps its own copy). Each template is stored under
its content's hash, so a step repeated uploads nothing new.
"""
from __future__ import annotations

import hashlib
from urllib.parse import urlparse

import boto3

INLINE_LIMIT = 51_200    # CloudFormation's TemplateBody limit, in bytes
EXPIRE_DAYS = 30


def bucket_name(account: str, region: str) -> str:
    return f"kirim-deploy-{account}-{region}"


def on_aws(client) -> bool:
    """Whether the client talks to AWS (not the local stage's moto)."""
    return (urlparse(client.meta.endpoint_url).hostname or "").endswith((".amazonaws.com", ".amazonaws.com.cn"))


def beside(cfn_client, service: str):
    """A client of `service` for the CloudFormation client's region and (moto's) endpoint."""
    return boto3.client(service, region_name=cfn_client.meta.region_name,
                        endpoint_url=None if on_aws(cfn_client) else cfn_client.meta.endpoint_url)


def _ensure_bucket(s3, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except s3.exceptions.ClientError as err:
        if err.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise   # 403: the name is another account's, or no s3:ListBucket; say so, not guess
    if on_aws(s3):   # the local stage's terminal shows requests and worker events only
        print(f"deploy: making the deployment bucket {bucket} (the template is over CloudFormation's inline limit)")
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **where)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "templates-expire", "Status": "Enabled", "Filter": {"Prefix": "templates/"},
         "Expiration": {"Days": EXPIRE_DAYS}}]})


def template_argument(cfn_client, body: str, stack: str) -> dict[str, str]:
    """{"TemplateBody": body} when it fits, else {"TemplateURL": ...} of the body uploaded."""
    data = body.encode("utf-8")
    if len(data) <= INLINE_LIMIT:
        return {"TemplateBody": body}
    region = cfn_client.meta.region_name
    account = beside(cfn_client, "sts").get_caller_identity()["Account"]
    s3 = beside(cfn_client, "s3")
    bucket = bucket_name(account, region)
    _ensure_bucket(s3, bucket, region)
    key = f"templates/{stack}/{hashlib.sha256(data).hexdigest()[:32]}.yaml"
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="text/yaml")
    return {"TemplateURL": f"https://{bucket}.s3.{region}.amazonaws.com/{key}"}
