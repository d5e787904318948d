"""A report job's state in its item, moved only under a lease: every write of a slice is conditioned
on the slice's own `lease_token`, so a slice that lost its lease (it stalled, and another took
over) can no longer save progress, a checkpoint, Done or Failed: it gets LeaseLost and stops.

`due_at` is when the job must next be heard from (the sweeper queues it again past that): a little
after the lease ends while a slice runs, a few minutes after a slice queued the next one.
"""
from __future__ import annotations

import json
import secrets
from typing import Any

from chalicelib.core import clock
from chalicelib.core.db import update_if
from chalicelib.reports import service as reports
from chalicelib.reports.models import Report

# Renewed with every progress save (every few seconds): a live slice never comes near it, and a
# dead one is taken over this long after its last save.
LEASE_SECONDS = 300
DUE_AFTER_LEASE = 60
QUEUE_GRACE = reports.QUEUE_GRACE   # a queued slice that has not started by then is queued again
RETRY_AFTER = 60                     # after a failed slice: the sweeper queues it again


class LeaseLost(Exception):
    """Another invocation holds the report now (or it is finished): this slice stops."""


def _conditional(report: Report, actions: list, condition: Any) -> bool:
    # Marked: a write botocore sent again after losing its answer is known as this slice's own.
    return update_if(report, actions, condition, "this report", mark=Report.write_id)


def claim(report: Report) -> str | None:
    """Take the report for one slice; the new lease token, or None if a live lease holds it.
    Counts a strike: a slice that saves a checkpoint clears them."""
    now = clock.epoch()
    token = secrets.token_hex(8)
    free = (Report.lease_until.does_not_exist() | (Report.lease_until < now))
    condition = Report.status.is_in(reports.PROCESSING, reports.PREPARING) & free
    lease_until = int(now) + LEASE_SECONDS
    actions = [Report.status.set(reports.PREPARING), Report.lease_token.set(token),
               Report.lease_until.set(lease_until), Report.due_at.set(lease_until + DUE_AFTER_LEASE),
               Report.strikes.add(1), Report.slices.add(1), Report.error.remove()]
    return token if _conditional(report, actions, condition) else None


def _fenced(report: Report, token: str, actions: list) -> None:
    condition = (Report.lease_token == token) & (Report.status == reports.PREPARING)
    if not _conditional(report, actions, condition):
        raise LeaseLost(report.report_id)


def _renewal() -> list:
    lease_until = int(clock.epoch()) + LEASE_SECONDS
    return [Report.lease_until.set(lease_until), Report.due_at.set(lease_until + DUE_AFTER_LEASE)]


def load_checkpoint(report: Report) -> dict | None:
    return json.loads(report.checkpoint) if report.checkpoint else None


def save_checkpoint(report: Report, token: str, checkpoint: dict, shown_rows: int, *,
                    expected_rows: int | None = None, progressed: bool = True) -> None:
    """The file's new resume point, and the lease renewed; rows written since the last one clear
    the strikes."""
    actions = [Report.checkpoint.set(json.dumps(checkpoint, separators=(",", ":"))), Report.rows.set(shown_rows),
               *_renewal()]
    if progressed:
        actions.append(Report.strikes.set(0))
    if expected_rows is not None:
        actions.append(Report.expected_rows.set(expected_rows))
    _fenced(report, token, actions)


def save_progress(report: Report, token: str, shown_rows: int) -> None:
    _fenced(report, token, [Report.rows.set(shown_rows), *_renewal()])


def release(report: Report, token: str, due_in: int) -> None:
    """End this slice's lease; the next slice may start at once, and must within `due_in` seconds."""
    _fenced(report, token, [Report.lease_until.set(0), Report.due_at.set(int(clock.epoch()) + due_in)])


def finish(report: Report, token: str, rows: int, size: int, key: str) -> None:
    _fenced(report, token, [Report.status.set(reports.DONE), Report.rows.set(rows), Report.size.set(size),
                            Report.s3_key.set(key), Report.finished_at.set(clock.now_iso()),
                            Report.lease_until.remove(), Report.lease_token.remove(), Report.due_at.remove(),
                            Report.checkpoint.remove()])


def fail(report: Report, token: str, error: str) -> None:
    _fenced(report, token, [Report.status.set(reports.FAILED), Report.error.set(error[:400]),
                            Report.finished_at.set(clock.now_iso()), Report.lease_until.remove(),
                            Report.lease_token.remove(), Report.due_at.remove(), Report.checkpoint.remove()])
