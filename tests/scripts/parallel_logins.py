"""Parallel logins on a moto server where requests really run at the same time
(local/dynamodb_contention.py). Prints what happened as JSON.

1. 30 wrong passwords at once from one address; then the right password from that address
   (refused: the burst used the window), and the owner from another address, by dashboard login
   and by V1 Basic auth.
2. The attack as reported: 29 wrong and the right one at once, from a third address. A success
   clears that address's counter by design, so when the right guess wins one of the first six
   places, the guesses still waiting start a new window: how many checks ran then depends on
   thread timing, and the test bounds it rather than pinning it.

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


def main() -> None:
    from local.dynamodb_contention import start
    from local.ports import free_port

    port = free_port()

    stop = start("127.0.0.1", port, "wait")
    from local.moto_stack import FAKE_AWS_ENV

    os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "DYNAMODB_READ_TIMEOUT": "60",
                       "DYNAMODB_CONNECT_TIMEOUT": "60"})
    import boto3

    from infra.deploy import deploy_stack, outputs_to_env

    os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                  str(ROOT / "infra" / "template.yaml"))))
    from chalicelib.accounts import passwords
    from chalicelib.accounts import service as accounts
    from chalicelib.core import clock
    from chalicelib.core.db import connection
    from chalicelib.core.errors import ApiError

    # The burst happens within one instant of Kirim's clock, however long the threads take here.
    instant = clock.now()
    clock.use(lambda: instant)

    email, right = "victim@example.com", "the right password"
    accounts.register(email, right, "Victim")
    checked, lock = Counter(), threading.Lock()
    real_verify = passwords.verify_password

    def counting_verify(password, stored):
        with lock:
            checked["scrypt"] += 1
        return real_verify(password, stored)

    passwords.verify_password = counting_verify
    assert connection().client is not None

    def burst(source: str, right_at: int | None) -> Counter[str]:
        barrier = threading.Barrier(GUESSES)
        outcomes: Counter[str] = Counter()

        def guess(n: int) -> None:
            password = right if n == right_at else f"wrong guess {n}"
            barrier.wait()
            try:
                accounts.login(email, password, source)
                result = "200 right" if password == right else "200 wrong?!"
            except ApiError as error:
                result = f"{error.status} {'right' if password == right else 'wrong'}"
            with lock:
                outcomes[result] += 1

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return outcomes

    outcomes = burst("203.0.113.66", None)
    try:
        accounts.login(email, right, "203.0.113.66")
        attacker_right = 200
    except ApiError as error:
        attacker_right = error.status
    owner = {}
    try:
        accounts.login(email, right, "198.51.100.20")
        owner["login"] = 200
    except ApiError as error:
        owner["login"] = error.status
    accounts.forget_cached_credentials()
    try:
        accounts.basic_principal(email, right, "198.51.100.20")
        owner["basic"] = 200
    except ApiError as error:
        owner["basic"] = error.status
    first_checks = checked["scrypt"]
    mixed = burst("203.0.113.67", GUESSES // 2)
    print(json.dumps({"outcomes": outcomes, "scrypt_checks": first_checks,
                      "right_from_attacker": attacker_right, "owner": owner,
                      "mixed": {"outcomes": mixed, "scrypt_checks": checked["scrypt"] - first_checks}}))
    stop()


if __name__ == "__main__":
    main()
