"""moto in-process with the real infra/ template deployed: for tests and benchmarks; and the
template properties moto's CloudFormation skips, applied through the services' own APIs."""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "KIRIM_STAGE": STAGE,
    "DEFAULT_QUOTA": "1000", "POWERTOOLS_LOG_LEVEL": "WARNING", "SIMULATOR_TIME_SCALE": "0",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def use_fake_aws_env() -> None:
    """Call before importing chalicelib: the models take their table names from the environment."""
    os.environ.update(FAKE_AWS_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)


@contextmanager
def deployed_stack() -> Iterator[dict[str, str]]:
    """mock_aws with the stack from infra/template.yaml; yields the stack outputs."""
    import boto3
    from moto import mock_aws

    from chalicelib.core.config import get_settings
    from infra.deploy import deploy_stack, outputs_to_env
    from local import moto_fast

    moto_fast.install()

    # moto's CloudFormation skips the alarms with a warning per resource (no CloudWatch alarms in moto).
    logging.getLogger("moto.cloudformation.parsing").setLevel(logging.ERROR)
    serialise_moto()
    with mock_aws():
        outputs = deploy_stack(boto3.client("cloudformation"), STAGE, str(ROOT / "infra" / "template.yaml"))
        apply_what_moto_skips(STAGE)
        # As the deploy script does for a stage: the stack's outputs become the app's environment.
        os.environ.update(outputs_to_env(outputs))
        get_settings.cache_clear()
        yield outputs


def serialise_moto() -> None:
    """Each in-process moto call handled whole before the next, as local.moto_server does for the
    server: moto's backends copy and change their tables without a lock, and Kirim's threads (a
    broadcast chunk sends many recipients at once) would otherwise interleave inside them."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.__call__, "serialised", False):
        return
    lock, call = threading.RLock(), BotocoreStubber.__call__

    def serialised(self, event_name, request, **kwargs):  # noqa: ANN001 - botocore's event signature
        with lock:
            return call(self, event_name, request, **kwargs)

    serialised.serialised = True
    BotocoreStubber.__call__ = serialised


def load_template(path: Path) -> dict:
    """infra/template.yaml with CloudFormation's short tags kept as {"Ref": ...} / {"Fn::X": ...}."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader, suffix, node):
        name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            return {name: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {name: loader.construct_sequence(node, deep=True)}
        return {name: loader.construct_mapping(node, deep=True)}

    Loader.add_multi_constructor("!", tag)
    return yaml.load(path.read_text(), Loader=Loader)


def _lifecycle_rule(rule: dict, parameters: dict[str, str]) -> dict:
    """A CloudFormation lifecycle rule in the S3 API's shape."""
    days = rule["ExpirationInDays"]
    days = int(parameters[days["Ref"]]) if isinstance(days, dict) else int(days)
    api = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule["Prefix"]},
           "Expiration": {"Days": days}}
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


def apply_what_moto_skips(stage: str, template_path: Path | None = None) -> dict[str, list[str]]:
    """moto 5.2.5's CloudFormation ignores a table's TimeToLiveSpecification and a bucket's
    LifecycleConfiguration; apply them to the deployed stack as AWS would, so local runs and
    tests see what AWS has. Returns what was applied."""
    import boto3

    template = load_template(template_path or ROOT / "infra" / "template.yaml")
    cfn = boto3.client("cloudformation")
    stack = cfn.describe_stacks(StackName=f"kirim-{stage}")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    for name, spec in template.get("Parameters", {}).items():
        parameters.setdefault(name, str(spec.get("Default", "")))
    physical = {r.get("LogicalResourceId"): r.get("PhysicalResourceId")
                for r in cfn.describe_stack_resources(StackName=f"kirim-{stage}")["StackResources"]}
    applied: dict[str, list[str]] = {"ttl": [], "lifecycle": []}
    for logical, resource in template["Resources"].items():
        if logical not in physical:
            continue  # a resource whose Condition is false in this stage (the local-only test inbox)
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table" and properties.get("TimeToLiveSpecification"):
            ttl = properties["TimeToLiveSpecification"]
            boto3.client("dynamodb").update_time_to_live(TableName=physical[logical], TimeToLiveSpecification={
                "AttributeName": ttl["AttributeName"], "Enabled": ttl["Enabled"]})
            applied["ttl"].append(physical[logical])
        if resource["Type"] == "AWS::S3::Bucket" and properties.get("LifecycleConfiguration"):
            rules = [_lifecycle_rule(rule, parameters) for rule in properties["LifecycleConfiguration"]["Rules"]]
            boto3.client("s3").put_bucket_lifecycle_configuration(Bucket=physical[logical],
                                                                  LifecycleConfiguration={"Rules": rules})
            applied["lifecycle"].append(physical[logical])
    return applied
