#!/usr/bin/env python
"""`make package`: `chalice package` with the merge template, then the zip's size.

    python infra/package.py --stage dev [--out build/]

Chalice runs with PIP_NO_DEPS=1, so the zip holds exactly requirements.txt (boto3 and
botocore come from the Lambda runtime). The stage's on-failure destinations (provider_events'
and the message_stream mapping's DLQ ARNs, written into config.json by `deploy.py
--skip-chalice`) are added to the merge fragment here, because the fragment itself is shared
by every stage. Exits non-zero when the
zip is over GOAL_BYTES.

Then every module in the zip gets its compiled .pyc beside it (add_bytecode): Lambda's file system
is read-only, so Python cannot cache what it compiles there, and without them every cold start
compiles Kirim and its libraries from source.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deploy import (CHALICE_ENV, CONFIG, MERGE_TEMPLATE, STREAM_DESTINATIONS, _chalice_executable, env_name,  # noqa: E402
                    read_config, resource_name, stage_environment)
from zip_bytecode import add_bytecode  # noqa: E402,F401 - also package.add_bytecode for scripts

GOAL_BYTES = 10 * 1024 * 1024


def merge_fragment(stage_env):
    """The merge template, plus the on-failure destinations of the stage's DLQ ARNs."""
    fragment = yaml.safe_load(MERGE_TEMPLATE.read_text())
    dlq = stage_env.get("PROVIDER_EVENTS_DLQ_ARN")
    if dlq:
        fragment["Resources"]["ProviderEvents"] = {"Properties": {"EventInvokeConfig": {
            "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 6 * 3600,
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": dlq}}}}}
    for name, output in STREAM_DESTINATIONS.items():
        arn = stage_env.get(env_name(output))
        if arn:
            resource = resource_name(name)
            event = fragment["Resources"][resource]["Properties"]["Events"][f"{resource}DynamodbEventSource"]
            event["Properties"]["DestinationConfig"] = {"OnFailure": {"Destination": arn}}
    return fragment


def package(stage, out, config_path=CONFIG):
    project_dir = Path(config_path).resolve().parent.parent
    config = read_config(config_path)
    functions = config.get("stages", {}).get(stage, {}).get("lambda_functions", {})
    if not any("iam_role_arn" in settings for settings in functions.values()):
        sys.exit(f"stage {stage} has no function roles in {config_path}: deploy its stack first with\n"
                 f"  python infra/deploy.py --stage {stage} --skip-chalice")
    stage_env = stage_environment(config, stage)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as merge:
        yaml.safe_dump(merge_fragment(stage_env), merge, sort_keys=False)
    try:
        subprocess.run([_chalice_executable(), "package", "--stage", stage, "--merge-template", merge.name,
                        str(Path(out).resolve())], cwd=project_dir, env={**os.environ, **CHALICE_ENV}, check=True)
    finally:
        os.unlink(merge.name)
    return Path(out) / "deployment.zip"


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
    zip_path = package(args.stage, args.out, args.config)
    (runtime,) = runtimes(Path(args.out) / "sam.yaml")
    for name in add_bytecode(zip_path, runtime):
        print(f"  not compiled (compiled at import instead): {name}")
    size, unpacked, tops = describe(zip_path)
    print(f"{zip_path}: {size / 1048576:.2f} MB zipped, {unpacked / 1048576:.2f} MB unpacked "
          f"(goal < {GOAL_BYTES / 1048576:.0f} MB zipped)")
    print("  " + ", ".join(t for t in tops if not t.endswith(".dist-info")))
    print(json.dumps({"zipped_bytes": size, "unpacked_bytes": unpacked}))
    return 0 if size < GOAL_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
