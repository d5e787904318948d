"""A broadcast end to end in the local stack (issue 22): an SMS broadcast to N recipients from a CSV,
through the dashboard API (create, presigned upload, file, validate, schedule at 1,000 a second, start),
the validation job, the pacer minute by minute, the chunk workers and the simulator provider, to
`completed`; then the messages stream drained into the progress counters.

The stage is the soak's (tests/scripts/chaos_soak.py) without its faults: moto (its own process) holds
the stack, queues and bucket; AWS's DynamoDB Local holds the tables. So this process's CPU is Kirim's
(the API, the jobs, the worker, the stream consumer, and the simulator standing in for the provider),
never the fake AWS's. One worker takes the jobs one by one (Lambda would run up to 10 at once); the
pacer's clock is moved a minute at a time (no real waits: the chunks' DelaySeconds are 0 here, spread
over the minute on AWS).

It prints figures and checks exactly-once (each recipient reached the provider once, and one message per
recipient was written); it never checks a time, so `make bench` cannot fail on one.

    python -m bench.broadcast_e2e [--recipients N]     # default RECIPIENTS; docs/benchmarks.md quotes 100,000

AWS calls are counted by botocore's events (local.call_counter); the provider's own calls (the simulator's
S3 record and SQS events, a real provider's HTTPS call on AWS) are counted apart from Kirim's."""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402

# make bench's run: two chunks, under a minute. The stage, not Kirim, sets the pace here (moto's server and
# DynamoDB Local: 50-70 recipients a second on 2 shared cores); the docs quote a 100,000 run (25 minutes).
RECIPIENTS = 1_000
RATE = 1000
PASSWORD = "correct horse battery"


@contextmanager
def _stage() -> Iterator[None]:
    """moto in its own process, DynamoDB Local for the tables, the stack deployed; the environment set."""
    from local import dynamodb_local
    from local.moto_stack import FAKE_AWS_ENV
    from local.ports import free_port

    moto_port, dynamodb_port = free_port(), free_port()
    with ExitStack() as stack:
        moto = subprocess.Popen([sys.executable, "-m", "local.moto_server", "--port", str(moto_port)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        stack.callback(moto.wait)
        stack.callback(moto.terminate)
        stack.callback(dynamodb_local.start(dynamodb_port))
        moto.stdout.readline()  # its "serving" line
        # Read whatever else it prints: a full pipe would stop it mid-answer.
        threading.Thread(target=moto.stdout.read, daemon=True).start()
        endpoint = f"http://127.0.0.1:{moto_port}"
        os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": endpoint, "PROVIDERS": "simulator",
                           "DYNAMODB_READ_TIMEOUT": "30", "DYNAMODB_CONNECT_TIMEOUT": "10",
                           **dynamodb_local.endpoint_env(f"http://127.0.0.1:{dynamodb_port}")})
        import boto3

        from chalicelib.core.config import get_settings
        from infra.deploy import deploy_stack, outputs_to_env

        os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                      str(ROOT / "infra" / "template.yaml"))))
        dynamodb_local.copy_tables(boto3.client("dynamodb", endpoint_url=endpoint), boto3.client("dynamodb"))
        get_settings.cache_clear()
        yield


def csv_bytes(n: int) -> bytes:
    """N distinct numbers in two usual forms, a name: as Indonesian Excel saves it (`;`, a BOM). Each
    number ends in 9, never one of the simulator's magic endings (0000-0006: refused, lost...)."""
    out = io.StringIO()
    out.write("\ufeffphone;name\r\n")
    for i in range(n):
        nsn = f"812{i:07d}9"
        out.write(f"{'0' + nsn if i % 2 else '62' + nsn};Pelanggan {i}\r\n")
    return out.getvalue().encode("utf-8")


_in_provider = threading.local()
PROVIDER_CALLS: Counter = Counter()


def _count_provider_call(model, **_) -> None:
    if getattr(_in_provider, "on", False):
        PROVIDER_CALLS[(model.service_model.service_name, model.name)] += 1


class _Counted:
    """The simulator, counted per recipient; its own AWS calls set apart (a provider's, not Kirim's)."""

    def __init__(self, inner) -> None:
        self.inner, self.name = inner, inner.name
        self.sent: Counter = Counter()
        self._lock = threading.Lock()

    def send(self, outbound) -> str:
        _in_provider.on = True
        try:
            return self.inner.send(outbound)
        finally:
            _in_provider.on = False
            with self._lock:
                self.sent[outbound.target] += 1

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def _jobs(sqs, url: str) -> list[dict]:
    jobs = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not answer:
            return jobs
        for message in answer:
            jobs.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def run_e2e(recipients: int) -> dict:
    from chalice.test import Client

    from app import app
    from chalicelib.broadcasts import pacer, run
    from chalicelib.broadcasts.models import Broadcast
    from chalicelib.core import aws
    from chalicelib.core.config import get_settings
    from chalicelib.applications import quota
    from chalicelib.sending import pipeline
    from local import call_counter
    from local.moto_stack import STAGE
    from local.worker import drain_streams, stream_consumers
    import requests

    pacer.MAX_DELAY = 0   # moto would hold delayed messages for real seconds
    aws.TIMEOUTS.update(read_timeout=30, connect_timeout=10)   # a busy machine is not what is measured
    figures: dict = {"recipients": recipients}
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        def call(method: str, path: str, body=None, session=None):
            answer = getattr(client.http, method)(path, headers={"Content-Type": "application/json", **(session or {})},
                                                  body=None if body is None else json.dumps(body))
            assert answer.status_code < 300, (path, answer.status_code, answer.body)
            return answer.json_body

        email = f"bench-{int(time.time())}@example.com"
        call("post", "/auth/register", {"email": email, "password": PASSWORD, "name": "Bench"})
        session = {"Authorization": "Bearer " + call("post", "/auth/login",
                                                     {"email": email, "password": PASSWORD})["session_token"]}
        app_id = call("post", "/applications", {"name": "Toko", "channels": ["sms"]}, session)["application_id"]
        call("put", f"/applications/{app_id}/settings", {"sender_ids": ["KIRIM"], "rate_limit": RATE}, session)
        quota.set_balance(app_id, "sms", recipients + 10)
        base = f"/applications/{app_id}/broadcasts"
        bc = call("post", base, {"name": "Bench", "channel": "sms",
                                 "content": {"sender_id": "KIRIM", "text": "Halo {{name}}, pakai kode {{code}}"}},
                  session)
        one = f"{base}/{bc['broadcast_id']}"
        data = csv_bytes(recipients)
        post = call("post", one + "/upload", {"filename": "pelanggan.csv", "size": len(data),
                                              "content_type": "text/csv"}, session)
        uploaded = requests.post(post["url"], data=post["fields"], files={"file": ("pelanggan.csv", data)}, timeout=120)
        assert uploaded.status_code < 300, uploaded.text[:500]
        call("post", one + "/file", None, session)
        sqs = aws.client("sqs")
        url = aws.queue_url(get_settings().broadcast_queue_name)
        simulator_url = aws.queue_url(get_settings().simulator_queue_name)
        with call_counter.counting() as validation_calls:
            call("post", one + "/validate", {"mapping": {"recipient": "phone", "values": {
                "name": {"column": "name"}, "code": {"value": "LEBARAN20"}}}}, session)
            cpu, wall = time.process_time(), time.perf_counter()
            for job in _jobs(sqs, url):
                run.handle(job)
            figures["validation"] = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
        ready = call("get", one, None, session)
        assert ready["status"] == "ready" and ready["validation"]["valid"] == recipients, ready
        call("put", one + "/schedule", {"start_at": None, "rate_per_second": RATE, "quiet_hours": None}, session)

        counted = _Counted(pipeline.provider_for("sms"))
        pipeline.provider_for = lambda channel: counted   # type: ignore[assignment]
        jobs = minutes = 0
        PROVIDER_CALLS.clear()
        with call_counter.counting() as run_calls:
            cpu, wall = time.process_time(), time.perf_counter()
            call("post", one + "/start", None, session)   # queues the first minute at once
            moment = time.time()
            while True:
                batch = _jobs(sqs, url)
                for done, job in enumerate(batch, 1):
                    run.handle(job)
                    if done % 10 == 0:   # a long run shows it is moving
                        print(f"  ... {len(counted.sent):,} of {recipients:,} sent, "
                              f"{time.perf_counter() - wall:.0f} s", file=sys.stderr, flush=True)
                    # Nobody reads the simulator's events here, and moto slows as a queue grows.
                    try:
                        sqs.purge_queue(QueueUrl=simulator_url)
                    except sqs.exceptions.PurgeQueueInProgress:
                        pass   # one purge a minute
                jobs += len(batch)
                status = Broadcast.get(app_id, bc["broadcast_id"], consistent_read=True).status
                if status != "running":
                    break
                if not batch:
                    moment += 60
                    minutes += 1
                    pacer.tick(moment)
            figures["run"] = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
        assert status == "completed", status
        with call_counter.counting() as stream_calls:
            cpu, wall = time.process_time(), time.perf_counter()
            records = drain_streams(stream_consumers(app), rounds=100_000)
            figures["streams"] = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                                  "records": records}
        progress = call("get", one + "/progress", None, session)["progress"]
        figures["item_bytes"] = _item_sizes(app_id, bc["broadcast_id"])
    provider_calls = Counter(PROVIDER_CALLS)
    kirim_calls = run_calls - provider_calls
    figures.update(jobs=jobs, minutes=minutes, progress=progress,
                   distinct=len(counted.sent), twice=sum(1 for n in counted.sent.values() if n > 1),
                   calls={"validation": dict(_named(validation_calls)), "run": dict(_named(kirim_calls)),
                          "provider": dict(_named(provider_calls)), "streams": dict(_named(stream_calls))})
    return figures


def _size(value: dict) -> int:
    """DynamoDB's size of an attribute value (its documented rules, numbers rounded up)."""
    (kind, inner), = value.items()
    if kind in ("S", "B"):
        return len(inner.encode("utf-8")) if kind == "S" else len(inner)
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(_size(v) + 1 for v in inner)
    return sum(len(str(v)) for v in inner)   # sets: near enough


def _item_sizes(app_id: str, broadcast_id: str) -> dict[str, int]:
    """Bytes of one broadcast message, its claim and the chunk's cursor item, as DynamoDB counts them
    (a write costs one unit per KB begun, two in a transaction)."""
    from chalicelib.broadcasts import plan
    from chalicelib.broadcasts.models import Chunk, chunk_sk
    from chalicelib.messages import queries
    from chalicelib.sending.models import IdempotencyRecord, idempotency_id
    from chalicelib.core import aws

    message = next(iter(queries.channel_messages(app_id, "sms")))
    dynamodb = aws.client("dynamodb")

    def item(model, key: dict) -> int:
        got = dynamodb.get_item(TableName=model.Meta.table_name, Key=key)["Item"]
        return sum(len(k.encode()) + _size(v) for k, v in got.items())

    row = 2   # the first recipient's line
    claim_key = idempotency_id(plan.idempotency_scope(app_id, broadcast_id), str(row))
    hash_name = IdempotencyRecord._hash_key_attribute().attr_name
    return {"message": item(type(message), {"message_id": {"S": message.message_id}}),
            "claim": item(IdempotencyRecord, {hash_name: {"S": claim_key}}),
            "chunk": item(Chunk, {"application_id": {"S": app_id}, "broadcast_id": {"S": chunk_sk(broadcast_id, 0)}})}


def _named(calls: Counter) -> Counter:
    return Counter({f"{service}.{operation}": n for (service, operation), n in calls.items()
                    if service in ("dynamodb", "sqs", "s3", "dynamodbstreams") and n > 0 and operation != "PurgeQueue"})


def _per(calls: dict, service: str, n: int) -> float:
    return sum(v for k, v in calls.items() if k.startswith(service + ".")) / n


def report(f: dict) -> None:
    n = f["recipients"]
    run_, validation_, streams = f["run"], f["validation"], f["streams"]
    wall = validation_["wall"] + run_["wall"] + streams["wall"]
    print(f"broadcast end to end: {n:,} SMS recipients, {f['jobs']:,} chunk jobs (one worker) over "
          f"{f['minutes']} paced minutes")
    print(f"  wall {wall:.1f} s ({n / wall:,.0f} recipients/s): validation {validation_['wall']:.1f} s, "
          f"run {run_['wall']:.1f} s, stream consumer {streams['wall']:.1f} s")
    print(f"  worker CPU per recipient: validation {validation_['cpu'] * 1000 / n:.2f} ms, chunk worker (with the "
          f"simulator) {run_['cpu'] * 1000 / n:.2f} ms, stream consumer {streams['cpu'] * 1000 / n:.2f} ms")
    for phase in ("validation", "run", "streams", "provider"):
        calls = f["calls"][phase]
        print(f"  {phase:10s} per recipient: DynamoDB {_per(calls, 'dynamodb', n):.3f}, "
              f"SQS {_per(calls, 'sqs', n):.4f}, "
              f"S3 {_per(calls, 's3', n):.4f}, streams {_per(calls, 'dynamodbstreams', n):.4f}  "
              + json.dumps(dict(sorted(calls.items()))))
    print(f"  item bytes: {json.dumps(f['item_bytes'])}")
    print(f"  exactly once: {f['distinct']:,} distinct recipients reached the provider, {f['twice']} twice; "
          f"progress {json.dumps(f['progress'])}")
    goals.check(f"broadcast end to end, {n:,} recipients: each reached the provider once",
                f"{f['distinct']:,} distinct, {f['twice']} twice", f"{n:,}, 0 twice",
                f["distinct"] == n and f["twice"] == 0)
    goals.check("broadcast end to end: progress sent equals recipients", f"{f['progress'].get('sent')}", f"{n:,}",
                f["progress"].get("sent") == n)


def run(recipients: int = RECIPIENTS) -> None:
    from local import call_counter

    call_counter.install()   # before the first botocore client
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("before-call", _count_provider_call))
    with _stage():
        figures = run_e2e(recipients)
    report(figures)
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=RECIPIENTS)
    run(parser.parse_args().recipients)
    raise SystemExit(1 if goals.report() else 0)
