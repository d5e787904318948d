"""200 threads send at once against an application with quota 100, on a DynamoDB that lets
requests run at the same time, in one of three modes:

  wait            moto behind item locks (local/dynamodb_contention.py): requests on one item
                  take turns, nothing is refused
  cancel          moto behind DynamoDB's contention, as modelled there: transactions that meet
                  are cancelled (TransactionConflict), a plain write into a running transaction
                  is refused
  dynamodb-local  AWS's own DynamoDB Local (local/dynamodb_local.py) for DynamoDB; the rest of
                  the stack (CloudFormation, SQS, S3) on a moto server

Run as its own process (no in-process mock): it starts the servers on free ports, deploys
infra/template.yaml (in dynamodb-local mode the tables moto made from it are made alike in
DynamoDB Local), sends (each send with its own Idempotency-Key, so every message write is a
transaction), lets the stream consumer catch up, and prints the outcome as JSON, with what the
client saw of the race (`client`: TransactWriteItems made and cancelled by a conflict, plain
writes refused by one). With --same-key every thread sends the SAME key: one send, whatever the
race. With --segments N every send costs N units, so that sends meet the quota's halves running
short and pay from both. --check-then-write swaps the quota's conditional debit for a read and
then an unconditional update, the mistake this race exists to catch: it shows the stage can fail.

    python tests/scripts/concurrent_sends.py --mode cancel [--same-key] [--segments 3] [--check-then-write]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from local.ports import free_port  # noqa: E402
THREADS, QUOTA = 200, 100



def _serve(mode: str) -> tuple[str, Callable[[], None], dict]:
    """Start the servers: (AWS endpoint, stop function, the contention model's counts or {})."""
    port = free_port()
    if mode != "dynamodb-local":
        from local.dynamodb_contention import start

        stop = start("127.0.0.1", port, mode)
        return f"http://127.0.0.1:{port}", stop, stop.stats
    from local import dynamodb_local, moto_server

    stop_moto = moto_server.start("127.0.0.1", port)
    try:
        dynamodb_port = free_port()
        stop_dynamodb = dynamodb_local.start(dynamodb_port)
    except BaseException:
        stop_moto()
        raise
    os.environ.update(dynamodb_local.endpoint_env(f"http://127.0.0.1:{dynamodb_port}"))

    def stop() -> None:
        stop_dynamodb()
        stop_moto()

    return f"http://127.0.0.1:{port}", stop, {}


def _count_client_calls() -> Counter[str]:
    """What every DynamoDB client of this process sees of the race, by botocore's own events:
    transactions made and cancelled by a conflict, plain writes refused by one."""
    import botocore.session

    seen: Counter[str] = Counter()
    create_client = botocore.session.Session.create_client

    def after_call(http_response, parsed, model, **_):
        error = parsed.get("Error", {}).get("Code")
        if model.name == "TransactWriteItems":
            seen["transactions"] += 1
            reasons = [r.get("Code") for r in parsed.get("CancellationReasons", [])]
            if error == "TransactionCanceledException" and "TransactionConflict" in reasons:
                seen["transactions_cancelled"] += 1
        elif error == "TransactionConflictException":
            seen["writes_refused"] += 1

    def counted(self, service_name, *args, **kwargs):
        client = create_client(self, service_name, *args, **kwargs)
        if service_name == "dynamodb":
            client.meta.events.register("after-call.dynamodb", after_call)
        return client

    botocore.session.Session.create_client = counted
    return seen


def _debit_by_check_then_write() -> None:
    """The wrong debit: the half's balance read, then an update that no longer checks it."""
    import time

    from chalicelib.applications import quota
    from chalicelib.applications.models import Quota

    def take(application_id: str, channel: str, half: int, units: int, minute: str) -> bool:
        item = Quota.get(quota.quota_key(quota.QUOTA, application_id, channel, half))
        if item.balance < units:
            return False
        time.sleep(0.001)  # as any work between the read and the write would
        item.update(actions=[Quota.balance.add(-units), Quota.journal[minute].set((Quota.journal[minute] | 0) + units),
                             Quota.due_part.set(quota.DUE_PART), Quota.due.set(Quota.due | minute)])
        return True

    quota._take = take


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("wait", "cancel", "dynamodb-local"), required=True)
    parser.add_argument("--same-key", action="store_true")
    parser.add_argument("--segments", type=int, default=1)
    parser.add_argument("--check-then-write", action="store_true")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log would bury a traceback
    endpoint, stop, server = _serve(args.mode)
    client = _count_client_calls()
    from local.moto_stack import FAKE_AWS_ENV

    os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": endpoint, "PROVIDERS": "quiet",
                       "DYNAMODB_READ_TIMEOUT": "60", "DYNAMODB_CONNECT_TIMEOUT": "60"})
    import boto3

    from infra.deploy import deploy_stack, outputs_to_env

    os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                  str(ROOT / "infra" / "template.yaml"))))
    if args.mode == "dynamodb-local":
        from local import dynamodb_local

        dynamodb_local.copy_tables(boto3.client("dynamodb", endpoint_url=endpoint), boto3.client("dynamodb"))
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
    if args.check_then_write:
        _debit_by_check_then_write()
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
        claim = idempotency.claim(key, f"{app.application_id}:sms:race", body, {}, json.dumps(body).encode())
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
                      "reconciled": quota.reconcile(app.application_id, "sms", later), "server": server,
                      "client": client}))
    stop()


if __name__ == "__main__":
    main()
