"""The end-to-end kill test: the report worker runs as its own process against a moto server that
outlives it (the real template, the real queue, the local worker's Lambda-shaped delivery), and is
killed with SIGKILL in the middle of a slice, several times; each new run takes over once the dead
one's lease has ended (the sweeper queues the report again), and the final XLSX is checked row by
row against the messages."""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from local.ports import free_port

SCRIPT = ROOT / "tests" / "scripts" / "killed_report_worker.py"
KILLS = 4


@pytest.fixture
def moto_server():
    port = free_port()
    env = {**os.environ, "S3_UPLOAD_PART_MIN_SIZE": "4096"}  # S3's 5 MiB rule, at this test's scale
    server = subprocess.Popen([sys.executable, "-m", "local.moto_server", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    assert "serving on" in server.stdout.readline()
    for _ in range(100):  # it says so just before it listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=10)


def _run(endpoint: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(SCRIPT), "--endpoint", endpoint, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_report_worker_killed_mid_slice_again_and_again_still_writes_every_row_once(moto_server):
    ids = _run(moto_server, "setup", "10000")
    app_id, report_id = ids["application_id"], ids["report_id"]
    rng = random.Random(15)
    kills = []
    for run in range(1, KILLS + 1):
        worker = subprocess.Popen([sys.executable, str(SCRIPT), "--endpoint", moto_server, "work", app_id, report_id,
                                   str(run)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        parts = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            if not line or line.startswith("finished"):
                break
            if line.startswith("part "):
                parts.append(int(line.split()[1]))
                if len(parts) == 1:  # mid-slice: a part is up, its checkpoint or the next part on the way
                    time.sleep(rng.uniform(0, 0.3))
                    worker.send_signal(signal.SIGKILL)
                    break
        worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL, f"run {run} ended before it could be killed ({parts})"
        kills.append(parts)
    final = subprocess.run([sys.executable, str(SCRIPT), "--endpoint", moto_server, "work", app_id, report_id,
                            str(KILLS + 1)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0 and "finished" in final.stdout, final.stderr[-3000:]
    # Each killed run took over where the last checkpoint was: never before it. (A run killed after a part was
    # up but before its checkpoint landed leaves that part to the next run to write again.)
    assert all(later[0] >= earlier[0] for earlier, later in zip(kills, kills[1:])), kills
    check = _run(moto_server, "check", app_id, report_id)
    assert check["status"] == "Done" and check["ids_in_order"] and check["rows_equal"], check
    assert check["rows"] == check["file_rows"] == check["expected"] > 8000
    assert check["slices"] >= KILLS + 2
