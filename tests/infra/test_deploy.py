"""`make deploy` and `make package` on the real app, as far as moto lets them go.

- chalice's own configuration validation (what `chalice deploy` checks before calling AWS);
- infra/deploy.py, the real script, against a moto server: the stack, the roles, chalice
  deploy's functions and event sources, then moto's exact limit (ImportRestApi), twice, to show
  a re-run changes nothing and the operator is told what exists;
- infra/package.py on a fresh checkout of the real app, with no stack deployed and no AWS
  credentials or configuration at all, then cfn-lint on its SAM template, and what the zip holds;
  on a checkout that has deployed, the same template;
- deploy and teardown without credentials or a region: one line saying so, never a traceback.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from tests.infra.template_yaml import ROOT, load_template
from local.ports import free_port

DEPLOY = ROOT / "infra" / "deploy.py"
# moto 5.2.5's import_rest_api reads api_doc["info"]["description"], which Chalice's Swagger
# does not have (AWS does not require it), and past that it imports only OpenAPI 3, while Chalice
# writes Swagger 2.0: the step of `chalice deploy` moto cannot take (test_moto_is_what_stops...).
MOTO_LIMIT = "An error occurred (500) when calling the ImportRestApi operation"
WORKERS = {"dispatch_worker": 10, "simulator_clock": 5, "report_worker": 2, "callbacks_worker": 5,
           "broadcast_worker": 16}  # maximum concurrency
# The messages stream's consumer (counters, the quota ledger, status callbacks' deliveries) and the
# schedules: their own functions and roles.
RELIABILITY = ("message_stream", "dispatch_sweeper", "quota_reconciler", "callback_sweeper", "report_sweeper",
               "broadcast_pacer")
OTHER_FUNCTIONS = ("provider_events",)  # SNS


def test_chalice_validates_the_real_app_for_every_deployed_stage():
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_configuration

    for stage in ("dev", "prod"):
        config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name=stage)
        validate_configuration(config)  # raises ValueError on what chalice deploy would refuse
        assert config.lambda_timeout <= 29


def test_chalice_validation_refuses_the_mixed_binary_route_it_once_had():
    # The check above has teeth: the email route's old content types fail it.
    from chalice import Chalice
    from chalice.deploy.validate import validate_route_content_types

    app = Chalice("mixed")
    app.api.binary_types.append("multipart/form-data")

    @app.route("/send", methods=["POST"], content_types=["application/json", "multipart/form-data"])
    def send():
        return {}

    with pytest.raises(ValueError, match="support binary"):
        validate_route_content_types(app.routes, app.api.binary_types)



def _project(path: Path) -> Path:
    """A copy of the deployable project: chalice deploy writes .chalice/deployed and caches."""
    (path / ".chalice").mkdir(parents=True)
    shutil.copy(ROOT / "app.py", path)
    shutil.copy(ROOT / "requirements.txt", path)
    shutil.copy(ROOT / ".chalice" / "config.json", path / ".chalice")
    shutil.copytree(ROOT / "chalicelib", path / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    return path


def _operator_env() -> dict[str, str]:
    """An operator's shell: fake credentials, no Kirim or provider variables of the test session."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "KIRIM_", "PROVIDER", "META_", "EUM_", "POWERTOOLS_", "DEFAULT_", "SIMULATOR_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    return env


def _no_aws_env() -> dict[str, str]:
    """A shell that has never seen AWS: no credentials, region, profile or config files, and no
    instance metadata to fall back on (a CI runner on EC2 would otherwise find its role)."""
    env = {k: v for k, v in _operator_env().items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
               AWS_EC2_METADATA_DISABLED="true")
    return env


def _wait_for(url: str, process: subprocess.Popen) -> None:
    import time
    import urllib.request

    for _ in range(300):
        assert process.poll() is None, "moto server exited"
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture(scope="module")
def moto_deploy(tmp_path_factory):
    # moto's server in its own process: in this one, any test's mock_aws shares and resets its state.
    project = _project(tmp_path_factory.mktemp("deploy"))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "local.moto_server", "--port", str(port)], cwd=ROOT,
                              env=_operator_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    _wait_for(endpoint + "/moto-api/", server)

    def stop():
        server.terminate()
        server.wait(10)
    config = project / ".chalice" / "config.json"

    def run():
        return subprocess.run([sys.executable, str(DEPLOY), "--stage", "dev", "--endpoint-url", endpoint,
                               "--config", str(config), "--no-input"],
                              capture_output=True, text=True, env=_operator_env(), timeout=420)

    try:
        first = run()
        after_first = config.read_text()
        second = run()
        clients = {s: boto3.client(s, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                                   aws_secret_access_key="testing") for s in ("lambda", "sns", "cloudformation")}
        yield {"first": first, "second": second, "project": project, "config": config, "clients": clients,
               "after_first": after_first}
    finally:
        stop()


def test_deploy_goes_as_far_as_moto_allows_and_says_where_it_stopped(moto_deploy):
    first = moto_deploy["first"]
    output = first.stdout + first.stderr
    # moto's limit, pinned: if a moto upgrade gets past it, this fails and the test must grow.
    assert first.returncode == 2, output
    assert MOTO_LIMIT in output, output
    # Everything before chalice deploy's REST API step happened.
    assert "stack kirim-dev ready" in output and "one role per function" in output
    for name in ("kirim-dev-provider_events", "kirim-dev-dispatch_worker", "kirim-dev-simulator_clock",
                 "kirim-dev-report_worker", "kirim-dev"):
        assert f"Creating lambda function: {name}\n" in output
    # And the operator is told what exists and how to finish or clean up.
    assert "deploy stopped: chalice deploy --stage dev failed" in output
    assert "run the same command again" in output and "python infra/teardown.py --stage dev" in output


def test_what_chalice_deployed_has_the_stacks_roles_and_limits(moto_deploy):
    lam = moto_deploy["clients"]["lambda"]
    config = json.loads(moto_deploy["config"].read_text())["stages"]["dev"]
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert set(functions) == {"kirim-dev", *(f"kirim-dev-{n}" for n in (*WORKERS, *OTHER_FUNCTIONS, *RELIABILITY))}
    for chalice_name, settings in config["lambda_functions"].items():
        name = "kirim-dev" if chalice_name == "api_handler" else f"kirim-dev-{chalice_name}"
        assert functions[name]["Role"] == settings["iam_role_arn"], name
        assert settings["manage_iam_role"] is False
    roles = {settings["iam_role_arn"] for settings in config["lambda_functions"].values()}
    assert len(roles) == 13 and all(":role/kirim-dev-" in role for role in roles)
    assert functions["kirim-dev"]["Timeout"] == 28
    variables = functions["kirim-dev"]["Environment"]["Variables"]
    assert not [k for k in variables if k.startswith(("META_", "EUM_"))]
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    by_function = {m["FunctionArn"].rsplit(":", 1)[-1]: m for m in mappings}
    for worker, concurrency in WORKERS.items():
        assert by_function[f"kirim-dev-{worker}"]["ScalingConfig"] == {"MaximumConcurrency": concurrency}
    assert by_function["kirim-dev-message_stream"]["EventSourceArn"].startswith(
        "arn:aws:dynamodb:us-east-1:123456789012:table/kirim-dev-messages/stream/")
    subscriptions = moto_deploy["clients"]["sns"].list_subscriptions()["Subscriptions"]
    assert [s["Endpoint"].rsplit(":", 1)[-1] for s in subscriptions if s["Protocol"] == "lambda"] == [
        "kirim-dev-provider_events"]


def test_a_rerun_is_idempotent(moto_deploy):
    second = moto_deploy["second"]
    output = second.stdout + second.stderr
    assert second.returncode == 2 and MOTO_LIMIT in output, output
    # The second run updated in place: nothing doubled, the config is the same.
    assert "Updating lambda function: kirim-dev-report_worker" in output
    # Left by the first, unfinished deploy: the 5 queues' and the messages stream's.
    assert output.count("removed event source mapping") == 6
    lam = moto_deploy["clients"]["lambda"]
    assert len(lam.list_functions()["Functions"]) == 13
    assert len(lam.list_event_source_mappings()["EventSourceMappings"]) == 6
    assert len([s for s in moto_deploy["clients"]["sns"].list_subscriptions()["Subscriptions"]
                if s["Protocol"] == "lambda"]) == 1
    stack = moto_deploy["clients"]["cloudformation"].describe_stacks(StackName="kirim-dev")["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    assert moto_deploy["config"].read_text() == moto_deploy["after_first"]


def test_deploy_replaces_chalices_code_with_the_same_package_and_its_bytecode(moto_deploy, tmp_path):
    """chalice deploy uploads its own zip, without .pyc files; the deploy then gives every function that
    zip with a .pyc beside each module. moto stops chalice deploy at the REST API, before that step, so
    the step runs here on the functions it did create."""
    sys.path.insert(0, str(ROOT / "infra"))
    import deploy

    project, lam = moto_deploy["project"], moto_deploy["clients"]["lambda"]
    names = list(json.loads(moto_deploy["config"].read_text())["stages"]["dev"]["lambda_functions"])
    before = {deploy.function_name("dev", n): lam.get_function_configuration(FunctionName=deploy.function_name(
        "dev", n)) for n in names}
    assert len({c["CodeSha256"] for c in before.values()}) == 1  # chalice's one zip, in all 11
    sha = deploy.ship_bytecode(lam, project, "dev", names)
    after = {f: lam.get_function_configuration(FunctionName=f) for f in before}
    assert {c["CodeSha256"] for c in after.values()} == {sha} and sha not in {c["CodeSha256"] for c in before.values()}
    assert all(after[f]["CodeSize"] > before[f]["CodeSize"] for f in before)
    # What was shipped is chalice's zip, each module with its .pyc.
    with zipfile.ZipFile(deploy.bytecode_package(project, tmp_path)) as shipped:
        files = set(shipped.namelist())
    tag = sys.implementation.cache_tag
    modules = [f for f in files if f.endswith(".py")]
    assert "app.py" in files and "chalicelib/sending/pipeline.py" in files
    missing = [m for m in modules if f"{m.rsplit('/', 1)[0] + '/' if '/' in m else ''}__pycache__/"
               f"{m.rsplit('/', 1)[-1][:-3]}.{tag}.pyc" not in files]
    assert len(modules) > 150 and missing == []


def _package(config: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "infra" / "package.py"), "--stage", "dev", "--out", str(out),
                           "--config", str(config)], capture_output=True, text=True, env=env, timeout=420)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """infra/package.py on a fresh checkout (no stack deployed: config.json has no role or stack value),
    in a shell with no AWS credentials, region or configuration, and no moto."""
    project = _project(tmp_path_factory.mktemp("fresh"))
    dev = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["dev"]
    assert not [f for f in dev.get("lambda_functions", {}).values() if "iam_role_arn" in f]
    assert not {"USERS_TABLE", "MESSAGES_STREAM_ARN"} & set(dev.get("environment_variables", {}))
    out = tmp_path_factory.mktemp("package") / "build"
    return _package(project / ".chalice" / "config.json", out, _no_aws_env()), out


def test_package_is_small_and_holds_no_sdk(package):
    result, out = package
    assert result.returncode == 0, result.stdout + result.stderr
    sizes = json.loads(result.stdout.strip().splitlines()[-1])
    assert "MB zipped" in result.stdout
    zip_path = out / "deployment.zip"
    assert sizes["zipped_bytes"] == zip_path.stat().st_size < 10 * 1024 * 1024
    names = zipfile.ZipFile(zip_path).namelist()
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"boto3", "botocore", "s3transfer"}  # the Lambda runtime's
    assert {"pynamodb", "aws_lambda_powertools", "phonenumbers", "email_validator", "dns", "idna",
            "jmespath", "urllib3", "chalicelib", "app.py", "typing_extensions.py"} <= tops
    # Reports write XLSX themselves; broadcast recipient files are read with openpyxl (no lxml).
    assert {"openpyxl", "et_xmlfile"} <= tops and "lxml" not in tops
    assert not [n for n in names if n.startswith(("phonenumbers/geodata", "phonenumbers/carrierdata"))]


def test_package_carries_bytecode_python_loads_without_compiling(package, tmp_path):
    """Lambda's file system is read-only: without .pyc files in the zip, every cold start compiles
    Kirim and its libraries from source. Each .py has an unchecked-hash .pyc of the runtime's Python
    beside it, and a fresh interpreter importing the app from the unpacked zip compiles nothing."""
    from importlib.util import MAGIC_NUMBER, source_hash

    result, out = package
    assert result.returncode == 0, result.stdout + result.stderr
    runtimes = {r["Properties"]["Runtime"] for r in yaml.safe_load((out / "sam.yaml").read_text())["Resources"].values()
                if r["Type"] == "AWS::Serverless::Function"}
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}  # the Python that compiled
    archive = zipfile.ZipFile(out / "deployment.zip")
    names = set(archive.namelist())
    sources = [n for n in names if n.endswith(".py")]
    assert len(sources) > 1000 and "app.py" in sources
    for name in sources:
        folder, _, file = name.rpartition("/")
        pyc = archive.read(f"{folder + '/' if folder else ''}__pycache__/{file[:-3]}.{sys.implementation.cache_tag}.pyc")
        # PEP 552: magic number, flags 0b01 (hash-based, source not checked), source hash.
        assert (pyc[:4], pyc[4:8], pyc[8:16]) == (MAGIC_NUMBER, b"\x01\0\0\0", source_hash(archive.read(name))), name

    task = tmp_path / "task"
    archive.extractall(task)
    for path in task.rglob("*"):
        path.chmod(path.stat().st_mode & ~0o222)  # read-only, as /var/task is
    try:
        imported = subprocess.run(
            [sys.executable, "-v", "-c", "import app, chalicelib.sending.pipeline, chalicelib.core.phone_numbers, "
                                         "phonenumbers, pynamodb.models"],
            cwd=tmp_path, capture_output=True, text=True, env={**_operator_env(), "PYTHONPATH": str(task), "PYTHONDONTWRITEBYTECODE": "1"})
    finally:
        for path in task.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
    assert imported.returncode == 0, imported.stderr[-3000:]
    loaded = [line.split("'")[1] for line in imported.stderr.splitlines() if line.startswith("# code object from ")]
    ours = [path for path in loaded if path.startswith(str(task))]
    assert len(ours) > 150 and str(task / "__pycache__" / f"app.{sys.implementation.cache_tag}.pyc") in ours
    assert [path for path in ours if not path.endswith(".pyc")] == []  # nothing compiled from source


def test_bytecode_is_refused_for_another_runtime_and_skips_what_does_not_compile(tmp_path):
    zip_path = tmp_path / "deployment.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("ok.py", "X = 1\n")
        archive.writestr("py2.py", "print 'old'\n")
        archive.writestr("stale/__pycache__/ok.cpython-311.pyc", b"a developer's, checked by mtime")
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import package; "
              "print(package.add_bytecode(sys.argv[2], sys.argv[3]))")
    ours = f"python{sys.version_info.major}.{sys.version_info.minor}"
    done = subprocess.run([sys.executable, "-c", script, str(ROOT / "infra"), str(zip_path), ours],
                          capture_output=True, text=True, env=_operator_env())
    assert done.returncode == 0 and done.stdout.strip() == "['py2.py']", done.stderr
    assert sorted(zipfile.ZipFile(zip_path).namelist()) == [
        f"__pycache__/ok.{sys.implementation.cache_tag}.pyc", "ok.py", "py2.py"]
    refused = subprocess.run([sys.executable, "-c", script, str(ROOT / "infra"), str(zip_path), "python3.99"],
                             capture_output=True, text=True, env=_operator_env())
    assert refused.returncode == 1 and "bytecode is per Python version" in refused.stderr


def _deploy_module():
    sys.path.insert(0, str(ROOT / "infra"))
    import deploy

    return deploy


def _imports(node) -> set[str]:
    """The output keys a template imports ({"Fn::ImportValue": {"Fn::Sub": "${InfraStack}-<key>"}})."""
    if isinstance(node, dict):
        if "Fn::ImportValue" in node:
            name = node["Fn::ImportValue"]["Fn::Sub"]
            assert name.startswith("${InfraStack}-"), name
            return {name.removeprefix("${InfraStack}-")}
        return set().union(*map(_imports, node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*map(_imports, node)) if node else set()
    return set()


def test_package_without_a_stack_or_credentials_passes_cfn_lint_and_imports_the_stack(package):
    result, out = package
    assert result.returncode == 0, result.stdout + result.stderr
    lint = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(out / "sam.yaml")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    text = (out / "sam.yaml").read_text()
    template = yaml.safe_load(text)
    # No account, region or stand-in of the machine that packaged it: the same template for every account.
    assert not [word for word in ("000000000000", "123456789012", "us-east-1", "placeholder") if word in text]
    # One parameter: the infra stack, whose exports (<stack>-<OutputKey>) give every stack value.
    assert template["Parameters"] == {"InfraStack": {
        "Type": "String", "Default": "kirim-dev", "AllowedPattern": "[a-zA-Z][-a-zA-Z0-9]*",
        "Description": template["Parameters"]["InfraStack"]["Description"]}}
    outputs = load_template()["Outputs"]
    assert all(o["Export"] == {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{key}"}} for key, o in outputs.items())
    assert _imports(template) <= set(outputs)
    # The functions get what make deploy writes into config.json: every unconditional output but the roles
    # as a variable (UsersTable -> USERS_TABLE), and each function its own role.
    deploy = _deploy_module()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert {name: _imports(value).pop() for name, value in variables.items()} == {
        deploy.env_name(key): key for key, o in outputs.items()
        if not key.endswith("RoleArn") and "Condition" not in o and key not in deploy.RETIRED_OUTPUTS}
    # The master key's output under its old name is kept for app stacks packaged before, never imported.
    assert "CursorSecretArn" in outputs and "CursorSecretArn" not in _imports(template)
    resources = template["Resources"]
    functions = {logical: r["Properties"] for logical, r in resources.items()
                 if r["Type"] == "AWS::Serverless::Function"}
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["dev"]
    assert len(functions) == 13 and functions["APIHandler"]["Timeout"] == 28
    log_groups = {r["Properties"]["LogGroupName"]["Fn::Sub"].replace("${Stage}", "dev")
                  for r in load_template()["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"}
    for logical, properties in functions.items():
        name = properties["FunctionName"]
        chalice_name = "api_handler" if name == "kirim-dev" else name.removeprefix("kirim-dev-")
        role = deploy.role_output(chalice_name)
        assert properties["Role"] == {"Fn::ImportValue": {"Fn::Sub": "${InfraStack}-" + role}}, logical
        # Named as chalice deploy names them: the stack's log groups (and each role's logs statement) are theirs.
        assert f"/aws/lambda/{name}" in log_groups, logical
        assert properties["Environment"]["Variables"]["KIRIM_STAGE"] == "dev"
        assert not set(properties["Environment"]["Variables"]) & set(variables)
        assert properties["Timeout"] == config["lambda_functions"].get(chalice_name, {}).get("lambda_timeout", 28)
    stream = functions["MessageStream"]["Events"]["MessageStreamDynamodbEventSource"]["Properties"]
    assert stream["Stream"] == {"Fn::ImportValue": {"Fn::Sub": "${InfraStack}-MessagesStreamArn"}}
    assert stream["DestinationConfig"] == {"OnFailure": {
        "Destination": {"Fn::ImportValue": {"Fn::Sub": "${InfraStack}-MessageStreamDlqArn"}}}}
    assert (stream["MaximumRecordAgeInSeconds"], stream["BisectBatchOnFunctionError"]) == (3600, False)
    destination = functions["ProviderEvents"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert destination == {"Type": "SQS",
                           "Destination": {"Fn::ImportValue": {"Fn::Sub": "${InfraStack}-ProviderEventsDlqArn"}}}
    # The merge template's settings are there too.
    assert functions["ReportWorker"]["Events"]["ReportWorkerSqsEventSource"]["Properties"][
        "FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_package_parameters_are_documented(package):
    """Each parameter of the packaged template is described in it, and in both guides, with how to pass it."""
    _, out = package
    parameters = yaml.safe_load((out / "sam.yaml").read_text())["Parameters"]
    assert all("infra/template.yaml" in p["Description"] for p in parameters.values())
    for doc in (ROOT / "infra" / "README.md", ROOT / "docs" / "operating.md"):
        text = doc.read_text()
        for name in parameters:
            assert f"`{name}`" in text and f"--parameter-overrides {name}=" in text, (doc, name)


def test_package_of_a_deployed_checkout_is_the_same_and_its_imports_are_the_stacks_exports(package, moto_deploy,
                                                                                          tmp_path):
    """A checkout that has deployed (config.json holds the stack's roles and values) packages the same
    template: nothing of one account is baked in. And each import names an export of the deployed stack."""
    fresh, out = package
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    config = json.loads(moto_deploy["config"].read_text())["stages"]["dev"]
    assert config["lambda_functions"]["api_handler"]["iam_role_arn"] and config["environment_variables"]["USERS_TABLE"]
    deployed = _package(moto_deploy["config"], tmp_path / "build", {**_operator_env(), "USERS_TABLE": "from-a-shell"})
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert (tmp_path / "build" / "sam.yaml").read_text() == (out / "sam.yaml").read_text()
    exports = [e for page in moto_deploy["clients"]["cloudformation"].get_paginator("list_exports").paginate()
               for e in page["Exports"]]
    # (moto does not create the secrets: it lists their exports without a value.)
    resolved = {e["Name"] for e in exports if "Value" in e} | {"kirim-dev-MasterKeySecretArn",
                                                               "kirim-dev-ProviderSecretArn"}
    assert {f"kirim-dev-{key}" for key in _imports(yaml.safe_load((out / "sam.yaml").read_text()))} <= resolved


def test_moto_is_what_stops_the_rest_api(package):
    """The REST API chalice deploy imports is the one `chalice package` writes. moto 5.2.5 cannot
    import it: it needs info.description (AWS does not), and then refuses Swagger 2.0, the only
    format Chalice writes. Both pinned, so a moto that learns either makes this fail and the
    deploy test go further."""
    _, out = package
    swagger = yaml.safe_load((out / "sam.yaml").read_text())["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    swagger.pop("x-amazon-apigateway-gateway-responses", None)
    assert "description" not in swagger["info"]
    with mock_aws():
        apigateway = boto3.client("apigateway", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
        with pytest.raises(KeyError, match="description"):
            apigateway.import_rest_api(body=json.dumps(swagger))
        swagger["info"]["description"] = "kirim"
        assert swagger["swagger"] == "2.0"
        with pytest.raises(apigateway.exceptions.BadRequestException,
                           match="Only OpenAPI 3.x.x are currently supported"):
            apigateway.import_rest_api(body=json.dumps(swagger))


def test_requirements_are_closed_except_for_the_runtimes_sdk():
    """PIP_NO_DEPS bundles requirements.txt alone, so it must name every dependency but the SDK."""
    from importlib.metadata import requires

    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    runtime = {"boto3", "botocore", "s3transfer"}
    pinned = {Requirement(line).name.lower().replace("_", "-") for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    lambda_env = {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.0"}
    missing = set()
    for name in pinned:
        for spec in requires(name) or []:
            requirement = Requirement(spec)
            if requirement.marker and not requirement.marker.evaluate({**lambda_env, "extra": ""}):
                continue
            dependency = requirement.name.lower().replace("_", "-")
            if dependency not in pinned | runtime:
                missing.add(f"{name} -> {dependency}")
    assert missing == set()


HELP = "; see docs/operating.md#1-account-region-and-credentials"
CREDENTIALS = "AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"


def _script(name: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "infra" / name), "--stage", "dev", *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize("script, command", [("deploy.py", "make deploy"), ("teardown.py", "make teardown")])
def test_deploy_and_teardown_without_aws_say_so_in_one_line(script, command):
    """What needs AWS stops before anything else, in one line naming what to set, with no traceback."""
    done = _script(script, _no_aws_env())
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.splitlines() == [
        f"{command} needs AWS credentials and an AWS region: set {CREDENTIALS} and AWS_DEFAULT_REGION "
        f"(or pass --region){HELP}"]


@pytest.mark.parametrize("given, said", [
    ({"AWS_DEFAULT_REGION": "ap-southeast-1"}, f"make deploy needs AWS credentials: set {CREDENTIALS}{HELP}"),
    ({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
     f"make deploy needs an AWS region: set AWS_DEFAULT_REGION (or pass --region){HELP}"),
    ({"AWS_PROFILE": "kirim-nowhere", "AWS_DEFAULT_REGION": "ap-southeast-1"},
     f"make deploy cannot load AWS credentials: The config profile (kirim-nowhere) could not be found{HELP}"),
])
def test_deploy_names_what_of_aws_is_missing(given, said):
    done = _script("deploy.py", {**_no_aws_env(), **given})
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [said])


def test_deploy_region_flag_is_enough_for_the_region():
    done = _script("deploy.py", _no_aws_env(), "--region", "ap-southeast-1")
    assert done.stderr.splitlines() == [f"make deploy needs AWS credentials: set {CREDENTIALS}{HELP}"]


def test_teardown_without_a_terminal_deletes_nothing_and_says_why():
    env = {**_no_aws_env(), "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    done = _script("teardown.py", env)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "nothing deleted (no terminal to ask on: run it in one, or infra/teardown.py with --yes)")
