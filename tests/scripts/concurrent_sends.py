"""200 threads send at once against an application with quota 100, on a moto server that lets
requests run at the same time (local/dynamodb_contention.py), in one of two modes:

  wait    requests on one item take turns; nothing is refused (a store with item locks)
  cancel  DynamoDB's behaviour: transactions that meet are cancelled (TransactionConflict), a
          plain write into a running transaction is refused

Run as its own process (no in-process mock): it starts the server on a free port, deploys
infra/template.yaml into it, sends (each send with its own Idempotency-Key, so every message
write is a transaction), lets the stream consumer catch up, and prints the outcome as JSON.
With --same-key every thread sends the SAME key: one send, whatever the race. With --segments N
every send costs N units, so that sends meet the quota's halves running short and pay from both.

    python tests/scripts/concurrent_sends.py --mode cancel [--same-key] [--segments 3]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
THREADS, QUOTA = 200, 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("wait", "cancel"), required=True)
    parser.add_argument("--same-key", action="store_true")
    parser.add_argument("--segments", type=int, default=1)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from local.dynamodb_contention import start

    stop = start("127.0.0.1", port, args.mode)
    from local.moto_stack import FAKE_AWS_ENV

    os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "PROVIDERS": "quiet",
                       "DYNAMODB_READ_TIMEOUT": "60", "DYNAMODB_CONNECT_TIMEOUT": "60"})
    import boto3

    from infra.deploy import deploy_stack, outputs_to_env

    os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                  str(ROOT / "infra" / "template.yaml"))))
    from chalicelib.accounts.service import Principal
    from chalicelib.applications import quota
    from chalicelib.applications import service as applications
    from chalicelib.core.errors import ApiError
    from chalicelib.messages.models import Counter as DayCounter
    from chalicelib.messages import queries
    from chalicelib.messages.models import Message
    from chalicelib.sending import idempotency, pipeline
    from chalicelib.sending.request_rules import sms

    class Quiet:
        name = "quiet"

        def send(self, outbound):
            return "ok"

    pipeline.provider_for = lambda channel: Quiet()
    app = applications.create(Principal("owner", "owner@example.com"), "Race", ["sms"])
    quota.set_balance(app.application_id, "sms", QUOTA)
    sender = pipeline.Sender(app.application_id, "sms")
    # Build the shared botocore client once, as a warm Lambda has it; otherwise all 200
    # threads would build their own at the barrier.
    from chalicelib.core.db import connection
    assert connection().client is not None
    barrier = threading.Barrier(THREADS)
    outcomes: Counter[str] = Counter()
    answers: set[str] = set()
    lock = threading.Lock()
    # GSM-7: one segment holds 160 characters, a longer text 153 a segment.
    body = {"phone": "081234567890", "message": "race" if args.segments == 1 else "r" * (153 * args.segments)}

    def one(n: int) -> None:
        prepared = sms.prepare(sender, body)
        key = "the-one-key" if args.same_key else f"key-{n}"
        claim = idempotency.claim(key, f"{app.application_id}:sms:race", json.dumps(body).encode())
        barrier.wait()
        try:
            try:
                sent = pipeline.send(sender, prepared, lambda message_id: {"msg_uid": message_id}, claim)
            except ApiError:
                # As the channel routes do: a send refused before its write answers the key's
                # recorded send, if there is one by now.
                replay = idempotency.find(claim)
                if replay is None:
                    raise
                sent = pipeline.Sent(replay.message_id, replay.body, replayed=True)
            result, answer = ("replayed" if sent.replayed else "accepted"), sent.message_id
        except ApiError as error:
            result, answer = f"code {error.code}", None
        except Exception as error:  # noqa: BLE001 - report, do not hide
            result, answer = f"error {type(error).__name__}: {error}", None
        with lock:
            outcomes[result] += 1
            if answer:
                answers.add(answer)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The stream consumer, as Lambda runs it, then the counters against the messages.
    from app import app as chalice_app
    from local.worker import drain_streams, stream_consumers

    drain_streams(stream_consumers(chalice_app))
    messages = list(queries.channel_messages(app.application_id, "sms"))
    counted = sum(sum(c.counts().values()) for c in DayCounter.query(f"{app.application_id}#sms"))
    from datetime import timedelta

    from chalicelib.core import clock

    left = quota.balances(app.application_id, ["sms"])["sms"]
    # Every debit matched by its message, every part given back netted out: nothing to move.
    later = clock.now() + quota.GRACE + timedelta(minutes=1)
    print(json.dumps({"outcomes": outcomes, "quota": left, "stored": len(messages), "counted": counted,
                      "distinct_answers": len(answers), "costs": sorted({int(m.cost) for m in messages}),
                      "split": sum(1 for m in messages if len(m.paid.as_dict()) > 1),
                      "reconciled": quota.reconcile(app.application_id, "sms", later), "server": stop.stats}))
    stop()


if __name__ == "__main__":
    main()
