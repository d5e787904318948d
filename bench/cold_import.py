"""Cold import: `python -c "import app"` against the bare libraries it stands on,
`python -c "import boto3, pynamodb.models, chalice"`, alternated in one run. Goal: <= 1.25x."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 25
APP = "import app"
BASE = "import boto3, pynamodb.models, chalice"


def _time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def run() -> dict[str, float]:
    _time(APP), _time(BASE)  # fill the OS file cache for both
    app, base = [], []
    for _ in range(RUNS):
        app.append(_time(APP))
        base.append(_time(BASE))
    app_ms, base_ms = statistics.median(app) * 1000, statistics.median(base) * 1000
    ratio = app_ms / base_ms
    # The fastest run of each is the least disturbed by other work on a shared machine.
    best_ratio = min(app) / min(base)
    print(f"cold import: app {app_ms:.0f} ms vs boto3+pynamodb+chalice {base_ms:.0f} ms "
          f"(median of {RUNS}, alternated) -> {ratio:.2f}x; fastest runs {best_ratio:.2f}x (goal <= 1.25x)")
    return {"cold_import_ratio": ratio, "cold_import_best_ratio": best_ratio}


if __name__ == "__main__":
    run()
