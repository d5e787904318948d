"""A send whose process is killed between its quota debit and its message write, against a moto
server that outlives it (local/dynamodb_contention.py, started by the test).

    python tests/scripts/killed_send.py --endpoint URL setup        -> {"application_id": ...}
    python tests/scripts/killed_send.py --endpoint URL send APP      (dies with exit code 137)
    python tests/scripts/killed_send.py --endpoint URL check APP     -> quota, journal, messages,
                                                                       then the reconciler's work
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
QUOTA = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("phase", choices=("setup", "send", "check"))
    parser.add_argument("application", nargs="?")
    args = parser.parse_args()
    from local.moto_stack import FAKE_AWS_ENV

    os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": args.endpoint, "PROVIDERS": "simulator"})
    from local import faults

    faults.install()
    import boto3

    from infra.deploy import deploy_stack, outputs_to_env

    os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                  str(ROOT / "infra" / "template.yaml"))))
    from chalicelib.accounts.service import Principal
    from chalicelib.applications import quota
    from chalicelib.applications import service as applications
    from chalicelib.applications.models import QUOTA as QUOTA_ITEM
    from chalicelib.applications.models import Quota, quota_key
    from chalicelib.core import clock
    from chalicelib.messages.models import Message
    from chalicelib.messages import queries
    from chalicelib.sending import pipeline
    from chalicelib.sending.request_rules import sms

    if args.phase == "setup":
        app = applications.create(Principal("owner", "owner@example.com"), "Killed", ["sms"])
        quota.set_balance(app.application_id, "sms", QUOTA)
        print(json.dumps({"application_id": app.application_id}))
        return
    app_id = args.application
    if args.phase == "send":
        sender = pipeline.Sender(app_id, "sms")
        prepared = sms.prepare(sender, {"phone": "081234567890", "message": "killed"})
        # Killed right as the message write is about to leave: the debit is done, nothing else.
        with faults.injected("dynamodb", "PutItem", action=lambda call: os._exit(137),
                             when=lambda call: call["TableName"].endswith("-messages")):
            pipeline.send(sender, prepared)
        raise SystemExit("the process should have died before its message write")

    from app import app as chalice_app
    from local.worker import drain_streams, stream_consumers

    drain_streams(stream_consumers(chalice_app))
    halves = [Quota.get(quota_key(QUOTA_ITEM, app_id, "sms", half), consistent_read=True) for half in (0, 1)]
    state = {"balance": sum(int(item.balance) for item in halves),
             "journal": {f"{item.key}@{k}": int(v) for item in halves for k, v in item.journal.as_dict().items()},
             "messages": sum(1 for _ in queries.channel_messages(app_id, "sms")),
             "due": [key.key for key in Quota.by_due.query("due") if app_id in key.key]}
    later = clock.now() + quota.GRACE + timedelta(minutes=1)
    state["reconciled"] = quota.reconcile_due(later)
    state["balance_after"] = quota.balances(app_id, ["sms"])["sms"]
    halves = [Quota.get(quota_key(QUOTA_ITEM, app_id, "sms", half), consistent_read=True) for half in (0, 1)]
    state["journal_after"] = {f"{item.key}@{k}": int(v) for item in halves for k, v in item.journal.as_dict().items()}
    state["due_after"] = [item.due for item in halves if item.due] or None
    state["reconciled_again"] = quota.reconcile(app_id, "sms", later)
    print(json.dumps(state))


if __name__ == "__main__":
    main()
