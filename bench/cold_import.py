"""Cold import: `python -c "import app"` against the bare libraries it stands on,
`python -c "import boto3, pynamodb.models, chalice"`, alternated in one run. Goal: <= 1.25x.

Each run is a fresh interpreter; what is compared is the CPU time (user + system) the child
used, not the wall time: on a shared 2-core machine wall time mostly measures waiting for a core.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import goals

ROOT = Path(__file__).resolve().parent.parent
RUNS = 25
APP = "import app"
BASE = "import boto3, pynamodb.models, chalice"
GOAL = 1.25


def _cpu(code: str) -> float:
    before = os.times()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def run() -> dict[str, float]:
    _cpu(APP), _cpu(BASE)  # fill the OS file cache and write .pyc files for both
    app, base = [], []
    for _ in range(RUNS):
        app.append(_cpu(APP))
        base.append(_cpu(BASE))
    app_ms, base_ms = statistics.median(app) * 1000, statistics.median(base) * 1000
    ratio = app_ms / base_ms
    print(f"cold import: app {app_ms:.0f} ms vs boto3+pynamodb+chalice {base_ms:.0f} ms of CPU "
          f"(median of {RUNS}, alternated) -> {ratio:.2f}x (goal <= {GOAL}x)")
    goals.check("cold `import app` vs boto3+pynamodb+chalice (CPU time)", f"{ratio:.2f}x", f"<= {GOAL}x",
                ratio <= GOAL)
    return {"cold_import_ratio": ratio}


if __name__ == "__main__":
    run()
