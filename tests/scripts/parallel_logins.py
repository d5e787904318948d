"""Parallel logins on a moto server where requests really run at the same time
(local/dynamodb_contention.py), each thread a cold Lambda (no credential cache), all within one
instant of Kirim's clock. Prints what happened as JSON, scrypt checks counted per password kind.

1. `v1_burst`: a V1 client's 20 parallel requests with the right password, from its address.
2. `wrong`: 30 wrong passwords at once from one address; then the right password from that address
   (refused: the burst used the window), and the owner from another address, by dashboard login
   and by V1 Basic auth.
3. `mixed`: 29 wrong and the right one at once, from a third address.
4. `spread`: 30 addresses guessing one account at once (a guess each), then 30 more, against the
   account's ceiling; then its owner from the address they logged in from before, by dashboard
   login and V1, and from an address the account has never logged in from.

    python tests/scripts/parallel_logins.py
"""
from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
GUESSES = 30
V1_BURST = 20
RIGHT = "the right password"


def main() -> None:
    from local.dynamodb_contention import start
    from local.ports import free_port

    port = free_port()

    stop = start("127.0.0.1", port, "wait")
    from local.moto_stack import FAKE_AWS_ENV

    os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "DYNAMODB_READ_TIMEOUT": "60",
                       "DYNAMODB_CONNECT_TIMEOUT": "60",
                       # Every request a cold Lambda's: no remembered credential, the password checked.
                       "BASIC_AUTH_CACHE_SECONDS": "0"})
    import boto3

    from infra.deploy import deploy_stack, outputs_to_env

    os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                  str(ROOT / "infra" / "template.yaml"))))
    from chalicelib.accounts import passwords
    from chalicelib.accounts import service as accounts
    from chalicelib.core import clock
    from chalicelib.core.db import connection
    from chalicelib.core.errors import ApiError

    # The bursts happen within one instant of Kirim's clock, however long the threads take here.
    instant = clock.now()
    clock.use(lambda: instant)

    checked, lock = Counter(), threading.Lock()
    real_verify = passwords.verify_password

    def counting_verify(password, stored):
        with lock:
            checked["right" if password == RIGHT else "wrong"] += 1
        return real_verify(password, stored)

    passwords.verify_password = counting_verify
    assert connection().client is not None

    def attempt(email: str, password: str, source: str, v1: bool = False) -> str:
        try:
            if v1:
                accounts.basic_principal(email, password, source)
            else:
                accounts.login(email, password, source)
            return "200 right" if password == RIGHT else "200 wrong?!"
        except ApiError as error:
            return f"{error.status} {'right' if password == RIGHT else 'wrong'}"

    def burst(calls: list[tuple]) -> dict:
        """Run the calls at once; their outcomes and the scrypt checks they caused."""
        barrier = threading.Barrier(len(calls))
        outcomes: Counter[str] = Counter()
        before = Counter(checked)

        def run(call: tuple) -> None:
            barrier.wait()
            result = attempt(*call)
            with lock:
                outcomes[result] += 1

        threads = [threading.Thread(target=run, args=(call,)) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return {"outcomes": outcomes, "checks": {kind: checked[kind] - before[kind] for kind in ("right", "wrong")}}

    def status(email: str, source: str, v1: bool = False) -> int:
        return int(attempt(email, RIGHT, source, v1).split()[0])

    result = {}
    client = "client@example.com"
    accounts.register(client, RIGHT, "V1 client")
    result["v1_burst"] = burst([(client, RIGHT, "198.51.100.40", True)] * V1_BURST)

    victim = "victim@example.com"
    accounts.register(victim, RIGHT, "Victim")
    result["wrong"] = burst([(victim, f"wrong guess {n}", "203.0.113.66") for n in range(GUESSES)])
    result["wrong"]["right_from_attacker"] = status(victim, "203.0.113.66")
    result["wrong"]["owner"] = {"login": status(victim, "198.51.100.20"), "basic": status(victim, "198.51.100.20", True)}
    result["mixed"] = burst([(victim, RIGHT if n == GUESSES // 2 else f"wrong guess {n}", "203.0.113.67")
                             for n in range(GUESSES)])

    target = "target@example.com"
    accounts.register(target, RIGHT, "Target")
    home = "198.51.100.60"
    result["spread"] = {"owner_before": status(target, home)}
    result["spread"]["first"] = burst([(target, f"guess {n}", f"192.0.2.{n + 1}") for n in range(GUESSES)])
    result["spread"]["second"] = burst([(target, f"guess {n}", f"192.0.2.{n + 101}") for n in range(GUESSES)])
    result["spread"]["owner"] = {"login": status(target, home), "basic": status(target, home, True),
                                 "new_address": status(target, "198.51.100.61")}
    print(json.dumps(result))
    stop()


if __name__ == "__main__":
    main()
