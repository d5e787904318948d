"""schemathesis against `make run`'s stack (moto server, the API as `chalice local` serves it, the worker),
started on free ports as a user would, through local/fuzz.py: every operation of /openapi.json with the
demo account's real credentials, documented examples, valid and invalid inputs, a fixed seed.

Pass: no response is a 5xx, every response conforms to the document, no response carries back a
credential the request sent, and at least MINIMUM_REQUESTS requests were made. The counts are printed.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

from tests.conftest import ROOT
from tests.local.test_make_run import start_make_run

MINIMUM_REQUESTS = 1000
SUMMARY_FILE = ROOT / ".pytest_cache" / "kirim-schemathesis.txt"


def test_schemathesis_finds_no_5xx_no_nonconformance_and_no_echoed_credential(tmp_path):
    stack, output, ready, _, api_port = start_make_run(tmp_path)
    try:
        ready.wait(180)
        assert "Kirim is running." in "".join(output), "".join(output)[-3000:]
        # PYTHONHASHSEED: schemathesis iterates sets of strings; a fixed hash seed makes the run repeatable.
        fuzz = subprocess.run([sys.executable, "-m", "local.fuzz", f"http://127.0.0.1:{api_port}",
                               str(tmp_path / "demo.env")], cwd=ROOT, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        print(fuzz.stdout[-5000:], fuzz.stderr[-3000:])
        summary = re.search(r"schemathesis: (\d+) operations, (\d+) requests", fuzz.stdout)
        if summary:  # make test prints it at the end (tests/conftest.py: pytest_terminal_summary)
            SUMMARY_FILE.parent.mkdir(exist_ok=True)
            SUMMARY_FILE.write_text(fuzz.stdout.strip().splitlines()[-1])
        assert fuzz.returncode == 0 and summary, fuzz.stdout[-8000:] + fuzz.stderr[-3000:]
        assert int(summary.group(2)) >= MINIMUM_REQUESTS, summary.group(0)
        assert "'5xx'" not in fuzz.stdout.splitlines()[-1]
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        stack.wait(timeout=30)
