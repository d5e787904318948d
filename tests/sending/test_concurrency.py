"""Quota under a stampede: 200 threads against a quota of 100, each send with its own
Idempotency-Key, on a DynamoDB where requests really run at the same time (their own process, see
tests/scripts/concurrent_sends.py):

- "dynamodb-local": AWS's own DynamoDB Local (local/dynamodb_local.py) decides how the debits
  and transactions meet; no moto and no lock of ours in DynamoDB's place;
- "cancel": moto behind DynamoDB's contention as the service documents it
  (local/dynamodb_contention.py), where transactions that meet are cancelled and plain writes
  into a running transaction are refused; DynamoDB Local, measured, never does either (it
  applies them one after another). The send's design holds no shared item in a transaction, so
  even here every send gets a clean answer: 100 accepted, 100 short of quota.

The contention model's "wait" mode (item locks, nothing refused) ran here before DynamoDB Local
did; Amazon's engine is the better witness of that case, so it no longer runs."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def race(*args: str) -> dict:
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "scripts" / "concurrent_sends.py"), *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["dynamodb-local", "cancel"])
def test_two_hundred_concurrent_sends_against_quota_one_hundred(mode):
    result = race("--mode", mode)
    assert result["outcomes"] == {"accepted": 100, "code 55": 100}, result
    assert (result["quota"], result["stored"], result["counted"], result["distinct_answers"]) == (0, 100, 100, 100)
    assert result["client"]["transactions"] >= 100  # every message write was a transaction


@pytest.mark.parametrize("mode", ["dynamodb-local", "cancel"])
def test_sends_of_three_units_racing_over_both_quota_halves_lose_and_double_nothing(mode):
    """Each half holds 50: once a half has less than 3, sends pay from both halves, racing each
    other's parts. Whatever the race, every unit is a message's or still in the quota."""
    result = race("--mode", mode, "--segments", "3")
    accepted = result["outcomes"].get("accepted", 0)
    assert set(result["outcomes"]) <= {"accepted", "code 55", "code 57"}, result
    assert result["costs"] == [3] and accepted >= 30, result
    assert accepted * 3 + result["quota"] == 100, result
    assert (result["stored"], result["counted"], result["distinct_answers"]) == (accepted,) * 3, result
    assert result["reconciled"] == 0, result


def test_the_race_on_dynamodb_local_is_real_enough_to_catch_a_check_then_write_debit():
    """The stage can fail: on DynamoDB Local, with no lock of ours in front of it, a debit that
    reads the balance and then updates without a condition overspends the quota."""
    result = race("--mode", "dynamodb-local", "--check-then-write")
    assert result["outcomes"].get("accepted", 0) > 100 and result["quota"] < 0, result
