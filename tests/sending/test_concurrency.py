"""Quota under a stampede: 200 threads against a quota of 100, each send with its own
Idempotency-Key, on a moto server where requests really run at the same time (its own process,
see tests/scripts/concurrent_sends.py and local/dynamodb_contention.py):

- "wait": requests on one item take turns, nothing is refused;
- "cancel": DynamoDB's contention, where transactions that meet are cancelled and plain writes
  into a running transaction are refused. The send's design holds no shared item in a
  transaction, so even here every send gets a clean answer: 100 accepted, 100 short of quota.

DynamoDB Local is not used: its licence (Amazon's own terms, for use with AWS services and an
AWS account) is marked not-to-use for this project; see the README's reliability section."""
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


@pytest.mark.parametrize("mode", ["wait", "cancel"])
def test_two_hundred_concurrent_sends_against_quota_one_hundred(mode):
    result = race("--mode", mode)
    assert result["outcomes"] == {"accepted": 100, "code 55": 100}, result
    assert (result["quota"], result["stored"], result["counted"], result["distinct_answers"]) == (0, 100, 100, 100)
    assert result["server"]["transactions"] >= 100  # every message write was a transaction


@pytest.mark.parametrize("mode", ["wait", "cancel"])
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
