"""Cold start, measured in CPU time of fresh interpreters, alternated in one run:

- first send: `import app` plus every module the first V2 SMS send imports, against
  `import boto3, pynamodb.models, chalice` plus every module the same AWS calls made by hand with
  boto3 import (both lists recorded by bench/first_send_imports.py against a moto server). That
  is what a cold Lambda loads before it has sent, against the least any send must load.
  Goal: <= 1.25x.
- `import app` alone (Lambda's init phase), shown for reference: the views import their slices
  when first used, so it is less than the bare libraries.

What is compared is the CPU time (user + system) each child used, not the wall time: on a shared
2-core machine wall time mostly measures waiting for a core. Both sides load bytecode, as a Lambda
does (the package carries a .pyc for every module, infra/package.py): the children may write their
.pyc files even where PYTHONDONTWRITEBYTECODE is set, else every run would time compiling Kirim's
sources against the libraries' cached bytecode. The goal is checked up to each child's last line:
a cold Lambda runs its init and its first request, never the interpreter's exit (~40 ms of garbage
collection and freeing over everything loaded, the noisiest part of a run). The whole process's
ratio is printed beside it.
"""
from __future__ import annotations

import json
import os
import resource
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


def _cpu(code: str) -> tuple[float, float]:
    """CPU seconds of a fresh interpreter running `code`: in all, and until its last line (the rest is
    the interpreter's exit, mostly garbage collection over everything loaded, which a Lambda never runs)."""
    caching = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    # getrusage counts in microseconds; os.times() in clock ticks (10 ms, 3% of one run).
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = subprocess.run([sys.executable, "-c", f"{code}\nimport time\nprint(time.process_time())"], cwd=ROOT,
                           env=caching, check=True, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), float(child.stdout.split()[-1])


def first_send_modules() -> tuple[list[str], list[str]]:
    """The modules a fresh interpreter imports for its first V2 SMS send: after `import app`,
    through Kirim; and after the bare libraries, by hand. Recorded in child processes, so this
    process's environment and connections stay as the other benchmarks expect them."""
    child = subprocess.run([sys.executable, str(ROOT / "bench" / "first_send_imports.py")], cwd=ROOT, check=True,
                           capture_output=True, text=True)
    kirim, by_hand = json.loads(child.stdout.strip().splitlines()[-1])
    return kirim, by_hand


def _then(code: str, modules: list[str]) -> str:
    return f"import importlib\n{code}\nfor name in {modules!r}:\n    importlib.import_module(name)"


def run() -> dict[str, float]:
    kirim, by_hand = first_send_modules()
    send, base_send = _then(APP, kirim), _then(BASE, by_hand)
    for code in (APP, base_send, send):
        _cpu(code)  # fill the OS file cache and write .pyc files
    app, base, first = [], [], []
    for _ in range(RUNS):
        app.append(_cpu(APP))
        base.append(_cpu(base_send))
        first.append(_cpu(send))
    app_ms, base_ms, send_ms = (statistics.median(x for x, _ in runs) * 1000 for runs in (app, base, first))
    ratio = send_ms / base_ms
    before_exit = statistics.median(y for _, y in first) / statistics.median(y for _, y in base)
    print(f"cold start: `import app` + the first send's {len(kirim)} modules {send_ms:.0f} ms vs "
          f"boto3+pynamodb+chalice + the bare calls' {len(by_hand)} modules {base_ms:.0f} ms of CPU "
          f"(median of {RUNS}, alternated): {before_exit:.2f}x until the first send is done (goal <= {GOAL}x), "
          f"{ratio:.2f}x with the interpreter's exit; `import app` alone {app_ms:.0f} ms")
    goals.check("cold start to the first send vs boto3+pynamodb+chalice (CPU time, no interpreter exit)",
                f"{before_exit:.2f}x", f"<= {GOAL}x", before_exit <= GOAL)
    return {"cold_start_ratio": ratio, "cold_start_ratio_before_exit": before_exit, "import_app_ms": app_ms}


if __name__ == "__main__":
    run()
