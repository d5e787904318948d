"""Timeouts, limits and lifecycle: the API fits API Gateway's 29 s with every AWS call's retries
inside it; every queue waits 6x its worker; every async path has a DLQ or an on-failure
destination; workers are capped; prod data is retained; dev teardown empties the bucket."""
from __future__ import annotations

import importlib.util
import json

import boto3
import pytest
from moto import mock_aws

from tests.infra.template_yaml import ROOT, load_template

_spec = importlib.util.spec_from_file_location("kirim_infra_deploy_limits", ROOT / "infra" / "deploy.py")
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
API_GATEWAY_LIMIT = 29
MARGIN = 2  # for the work between calls


def _timeout(stage: str, function: str) -> int:
    body = CONFIG["stages"][stage]
    return body.get("lambda_functions", {}).get(function, {}).get("lambda_timeout") or body["lambda_timeout"]


def worst_case(connect: float, read: float, attempts: int) -> float:
    """Every attempt times out; botocore's standard mode sleeps up to 2**(n-1) s before retry n+1."""
    return attempts * (connect + read) + sum(2 ** i for i in range(attempts - 1))


def test_the_api_lambda_and_its_calls_fit_api_gateway():
    from chalicelib.core import aws, db
    from chalicelib.providers import aws_adapter, meta_whatsapp

    for stage in ("dev", "prod"):
        assert _timeout(stage, "api_handler") < API_GATEWAY_LIMIT
    api = _timeout("prod", "api_handler")
    retries = aws.TIMEOUTS["retries"]
    clients = worst_case(aws.TIMEOUTS["connect_timeout"], aws.TIMEOUTS["read_timeout"], retries["total_max_attempts"])
    dynamodb = worst_case(db._CONNECT_TIMEOUT, 3, db.MAX_RETRY_ATTEMPTS + 1)
    config = aws_adapter.DEFAULT_CONFIG
    aws_provider = worst_case(config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"])
    meta = meta_whatsapp.DEFAULT_TIMEOUT.connect_timeout + meta_whatsapp.DEFAULT_TIMEOUT.read_timeout  # no retries
    # A failing call ends the request, so the worst request is one provider call that times
    # out, then one other call that does (the outbox's), plus the quick successful calls.
    assert max(aws_provider, meta) + max(clients, dynamodb) + MARGIN <= api, (aws_provider, meta, clients, dynamodb)


def test_every_worker_queue_waits_six_times_its_lambda_and_has_a_dlq():
    from chalice.app import SQSEventConfig

    from app import app

    resources = load_template()["Resources"]
    parameters = load_template()["Parameters"]
    queues = {r["Properties"]["QueueName"]["Fn::Sub"].replace("${Stage}", "dev"): r
              for r in resources.values() if r["Type"] == "AWS::SQS::Queue"}
    workers = [c for c in app.event_sources if isinstance(c, SQSEventConfig)]
    assert {c.name for c in workers} == {"dispatch_worker", "simulator_clock", "report_worker", "callbacks_worker", "broadcast_worker"}
    for config in workers:
        queue = queues[config.queue.replace("kirim-local-", "kirim-dev-")]["Properties"]
        visibility = queue["VisibilityTimeout"]
        if isinstance(visibility, dict):
            visibility = parameters[visibility["Ref"]]["Default"]
        for stage in ("dev", "prod"):
            assert visibility >= 6 * _timeout(stage, config.name), (config.name, stage)
        assert "deadLetterTargetArn" in queue["RedrivePolicy"], config.name
        assert config.maximum_concurrency, f"{config.name} has no SQS maximum concurrency"


def test_every_async_function_has_an_on_failure_destination_and_a_cap_in_prod():
    from chalice.app import SNSEventConfig

    from app import app

    outputs = load_template()["Outputs"]
    for config in app.event_sources:
        if isinstance(config, SNSEventConfig):
            assert config.name in deploy.ASYNC_WORKERS
            assert deploy.ASYNC_WORKERS[config.name] in outputs
            assert CONFIG["stages"]["prod"]["lambda_functions"][config.name]["reserved_concurrency"] > 0


def test_every_stream_consumer_sets_aside_what_keeps_failing_before_the_stream_drops_it():
    """A stream batch that keeps failing goes to an on-failure DLQ well before the stream's
    24 hours are up (so its records can still be replayed), and is never bisected."""
    import yaml
    from chalice.app import DynamoDBEventConfig

    from app import app

    outputs = load_template()["Outputs"]
    fragment = yaml.safe_load((ROOT / "infra" / "chalice-merge.yaml").read_text())["Resources"]
    for config in app.event_sources:
        if isinstance(config, DynamoDBEventConfig):
            assert deploy.STREAM_DESTINATIONS[config.name] in outputs
            resource = deploy.resource_name(config.name)
            mapping = fragment[resource]["Properties"]["Events"][f"{resource}DynamodbEventSource"]["Properties"]
            assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 6 * 3600
            assert mapping["BisectBatchOnFunctionError"] is False


def test_configure_async_failures_sets_the_destination(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda")
        import io
        import zipfile
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("app.py", "def handler(e, c):\n    return None\n")
        arn = lam.create_function(FunctionName="kirim-test-provider_events", Runtime="python3.11", Role=role,
                                  Handler="app.handler", Code={"ZipFile": buffer.getvalue()})["FunctionArn"]
        deployed = tmp_path / ".chalice" / "deployed" / "test.json"
        deployed.parent.mkdir(parents=True)
        deployed.write_text(json.dumps({"resources": [
            {"name": "provider_events", "resource_type": "lambda_function", "lambda_arn": arn}]}))
        dlq = "arn:aws:sqs:us-east-1:123456789012:kirim-test-provider-events-dlq"
        deploy.configure_async_failures(lam, tmp_path, "test", {"ProviderEventsDlqArn": dlq})
        config = lam.get_function_event_invoke_config(FunctionName=arn)
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == dlq
        assert config["MaximumRetryAttempts"] == 2


STATEFUL = ("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::SecretsManager::Secret")


def test_prod_data_is_retained_and_tables_recoverable():
    template = load_template()
    assert template["Transform"] == "AWS::LanguageExtensions"  # DeletionPolicy from a condition
    # (A resource made only in the local stage, the test inbox, never exists in prod.)
    stateful = {n: r for n, r in template["Resources"].items() if r["Type"] in STATEFUL
                and r.get("Condition") != "IsLocal"}
    assert len(stateful) >= 20
    for name, resource in stateful.items():
        for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
            assert resource.get(policy) == {"Fn::If": ["IsProd", "Retain", "Delete"]}, (name, policy)
    for name, resource in stateful.items():
        if resource["Type"] == "AWS::DynamoDB::Table" and name not in ("LimitsTable", "IdempotencyTable"):
            assert resource["Properties"]["PointInTimeRecoverySpecification"] == {
                "PointInTimeRecoveryEnabled": {"Fn::If": ["IsProd", True, False]}}, name


def test_alarms_cover_every_dlq_the_api_5xx_rate_and_provider_errors():
    resources = load_template()["Resources"]
    alarms = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    dlqs = {n for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue" and n.endswith("DeadLetterQueue")}
    watched = {a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms.values() if a.get("Namespace") == "AWS/SQS"}
    assert watched == dlqs
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    metrics = {m["MetricStat"]["Metric"]["MetricName"] for a in alarms.values() for m in a.get("Metrics", [])
               if "MetricStat" in m}
    assert {"5XXError", "Count", "ProviderErrors", "ProviderCalls"} <= metrics
    from chalicelib.core import metrics as kirim_metrics
    assert {kirim_metrics.PROVIDER_ERRORS, kirim_metrics.PROVIDER_CALLS} <= metrics


def test_teardown_empties_the_bucket_before_deleting_the_stack(monkeypatch):
    spec = importlib.util.spec_from_file_location("kirim_infra_teardown", ROOT / "infra" / "teardown.py")
    teardown = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(teardown)
    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.warns(UserWarning), mock_aws():
        outputs = deploy.deploy_stack(boto3.client("cloudformation"), "test")
        s3 = boto3.client("s3")
        bucket = outputs["ReportBucket"]
        for key in ("reports/a.csv", "outbox/b.json"):
            s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        s3.create_multipart_upload(Bucket=bucket, Key="reports/big.xlsx")
        emptied = []
        original = teardown.empty_bucket
        monkeypatch.setattr(teardown, "empty_bucket", lambda c, b: emptied.append(original(c, b)) or emptied[-1])
        assert teardown.main(["--stage", "test", "--skip-chalice", "--yes"]) == 0
        assert emptied == [2]
        assert not [s for s in boto3.client("cloudformation").list_stacks()["StackSummaries"]
                    if s["StackName"] == "kirim-test" and s["StackStatus"] != "DELETE_COMPLETE"]
    with pytest.raises(SystemExit):
        teardown.main(["--stage", "prod", "--yes"])  # prod is not a choice
