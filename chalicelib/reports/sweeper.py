"""The report sweeper (a schedule, every few minutes): a report whose job was not heard from by its
`due_at` is queued again. That covers a job that was never queued (the API saved the report, then
its send to the queue failed), a next slice whose send failed, and a slice that died (its lease
ran out). Found with a Query of the sparse `by_due` index per unfinished status, never a Scan.
A second job for the same report is harmless: the lease lets one slice run at a time."""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.core import clock
from chalicelib.core.db import update_if
from chalicelib.reports import service as reports
from chalicelib.reports.models import Report

log = logging.getLogger(__name__)
PER_SWEEP = 500


def sweep(now: float | None = None) -> dict[str, Any]:
    """Queue every report due by `now` again: {"queued": n, "skipped": n (moved meanwhile), "report_ids": [...]}."""
    now = clock.epoch() if now is None else now
    outcome: dict[str, Any] = {"queued": 0, "skipped": 0, "report_ids": []}
    for status in (reports.PROCESSING, reports.PREPARING):
        for due in Report.by_due.query(status, Report.due_at <= now, limit=PER_SWEEP):
            # Pushed back first, on condition nothing moved it meanwhile: two sweeps never both queue it.
            if not update_if(Report(due.application_id, due.report_id), [
                    Report.due_at.set(int(now) + reports.QUEUE_GRACE)],
                    (Report.due_at == due.due_at) & (Report.status == status), "this report", mark=Report.write_id):
                outcome["skipped"] += 1
                continue
            reports.queue_job(due.application_id, due.report_id)
            outcome["queued"] += 1
            outcome["report_ids"].append(due.report_id)
    if outcome["queued"]:
        log.info("reports queued again", extra=outcome)
    return outcome
