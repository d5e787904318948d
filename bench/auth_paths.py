"""Auth on moto, in-process through the Chalice test client:
- DynamoDB calls made by one V2 token check (goal: 1);
- median latency of a warm V1 Basic-auth request against the same V2 token request,
  alternated in one run (goal: <= 1.5x).
Both requests read the same stored message, so they do the same work after auth."""
from __future__ import annotations

import base64
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
ROUNDS = 300
EMAIL, PASSWORD = "bench@kirim.dev", "bench password 123"


def _setup(client):
    from chalicelib.accounts import service as accounts
    from chalicelib.applications import sending_settings, tokens
    from chalicelib.applications import service as applications
    from chalicelib.messages.models import Message, index_keys

    accounts.register(EMAIL, PASSWORD, "Bench")
    owner = accounts.session_principal(accounts.login(EMAIL, PASSWORD, "127.0.0.1")[0])
    app = applications.create(owner, "Bench", ["sms"])
    sending_settings.update(app, {"rate_limit": 1000})  # the benchmark itself must not be throttled
    token, _ = tokens.generate(applications.get(app.application_id), "sms")
    Message("01BENCHMESSAGE", application_id=app.application_id, channel="sms",
            **index_keys(app.application_id, "sms", "Delivered", "01BENCHMESSAGE"), target="+6281234567890", status="Delivered",
            created_at="2026-11-27T00:00:00.000Z", updated_at="2026-11-27T00:00:01.000Z", day="2026-11-27",
            details={"message_body": "Halo", "total_sms": 1}, history=[]).save()
    v1 = {"Authorization": "Basic " + base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()}
    v2 = {"Authorization": f"Bearer {token}"}
    return v1, v2


def _timed(client, path: str, headers: dict) -> float:
    start = time.perf_counter()
    response = client.http.get(path, headers=headers)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.body
    return elapsed


def run() -> dict[str, float]:
    from chalice.test import Client

    from app import app
    from chalicelib.applications import tokens
    from local.call_counter import counting

    with deployed_stack(), Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        v1, v2 = _setup(client)
        v1_path, v2_path = "/api/v1/sms/status/01BENCHMESSAGE", "/sms/v2/sms/status/01BENCHMESSAGE"
        tokens.authenticate(v2["Authorization"], "sms")  # the first use notes "last used" (once an hour)
        with counting() as calls:
            tokens.authenticate(v2["Authorization"], "sms")
        calls.pop(call_counter.ITEMS, None)  # items read are tallied beside the calls
        token_calls = sum(calls.values())
        print(f"V2 token check: {token_calls} DynamoDB call(s) {dict(calls)} (goal: 1)")
        goals.check("DynamoDB calls per V2 token check", str(token_calls), "1", token_calls == 1)

        for _ in range(30):  # warm: imports, connection pools, the V1 credential cache
            _timed(client, v1_path, v1), _timed(client, v2_path, v2)
        v1_times, v2_times = [], []
        for _ in range(ROUNDS):
            v1_times.append(_timed(client, v1_path, v1))
            v2_times.append(_timed(client, v2_path, v2))
        v1_ms, v2_ms = statistics.median(v1_times) * 1000, statistics.median(v2_times) * 1000
        ratio = v1_ms / v2_ms
        print(f"warm request: V1 Basic {v1_ms:.2f} ms vs V2 token {v2_ms:.2f} ms "
              f"(median of {ROUNDS}, alternated) -> {ratio:.2f}x (goal <= 1.5x)")
        goals.check("warm V1 Basic request vs V2 token request", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5)
    return {"token_check_calls": token_calls, "v1_v2_ratio": ratio}


if __name__ == "__main__":
    run()
