"""Issue 12, item 9: a send's process killed between its quota debit and its message write
(a Lambda dying there) loses no quota: the journal shows the units, and the reconciler gives
them back once the minute is old enough, exactly once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from local.ports import free_port

SCRIPT = ROOT / "tests" / "scripts" / "killed_send.py"


@pytest.fixture
def moto_server():
    """A moto server in its own process, so it outlives the process the test kills."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "local.dynamodb_contention", "--port", str(port),
                               "--mode", "wait"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, start_new_session=True)
    # The server says so once it listens.
    assert "on http://127.0.0.1" in server.stdout.readline()
    yield f"http://127.0.0.1:{port}"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=10)


def _run(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--endpoint", endpoint, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


def test_a_send_killed_between_its_debit_and_its_write_loses_no_quota(moto_server):
    setup = _run(moto_server, "setup")
    assert setup.returncode == 0, setup.stderr[-2000:]
    app_id = json.loads(setup.stdout.strip().splitlines()[-1])["application_id"]

    killed = _run(moto_server, "send", app_id)
    assert killed.returncode == 137, killed.stderr[-2000:]

    check = _run(moto_server, "check", app_id)
    assert check.returncode == 0, check.stderr[-2000:]
    state = json.loads(check.stdout.strip().splitlines()[-1])
    # Debited, no message written: the journal holds the unit and the reconciler is due.
    assert state["balance"] == 4 and state["messages"] == 0
    assert list(state["journal"].values()) == [1] and len(state["due"]) == 1
    assert state["due"][0].startswith(f"quota#{app_id}#sms#")
    # Once the minute is old enough, the unit comes back, and only once.
    assert state["reconciled"]["units"] >= 1 and state["balance_after"] == 5
    assert state["journal_after"] == {} and state["due_after"] is None
    assert state["reconciled_again"] == 0
