"""Tests for infra/: the CloudFormation template, the Chalice merge fragment and deploy.py.

Self-contained: moto in process (mock_aws), fake credentials, no conftest.

moto 5.2.5's CloudFormation ignores a table's TTL and a bucket's lifecycle;
local/moto_stack.apply_what_moto_skips applies them through the services' own
APIs (as `make run` and the test stack do), and the test then requires them
applied, exactly. Where moto ignores a property no API can set there (public
access block, ownership controls, SNS TopicPolicy), the test checks that the
template declares it.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from io import BytesIO
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.infra.template_yaml import load_template

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
TEMPLATE = INFRA / "template.yaml"
MERGE = INFRA / "chalice-merge.yaml"
STAGE = "test"
ACCOUNT = "123456789012"  # moto's default account

# infra/ is not a package; load deploy.py by path.
_spec = importlib.util.spec_from_file_location("kirim_infra_deploy", INFRA / "deploy.py")
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)
_package_spec = importlib.util.spec_from_file_location("kirim_infra_package", INFRA / "package.py")
package = importlib.util.module_from_spec(_package_spec)
_package_spec.loader.exec_module(package)



# name suffix -> (hash key or (hash, range), {gsi name: (hash, range, projection)}, ttl attribute or None)
TABLES = {
    "users": ("email", {"by_kind": ("kind", "created_at", "ALL")}, None),
    "sessions": ("token_hash", {}, "expires_ttl"),
    "applications": ("application_id", {"by_owner": ("owner_id", "created_at", "ALL"),
                                        "by_due": ("due_part", "due", "KEYS_ONLY"),
                                        "by_member": ("member_id", "created_at", "ALL")}, None),
    "tokens": ("token_hash", {}, None),
    "limits": ("pk", {}, "expires_ttl"),
    "messages": ("message_id", {"by_app_channel": ("app_channel", "message_id", "ALL"),
                                "by_app": ("app_shard", "message_id", "ALL"),
                                "by_status": ("app_channel_status", "message_id", "ALL"),
                                "by_recipient": ("app_recipient", "message_id", "INCLUDE"),
                                "by_broadcast": ("app_broadcast", "message_id", "INCLUDE"),
                                "by_sweep": ("sweep", "sweep_at", "KEYS_ONLY"),
                                "by_wamid": ("wamid", None, "KEYS_ONLY")}, None),
    "idempotency": ("id", {}, "expiration"),
    "counters": (("pk", "sk"), {}, None),
    "ivr": (("application_id", "ivr_id"), {}, None),
    "reports": (("application_id", "report_id"), {"by_due": ("status", "due_at", "KEYS_ONLY")}, None),
    "templates": (("application_id", "sk"), {"by_provider_template": ("provider_template_id", None, "KEYS_ONLY")},
                  None),
    "callbacks": (("message_id", "sequence"), {"by_due": ("due_part", "due_at", "KEYS_ONLY"),
                                              "by_failed": ("failed_app", "failed_at", "KEYS_ONLY")}, "expires_ttl"),
    "verifications": ("pk", {}, "expires_ttl"),
}


def _without_stream(env: dict) -> dict:
    env = dict(env)
    assert env.pop("MESSAGES_STREAM_ARN").startswith(
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/kirim-{STAGE}-messages/stream/")
    return env

EXPECTED_ENV = {
    "USERS_TABLE": f"kirim-{STAGE}-users",
    "SESSIONS_TABLE": f"kirim-{STAGE}-sessions",
    "APPLICATIONS_TABLE": f"kirim-{STAGE}-applications",
    "TOKENS_TABLE": f"kirim-{STAGE}-tokens",
    "LIMITS_TABLE": f"kirim-{STAGE}-limits",
    "MESSAGES_TABLE": f"kirim-{STAGE}-messages",
    "IDEMPOTENCY_TABLE": f"kirim-{STAGE}-idempotency",
    "REPORT_QUEUE_NAME": f"kirim-{STAGE}-reports",
    "BROADCASTS_TABLE": f"kirim-{STAGE}-broadcasts",
    "BROADCAST_QUEUE_NAME": f"kirim-{STAGE}-broadcasts",
    "REPORT_QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/kirim-{STAGE}-reports",
    "REPORT_QUEUE_ARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:kirim-{STAGE}-reports",
    "REPORT_DLQ_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/kirim-{STAGE}-reports-dlq",
    "REPORT_BUCKET": f"kirim-{STAGE}-reports-{ACCOUNT}",
    "PROVIDER_EVENTS_TOPIC_ARN": f"arn:aws:sns:us-east-1:{ACCOUNT}:kirim-{STAGE}-provider-events",
    "COUNTERS_TABLE": f"kirim-{STAGE}-counters",
    "IVR_TABLE": f"kirim-{STAGE}-ivr",
    "TEMPLATES_TABLE": f"kirim-{STAGE}-templates",
    "REPORTS_TABLE": f"kirim-{STAGE}-reports",
    "DISPATCH_QUEUE_NAME": f"kirim-{STAGE}-dispatch",
    "DISPATCH_QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/kirim-{STAGE}-dispatch",
    "DISPATCH_DLQ_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/kirim-{STAGE}-dispatch-dlq",
    "SIMULATOR_QUEUE_NAME": f"kirim-{STAGE}-simulator",
    "SIMULATOR_QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/kirim-{STAGE}-simulator",
    "EMAIL_CONFIGURATION_SET": f"kirim-{STAGE}-email",
    "SMS_CONFIGURATION_SET": f"kirim-{STAGE}-sms",
    "SIMULATOR_DLQ_URL": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/kirim-{STAGE}-simulator-dlq",
    "PROVIDER_EVENTS_DLQ_ARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:kirim-{STAGE}-provider-events-dlq",
    "ALARM_TOPIC_ARN": f"arn:aws:sns:us-east-1:{ACCOUNT}:kirim-{STAGE}-alarms",
    "CALLBACKS_TABLE": f"kirim-{STAGE}-callbacks",
    "VERIFICATIONS_TABLE": f"kirim-{STAGE}-verifications",
    "CALLBACK_QUEUE_NAME": f"kirim-{STAGE}-callbacks.fifo",
    "CALLBACK_DLQ_NAME": f"kirim-{STAGE}-callbacks-dlq.fifo",
    "MESSAGE_STREAM_DLQ_ARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:kirim-{STAGE}-message-stream-dlq",
    # MESSAGES_STREAM_ARN: the stream's label is its creation time (checked by prefix).
    # SIMULATOR_INBOX_TABLE: the local stage's only.
    # MASTER_KEY_SECRET_ARN and PROVIDER_SECRET_ARN: moto's CloudFormation creates no secrets.
}


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    # Never let a developer's real endpoint or profile leak into the tests.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws(aws_env):
    # moto's CloudFormation warns that it skips AWS::SNS::TopicPolicy (see
    # test_deploy_stack_creates_resources); that is expected here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*AWS::SNS::TopicPolicy.*")
        with mock_aws():
            yield


@pytest.fixture
def stack(aws):
    """Given the stack deployed into moto (with what moto's CloudFormation skips applied), its outputs."""
    from local.moto_stack import apply_what_moto_skips

    outputs = deploy.deploy_stack(boto3.client("cloudformation"), STAGE, TEMPLATE)
    applied = apply_what_moto_skips(STAGE, TEMPLATE)
    # The local-only test inbox table (Condition: IsLocal) is not in this stage, so nothing is applied to it.
    assert sorted(applied["ttl"]) == [f"kirim-{STAGE}-{s}"
                                      for s in ("callbacks", "idempotency", "limits", "sessions", "verifications")]
    assert applied["lifecycle"] == [f"kirim-{STAGE}-reports-{ACCOUNT}"]
    return outputs


def _without_stream(env: dict) -> dict:
    """The stack's environment less MESSAGES_STREAM_ARN, whose label is a timestamp: it must be
    the messages table's current stream."""
    env = dict(env)
    stream = env.pop("MESSAGES_STREAM_ARN")
    table = boto3.client("dynamodb").describe_table(TableName=f"kirim-{STAGE}-messages")["Table"]
    assert stream == table["LatestStreamArn"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return env


# ------------------------------------------------------------------ lint


def test_template_passes_cfn_lint():
    exe = Path(sys.executable).with_name("cfn-lint")
    cmd = [str(exe)] if exe.exists() else [shutil.which("cfn-lint") or "cfn-lint"]
    result = subprocess.run(cmd + [str(TEMPLATE)], capture_output=True, text=True)
    assert result.returncode == 0, f"cfn-lint failed:\n{result.stdout}\n{result.stderr}"


# ------------------------------------------------------------------ stack in moto


def test_deploy_stack_creates_resources(stack):
    # Then every output is there, named from the stage, and exported for the packaged app's stack
    assert _without_stream(deploy.outputs_to_env(stack)) == EXPECTED_ENV
    # (moto also lists, without a value, the exports of what it skips: the secrets and the local-only table.)
    cfn = boto3.client("cloudformation")
    stack_id = cfn.describe_stacks(StackName=f"kirim-{STAGE}")["Stacks"][0]["StackId"]
    exports = [e for page in cfn.get_paginator("list_exports").paginate() for e in page["Exports"]
               if e["ExportingStackId"] == stack_id]
    assert {e["Name"]: e["Value"] for e in exports if "Value" in e} == {
        f"kirim-{STAGE}-{key}": value for key, value in stack.items()}

    # Then the tables have their keys and indexes
    ddb = boto3.client("dynamodb")
    template = load_template()["Resources"]
    for suffix, (hash_key, gsis, ttl_attr) in TABLES.items():
        table = ddb.describe_table(TableName=f"kirim-{STAGE}-{suffix}")["Table"]
        keys = hash_key if isinstance(hash_key, tuple) else (hash_key,)
        assert table["KeySchema"] == [{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"))], suffix
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        got = {
            g["IndexName"]: (g["KeySchema"], g["Projection"]["ProjectionType"])
            for g in table.get("GlobalSecondaryIndexes", [])
        }
        want = {
            name: ([{"AttributeName": h, "KeyType": "HASH"}] + ([{"AttributeName": r, "KeyType": "RANGE"}] if r else []),
                   projection)
            for name, (h, r, projection) in gsis.items()
        }
        assert got == want, suffix

        # TTL: declared by the template exactly where expected, and applied.
        resource = next(
            r for r in template.values()
            if r["Type"] == "AWS::DynamoDB::Table"
            and r["Properties"]["TableName"] == {"Fn::Sub": f"kirim-${{Stage}}-{suffix}"}
        )
        declared = resource["Properties"].get("TimeToLiveSpecification")
        ttl = ddb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        if ttl_attr:
            assert declared == {"AttributeName": ttl_attr, "Enabled": True}, suffix
            assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": ttl_attr}, suffix
        else:
            assert declared is None, suffix
            assert ttl == {"TimeToLiveStatus": "DISABLED"}, suffix

    # Then the queue redrives to the DLQ after 3 receives
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=stack["ReportQueueUrl"], AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=stack["ReportDlqUrl"], AttributeNames=["All"])["Attributes"]
    assert queue["VisibilityTimeout"] == "5400"
    assert queue["SqsManagedSseEnabled"] == "true"
    assert json.loads(queue["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 3}
    assert dlq["MessageRetentionPeriod"] == "1209600"
    assert queue["QueueArn"] == stack["ReportQueueArn"]

    # Then the callbacks queue is FIFO, its limits per message group (an application), and so is its DLQ
    callbacks = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=EXPECTED_ENV["CALLBACK_QUEUE_NAME"])[
        "QueueUrl"], AttributeNames=["All"])["Attributes"]
    assert {k: callbacks.get(k) for k in ("FifoQueue", "DeduplicationScope", "FifoThroughputLimit")} == {
        "FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    assert json.loads(callbacks["RedrivePolicy"])["deadLetterTargetArn"].endswith(EXPECTED_ENV["CALLBACK_DLQ_NAME"])

    # Then the bucket exists and is encrypted
    s3 = boto3.client("s3")
    bucket = stack["ReportBucket"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    # Lifecycle: declared in the template; moto 5.2.5's CloudFormation applies
    # only BucketEncryption and Tags to a bucket, so it has no lifecycle there.
    props = template["ReportBucket"]["Properties"]
    assert props["LifecycleConfiguration"]["Rules"] == [{
        "Id": "expire-reports",
        "Status": "Enabled",
        "Prefix": "reports/",
        "ExpirationInDays": {"Ref": "ReportRetentionDays"},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }, {"Id": "expire-outbox", "Status": "Enabled", "Prefix": "outbox/", "ExpirationInDays": 3},
        {"Id": "expire-simulator", "Status": "Enabled", "Prefix": "simulator/", "ExpirationInDays": 1}]
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True
    )
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(r["ID"], r["Status"], r["Filter"], r["Expiration"], r.get("AbortIncompleteMultipartUpload"))
            for r in lifecycle] == [
        ("expire-reports", "Enabled", {"Prefix": "reports/"}, {"Days": 7}, {"DaysAfterInitiation": 1}),
        ("expire-outbox", "Enabled", {"Prefix": "outbox/"}, {"Days": 3}, None),
        ("expire-simulator", "Enabled", {"Prefix": "simulator/"}, {"Days": 1}, None)]

    # Then the topic exists
    sns = boto3.client("sns")
    attributes = sns.get_topic_attributes(TopicArn=stack["ProviderEventsTopicArn"])["Attributes"]
    assert attributes["TopicArn"] == EXPECTED_ENV["PROVIDER_EVENTS_TOPIC_ARN"]


def test_deploy_twice_is_a_no_op(stack):
    # Given data in the stack's resources
    boto3.client("dynamodb").put_item(
        TableName=f"kirim-{STAGE}-users", Item={"email": {"S": "a@example.com"}}
    )
    # When deploying again with nothing changed (real CloudFormation answers
    # "No updates are to be performed"; moto runs an empty update)
    again = deploy.deploy_stack(boto3.client("cloudformation"), STAGE, TEMPLATE)
    # Then it succeeds, with the same outputs and the data still there
    assert again == stack
    item = boto3.client("dynamodb").get_item(
        TableName=f"kirim-{STAGE}-users", Key={"email": {"S": "a@example.com"}}
    )
    assert "Item" in item


def test_no_updates_error_is_not_a_failure(aws_env):
    # Real CloudFormation's answer when nothing changed, which moto never gives.
    class FakeCfn:
        meta = type("Meta", (), {"region_name": "us-east-1",
                                 "endpoint_url": "https://cloudformation.us-east-1.amazonaws.com"})()

        def __init__(self):
            self.calls = []

        def describe_stacks(self, StackName):
            return {"Stacks": [{"StackName": StackName, "StackStatus": "CREATE_COMPLETE",
                                "Outputs": [{"OutputKey": "UsersTable", "OutputValue": "kirim-test-users"}]}]}

        def get_template(self, StackName, TemplateStage):  # the same template: no index to add in steps
            return {"TemplateBody": TEMPLATE.read_text()}

        def get_paginator(self, name):
            assert name == "list_stack_resources"
            return type("Pages", (), {"paginate": lambda self, StackName: [{"StackResourceSummaries": []}]})()

        def update_stack(self, **kwargs):
            self.calls.append(kwargs)
            raise ClientError(
                {"Error": {"Code": "ValidationError", "Message": "No updates are to be performed."}},
                "UpdateStack",
            )

        def get_waiter(self, name):
            raise AssertionError("nothing to wait for")

    cfn = FakeCfn()
    with mock_aws():   # the template's upload (it is over the inline limit)
        assert deploy.deploy_stack(cfn, STAGE, TEMPLATE, dynamodb_client=object()) == {"UsersTable": "kirim-test-users"}
    assert cfn.calls[0]["Parameters"] == [{"ParameterKey": "Stage", "ParameterValue": STAGE}]


def test_outputs_to_env_names():
    outputs = {
        "UsersTable": "u",
        "ReportQueueUrl": "q",
        "ProviderEventsTopicArn": "t",
        "ReportDlqUrl": "d",
        "IdempotencyTable": "i",
    }
    assert deploy.outputs_to_env(outputs) == {
        "USERS_TABLE": "u",
        "REPORT_QUEUE_URL": "q",
        "PROVIDER_EVENTS_TOPIC_ARN": "t",
        "REPORT_DLQ_URL": "d",
        "IDEMPOTENCY_TABLE": "i",
    }


def test_the_master_keys_old_output_is_never_read_and_its_old_variable_is_removed(tmp_path):
    """CursorSecretArn stays one release for app stacks that import it; deploy writes MASTER_KEY_SECRET_ARN
    only, and drops the CURSOR_SECRET_ARN an earlier deploy wrote into config.json."""
    env = deploy.outputs_to_env({"MasterKeySecretArn": "arn:key", "CursorSecretArn": "arn:key", "UsersTable": "u"})
    assert env == {"MASTER_KEY_SECRET_ARN": "arn:key", "USERS_TABLE": "u"}
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"stages": {"dev": {"environment_variables": {"CURSOR_SECRET_ARN": "arn:key"}}}}))
    deploy.write_env(path, "dev", env)
    assert json.loads(path.read_text())["stages"]["dev"]["environment_variables"] == env


def test_template_outputs_are_the_documented_set():
    outputs = load_template()["Outputs"]
    assert set(outputs) == {
        "UsersTable", "SessionsTable", "ApplicationsTable", "TokensTable", "LimitsTable",
        "MessagesTable", "MessagesStreamArn", "IdempotencyTable", "ReportQueueName", "ReportQueueUrl",
        "ReportQueueArn", "ReportDlqUrl", "ReportBucket", "ProviderEventsTopicArn",
        "CountersTable", "IvrTable", "TemplatesTable", "ReportsTable", "MasterKeySecretArn", "CursorSecretArn", "DispatchQueueName", "DispatchQueueUrl", "DispatchDlqUrl",
        "SimulatorQueueName", "SimulatorQueueUrl", "EmailConfigurationSet", "SmsConfigurationSet",
        "ProviderSecretArn", "SimulatorDlqUrl", "ProviderEventsDlqArn", "MessageStreamDlqArn", "AlarmTopicArn",
        "ApiHandlerRoleArn", "DispatchWorkerRoleArn", "SimulatorClockRoleArn", "ReportWorkerRoleArn",
        "ProviderEventsRoleArn", "MessageStreamRoleArn", "DispatchSweeperRoleArn", "QuotaReconcilerRoleArn",
        "CallbacksTable", "VerificationsTable", "SimulatorInboxTable",
        "CallbackQueueName", "CallbackDlqName", "CallbacksWorkerRoleArn", "CallbackSweeperRoleArn",
        "ReportSweeperRoleArn", "BroadcastsTable", "BroadcastQueueName", "BroadcastWorkerRoleArn",
        "BroadcastPacerRoleArn",
    }
    # Each is exported as <stack>-<key>: the template `make package` writes imports them (infra/package.py).
    assert {key: o.get("Export") for key, o in outputs.items()} == {
        key: {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{key}"}} for key in outputs}


# ------------------------------------------------------------------ config.json


def test_write_env_preserves_other_keys(tmp_path):
    # Given a Chalice config with other stages, keys and variables
    original = {
        "version": "2.0",
        "app_name": "kirim",
        "environment_variables": {"GLOBAL": "1"},
        "stages": {
            "dev": {"api_gateway_stage": "api", "environment_variables": {"DEFAULT_QUOTA": "0", "USERS_TABLE": "old"}},
            "local": {"environment_variables": {"DEFAULT_QUOTA": "1000"}},
        },
    }
    path = tmp_path / ".chalice" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(original, indent=4))

    # When the dev stack's variables are written, and a stage that has none yet
    deploy.write_env(path, "dev", {"USERS_TABLE": "kirim-dev-users", "REPORT_QUEUE_NAME": "kirim-dev-reports"})
    deploy.write_env(path, "prod", {"USERS_TABLE": "kirim-prod-users"})

    # Then only those variables changed, and the file is 2-space JSON ending in a newline
    text = path.read_text()
    config = json.loads(text)
    expected = json.loads(json.dumps(original))
    expected["stages"]["dev"]["environment_variables"].update(
        USERS_TABLE="kirim-dev-users", REPORT_QUEUE_NAME="kirim-dev-reports"
    )
    expected["stages"]["prod"] = {"environment_variables": {"USERS_TABLE": "kirim-prod-users"}}
    assert config == expected
    assert text == json.dumps(expected, indent=2) + "\n"
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]  # no temp file left


def test_main_skip_chalice_writes_config(aws, tmp_path, monkeypatch):
    def no_chalice(*args, **kwargs):
        raise AssertionError(f"--skip-chalice ran {args}")

    monkeypatch.setattr(deploy.subprocess, "run", no_chalice)
    # A project: the app (chalice validates it and lists its functions) and its config.
    (tmp_path / "app.py").symlink_to(ROOT / "app.py")
    (tmp_path / "chalicelib").symlink_to(ROOT / "chalicelib")
    config = tmp_path / ".chalice" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"version": "2.0", "app_name": "kirim", "stages": {STAGE: {}}}))

    assert deploy.main(["--stage", STAGE, "--skip-chalice", "--config", str(config), "--no-input"]) == 0

    stage = json.loads(config.read_text())["stages"][STAGE]
    assert _without_stream(stage["environment_variables"]) == EXPECTED_ENV
    # Each function gets its own role from the stack, for `make package` as for chalice deploy.
    assert stage["lambda_functions"] == {
        name: {"manage_iam_role": False, "iam_role_arn": f"arn:aws:iam::{ACCOUNT}:role/kirim-{STAGE}-{role}"}
        for name, role in (("api_handler", "api"), ("provider_events", "provider-events"),
                           ("dispatch_worker", "dispatch"), ("simulator_clock", "simulator"),
                           ("report_worker", "reports"), ("message_stream", "message-stream"),
                           ("dispatch_sweeper", "dispatch-sweeper"), ("quota_reconciler", "quota-reconciler"),
                           ("callbacks_worker", "callbacks"), ("callback_sweeper", "callback-sweeper"),
                           ("broadcast_worker", "broadcasts"), ("broadcast_pacer", "broadcast-pacer"),
                           ("report_sweeper", "report-sweeper"))}


# ------------------------------------------------------------------ after chalice deploy


def _write_deployed(project, resources):
    path = project / ".chalice" / "deployed" / f"{STAGE}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"resources": resources, "schema_version": "2.0", "backend": "api"}))


def _zip():
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def test_enable_batch_item_failures_patches_the_sqs_mapping(stack, tmp_path):
    # Given the report worker as chalice deploy leaves it: a function with an
    # SQS mapping that has no FunctionResponseTypes
    role = boto3.client("iam").create_role(
        RoleName="kirim-test", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    lam = boto3.client("lambda")
    arn = lam.create_function(
        FunctionName="kirim-test-report_worker", Runtime="python3.11", Role=role,
        Handler="app.handler", Code={"ZipFile": _zip()},
    )["FunctionArn"]
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stack["ReportQueueArn"], FunctionName=arn, BatchSize=10
    )["UUID"]
    assert not lam.get_event_source_mapping(UUID=uuid).get("FunctionResponseTypes")
    _write_deployed(tmp_path, [
        {"name": "report_worker", "resource_type": "lambda_function", "lambda_arn": arn},
        {"name": "report_worker-sqs-event-source", "resource_type": "sqs_event",
         "queue_arn": stack["ReportQueueArn"], "event_uuid": uuid, "lambda_arn": arn},
    ])

    # When patched (twice: a redeploy must be harmless)
    deploy.enable_batch_item_failures(lam, tmp_path, STAGE)
    deploy.enable_batch_item_failures(lam, tmp_path, STAGE)

    # Then the mapping reports partial batch failures
    assert lam.get_event_source_mapping(UUID=uuid)["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_stream_mapping_sets_aside_a_batch_failing_for_an_hour_and_never_drops_one(stack, tmp_path):
    """Issue 20, item 7: without an on-failure destination and a record age, a batch that keeps
    failing blocks its shard until the stream trims the records at 24 hours, and Lambda then
    drops them without a word. Both deploy paths set both."""
    # Given the message_stream function as chalice deploy leaves it: a stream mapping with Lambda's defaults
    role = boto3.client("iam").create_role(
        RoleName="kirim-test-stream", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    lam = boto3.client("lambda")
    arn = lam.create_function(FunctionName="kirim-test-message_stream", Runtime="python3.11", Role=role,
                              Handler="app.handler", Code={"ZipFile": _zip()})["FunctionArn"]
    uuid = lam.create_event_source_mapping(EventSourceArn=stack["MessagesStreamArn"], FunctionName=arn,
                                           StartingPosition="TRIM_HORIZON", BatchSize=100)["UUID"]
    _write_deployed(tmp_path, [{"name": "message_stream", "resource_type": "lambda_function", "lambda_arn": arn}])

    # When deploy.py sets what chalice deploy cannot (twice: a redeploy must be harmless)
    for _ in range(2):
        deploy.enable_batch_item_failures(lam, tmp_path, STAGE, names=("message_stream",))
        deploy.configure_stream_failures(lam, tmp_path, STAGE, stack)

    # Then a batch still failing when its first record is an hour old goes to the stack's DLQ
    mapping = lam.get_event_source_mapping(UUID=uuid)
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": stack["MessageStreamDlqArn"]}}
    assert (mapping["MaximumRecordAgeInSeconds"], mapping["MaximumRetryAttempts"],
            mapping["BisectBatchOnFunctionError"], mapping["FunctionResponseTypes"]) == (
        3600, -1, False, ["ReportBatchItemFailures"])
    # (`make package` imports the same queue: tests/infra/test_deploy.py)
    # And the queue is a DLQ like the others: kept 14 days, watched by an alarm, writable by the function's role
    resources = load_template()["Resources"]
    queue = resources["MessageStreamDeadLetterQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 1209600
    alarm = resources["MessageStreamDlqAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["MessageStreamDeadLetterQueue", "QueueName"]}
    statements = resources["MessageStreamRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert {"Sid": "OnFailureDestination", "Effect": "Allow", "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["MessageStreamDeadLetterQueue", "Arn"]}} in statements


def test_enable_batch_item_failures_skips_without_worker(aws, tmp_path, capsys):
    _write_deployed(tmp_path, [{"name": "api_handler", "resource_type": "lambda_function",
                                "lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:x"}])
    deploy.enable_batch_item_failures(boto3.client("lambda"), tmp_path, STAGE)
    assert "report_worker" in capsys.readouterr().out


def test_apply_gateway_responses_sets_the_oca_bodies(aws, tmp_path):
    # Given a REST API deployed by chalice (one method, so it can be deployed)
    apigw = boto3.client("apigateway")
    api_id = apigw.create_rest_api(name="kirim")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    first = apigw.create_deployment(restApiId=api_id, stageName="api")["id"]
    _write_deployed(tmp_path, [{
        "name": "rest_api", "resource_type": "rest_api", "rest_api_id": api_id,
        "rest_api_url": f"https://{api_id}.execute-api.us-east-1.amazonaws.com/api/",
    }])

    # When the gateway responses are applied
    deploy.apply_gateway_responses(apigw, tmp_path, STAGE)

    # Then API Gateway's own errors carry the OCA body and codes
    not_found = apigw.get_gateway_response(restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert not_found["statusCode"] == "404"
    assert json.loads(not_found["responseTemplates"]["application/json"]) == {
        "errors": [{"message": "Not found", "code": 33}]
    }
    too_large = apigw.get_gateway_response(restApiId=api_id, responseType="REQUEST_TOO_LARGE")
    assert too_large["statusCode"] == "413"
    assert '"code":39' in too_large["responseTemplates"]["application/json"]
    for response_type, code in (("DEFAULT_4XX", 39), ("DEFAULT_5XX", 13)):
        response = apigw.get_gateway_response(restApiId=api_id, responseType=response_type)
        assert f'"code":{code}' in response["responseTemplates"]["application/json"]
        assert "$context.error.messageString" in response["responseTemplates"]["application/json"]
    # And the stage was redeployed so they take effect
    assert apigw.get_stage(restApiId=api_id, stageName="api")["deploymentId"] != first


# ------------------------------------------------------------------ merge template


def test_merge_template_targets_chalice_resource_names():
    fragment = yaml.safe_load(MERGE.read_text())  # plain YAML: deploy.py reads it too
    # Only handlers the app declares may be targeted (see the fragment's notes).
    assert set(fragment["Resources"]) == {"RestAPI", "ReportWorker", "DispatchWorker", "SimulatorClock",
                                          "CallbacksWorker", "BroadcastWorker", "MessageStream"}
    from chalice.app import DynamoDBEventConfig, SQSEventConfig

    from app import app
    declared = {config.name for config in app.event_sources}
    # Every SQS and stream source answers partial batch failures, so each needs the flag both ways
    # (chalice package: this fragment; chalice deploy: deploy.enable_batch_item_failures).
    batched = {c.name for c in app.event_sources if isinstance(c, (SQSEventConfig, DynamoDBEventConfig))}
    assert batched == set(deploy.SQS_WORKERS + deploy.STREAM_WORKERS)
    assert {"".join(p.capitalize() for p in name.split("_")) for name in batched} == set(fragment["Resources"]) - {
        "RestAPI"}
    for resource, event in (("ReportWorker", "report_worker"), ("DispatchWorker", "dispatch_worker"),
                            ("SimulatorClock", "simulator_clock"), ("CallbacksWorker", "callbacks_worker"),
                            ("BroadcastWorker", "broadcast_worker")):
        assert event in declared
        events = fragment["Resources"][resource]["Properties"]["Events"]
        assert events[f"{resource}SqsEventSource"]["Properties"]["FunctionResponseTypes"] == [
            "ReportBatchItemFailures"]
    assert "message_stream" in declared
    stream = fragment["Resources"]["MessageStream"]["Properties"]["Events"]["MessageStreamDynamodbEventSource"]
    # Never bisected (a half could start inside an applied chunk); a batch failing for an hour goes
    # to its DLQ (added per stage by package.py) with 23 of the stream's 24 hours left to replay it.
    assert stream["Properties"] == {"FunctionResponseTypes": ["ReportBatchItemFailures"],
                                    "BisectBatchOnFunctionError": False, "MaximumRecordAgeInSeconds": 3600,
                                    "MaximumRetryAttempts": -1}
    responses = fragment["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"
    ]
    for spec in responses.values():
        body = spec["responseTemplates"]["application/json"]
        # valid JSON once API Gateway substitutes the quoted messageString
        json.loads(body.replace("$context.error.messageString", '"x"'))


def test_chalice_package_merges_the_fragment(aws_env, tmp_path):
    """Run the real `chalice package --merge-template` on a minimal app."""
    chalice = Path(sys.executable).with_name("chalice")
    if not chalice.exists():
        pytest.skip("chalice is not installed next to this Python")
    project = tmp_path / "app"
    (project / ".chalice").mkdir(parents=True)
    (project / "requirements.txt").write_text("")
    (project / ".chalice" / "config.json").write_text(json.dumps(
        {"version": "2.0", "app_name": "kirim", "stages": {"dev": {"api_gateway_stage": "api"}}}
    ))
    (project / "app.py").write_text(
        "from chalice import Chalice\n"
        "app = Chalice(app_name='kirim')\n\n"
        "@app.route('/')\n"
        "def index():\n    return {}\n\n"
        "@app.on_sqs_message(queue='kirim-dev-dispatch', batch_size=10, name='dispatch_worker')\n"
        "def dispatch_worker(event):\n    return None\n\n"
        "@app.on_sqs_message(queue='kirim-dev-simulator', batch_size=10, name='simulator_clock')\n"
        "def simulator_clock(event):\n    return None\n\n"
        "@app.on_sqs_message(queue='kirim-dev-reports', batch_size=1, name='report_worker')\n"
        "def report_worker(event):\n    return None\n\n"
        "@app.on_sqs_message(queue='kirim-dev-callbacks', batch_size=5, name='callbacks_worker')\n"
        "def callbacks_worker(event):\n    return None\n\n"
        "@app.on_sqs_message(queue='kirim-dev-broadcasts', batch_size=1, name='broadcast_worker')\n"
        "def broadcast_worker(event):\n    return None\n\n"
        "@app.on_dynamodb_record(stream_arn='arn:aws:dynamodb:us-east-1:123456789012:table/kirim-dev-messages"
        "/stream/2026-01-01T00:00:00.000', batch_size=100, starting_position='TRIM_HORIZON', name='message_stream')\n"
        "def message_stream(event):\n    return None\n"
    )
    out = tmp_path / "build"
    result = subprocess.run(
        [str(chalice), "package", "--stage", "dev", "--merge-template", str(MERGE), str(out)],
        cwd=project, capture_output=True, text=True, env={**os.environ},
    )
    assert result.returncode == 0, result.stdout + result.stderr

    sam = yaml.safe_load((out / "sam.yaml").read_text())  # YAML because the fragment is YAML
    assert all("Type" in resource for resource in sam["Resources"].values())
    for name, batch in (("DispatchWorker", 10), ("SimulatorClock", 10), ("ReportWorker", 1), ("CallbacksWorker", 5),
                        ("BroadcastWorker", 1)):
        event = sam["Resources"][name]["Properties"]["Events"][f"{name}SqsEventSource"]
        assert event["Type"] == "SQS" and event["Properties"]["BatchSize"] == batch  # chalice's keys survive
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    stream = sam["Resources"]["MessageStream"]["Properties"]["Events"]["MessageStreamDynamodbEventSource"]
    assert stream["Type"] == "DynamoDB" and stream["Properties"]["StartingPosition"] == "TRIM_HORIZON"
    assert stream["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["Properties"]["BisectBatchOnFunctionError"] is False
    assert stream["Properties"]["MaximumRecordAgeInSeconds"] == 3600
    api = sam["Resources"]["RestAPI"]
    assert api["Type"] == "AWS::Serverless::Api"
    body = api["Properties"]["DefinitionBody"]
    assert "/" in body["paths"]  # chalice's routes survive the merge
    assert body["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"


def test_an_alarm_email_given_once_is_kept_by_later_deploys(stack):
    cfn = boto3.client("cloudformation")
    deploy.deploy_stack(cfn, STAGE, TEMPLATE, {"AlarmEmail": "ops@example.com"})
    deploy.deploy_stack(cfn, STAGE, TEMPLATE, {"AlarmEmail": None})  # make deploy without KIRIM_ALARM_EMAIL
    parameters = cfn.describe_stacks(StackName=f"kirim-{STAGE}")["Stacks"][0]["Parameters"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in parameters}["AlarmEmail"] == "ops@example.com"
