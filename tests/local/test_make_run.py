"""`make run` as a new user meets it: start everything, run the printed curls, Ctrl-C."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request

from tests.conftest import ROOT
from local.ports import free_port
from tests.local.process_output import follow


def _run_curl(command: str, with_curl: bool = True) -> dict:
    if with_curl and shutil.which("curl"):
        return json.loads(subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30,
                                         check=True).stdout)
    # No curl on this machine: make the same request with urllib (-H, -u and -d, as printed).
    args = shlex.split(command)
    url = next(a for a in args if a.startswith("http"))
    headers = dict(args[i + 1].split(": ", 1) for i, a in enumerate(args) if a == "-H")
    if "-u" in args:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(args[args.index("-u") + 1].encode()).decode()
    data = args[args.index("-d") + 1].encode() if "-d" in args else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as response:
        return json.load(response)


def start_make_run(tmp_path) -> tuple[subprocess.Popen, list[str], threading.Event, int, int]:
    """`python -m local.run` on free ports, its output read all along (or the children block writing
    their logs): (process, output lines, ready once the demo is printed, moto port, API port)."""
    moto_port, api_port = free_port(), free_port()
    demo_env = tmp_path / "demo.env"
    demo_env.write_text("an older copy, world-readable\n")
    demo_env.chmod(0o644)
    # The simulator's steps at once: the worker applies them as soon as it polls.
    env = {**os.environ, "KIRIM_MOTO_PORT": str(moto_port), "KIRIM_API_PORT": str(api_port),
           "KIRIM_DEMO_ENV": str(demo_env), "KIRIM_NO_AUTORELOAD": "1", "SIMULATOR_TIME_SCALE": "0"}
    env.pop("AWS_SESSION_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "local.run"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    output, ready = follow(process)
    return process, output, ready, moto_port, api_port


def test_make_run_starts_everything_prints_working_curls_and_stops_cleanly(tmp_path):
    process, output, ready, moto_port, api_port = start_make_run(tmp_path)
    try:
        ready.wait(180)
        text = "".join(output)
        assert "Kirim is running." in text, text[-3000:]
        curls = [line.strip() for line in output if line.strip().startswith("curl ")]
        assert len(curls) == 5, text
        application = _run_curl(curls[0])
        assert len(application["channels"]) == 5 and all(c["status"] == "Active" for c in application["channels"])
        assert _run_curl(curls[1]) == _run_curl(curls[2]) == {"sender_id": ["KIRIM", "KIRIM OTP"]}
        # A real send (with curl, or the same request without it), and the local worker moving
        # it through the simulator. The worker is another process: the test waits for it, bounded.
        for with_curl in (True, False):
            sent = _run_curl(curls[3], with_curl)
            assert sent["status"] == "sent"
            status_curl = curls[4].replace("<msg_uid>", sent["msg_uid"])
            deadline = time.monotonic() + 60
            while _run_curl(status_curl, with_curl)["data"]["status"] != "delivered" and time.monotonic() < deadline:
                time.sleep(0.2)
            history = _run_curl(status_curl, with_curl)["data"]["history_status"]
            assert [h["status"] for h in history] == ["submitted", "sent", "delivered"]
        demo_env = tmp_path / "demo.env"
        assert re.search(r"export KIRIM_SMS_TOKEN='kirim_sms_", demo_env.read_text())
        assert stat.S_IMODE(demo_env.stat().st_mode) == 0o600   # a password and live tokens inside
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
    assert "Stopping Kirim" in "".join(output)
    for port in (moto_port, api_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after Ctrl-C"
