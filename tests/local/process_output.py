"""Reading a started `make run` (or `python -m local.run`) as a person watches its terminal."""
from __future__ import annotations

import subprocess
import threading

READY = "Ctrl-C stops everything"


def follow(process: subprocess.Popen) -> tuple[list[str], threading.Event]:
    """(the lines printed so far, set once the banner's last line is out or the process ended).
    The pipe is drained all along, or the children would block writing to it."""
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            if line.startswith(READY):
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    return output, ready
