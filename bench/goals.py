"""Every benchmark figure with its goal, so `make bench` can end with a verdict: each benchmark
calls `check(...)` beside the line it prints, and `python -m bench` exits non-zero if any missed."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS: list[tuple[str, str, str, bool]] = []
RESULTS_FILE = "KIRIM_BENCH_RESULTS"   # where a benchmark run apart leaves its figures


def check(figure: str, result: str, goal: str, met: bool) -> bool:
    RESULTS.append((figure, result, goal, bool(met)))
    return bool(met)


def report() -> int:
    """Prints the verdict table; returns the number of figures that missed their goal."""
    print("\nfigure | result | goal | met")
    for figure, result, goal, met in RESULTS:
        print(f"{figure} | {result} | {goal} | {'yes' if met else 'NO'}")
    missed = sum(not met for *_, met in RESULTS)
    print(f"{len(RESULTS) - missed} of {len(RESULTS)} figures met their goal")
    if os.environ.get(RESULTS_FILE):
        Path(os.environ[RESULTS_FILE]).write_text(json.dumps(RESULTS))
    return missed


def run_apart(module: str, *args: str) -> None:
    """`python -m module` in a process of its own (its stage must not meet the in-process mocks and cached
    connections the benchmarks before it left), its figures taken into this verdict."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results.json"
        done = subprocess.run([sys.executable, "-m", module, *args], cwd=root,
                              env={**os.environ, RESULTS_FILE: str(out)}, check=False)
        taken = json.loads(out.read_text()) if out.exists() else []
    RESULTS.extend(tuple(result) for result in taken)
    if not taken:
        check(f"{module} ran to its verdict", f"exit {done.returncode}", "its figures", False)


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB (VmHWM; getrusage where /proc is missing)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover
