"""Every benchmark figure with its goal, so `make bench` can end with a verdict: each benchmark
calls `check(...)` beside the line it prints, and `python -m bench` exits non-zero if any missed."""
from __future__ import annotations

import resource

RESULTS: list[tuple[str, str, str, bool]] = []


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
    return missed


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB (VmHWM; getrusage where /proc is missing)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover
