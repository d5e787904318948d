"""What the terminal of `make run` shows: the banner, one line per API request and one per worker
event, each tagged with who said it (`api     | ...`). Everything the three processes print goes
to `.kirim/<name>.log`; `KIRIM_LOG=debug` shows it all in the terminal as well.

- `relay()` (in local/run.py) copies a child's output into its log file and shows its tagged lines;
- `EventLines` (in the local worker) turns the handlers' log records into tagged lines;
- `status_lines()` is a status-change hook (messages.changes) that shows each message's new status.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from typing import IO, Any

WIDTH = 8


def tag(name: str) -> str:
    return f"{name:<{WIDTH}}| "


TAGS = tuple(tag(name) for name in ("moto", "api", "worker", "kirim"))


def debug() -> bool:
    return os.environ.get("KIRIM_LOG", "").lower() == "debug"


def relay(name: str, stream: IO[str], log_file: IO[str], terminal: IO[str] = sys.stdout) -> threading.Thread:
    """Copy every line of `stream` into `log_file`; show the tagged ones (all with KIRIM_LOG=debug)."""
    everything = debug()

    def run() -> None:
        for line in stream:
            log_file.write(line)
            log_file.flush()
            if line.startswith(TAGS):
                terminal.write(line)
            elif everything:
                terminal.write(tag(name) + line)
            else:
                continue
            terminal.flush()

    thread = threading.Thread(target=run, name=f"relay-{name}", daemon=True)
    thread.start()
    return thread


def _short(identifier: Any) -> str:
    return str(identifier or "-")


def _outcomes(record: logging.LogRecord) -> str:
    counts = getattr(record, "outcomes", None) or {}
    return ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))


class EventLines(logging.Handler):
    """One terminal line per worker event: a dispatch, a report slice, a callback attempt, what a
    sweep found, and every warning or error (its traceback stays in the log file)."""

    def __init__(self, terminal: IO[str] = sys.stdout) -> None:
        super().__init__(logging.INFO)
        self.terminal = terminal

    def line(self, record: logging.LogRecord) -> str | None:
        message, get = record.getMessage(), record.__dict__.get
        if message == "dispatch job":
            return f"dispatch {_short(get('message_id'))}: {get('outcome')}"
        if message == "report slice":
            return (f"report {_short(get('report_id'))}: slice {get('outcome')}, {get('rows', 0):,} rows, "
                    f"{get('parts', 0)} parts in {get('seconds', 0)} s")
        if message == "callback attempt":
            status = get("http_status")
            return (f"callback {_short(get('delivery_id'))}: {get('outcome')} (attempt {get('attempt')}, "
                    f"{'HTTP ' + str(status) if status else 'no answer'}, {get('latency_ms')} ms)")
        # A sweep that found nothing runs every minute: not news.
        if message in ("dispatch sweep", "callback sweep", "reports queued again"):
            found = _outcomes(record) or (f"{get('queued')} queued" if get("queued") else "")
            return f"{message}: {found}" if found else None
        if message == "quota reconciled":
            return f"quota reconciled: {get('units')} units" if get("units") else None
        if record.levelno >= logging.WARNING:
            details = " (details in the worker's log)" if record.exc_info else ""
            return f"{record.levelname.lower()}: {message}{details}"
        return None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.line(record)
        except Exception:  # noqa: BLE001 - a line we cannot format never stops the worker
            return
        if line:
            self.terminal.write(tag("worker") + line + "\n")
            self.terminal.flush()


def status_lines(terminal: IO[str] = sys.stdout):
    """A hook for messages.changes.on_status_change: `worker  | sms 01K...: submitted -> sent`."""
    def show(statuses: list[Any]) -> None:
        for change in statuses:
            was = change.old_status or "new"
            terminal.write(tag("worker") + f"{change.channel} {change.message_id}: {was} -> {change.new_status}\n")
        terminal.flush()

    return show
