"""`make run`'s terminal (local/terminal.py): every line of a process goes to its log file, the
terminal gets the tagged ones (all of them with KIRIM_LOG=debug), and each worker event is one line."""
from __future__ import annotations

import io
import logging

from local import terminal


def _relay(text: str, monkeypatch, level: str = "") -> tuple[str, str]:
    monkeypatch.setenv("KIRIM_LOG", level)
    log_file, shown = io.StringIO(), io.StringIO()
    terminal.relay("moto", io.StringIO(text), log_file, shown).join(5)
    return log_file.getvalue(), shown.getvalue()


CHATTER = ('127.0.0.1 - - [04/Dec/2026 20:39:01] "POST / HTTP/1.1" 200 -\n'
           "moto    | serving on http://127.0.0.1:4566\n"
           "2026-12-04 INFO botocore.credentials: Found credentials in environment variables.\n")


def test_the_terminal_gets_the_tagged_lines_and_the_log_file_everything(monkeypatch):
    logged, shown = _relay(CHATTER, monkeypatch)
    assert logged == CHATTER
    assert shown == "moto    | serving on http://127.0.0.1:4566\n"


def test_kirim_log_debug_shows_everything_tagged_with_its_process(monkeypatch):
    _, shown = _relay(CHATTER, monkeypatch, "debug")
    assert shown.splitlines() == ['moto    | 127.0.0.1 - - [04/Dec/2026 20:39:01] "POST / HTTP/1.1" 200 -',
                                  "moto    | serving on http://127.0.0.1:4566",
                                  "moto    | 2026-12-04 INFO botocore.credentials: Found credentials in environment "
                                  "variables."]


def _event(message: str, level: int = logging.INFO, exc_info=None, **extra) -> str:
    shown = io.StringIO()
    record = logging.LogRecord("chalicelib.x", level, __file__, 1, message, (), exc_info)
    record.__dict__.update(extra)
    terminal.EventLines(shown).handle(record)
    return shown.getvalue()


def test_each_worker_event_is_one_line():
    assert _event("dispatch job", message_id="01K", outcome="sent") == "worker  | dispatch 01K: sent\n"
    assert _event("report slice", report_id="01R", outcome="done", rows=12345, parts=2, seconds=1.5) == \
        "worker  | report 01R: slice done, 12,345 rows, 2 parts in 1.5 s\n"
    assert _event("callback attempt", delivery_id="01K/3", outcome="delivered", attempt=1, http_status=200,
                  latency_ms=12) == "worker  | callback 01K/3: delivered (attempt 1, HTTP 200, 12 ms)\n"
    assert _event("callback attempt", delivery_id="01K/3", outcome="retry", attempt=2, http_status=None,
                  latency_ms=5000) == "worker  | callback 01K/3: retry (attempt 2, no answer, 5000 ms)\n"
    assert _event("dispatch sweep", outcomes={"resent": 2}) == "worker  | dispatch sweep: 2 resent\n"
    assert _event("warning seen", logging.WARNING) == "worker  | warning: warning seen\n"


def test_an_idle_sweep_or_a_plain_record_is_not_shown():
    assert _event("dispatch sweep", outcomes={}) == ""
    assert _event("callback sweep", queued=0) == ""
    assert _event("quota reconciled", channels=0, halves=0, units=0) == ""
    assert _event("Found credentials in environment variables.") == ""


def test_an_error_says_where_its_traceback_is():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys
        line = _event("handler x failed", logging.ERROR, sys.exc_info())
    assert line == "worker  | error: handler x failed (details in the worker's log)\n"
