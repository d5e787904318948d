"""Issue 12, items 1 and 9 under real contention: 200 copies of one send with ONE
Idempotency-Key race on a server that behaves like DynamoDB (transactions that meet are
cancelled). However the race goes, one message is written and one unit debited; every copy
answers that message's first answer, or a clear quota refusal or 429 when it was refused before
its write."""
from __future__ import annotations

from tests.sending.test_concurrency import race


def test_two_hundred_copies_of_one_key_send_once():
    result = race("--mode", "cancel", "--same-key")
    assert result["stored"] == 1 and result["counted"] == 1 and result["distinct_answers"] == 1, result
    assert result["quota"] == 99, result
    outcomes = result["outcomes"]
    assert outcomes.get("accepted") == 1, result
    assert set(outcomes) <= {"accepted", "replayed", "code 55", "code 57"}, result
    assert sum(outcomes.values()) == 200
    # The server really did cancel transactions that met: the race was real.
    assert result["server"]["transactions_cancelled"] > 0, result
