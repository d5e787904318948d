"""Quota under a stampede: 200 threads against a quota of 100, on a moto server (its own
process, so no in-process mock is involved; see tests/scripts/concurrent_sends.py)."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_two_hundred_concurrent_sends_against_quota_one_hundred():
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "scripts" / "concurrent_sends.py")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"outcomes": {"accepted": 100, "code 55": 100}, "quota": 0, "stored": 100}
