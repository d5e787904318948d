#!/usr/bin/env python
"""`make package`: the SAM template and zip of the app for a CloudFormation pipeline, with no stack deployed.

    python infra/package.py --stage dev [--out build/] [--config .chalice/config.json]

Needs no AWS account, credentials or deployed stack: it runs `chalice package` with the merge
template on a copy of the stage's config, then makes the template take from the stage's infra stack
(infra/template.yaml, deployed as its own stack first) what `make deploy` would have written into
.chalice/config.json. Every value is an import of one of that stack's exports, `<InfraStack>-<OutputKey>`,
where InfraStack is the template's one parameter (default kirim-<stage>, the stack deploy.py makes):
  - each function's Role: its `<Function>RoleArn`;
  - the functions' environment (SAM Globals): every other unconditional output, as deploy.py names it
    (UsersTable -> USERS_TABLE, ...);
  - the messages stream consumer's Stream: `MessagesStreamArn`, and its on-failure destination:
    `MessageStreamDlqArn`;
  - provider_events' on-failure destination: `ProviderEventsDlqArn`.
Each function is named as `chalice deploy` names it (kirim-<stage>, kirim-<stage>-<name>): the stack's
log groups and each role's log permissions are made for those names. Stack values a deploy wrote into
the config are left out, so the template is the same on any checkout, deployed or not.

Chalice runs with PIP_NO_DEPS=1, so the zip holds exactly requirements.txt (boto3 and
botocore come from the Lambda runtime). Then every module in the zip gets its compiled .pyc beside it
(add_bytecode): Lambda's file system is read-only, so Python cannot cache what it compiles there, and
without them every cold start compiles Kirim and its libraries from source. Exits non-zero when the
zip is over GOAL_BYTES.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deploy import (  # noqa: E402
    ASYNC_WORKERS, CHALICE_ENV, CONFIG, MERGE_TEMPLATE, RETIRED_OUTPUTS, STREAM_DESTINATIONS, TEMPLATE, DeployError,
    _chalice_executable,
    chalice_functions, env_name, function_name, read_config, read_template, require_roles, role_output,
    stage_environment)
from zip_bytecode import add_bytecode  # noqa: E402,F401 - also package.add_bytecode for scripts

GOAL_BYTES = 10 * 1024 * 1024
INFRA_STACK = "InfraStack"  # the packaged template's one parameter
STREAM_OUTPUT = "MessagesStreamArn"  # the one stream the app consumes
# Stands for a function's role while chalice packages (it refuses a function with no role); replaced.
PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/kirim-package-placeholder-"
# What chalice needs to import the app where the operator has no AWS configuration: the region is
# read by boto3 but never written into the template (a test checks).
DEFAULT_REGION = "us-east-1"


def infra_outputs(template_path=TEMPLATE):
    """The infra template's Outputs ({key: output}), each exported as <stack name>-<key>."""
    return read_template(Path(template_path).read_text())["Outputs"]


def stack_variables(outputs):
    """{VARIABLE: OutputKey}: what deploy.outputs_to_env writes into config.json, for the outputs every
    stage has (the local stage's test inbox table is conditional; the app names it from the stage), but
    the retired ones (an import would hold them in the infra stack for another release)."""
    return {env_name(key): key for key, output in outputs.items()
            if not key.endswith("RoleArn") and "Condition" not in output and key not in RETIRED_OUTPUTS}


def imported(output_key):
    return {"Fn::ImportValue": {"Fn::Sub": f"${{{INFRA_STACK}}}-{output_key}"}}


def package_config(config, stage, functions, variables):
    """The stage's config as chalice package should see it: no value of a deployed stack (they are
    imported instead), each function with a placeholder role."""
    config = copy.deepcopy(config)
    config.setdefault("stages", {}).setdefault(stage, {})
    for scope in (config, config["stages"][stage]):
        env = scope.get("environment_variables", {})
        for name in variables:
            env.pop(name, None)
    stage_config = config["stages"][stage]
    for key in ("iam_policy_file", "iam_role_arn", "manage_iam_role"):
        stage_config.pop(key, None)
    functions_config = stage_config.setdefault("lambda_functions", {})
    for name in functions:
        settings = functions_config.setdefault(name, {})
        settings.pop("iam_policy_file", None)
        settings.update(manage_iam_role=False, iam_role_arn=PLACEHOLDER_ROLE + name)
    return config


def _project_copy(project_dir, workdir, config):
    """A project chalice packages like the real one: links to its app, code and requirements (and its
    .chalice/deployments, chalice's cache of the dependencies' zip), with `config` as its config.json."""
    project = Path(workdir) / "project"
    (project / ".chalice").mkdir(parents=True)
    for name in ("app.py", "chalicelib", "requirements.txt", "vendor"):
        if (project_dir / name).exists():
            (project / name).symlink_to(project_dir / name)
    cache = project_dir / ".chalice" / "deployments"
    cache.mkdir(parents=True, exist_ok=True)
    (project / ".chalice" / "deployments").symlink_to(cache)
    (project / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return project


def stack_free(template, stage, functions, variables):
    """Chalice's SAM template -> one whose stack values are imports from the InfraStack's exports."""
    template["Parameters"] = {INFRA_STACK: {
        "Type": "String",
        "Default": f"kirim-{stage}",
        "AllowedPattern": "[a-zA-Z][-a-zA-Z0-9]*",
        "Description": f"The stack of infra/template.yaml (Stage={stage}) this app uses: its roles, tables, "
                       f"queues, bucket, topic, secrets and stream, imported from its exports "
                       f"<InfraStack>-<OutputKey>. Deploy it first (python infra/deploy.py --stage {stage} "
                       f"--skip-chalice, or aws cloudformation deploy). See infra/README.md."}}
    template["Globals"] = {"Function": {"Environment": {"Variables": {
        name: imported(key) for name, key in sorted(variables.items())}}}}
    seen = set()
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        role = properties.get("Role")
        if not (isinstance(role, str) and role.startswith(PLACEHOLDER_ROLE)):
            raise DeployError(f"{logical_id} in chalice's template has the role {role!r}, not one package.py gave")
        name = role[len(PLACEHOLDER_ROLE):]
        seen.add(name)
        properties["Role"] = imported(role_output(name))
        properties["FunctionName"] = function_name(stage, name)
        for event_id, event in properties.get("Events", {}).items():
            if event.get("Type") == "DynamoDB":
                if f":table/kirim-{stage}-messages/stream/" not in str(event["Properties"]["Stream"]):
                    raise DeployError(f"{logical_id}.{event_id} reads a stream package.py does not know: "
                                      f"{event['Properties']['Stream']} (only the messages table's, {STREAM_OUTPUT})")
                event["Properties"]["Stream"] = imported(STREAM_OUTPUT)
                if name in STREAM_DESTINATIONS:  # a batch failing past chalice-merge.yaml's record age
                    event["Properties"]["DestinationConfig"] = {
                        "OnFailure": {"Destination": imported(STREAM_DESTINATIONS[name])}}
        if name in ASYNC_WORKERS:  # invoked by SNS: failed events go to a queue
            properties["EventInvokeConfig"] = {
                "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 6 * 3600,
                "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": imported(ASYNC_WORKERS[name])}}}
    if seen != set(functions):
        raise DeployError(f"chalice packaged the functions {sorted(seen)}, the app declares {sorted(functions)}")
    return template


def package(stage, out, config_path=CONFIG, template_path=TEMPLATE):
    """Writes <out>/sam.yaml and <out>/deployment.zip; returns the zip's path."""
    project_dir = Path(config_path).resolve().parent.parent
    config = read_config(config_path)
    if stage not in config.get("stages", {}):
        raise DeployError(f"{config_path} has no stage {stage}")
    outputs = infra_outputs(template_path)
    variables = stack_variables(outputs)
    env = {name: value for name, value in os.environ.items() if name not in variables}  # the operator's shell
    env.update(CHALICE_ENV)
    if not (env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")):
        env["AWS_DEFAULT_REGION"] = DEFAULT_REGION
    with tempfile.TemporaryDirectory(prefix="kirim-package-") as workdir:
        project = _project_copy(project_dir, workdir, package_config(config, stage, (), variables))
        functions = chalice_functions(project, stage, {**env, **stage_environment(read_config(
            project / ".chalice" / "config.json"), stage)})
        require_roles(functions, outputs)
        (project / ".chalice" / "config.json").write_text(
            json.dumps(package_config(config, stage, functions, variables), indent=2))
        out = Path(out).resolve()
        result = subprocess.run([_chalice_executable(), "package", "--stage", stage, "--merge-template",
                                 str(MERGE_TEMPLATE), str(out)], cwd=project, env=env)
        if result.returncode != 0:
            raise DeployError(f"chalice package --stage {stage} failed (exit {result.returncode})")
    sam = out / "sam.yaml"  # YAML because the merge template is
    template = stack_free(yaml.safe_load(sam.read_text()), stage, functions, variables)
    sam.write_text(yaml.safe_dump(template, sort_keys=False, allow_unicode=True))
    return out / "deployment.zip"


def runtimes(sam_path):
    """The Runtime of every function in the SAM template `chalice package` wrote."""
    resources = yaml.safe_load(Path(sam_path).read_text())["Resources"]
    return {r["Properties"]["Runtime"] for r in resources.values() if r["Type"] == "AWS::Serverless::Function"}


def describe(zip_path):
    size = zip_path.stat().st_size
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        unpacked = sum(info.file_size for info in archive.infolist())
    tops = sorted({name.split("/")[0] for name in names if "/" in name and not name.endswith(".dist-info/")})
    return size, unpacked, tops


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", default="build")
    parser.add_argument("--config", default=str(CONFIG), help="the project's .chalice/config.json")
    args = parser.parse_args(argv)
    try:
        zip_path = package(args.stage, args.out, args.config)
    except DeployError as err:
        print(f"package stopped: {err}", file=sys.stderr)
        return 2
    (runtime,) = runtimes(Path(args.out) / "sam.yaml")
    for name in add_bytecode(zip_path, runtime):
        print(f"  not compiled (compiled at import instead): {name}")
    size, unpacked, tops = describe(zip_path)
    print(f"{Path(args.out) / 'sam.yaml'}: parameter {INFRA_STACK} (default kirim-{args.stage}), the stack of "
          f"infra/template.yaml whose exports it imports")
    print(f"{zip_path}: {size / 1048576:.2f} MB zipped, {unpacked / 1048576:.2f} MB unpacked "
          f"(goal < {GOAL_BYTES / 1048576:.0f} MB zipped)")
    print("  " + ", ".join(t for t in tops if not t.endswith(".dist-info")))
    print(json.dumps({"zipped_bytes": size, "unpacked_bytes": unpacked}))
    return 0 if size < GOAL_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
