"""200 threads send at once against an application with quota 100, on a moto server.

Run as its own process (no in-process mock): it starts moto's server on a free port,
deploys infra/template.yaml into it, and prints the outcome as JSON for the test to check.
"""
from __future__ import annotations

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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from local.moto_server import start

    stop = start("127.0.0.1", port)
    from local.moto_stack import FAKE_AWS_ENV

    os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "PROVIDERS": "quiet",
                       "DYNAMODB_READ_TIMEOUT": "60"})
    import boto3

    from infra.deploy import deploy_stack, outputs_to_env

    os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                  str(ROOT / "infra" / "template.yaml"))))
    from chalicelib.accounts.service import Principal
    from chalicelib.applications import service as applications
    from chalicelib.applications.models import Application
    from chalicelib.core.errors import ApiError
    from chalicelib.messages.models import Message
    from chalicelib.sending import pipeline
    from chalicelib.sending.request_rules import sms

    class Quiet:
        name = "quiet"

        def send(self, outbound):
            return "ok"

    pipeline.provider_for = lambda channel: Quiet()
    app = applications.create(Principal("owner", "owner@example.com"), "Race", ["sms"])
    Application(app.application_id).update(actions=[Application.channels["sms"]["quota"].set(QUOTA)])
    sender = pipeline.Sender(app.application_id, "sms")
    # Build the shared botocore client once, as a warm Lambda has it; otherwise all 200
    # threads would build their own at the barrier.
    from chalicelib.core.db import connection
    assert connection().client is not None
    start = threading.Barrier(THREADS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def one() -> None:
        prepared = sms.prepare(sender, {"phone": "081234567890", "message": "race"})
        start.wait()
        try:
            pipeline.send(sender, prepared)
            result = "accepted"
        except ApiError as error:
            result = f"code {error.code}"
        except Exception as error:  # noqa: BLE001 - report, do not hide
            result = f"error {type(error).__name__}: {error}"
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = sum(1 for _ in Message.by_app_channel.query(f"{app.application_id}#sms"))
    quota = int(Application.get(app.application_id, consistent_read=True).channels.as_dict()["sms"]["quota"])
    print(json.dumps({"outcomes": outcomes, "quota": quota, "stored": stored}))
    stop()


if __name__ == "__main__":
    main()
