"""Status callbacks cost the send nothing: in-process on moto, a V2 SMS send of an application
with a callback URL against one without, side by side in one run:
- DynamoDB calls per send, counted with a botocore hook (goal: the same, and <= 4: one delivery
  adds 0 DynamoDB calls to the send path);
- median time of the send, alternated (goal: <= 1.25x; it should be 1.0x, the path is the same);
- and, for the record, what the deliveries cost off the request path: DynamoDB calls per status
  change (the messages stream's consumer, with its counters and quota ledger) and per attempt
  (callback worker), against a real local receiver."""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402
from local.moto_stack import deployed_stack, use_fake_aws_env  # noqa: E402

use_fake_aws_env()

from local import call_counter  # noqa: E402

call_counter.install()
ROUNDS = 200
BODY = json.dumps({"phone": "081234567890", "message": "Halo dari Kirim"})


def _application(name: str, callback_url: str | None) -> str:
    from chalicelib.accounts import service as accounts
    from chalicelib.applications import sending_settings, tokens
    from chalicelib.applications import service as applications
    from chalicelib.applications import quota as quotas

    email = f"{name}@bench.kirim.dev"
    accounts.register(email, "bench password 123", "Bench")
    owner = accounts.session_principal(accounts.login(email, "bench password 123", "127.0.0.1")[0])
    app = applications.create(owner, name, ["sms"])
    quotas.set_balance(app.application_id, "sms", 10**9)
    settings = {"rate_limit": 1000, **({"callback_url": callback_url} if callback_url else {})}
    sending_settings.update(applications.get(app.application_id), settings)
    return tokens.generate(applications.get(app.application_id), "sms")[0]


def _dynamodb(counts) -> dict[str, int]:
    counts.pop(call_counter.ITEMS, None)
    return {op: n for (service, op), n in counts.items() if service == "dynamodb"}


def run() -> dict[str, float]:
    import boto3
    from chalice.test import Client

    from app import app
    from local.call_counter import counting
    from local.worker import LocalWorker
    from tests.fakes import webhook_receiver

    receiver, server = webhook_receiver.start()
    try:
        with deployed_stack(), Client(app, stage_name="local", project_dir=str(ROOT)) as client:
            tokens = {"with": _application("with-callbacks", receiver.url), "without": _application("without", None)}
            worker = LocalWorker(app, boto3.client("sqs"), boto3.client("sns"))

            def send(kind: str) -> None:
                answer = client.http.post("/sms/v2/sms", headers={"Authorization": tokens[kind],
                                                                  "Content-Type": "application/json"}, body=BODY)
                assert answer.status_code == 200, answer.body

            for _ in range(20):
                send("with"), send("without")
            calls = {}
            for kind in ("with", "without"):
                with counting() as one:
                    send(kind)
                calls[kind] = _dynamodb(one)
            times = {"with": [], "without": []}
            for _ in range(ROUNDS):
                for kind in ("with", "without"):
                    start = time.perf_counter()
                    send(kind)
                    times[kind].append(time.perf_counter() - start)
            # Off the request path: the stream consumer, then the attempts, for the sends above.
            with counting() as consumer:
                changes = sum(reader.deliver(name, handler, batch) for name, handler, batch, reader
                              in worker.stream_sources for _ in range(200))
            received_before = len(receiver.received)
            with counting() as attempts:
                while worker.poll_once():
                    pass
            made = len(receiver.received) - received_before
    finally:
        server.shutdown()
    added = sum(calls["with"].values()) - sum(calls["without"].values())
    print(f"V2 SMS send with a callback URL: {sum(calls['with'].values())} DynamoDB calls {calls['with']}; "
          f"without: {sum(calls['without'].values())} {calls['without']} -> {added:+d} (goal 0, and <= 4)")
    goals.check("DynamoDB calls a callback adds to a V2 send", f"{added:+d} ({sum(calls['with'].values())} per send)",
                "0 (and <= 4)", added == 0 and sum(calls["with"].values()) <= 4)
    with_ms, without_ms = (statistics.median(times[k]) * 1000 for k in ("with", "without"))
    ratio = with_ms / without_ms
    print(f"V2 SMS send with callbacks {with_ms:.2f} ms vs without {without_ms:.2f} ms (median of {ROUNDS}, "
          f"alternated) -> {ratio:.2f}x (goal <= 1.25x)")
    goals.check("V2 SMS send with callbacks vs without", f"{ratio:.2f}x", "<= 1.25x", ratio <= 1.25)
    per_change = _dynamodb(consumer)
    per_attempt = _dynamodb(attempts)
    print(f"Off the request path: {changes} stream records -> {per_change} DynamoDB calls; {made} attempts "
          f"delivered to a local receiver (with the simulator's steps in the same drain) -> {per_attempt}")
    return {"added_calls": added, "ratio": ratio}


if __name__ == "__main__":
    run()
    raise SystemExit(1 if goals.report() else 0)
