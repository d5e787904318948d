#!/usr/bin/env python
"""Remove a non-prod stage: the Chalice app, then the report bucket's contents, then the stack.

    python infra/teardown.py --stage dev [--region R] [--endpoint-url URL] [--skip-chalice] [--yes]

A non-empty bucket would make CloudFormation's delete fail half way, so it is emptied first
(objects, and multipart uploads a dying report worker left). Prod refuses: its stack has
termination protection and its data resources are retained (docs/operating.md#teardown).
"""
import argparse
import subprocess
import sys
from pathlib import Path

from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deploy import CONFIG, WAITER_CONFIG, NoAws, _chalice_executable, aws_session, stack_name  # noqa: E402


def empty_bucket(s3, bucket):
    """Delete every object and abort every multipart upload; returns how many objects went."""
    removed = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for upload in page.get("Uploads", []):
                s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    except ClientError as err:
        if err.response["Error"]["Code"] != "NoSuchBucket":
            raise
    return removed


def stack_bucket(cfn, stage):
    try:
        stack = cfn.describe_stacks(StackName=stack_name(stage))["Stacks"][0]
    except ClientError as err:
        if "does not exist" in str(err):
            return None, False
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return outputs.get("ReportBucket"), True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True, choices=["local", "dev", "test"],
                        help="prod is not accepted: see docs/operating.md#teardown")
    parser.add_argument("--region")
    parser.add_argument("--endpoint-url")
    parser.add_argument("--skip-chalice", action="store_true", help="leave the Chalice app alone")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = parser.parse_args(argv)
    try:  # before the question: without credentials nothing could be deleted anyway
        session = aws_session("make teardown", args.region)
    except NoAws as err:
        print(err, file=sys.stderr)
        return 2
    try:
        answer = args.yes or input(f"Delete stage {args.stage} and all its data? Type the stage name: ")
    except EOFError:  # no terminal (CI): only --yes deletes
        print()
        answer = None
    if answer is not True and answer != args.stage:
        print("nothing deleted" if answer is not None
              else "nothing deleted (no terminal to ask on: run it in one, or infra/teardown.py with --yes)")
        return 1

    def client(service):
        return session.client(service, endpoint_url=args.endpoint_url)

    if not args.skip_chalice:
        # Functions, REST API and event source mappings; the roles are the stack's.
        subprocess.run([_chalice_executable(), "delete", "--stage", args.stage],
                       cwd=Path(CONFIG).parent.parent, check=False)
    cfn = client("cloudformation")
    bucket, exists = stack_bucket(cfn, args.stage)
    if bucket:
        print(f"emptied {bucket}: {empty_bucket(client('s3'), bucket)} objects")
    if exists:
        cfn.delete_stack(StackName=stack_name(args.stage))
        cfn.get_waiter("stack_delete_complete").wait(StackName=stack_name(args.stage), WaiterConfig=WAITER_CONFIG)
        print(f"stack {stack_name(args.stage)} deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
