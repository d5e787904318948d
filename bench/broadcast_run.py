"""Broadcasts (issue 22), in process on moto with the simulator provider:
- planning the fan-out of 1,000,000 recipients: the pacer's every minute at 1,000 a second, each chunk's
  SQS message built and sent (to a counting stand-in for SQS) (goals: at most 30 s of CPU, at most one
  SQS message per 500 recipients);
- Kirim's CPU per broadcast recipient (the chunk worker: its chunk read from S3, each recipient through
  the send pipeline with its claim, the cursor saves) against a single V2 API send's with an
  Idempotency-Key (the Chalice test client: auth, rate limit, the same pipeline and the same one-transaction
  write of message and claim), measured alternately in one run (goal: at most 1.1x).
CPU is this process's (time.process_time), moto's own work included on both sides; moto copies a table
for each transaction, so both figures grow with the table and the chunks stay small."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402
from local.moto_stack import deployed_stack, use_fake_aws_env  # noqa: E402

use_fake_aws_env()

RECIPIENTS = 1_000_000
RATE = 1000
ROUNDS = 3          # chunks (and as many API sends) per side
CHUNK = 50          # recipients in each measured chunk


class _CountingSqs:
    def __init__(self) -> None:
        self.messages = 0
        self.calls = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict]) -> dict:  # noqa: N803 - boto3's names
        self.calls += 1
        self.messages += len(Entries)
        for entry in Entries:
            json.loads(entry["MessageBody"])
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def planning() -> tuple[float, int, int]:
    """(CPU seconds, SQS messages, SQS calls) for the pacer to queue a 1,000,000-recipient broadcast."""
    from types import SimpleNamespace

    from chalicelib.broadcasts import pacer, plan
    from chalicelib.core import aws

    sqs = _CountingSqs()
    real_client, real_url = aws.client, aws.queue_url
    aws.client = lambda service: sqs if service == "sqs" else real_client(service)  # type: ignore[assignment]
    aws.queue_url = lambda name: "https://sqs.local/" + name  # type: ignore[assignment]
    chunks = -(-RECIPIENTS // plan.CHUNK_SIZE)
    bc = SimpleNamespace(application_id="app", broadcast_id="bc_01BENCH")
    started = time.process_time()
    try:
        next_chunk = 0
        while next_chunk < chunks:
            numbers, wait = pacer.plan_minute(RATE, next_chunk, chunks)
            pacer._send(bc, numbers, min(wait, 60))
            next_chunk += len(numbers)
    finally:
        aws.client, aws.queue_url = real_client, real_url  # type: ignore[assignment]
    return time.process_time() - started, sqs.messages, sqs.calls


def _running_broadcast(app_id: str, number: int) -> str:
    from chalicelib.broadcasts import plan
    from chalicelib.broadcasts.models import Broadcast
    from chalicelib.core import aws, clock
    from chalicelib.core.config import get_settings

    broadcast_id = f"bc_01BENCH{number:04d}"
    now = clock.now_iso()
    Broadcast(app_id, broadcast_id, name="Bench", channel="sms", status="running", created_at=now, updated_at=now,
              content=json.dumps({"sender_id": "KIRIM", "text": "Halo {{name}}, promo {{code}}"}),
              schedule=json.dumps({"start_at": None, "rate_per_second": RATE, "quiet_hours": None}),
              chunks=1, total=CHUNK).save()
    recipients = [plan.Recipient(row + 2, f"+62812{number:03d}{row:05d}", {"name": "Budi", "code": "LEBARAN20"})
                  for row in range(CHUNK)]
    aws.client("s3").put_object(Bucket=get_settings().report_bucket, Key=plan.chunk_key(app_id, broadcast_id, 0),
                                Body=plan.encode_chunk(recipients))
    return broadcast_id


def per_recipient() -> tuple[float, float]:
    """(CPU ms per broadcast recipient, CPU ms per API send), measured alternately."""
    from chalice.test import Client

    from app import app
    from bench.send_path import sms_sender
    from chalicelib.broadcasts import run
    from local.moto_stack import STAGE

    app_id, token = sms_sender()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    broadcast_cpu = api_cpu = 0.0
    with Client(app, stage_name=STAGE, project_dir=str(ROOT)) as client:
        warm = _running_broadcast(app_id, 999)
        run.run_chunk(app_id, warm, 0)
        client.http.post("/sms/v2/sms", headers=headers, body=json.dumps({"phone": "081234567890", "message": "x"}))
        for number in range(ROUNDS):
            broadcast_id = _running_broadcast(app_id, number)
            started = time.process_time()
            assert run.run_chunk(app_id, broadcast_id, 0) == "done"
            broadcast_cpu += time.process_time() - started
            started = time.process_time()
            for i in range(CHUNK):
                answer = client.http.post("/sms/v2/sms", headers={**headers, "Idempotency-Key": f"{number}-{i}"},
                                          body=json.dumps(
                    {"phone": f"+62813{number:03d}{i:05d}", "message": "Halo Budi, promo LEBARAN20"}))
                assert answer.status_code == 200, answer.body
            api_cpu += time.process_time() - started
    sends = ROUNDS * CHUNK
    return broadcast_cpu * 1000 / sends, api_cpu * 1000 / sends


def run_bench() -> None:
    from chalicelib.broadcasts import plan

    with deployed_stack():
        cpu, messages, calls = planning()
        per_message = RECIPIENTS / messages
        print(f"broadcast planning: {RECIPIENTS:,} recipients -> {messages:,} SQS messages in {calls:,} calls, "
              f"{cpu:.2f} s CPU")
        goals.check("broadcast planning CPU, 1M recipients", f"{cpu:.2f} s", "<= 30 s", cpu <= 30)
        goals.check("broadcast SQS messages per recipient", f"1 per {per_message:,.0f}", f"<= 1 per {plan.CHUNK_SIZE}",
                    messages * plan.CHUNK_SIZE <= RECIPIENTS)
        broadcast_ms, api_ms = per_recipient()
        ratio = broadcast_ms / api_ms
        print(f"CPU per send: broadcast recipient {broadcast_ms:.2f} ms, API send {api_ms:.2f} ms ({ratio:.2f}x)")
        goals.check("CPU per broadcast recipient vs an API send", f"{ratio:.2f}x", "<= 1.1x", ratio <= 1.1)


run = run_bench

if __name__ == "__main__":
    run_bench()
    raise SystemExit(1 if goals.report() else 0)
