#!/usr/bin/env python
"""Deploy Kirim: the CloudFormation stack in infra/, then the Chalice app.

    python infra/deploy.py --stage dev [--region R] [--endpoint-url URL] [--alarm-email A]
                           [--skip-chalice] [--check-layout] [--config .chalice/config.json]

0. Checks before it changes anything: that the template can be deployed over the data the stack
   holds (its layout; --check-layout does only this), chalice's own validation of the app and
   config, every function has its role in the template, and every provider the stage selects has
   its settings (from the secret already stored, the operator's environment, or a prompt).
1. Creates or updates the stack ``kirim-<stage>`` from infra/template.yaml; an update that would add or
   remove more than one index of a table goes in steps of one (infra/index_steps.py).
2. Stores the provider settings the operator gave in the stack's Secrets Manager secret.
3. Writes the stack outputs (UsersTable -> USERS_TABLE, ...) into the stage's
   ``environment_variables`` in .chalice/config.json, and each function's role ARN.
4. Unless --skip-chalice: runs ``chalice deploy --stage <stage>``, then sets what chalice
   deploy cannot (each function's code again, with a .pyc beside every module;
   ReportBatchItemFailures on the SQS and stream mappings, the report worker's /tmp, the
   provider_events and message_stream on-failure destinations, the API Gateway error bodies).

Every step is idempotent: re-running after a failure picks up where it stopped.
The stack functions (deploy_stack, outputs_to_env, write_env) are importable,
so tests and the local runner (moto server) reuse them.
"""
import argparse
import getpass
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import boto3
import yaml
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # chalicelib: the provider settings each provider needs
from infra import index_steps, template_source  # noqa: E402  (ROOT, just above, when run as a script)
TEMPLATE = ROOT / "infra" / "template.yaml"
MERGE_TEMPLATE = ROOT / "infra" / "chalice-merge.yaml"
CONFIG = ROOT / ".chalice" / "config.json"
REPORT_WORKER = "report_worker"  # name= of the app's @app.on_sqs_message handlers
SQS_WORKERS = (REPORT_WORKER, "dispatch_worker", "simulator_clock", "callbacks_worker", "broadcast_worker")
ASYNC_WORKERS = {"provider_events": "ProviderEventsDlqArn"}  # SNS-invoked -> on-failure queue
STREAM_WORKERS = ("message_stream",)  # name= of the app's @app.on_dynamodb_record handlers
STREAM_DESTINATIONS = {"message_stream": "MessageStreamDlqArn"}  # stream mapping -> on-failure queue
# What chalice-merge.yaml sets on a stream mapping besides the flag; deploy.py sets the same.
STREAM_SETTINGS = ("BisectBatchOnFunctionError", "MaximumRecordAgeInSeconds", "MaximumRetryAttempts")
# Chalice bundles exactly requirements.txt: boto3/botocore come from the Lambda runtime.
CHALICE_ENV = {"PIP_NO_DEPS": "1"}

# CloudFormation's waiters poll every 30 s by default; 5 s keeps a small
# update snappy, 360 attempts still allow 30 minutes.
WAITER_CONFIG = {"Delay": 5, "MaxAttempts": 360}


# Named roles, and the AWS::LanguageExtensions transform (stage-dependent DeletionPolicy).
CAPABILITIES = ["CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


class DeployError(SystemExit):
    """A deploy that stops with a message for the operator (exit status 2)."""

    def __init__(self, message):
        super().__init__(2)
        self.message = message

    def __str__(self):
        return self.message


class NoAws(DeployError):
    """No credentials or no region: said in one line, before anything else runs."""


def aws_session(command, region=None):
    """A boto3 session that has credentials and a region, or NoAws naming what is missing (instead of
    botocore's traceback at the first call). `command` is what the operator ran, e.g. "make deploy"."""
    help_page = "see docs/operating.md#1-account-region-and-credentials"
    try:
        session = boto3.session.Session(region_name=region)
        credentials = session.get_credentials()
    except BotoCoreError as err:  # AWS_PROFILE names no profile, a credential_process fails, ...
        raise NoAws(f"{command} cannot load AWS credentials: {err}; {help_page}") from err
    missing = []
    if credentials is None:
        missing.append(("AWS credentials", "AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"))
    if not session.region_name:
        missing.append(("an AWS region", "AWS_DEFAULT_REGION (or pass --region)"))
    if missing:
        raise NoAws(f"{command} needs {' and '.join(what for what, _ in missing)}: "
                    f"set {' and '.join(how for _, how in missing)}; {help_page}")
    return session


def stack_name(stage):
    return f"kirim-{stage}"


def _describe(cfn, name):
    """The stack's description, or None when it does not exist."""
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as err:
        if "does not exist" in str(err):
            return None
        raise


def _failure_reasons(cfn, name):
    try:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    except ClientError:
        return ""
    return "\n".join(
        f"  {e['LogicalResourceId']}: {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}"
        for e in events
        if e["ResourceStatus"].endswith("_FAILED")
    )


# ----------------------------------------------------------- the data layout (upgrades)

# What each layout holds, by number. The template's Metadata says which one it makes (Kirim.Layout)
# and the oldest a stack may hold for it to be deployed over in place (Kirim.UpgradesInPlaceFrom).
LAYOUTS = {
    1: "the message indexes in one partition per application (by_app on application_id) and one quota "
       "item per channel",
    2: "the message indexes in 8 shards (by_app on app_shard) and each channel's quota in two halves",
}
UPGRADE_GUIDE = "docs/operating.md#upgrade"


def read_template(text):
    """A template's YAML (or JSON) as plain data; short-form intrinsics (!Ref, !Sub...) read as None."""
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader


def template_layout(template):
    """(layout, oldest layout upgraded in place) from a template's Metadata, or (None, None)."""
    kirim = (template.get("Metadata") or {}).get("Kirim") or {}
    layout = kirim.get("Layout")
    return (int(layout), int(kirim.get("UpgradesInPlaceFrom", layout))) if layout else (None, None)


def stack_layout(cfn_client, dynamodb_client, stack):
    """The layout of the data a deployed stack holds: its template's mark, or for a stack deployed
    before templates carried one, what its messages table's by_app index is keyed on."""
    body = cfn_client.get_template(StackName=stack["StackName"], TemplateStage="Original")["TemplateBody"]
    layout, _ = template_layout(body if isinstance(body, dict) else read_template(body))
    if layout:
        return layout
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    name = outputs.get("MessagesTable") or stack["StackName"] + "-messages"
    indexes = dynamodb_client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
    keys = [k["AttributeName"] for i in indexes if i["IndexName"] == "by_app" for k in i["KeySchema"]
            if k["KeyType"] == "HASH"]
    return 2 if keys == ["app_shard"] else 1


REFUSED = """the stack {stack} holds layout {old}: {old_text}.
This release makes layout {new}: {new_text}. It cannot be deployed over layout {old} in place, and no
migration is shipped, so nothing was changed. Either keep deploying the release the stack came from, or:
  1. export what you want to keep: a report per application and channel (docs/reports.md){export};
  2. remove the stage: {remove};
  3. make deploy STAGE={stage} with this release. Nothing is imported back: accounts register again,
     applications, tokens, settings and templates are made again, quota is given with the admin CLI.
See {guide}."""


def refusal(stage, old, new):
    """What an operator is told when a release cannot be deployed over the stack's layout."""
    prod = stage == "prod"
    return REFUSED.format(
        stack=stack_name(stage), stage=stage, old=old, old_text=LAYOUTS[old], new=new, new_text=LAYOUTS[new],
        guide=UPGRADE_GUIDE,
        export=", and the tables (aws dynamodb export-table-to-point-in-time, point-in-time recovery is on)"
        if prod else "",
        remove="turn termination protection off, delete the stack, then delete its retained tables, queues, "
               "bucket and secrets (docs/operating.md#teardown)" if prod else f"make teardown STAGE={stage}")


def check_layout(cfn_client, dynamodb_client, stage, template_path=TEMPLATE):
    """Refuses, before anything changes, a template that cannot be deployed over the data the stage's
    stack holds; returns what the operator should know about an in-place upgrade (lines)."""
    stack = _describe(cfn_client, stack_name(stage))
    if stack is None or stack["StackStatus"] == "ROLLBACK_COMPLETE":
        return []  # nothing deployed, or a failed create that deploy_stack deletes: no data
    new, oldest = template_layout(read_template(Path(template_path).read_text()))
    if new is None:
        raise DeployError(f"{template_path} has no Metadata.Kirim.Layout: it must say which layout it makes")
    old = stack_layout(cfn_client, dynamodb_client, stack)
    if old > new:
        raise DeployError(f"the stack {stack_name(stage)} holds layout {old}: {LAYOUTS.get(old, 'a newer layout')}; "
                          f"this release makes layout {new} and cannot read it. Deploy the release that made it, "
                          f"or a newer one (see {UPGRADE_GUIDE}).")
    if old < oldest:
        raise DeployError(refusal(stage, old, new))
    notes = []
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    queue = outputs.get("CallbackQueueName", "")
    if queue and not queue.endswith(".fifo"):
        notes.append(f"this update replaces the callback queue {queue} with {queue}.fifo (a queue cannot become "
                     "FIFO): callback jobs waiting in it are left behind, and the callback sweeper queues their "
                     "deliveries again within about 5 minutes"
                     + ("; prod keeps the old queue and its DLQ: delete them once empty" if stage == "prod" else ""))
    return notes


def deploy_stack(cfn_client, stage, template_path=TEMPLATE, parameters=None, dynamodb_client=None):
    """Create or update stack kirim-<stage>; return its outputs as {OutputKey: OutputValue}.

    ``parameters`` may override the template's other parameters
    (e.g. {"ReportRetentionDays": "30"}); Stage always comes from ``stage``. A value of None
    keeps what the stack has (an alarm email given once stays), or the default on a create.
    An update that would add or remove more than one index of a table goes in steps
    (infra/index_steps.py; ``dynamodb_client`` reads the deployed tables).
    """
    name = stack_name(stage)
    body = Path(template_path).read_text()

    stack = _describe(cfn_client, name)
    if stack and stack["StackStatus"] == "ROLLBACK_COMPLETE":
        # A stack whose first create failed can only be deleted, never updated.
        print(f"{name} is ROLLBACK_COMPLETE after a failed create; deleting it first")
        cfn_client.delete_stack(StackName=name)
        cfn_client.get_waiter("stack_delete_complete").wait(
            StackName=name, WaiterConfig=WAITER_CONFIG
        )
        stack = None

    params = [{"ParameterKey": "Stage", "ParameterValue": stage}]
    for key, value in (parameters or {}).items():
        if value is not None:
            params.append({"ParameterKey": key, "ParameterValue": str(value)})
        elif stack:  # the stack's current value, passed back as it is
            previous = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
            if previous.get(key) is not None:
                params.append({"ParameterKey": key, "ParameterValue": previous[key]})
    try:
        if stack is None:
            cfn_client.create_stack(
                StackName=name,
                **template_source.template_argument(cfn_client, body, name),
                Parameters=params,
                Capabilities=CAPABILITIES,
                # The tables hold user data: deleting the prod stack takes a
                # deliberate extra step.
                EnableTerminationProtection=(stage == "prod"),
                Tags=[{"Key": "app", "Value": "kirim"}, {"Key": "stage", "Value": stage}],
            )
            cfn_client.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=WAITER_CONFIG)
        else:
            dynamodb_client = dynamodb_client or template_source.beside(cfn_client, "dynamodb")
            planned, steps = _index_steps(cfn_client, dynamodb_client, stack, body)
            # The stack's own parameters, as they are: a step is the deployed template, one index on
            # (a NoEcho value reads "****": AWS keeps it; moto cannot keep a value given by its default).
            kept = [{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True} if p.get("ParameterValue") == "****"
                    else {"ParameterKey": p["ParameterKey"], "ParameterValue": p.get("ParameterValue", "")}
                    for p in stack.get("Parameters", [])]
            for template, made in steps:
                wait_for_indexes(dynamodb_client, [c.table_name for c in made])
                for change in made:
                    print(f"deploy: {change.describe(name)}")
                _update(cfn_client, name, index_steps.dump(template), kept)
            last = [changes[-1] for changes in planned.values()]
            wait_for_indexes(dynamodb_client, [c.table_name for c in last])
            for change in last:
                print(f"deploy: {change.describe(name)}" + (", with the rest of the template" if steps else ""))
            _update(cfn_client, name, body, params)
            wait_for_indexes(dynamodb_client, [c.table_name for c in last])
    except WaiterError as err:
        raise RuntimeError(
            f"stack {name} failed: {err}\n{_failure_reasons(cfn_client, name)}"
        ) from err

    stack = cfn_client.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _update(cfn_client, name, body, params):
    """One stack update, waited for; False when there was nothing to change."""
    try:
        cfn_client.update_stack(StackName=name, **template_source.template_argument(cfn_client, body, name),
                                Parameters=params, Capabilities=CAPABILITIES)
    except ClientError as err:
        # Re-running a deploy with nothing changed is normal, not an error.
        if "No updates are to be performed" not in str(err):
            raise
        return False
    cfn_client.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=WAITER_CONFIG)
    return True


def _index_steps(cfn_client, dynamodb_client, stack, body):
    """({logical id: [Change]}, [(step template, [Change])]) for updating `stack` to `body`: the tables
    whose indexes change, compared with the deployed tables, and the steps before the full update."""
    deployed = cfn_client.get_template(StackName=stack["StackName"], TemplateStage="Original")["TemplateBody"]
    deployed, new = index_steps.load(deployed), index_steps.load(body)
    both = set(index_steps.tables(deployed)) & set(index_steps.tables(new))
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                for page in cfn_client.get_paginator("list_stack_resources").paginate(StackName=stack["StackName"])
                for r in page["StackResourceSummaries"] if r["LogicalResourceId"] in both}
    described = {}
    for logical, table in physical.items():
        if table:
            try:
                # An index an interrupted run left being built or deleted counts once it is done.
                wait_for_indexes(dynamodb_client, [table])
                described[logical] = dynamodb_client.describe_table(TableName=table)["Table"]
            except dynamodb_client.exceptions.ResourceNotFoundException:
                pass  # deleted by hand: the update makes it again, with its indexes
    planned = index_steps.changes(deployed, new, described)
    return planned, index_steps.step_templates(deployed, new, described, planned)


# An index is built in the background (minutes per GB of the table); a step starts once it is ACTIVE.
INDEX_POLL_SECONDS = 15


def wait_for_indexes(dynamodb_client, table_names):
    """Wait until each table and all its indexes are ACTIVE: DynamoDB builds or deletes one index of a
    table at a time, and the app must not query an index still being built."""
    for table_name in dict.fromkeys(table_names):
        said = False
        while True:
            table = dynamodb_client.describe_table(TableName=table_name)["Table"]
            busy = [f"{i['IndexName']} ({i.get('IndexStatus', '?')})" for i in table.get("GlobalSecondaryIndexes", [])
                    if i.get("IndexStatus", "ACTIVE") != "ACTIVE"]
            if table.get("TableStatus", "ACTIVE") == "ACTIVE" and not busy:
                break
            if not said:
                print(f"deploy: waiting for table {table_name}: {', '.join(busy) or table['TableStatus']} "
                      "(the table keeps serving; interrupting and running make deploy again is safe)")
                said = True
            time.sleep(INDEX_POLL_SECONDS)


def env_name(output_key):
    """CamelCase OutputKey -> UPPER_SNAKE_CASE variable (ReportDlqUrl -> REPORT_DLQ_URL)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", output_key).upper()


# Outputs kept one release under an old name, for app stacks that still import them; never read.
RETIRED_OUTPUTS = ("CursorSecretArn",)


def outputs_to_env(outputs):
    """The stack outputs the app reads, as variables (role ARNs go to config.json's functions)."""
    return {env_name(key): value for key, value in sorted(outputs.items())
            if not key.endswith("RoleArn") and key not in RETIRED_OUTPUTS}


def read_config(config_path):
    config_path = Path(config_path)
    if config_path.exists():
        return json.loads(config_path.read_text())
    return {"version": "2.0", "app_name": "kirim"}


def write_env(config_path, stage, env):
    """Merge ``env`` into stages.<stage>.environment_variables of a Chalice config.

    Everything else in the file is kept. The file is replaced atomically so an
    interrupted deploy never leaves a half-written config behind.
    """
    config = read_config(config_path)
    variables = config.setdefault("stages", {}).setdefault(stage, {}).setdefault("environment_variables", {})
    for key in RETIRED_OUTPUTS:  # written by an earlier deploy
        variables.pop(env_name(key), None)
    variables.update(env)
    _write_config(config_path, config)


def resource_name(function_name):
    """chalice package's resource for a function: message_stream -> MessageStream."""
    return "".join(part.capitalize() for part in function_name.split("_"))


def role_output(function_name):
    """The stack output holding a function's role: api_handler -> ApiHandlerRoleArn."""
    return resource_name(function_name) + "RoleArn"


def require_roles(functions, outputs):
    """Refuses a function whose role the template lacks (``outputs``: the stack's, or the template's
    Outputs section for `make package`)."""
    missing = [name for name in functions if role_output(name) not in outputs]
    if missing:
        raise DeployError(
            "these functions have no IAM role in infra/template.yaml: " + ", ".join(missing) + "\n"
            "Add a role with only the calls each makes, and an output named like "
            + ", ".join(role_output(name) for name in missing) + " (see infra/README.md#iam).")


def write_roles(config_path, stage, functions, outputs):
    """Give each function its own role from the stack (manage_iam_role false, iam_role_arn).

    Refuses, before writing anything, a function whose role the template lacks: without it
    Chalice would make one role for all from a policy file.
    """
    require_roles(functions, outputs)
    config = read_config(config_path)
    stage_config = config.setdefault("stages", {}).setdefault(stage, {})
    stage_config.pop("iam_policy_file", None)
    functions_config = stage_config.setdefault("lambda_functions", {})
    for name in functions:
        functions_config.setdefault(name, {}).update(
            manage_iam_role=False, iam_role_arn=outputs[role_output(name)])
    _write_config(config_path, config)


def _write_config(config_path, config):
    config_path = Path(config_path)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=config_path.parent, prefix=".config.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    os.replace(tmp, config_path)


# ----------------------------------------------------------- after chalice deploy


def _chalice_executable():
    # Prefer the chalice installed next to this interpreter (the venv's).
    local = Path(sys.executable).with_name("chalice")
    return str(local) if local.exists() else (shutil.which("chalice") or "chalice")


def _deployed_resources(project_dir, stage):
    path = Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json"
    return json.loads(path.read_text()).get("resources", []) if path.exists() else []


def _deployed_resource(project_dir, stage, resource_type, name=None):
    for resource in _deployed_resources(project_dir, stage):
        if resource.get("resource_type") == resource_type and (name is None or resource.get("name") == name):
            return resource
    return None


def enable_batch_item_failures(lambda_client, project_dir, stage, names=SQS_WORKERS + STREAM_WORKERS):
    """Set ReportBatchItemFailures on the SQS and DynamoDB stream mappings of the app's workers.

    chalice deploy creates the mappings but has no option for the flag. Without
    it Lambda ignores a worker's batchItemFailures answer: a batch of 10
    either all succeeds or is all retried (a stream batch from its start).
    """
    for name in names:
        worker = _deployed_resource(project_dir, stage, "lambda_function", name)
        if not worker:
            print(f"note: no '{name}' function in .chalice/deployed/{stage}.json; "
                  "ReportBatchItemFailures not set")
            continue
        _enable_on(lambda_client, worker)


def size_report_storage(lambda_client, project_dir, stage, megabytes=512):
    """The report worker's /tmp: Lambda's default, since the writers use none (an upgrade from the
    2,048 MB openpyxl needed shrinks it back). Chalice cannot set it; chalice-merge.yaml does the
    same for `chalice package`."""
    worker = _deployed_resource(project_dir, stage, "lambda_function", REPORT_WORKER)
    if not worker:
        print(f"note: no '{REPORT_WORKER}' function deployed; ephemeral storage not set")
        return
    lambda_client.update_function_configuration(FunctionName=worker["lambda_arn"],
                                                EphemeralStorage={"Size": megabytes})
    print(f"{REPORT_WORKER}: /tmp set to {megabytes} MB")


def _enable_on(lambda_client, worker):
    mappings = lambda_client.list_event_source_mappings(FunctionName=worker["lambda_arn"])
    for mapping in mappings["EventSourceMappings"]:
        if ":sqs:" not in mapping.get("EventSourceArn", "") and "/stream/" not in mapping.get("EventSourceArn", ""):
            continue
        if "ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []):
            print(f"ReportBatchItemFailures already set on {mapping['UUID']}")
            continue
        _update_mapping(lambda_client, mapping["UUID"], FunctionResponseTypes=["ReportBatchItemFailures"])
        print(f"ReportBatchItemFailures set on mapping {mapping['UUID']}")


def _update_mapping(lambda_client, uuid, **changes):
    # A mapping chalice just created or updated is still "Creating"/"Updating"
    # for a few seconds and refuses changes until it settles.
    for attempt in range(20):
        try:
            lambda_client.update_event_source_mapping(UUID=uuid, **changes)
            return
        except (lambda_client.exceptions.ResourceInUseException,
                lambda_client.exceptions.ResourceConflictException):
            if attempt == 19:
                raise
            time.sleep(3)


def configure_stream_failures(lambda_client, project_dir, stage, outputs, merge_template=MERGE_TEMPLATE,
                              destinations=STREAM_DESTINATIONS):
    """A stream batch that keeps failing goes to its DLQ after chalice-merge.yaml's record age,
    and the shard moves on (the records stay in the stream to be replayed). chalice deploy
    cannot set this; without it Lambda retries until the stream drops the records at 24 hours."""
    fragment = yaml.safe_load(Path(merge_template).read_text())["Resources"]
    for name, output in destinations.items():
        function = _deployed_resource(project_dir, stage, "lambda_function", name)
        if not function:
            print(f"note: no '{name}' function deployed; its stream mapping keeps Lambda's defaults")
            continue
        resource = resource_name(name)
        wanted = fragment[resource]["Properties"]["Events"][f"{resource}DynamodbEventSource"]["Properties"]
        settings = {key: wanted[key] for key in STREAM_SETTINGS}
        mappings = lambda_client.list_event_source_mappings(FunctionName=function["lambda_arn"])
        for mapping in mappings["EventSourceMappings"]:
            if "/stream/" in mapping.get("EventSourceArn", ""):
                _update_mapping(lambda_client, mapping["UUID"], **settings,
                                DestinationConfig={"OnFailure": {"Destination": outputs[output]}})
                print(f"{name}: a batch still failing after {settings['MaximumRecordAgeInSeconds']} s "
                      f"goes to {outputs[output]}")


def apply_gateway_responses(apigw_client, project_dir, stage, merge_template=MERGE_TEMPLATE):
    """Give API Gateway's own errors the OCA body, as the merge template does.

    chalice deploy re-imports the API (PutRestApi mode=overwrite) on every run,
    which resets gateway responses, so they are put again each time and the
    stage is redeployed for them to take effect.
    """
    api = _deployed_resource(project_dir, stage, "rest_api")
    if not api:
        print(f"note: no rest_api in .chalice/deployed/{stage}.json; gateway responses not set")
        return
    fragment = yaml.safe_load(Path(merge_template).read_text())
    responses = fragment["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"
    ]
    for response_type, spec in responses.items():
        kwargs = {"restApiId": api["rest_api_id"], "responseType": response_type,
                  "responseTemplates": spec.get("responseTemplates", {})}
        if "statusCode" in spec:
            kwargs["statusCode"] = spec["statusCode"]
        if "responseParameters" in spec:
            kwargs["responseParameters"] = spec["responseParameters"]
        apigw_client.put_gateway_response(**kwargs)
    # rest_api_url is https://<id>.execute-api.<region>.<suffix>/<api stage>/
    api_stage = urlparse(api["rest_api_url"]).path.strip("/")
    # Keep the stage's X-Ray setting as chalice deploy left it.
    tracing = apigw_client.get_stage(restApiId=api["rest_api_id"], stageName=api_stage).get(
        "tracingEnabled", False)
    apigw_client.create_deployment(restApiId=api["rest_api_id"], stageName=api_stage,
                                   tracingEnabled=tracing, description="kirim gateway responses")
    print(f"{len(responses)} gateway responses set on {api['rest_api_id']} ({api_stage})")


def configure_async_failures(lambda_client, project_dir, stage, outputs, destinations=ASYNC_WORKERS):
    """Send events an SNS-invoked function still fails after Lambda's 2 retries to its DLQ.

    chalice deploy cannot set an on-failure destination (chalice-merge.yaml does for
    `chalice package`); without one a failed asynchronous event is dropped silently.
    """
    for name, output in destinations.items():
        function = _deployed_resource(project_dir, stage, "lambda_function", name)
        if not function:
            print(f"note: no '{name}' function deployed; on-failure destination not set")
            continue
        lambda_client.put_function_event_invoke_config(
            FunctionName=function["lambda_arn"], MaximumRetryAttempts=2, MaximumEventAgeInSeconds=6 * 3600,
            DestinationConfig={"OnFailure": {"Destination": outputs[output]}})
        print(f"{name}: failed events go to {outputs[output]}")


def function_name(stage, name):
    """Chalice's names: the API handler is kirim-<stage>, every other function kirim-<stage>-<name>."""
    return f"kirim-{stage}" if name == "api_handler" else f"kirim-{stage}-{name}"


def reconcile_before_chalice(lambda_client, apigateway_client, project_dir, stage, functions):
    """Make a re-run after a half-finished chalice deploy safe.

    chalice records what it created in .chalice/deployed/<stage>.json only when it finishes, and
    plans from that file: after a failure (or from a fresh clone) it would create every SQS
    event source mapping again, which AWS refuses (ResourceConflictException) and moto
    duplicates. Mappings it did not record are removed here, to be recreated. REST APIs are
    only reported: one may be serving traffic, so deleting it is the operator's call.
    """
    recorded = {r.get("event_uuid") for r in _deployed_resources(project_dir, stage)}
    ours = {function_name(stage, name) for name in functions}
    for page in lambda_client.get_paginator("list_event_source_mappings").paginate():
        for mapping in page["EventSourceMappings"]:
            owner = mapping.get("FunctionArn", "").split(":function:")[-1].split(":")[0]
            if owner in ours and mapping["UUID"] not in recorded:
                lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
                print(f"removed event source mapping {mapping['UUID']} of {owner}, "
                      "left by an unfinished deploy (chalice makes it again)")
    api = _deployed_resource(project_dir, stage, "rest_api")
    strays = [a["id"] for a in apigateway_client.get_rest_apis(limit=500).get("items", [])
              if a.get("name") == "kirim" and (not api or a["id"] != api["rest_api_id"])]
    if strays:
        print(f"note: REST APIs named kirim that .chalice/deployed/{stage}.json does not record: "
              f"{', '.join(strays)}. If none serves another stage, delete them with "
              "`aws apigateway delete-rest-api --rest-api-id <id>`.")


# ----------------------------------------------------------- provider settings


def stage_environment(config, stage):
    """The variables a stage's functions get: the global ones, then the stage's."""
    return {**config.get("environment_variables", {}),
            **config.get("stages", {}).get(stage, {}).get("environment_variables", {})}


def needed_settings(stage_env):
    """{setting: provider} for every required setting of the providers the stage selects."""
    from chalicelib.core.config import providers_from
    from chalicelib.providers.registry import SETTINGS

    needed = {}
    for kind in sorted(set(providers_from(stage_env).values())):
        if kind not in SETTINGS:
            raise DeployError(f"the stage selects provider {kind!r}, which Kirim does not have "
                              f"(known: {', '.join(sorted(SETTINGS))})")
        needed.update(dict.fromkeys(SETTINGS[kind]["required"], kind))
    return needed


def known_settings():
    from chalicelib.providers.registry import SETTINGS

    return sorted({name for spec in SETTINGS.values() for name in (*spec["required"], *spec["optional"])})


def stored_settings(secrets_client, stage):
    """The provider settings already in the stage's secret ({} before the first deploy)."""
    try:
        value = secrets_client.get_secret_value(SecretId=provider_secret_name(stage))["SecretString"]
    except ClientError as err:
        if err.response["Error"]["Code"] in ("ResourceNotFoundException", "InvalidRequestException"):
            return {}
        raise
    return json.loads(value or "{}")


def provider_secret_name(stage):
    return f"kirim-{stage}-providers"


def gather_settings(stage, stage_env, stored, environ=None, ask=None):
    """The settings to store: the operator's environment wins over what is stored; a required
    one still missing is asked for on a terminal, or the deploy stops before changing anything.
    Returns only the values the operator gave (what must be written)."""
    from chalicelib.providers.registry import CREDENTIALS

    environ = os.environ if environ is None else environ
    given = {name: environ[name] for name in known_settings() if environ.get(name)}
    needed = needed_settings(stage_env)
    missing = [name for name in needed if not (given.get(name) or stored.get(name))]
    if missing and ask is not None:
        for name in list(missing):
            value = ask(name, secret=name in CREDENTIALS)
            if value:
                given[name] = value
                missing.remove(name)
    if missing:
        raise DeployError(
            f"stage {stage} selects providers whose settings are missing:\n"
            + "".join(f"  {name} (provider {needed[name]})\n" for name in missing)
            + f"Give them once as environment variables, e.g.\n"
            f"  {' '.join(f'{name}=...' for name in missing)} make deploy STAGE={stage}\n"
            f"or run make deploy from a terminal to be asked. They are stored in the secret "
            f"{provider_secret_name(stage)}, never in .chalice/config.json (docs/operating.md#secrets).")
    return given


def _ask(name, secret):
    prompt = f"{name}: "
    return (getpass.getpass(prompt) if secret else input(prompt)).strip()


def store_settings(secrets_client, outputs, stored, given):
    """Merge the operator's values into the stack's provider secret (one new version)."""
    if not given:
        return False
    arn = outputs.get("ProviderSecretArn")
    if not arn:
        raise DeployError("the stack has no ProviderSecretArn output, so the provider settings "
                          "cannot be stored (moto's CloudFormation does not create secrets)")
    secrets_client.put_secret_value(SecretId=arn, SecretString=json.dumps({**stored, **given}, sort_keys=True))
    print(f"stored {len(given)} provider settings in {arn.split(':')[-1]}: {', '.join(sorted(given))}")
    return True


# ----------------------------------------------------------- chalice


def chalice_functions(project_dir, stage, env):
    """Run chalice's own validation of the app and stage config (what `chalice deploy` checks
    before calling AWS), and return the app's Lambda function names."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_configuration

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        config = CLIFactory(str(project_dir)).create_config_obj(chalice_stage_name=stage)
        try:
            validate_configuration(config)
        except ValueError as err:
            raise DeployError(f"chalice refuses the app for stage {stage}: {err}") from err
        app = config.chalice_app
    finally:
        os.environ.clear()
        os.environ.update(saved)
    names = ["api_handler"] if app.routes else []
    names += [source.name for source in app.event_sources]
    names += [function.name for function in app.pure_lambda_functions]
    return names


CLEANUP = """
Nothing is left half-made that a re-run will not finish: run the same command again once the
cause is fixed. What exists now:
  - the stack {stack} (tables, queues, bucket, roles): complete, and updated in place by a re-run;
  - whatever chalice deploy created before it stopped (functions kirim-{stage}*, the REST API
    "kirim", event source mappings), recorded in .chalice/deployed/{stage}.json when chalice got
    that far; chalice finds functions by name on a re-run.
To remove everything of a non-prod stage instead: python infra/teardown.py --stage {stage}
(docs/operating.md#teardown).
"""


def bytecode_package(project_dir, out_dir):
    """chalice deploy's own zip (the newest in .chalice/deployments; chalice has no hook to add files to
    it) copied to out_dir with a .pyc beside every module, as `make package` builds; None if there is none."""
    from infra.zip_bytecode import add_bytecode

    built = [p for p in (Path(project_dir) / ".chalice" / "deployments").glob("*.zip")
             if not p.name.startswith("managed-layer-")]
    if not built:
        return None
    target = Path(out_dir) / "deployment.zip"
    shutil.copyfile(max(built, key=lambda p: p.stat().st_mtime), target)
    add_bytecode(target, f"python{sys.version_info.major}.{sys.version_info.minor}")
    return target


def ship_bytecode(lambda_client, project_dir, stage, functions):
    """Every function's code replaced by chalice deploy's zip with its bytecode (bytecode_package).
    Returns the code's CodeSha256, or None when chalice left no zip."""
    with tempfile.TemporaryDirectory() as out_dir:
        zip_path = bytecode_package(project_dir, out_dir)
        if zip_path is None:
            print("note: no zip in .chalice/deployments; functions keep chalice's code, without bytecode")
            return None
        code = zip_path.read_bytes()
    updated = lambda_client.get_waiter("function_updated_v2")
    for name in functions:
        function = function_name(stage, name)
        updated.wait(FunctionName=function)  # chalice's own update must have settled
        sha = lambda_client.update_function_code(FunctionName=function, ZipFile=code)["CodeSha256"]
        updated.wait(FunctionName=function)
    print(f"bytecode: {len(functions)} functions run chalice's package with a .pyc beside every module "
          f"({len(code) / 1048576:.2f} MB)")
    return sha


def run_chalice_deploy(project_dir, stage, env):
    result = subprocess.run([_chalice_executable(), "deploy", "--stage", stage], cwd=project_dir, env=env)
    if result.returncode != 0:
        raise DeployError(f"chalice deploy --stage {stage} failed (exit {result.returncode}).\n"
                          + CLEANUP.format(stack=stack_name(stage), stage=stage))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=["local", "dev", "prod", "test"])
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url", help="e.g. http://127.0.0.1:4566 for moto server")
    parser.add_argument("--skip-chalice", action="store_true",
                        help="only the stack, the secret and config.json (e.g. the infra stack of a pipeline)")
    parser.add_argument("--config", default=str(CONFIG), help="Chalice config.json to update")
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--alarm-email", default=os.environ.get("KIRIM_ALARM_EMAIL"),
                        help="subscribe this address to the stage's alarms (or KIRIM_ALARM_EMAIL)")
    parser.add_argument("--no-input", action="store_true", help="never prompt; missing settings fail")
    parser.add_argument("--check-layout", action="store_true",
                        help="only check that the template can be deployed over the stack's data (a pipeline's step)")
    parser.add_argument("--check-aws", metavar="COMMAND",
                        help="only check for credentials and a region, naming COMMAND if they are missing")
    args = parser.parse_args(argv)
    try:
        if args.check_aws:
            aws_session(args.check_aws, args.region)
            return 0
        return _deploy(args)
    except NoAws as err:
        print(err, file=sys.stderr)
        return 2
    except DeployError as err:
        print(f"\ndeploy stopped: {err}", file=sys.stderr)
        return 2


def _deploy(args):
    session = aws_session("make deploy", args.region)

    def client(service):
        return session.client(service, endpoint_url=args.endpoint_url)

    # The project is the directory holding .chalice/.
    project_dir = Path(args.config).resolve().parent.parent
    config = read_config(args.config)
    stage_env = stage_environment(config, args.stage)
    child_env = {**os.environ, **CHALICE_ENV}
    if args.region:
        child_env["AWS_DEFAULT_REGION"] = args.region
    if args.endpoint_url:
        child_env["AWS_ENDPOINT_URL"] = args.endpoint_url

    # 0. Everything that can refuse the deploy does so before anything is created: first the data.
    for note in check_layout(client("cloudformation"), client("dynamodb"), args.stage, args.template):
        print(f"note: {note}")
    if args.check_layout:
        print(f"{args.template} can be deployed over {stack_name(args.stage)}")
        return 0
    functions = chalice_functions(project_dir, args.stage, {**child_env, **stage_env})
    secrets_client = client("secretsmanager")
    stored = stored_settings(secrets_client, args.stage)
    interactive = not args.no_input and sys.stdin is not None and sys.stdin.isatty()
    given = gather_settings(args.stage, stage_env, stored, ask=_ask if interactive else None)

    # 1-3. The stack, the secret, config.json.
    outputs = deploy_stack(client("cloudformation"), args.stage, args.template, {"AlarmEmail": args.alarm_email},
                           client("dynamodb"))
    store_settings(secrets_client, outputs, stored, given)
    env = outputs_to_env(outputs)
    write_env(args.config, args.stage, env)
    print(f"stack {stack_name(args.stage)} ready; wrote {len(env)} variables to {args.config}")
    for key, value in env.items():
        print(f"  {key}={value}")
    write_roles(args.config, args.stage, functions, outputs)
    print(f"one role per function: {', '.join(functions)}")
    if args.skip_chalice:
        return 0

    # 4. The app may read the variables at import time (e.g. the queue name for
    # on_sqs_message), and chalice deploy imports it, so they go into its environment too.
    lambda_client = client("lambda")
    reconcile_before_chalice(lambda_client, client("apigateway"), project_dir, args.stage, functions)
    run_chalice_deploy(project_dir, args.stage, {**child_env, **env})
    ship_bytecode(lambda_client, project_dir, args.stage, functions)
    enable_batch_item_failures(lambda_client, project_dir, args.stage)
    size_report_storage(lambda_client, project_dir, args.stage)
    configure_async_failures(lambda_client, project_dir, args.stage, outputs)
    configure_stream_failures(lambda_client, project_dir, args.stage, outputs)
    apply_gateway_responses(client("apigateway"), project_dir, args.stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
