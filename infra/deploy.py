#!/usr/bin/env python
"""Deploy Kirim: the CloudFormation stack in infra/, then the Chalice app.

    python infra/deploy.py --stage dev [--region R] [--endpoint-url URL]
                           [--skip-chalice] [--config .chalice/config.json]

1. Creates or updates the stack ``kirim-<stage>`` from infra/template.yaml.
2. Writes its outputs (UsersTable -> USERS_TABLE, ...) into the stage's
   ``environment_variables`` in .chalice/config.json.
3. Unless --skip-chalice: runs ``chalice deploy --stage <stage>``, then patches
   what chalice deploy cannot set (ReportBatchItemFailures on the report
   worker's SQS mapping, and the API Gateway error bodies).

The stack functions (deploy_stack, outputs_to_env, write_env) are importable,
so tests and the local runner (moto server) reuse them.
"""
import argparse
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
from botocore.exceptions import ClientError, WaiterError

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
MERGE_TEMPLATE = ROOT / "infra" / "chalice-merge.yaml"
CONFIG = ROOT / ".chalice" / "config.json"
REPORT_WORKER = "report_worker"  # name= of the app's @app.on_sqs_message handlers
SQS_WORKERS = (REPORT_WORKER, "dispatch_worker", "simulator_clock")

# CloudFormation's waiters poll every 30 s by default; 5 s keeps a small
# update snappy, 360 attempts still allow 30 minutes.
WAITER_CONFIG = {"Delay": 5, "MaxAttempts": 360}


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


def deploy_stack(cfn_client, stage, template_path=TEMPLATE, parameters=None):
    """Create or update stack kirim-<stage>; return its outputs as {OutputKey: OutputValue}.

    ``parameters`` may override the template's other parameters
    (e.g. {"ReportRetentionDays": "30"}); Stage always comes from ``stage``.
    """
    name = stack_name(stage)
    params = [{"ParameterKey": "Stage", "ParameterValue": stage}]
    params += [
        {"ParameterKey": key, "ParameterValue": str(value)}
        for key, value in (parameters or {}).items()
    ]
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

    try:
        if stack is None:
            cfn_client.create_stack(
                StackName=name,
                TemplateBody=body,
                Parameters=params,
                # The tables hold user data: deleting the prod stack takes a
                # deliberate extra step.
                EnableTerminationProtection=(stage == "prod"),
                Tags=[{"Key": "app", "Value": "kirim"}, {"Key": "stage", "Value": stage}],
            )
            waiter = "stack_create_complete"
        else:
            try:
                cfn_client.update_stack(StackName=name, TemplateBody=body, Parameters=params)
            except ClientError as err:
                # Re-running a deploy with nothing changed is normal, not an error.
                if "No updates are to be performed" not in str(err):
                    raise
                waiter = None
            else:
                waiter = "stack_update_complete"
        if waiter:
            cfn_client.get_waiter(waiter).wait(StackName=name, WaiterConfig=WAITER_CONFIG)
    except WaiterError as err:
        raise RuntimeError(
            f"stack {name} failed: {err}\n{_failure_reasons(cfn_client, name)}"
        ) from err

    stack = cfn_client.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def env_name(output_key):
    """CamelCase OutputKey -> UPPER_SNAKE_CASE variable (ReportDlqUrl -> REPORT_DLQ_URL)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", output_key).upper()


def outputs_to_env(outputs):
    return {env_name(key): value for key, value in sorted(outputs.items())}


def write_env(config_path, stage, env):
    """Merge ``env`` into stages.<stage>.environment_variables of a Chalice config.

    Everything else in the file is kept. The file is replaced atomically so an
    interrupted deploy never leaves a half-written config behind.
    """
    config_path = Path(config_path)
    if config_path.exists():
        config = json.loads(config_path.read_text())
    else:
        config = {"version": "2.0", "app_name": "kirim"}
    variables = (
        config.setdefault("stages", {})
        .setdefault(stage, {})
        .setdefault("environment_variables", {})
    )
    variables.update(env)
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


def _deployed_resource(project_dir, stage, resource_type, name=None):
    path = Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json"
    if not path.exists():
        return None
    for resource in json.loads(path.read_text()).get("resources", []):
        if resource.get("resource_type") == resource_type and (name is None or resource.get("name") == name):
            return resource
    return None


def enable_batch_item_failures(lambda_client, project_dir, stage, names=SQS_WORKERS):
    """Set ReportBatchItemFailures on the SQS mappings of the app's queue workers.

    chalice deploy creates the mappings but has no option for the flag. Without
    it Lambda ignores a worker's batchItemFailures answer: a batch of 10
    either all succeeds or is all retried.
    """
    for name in names:
        worker = _deployed_resource(project_dir, stage, "lambda_function", name)
        if not worker:
            print(f"note: no '{name}' function in .chalice/deployed/{stage}.json; "
                  "ReportBatchItemFailures not set")
            continue
        _enable_on(lambda_client, worker)


def size_report_storage(lambda_client, project_dir, stage, megabytes=2048):
    """Give the report worker the /tmp that big XLSX reports need (chalice cannot set it;
    chalice-merge.yaml does the same for `chalice package`)."""
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
        if ":sqs:" not in mapping.get("EventSourceArn", ""):
            continue
        if "ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []):
            print(f"ReportBatchItemFailures already set on {mapping['UUID']}")
            continue
        # A mapping chalice just created or updated is still "Creating"/"Updating"
        # for a few seconds and refuses changes until it settles.
        for attempt in range(20):
            try:
                lambda_client.update_event_source_mapping(
                    UUID=mapping["UUID"], FunctionResponseTypes=["ReportBatchItemFailures"]
                )
                break
            except (lambda_client.exceptions.ResourceInUseException,
                    lambda_client.exceptions.ResourceConflictException):
                if attempt == 19:
                    raise
                time.sleep(3)
        print(f"ReportBatchItemFailures set on mapping {mapping['UUID']}")


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=["local", "dev", "prod", "test"])
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url", help="e.g. http://127.0.0.1:4566 for moto server")
    parser.add_argument("--skip-chalice", action="store_true", help="only the stack and config.json")
    parser.add_argument("--config", default=str(CONFIG), help="Chalice config.json to update")
    parser.add_argument("--template", default=str(TEMPLATE))
    args = parser.parse_args(argv)

    session = boto3.session.Session(region_name=args.region)

    def client(service):
        return session.client(service, endpoint_url=args.endpoint_url)

    outputs = deploy_stack(client("cloudformation"), args.stage, args.template)
    env = outputs_to_env(outputs)
    write_env(args.config, args.stage, env)
    print(f"stack {stack_name(args.stage)} ready; wrote {len(env)} variables to {args.config}")
    for key, value in env.items():
        print(f"  {key}={value}")
    if args.skip_chalice:
        return 0

    # The project is the directory holding .chalice/. The app may read these
    # variables at import time (e.g. the queue name for on_sqs_message), and
    # chalice deploy imports it, so they go into its environment too.
    project_dir = Path(args.config).resolve().parent.parent
    child_env = {**os.environ, **env}
    if args.region:
        child_env["AWS_DEFAULT_REGION"] = args.region
    if args.endpoint_url:
        child_env["AWS_ENDPOINT_URL"] = args.endpoint_url
    subprocess.run([_chalice_executable(), "deploy", "--stage", args.stage],
                   cwd=project_dir, env=child_env, check=True)

    enable_batch_item_failures(client("lambda"), project_dir, args.stage)
    size_report_storage(client("lambda"), project_dir, args.stage)
    apply_gateway_responses(client("apigateway"), project_dir, args.stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
