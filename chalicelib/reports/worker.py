"""The report worker: one SQS job per report, at least once.

- Claim: Processing -> Preparing on condition, with a lease; a redelivery while another attempt
  holds the lease, or after Done, does nothing.
- Stream: messages from the status index, oldest first, into the CSV or XLSX writer, into a
  multipart upload at reports/<application>/<report>.<ext> (the same key on every attempt).
- Progress: rows are saved every PROGRESS_EVERY rows, for the dashboard's progress bar.
- Finish: Done with rows, size and finished time; on an error the lease is released and the job
  retried; on the last attempt the report is Failed with a readable error and the job goes to the DLQ.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import UpdateError

from chalicelib.core import aws, clock, metrics
from chalicelib.core.config import get_settings
from chalicelib.messages import queries
from chalicelib.messages.models import Message
from chalicelib.messages.views import call_times, details_of
from chalicelib.reports import service as reports
from chalicelib.reports.formats import CONTENT_TYPES, FORMATS
from chalicelib.reports.models import Report

log = logging.getLogger(__name__)
LEASE_SECONDS = 900          # the report worker's Lambda timeout
PROGRESS_EVERY = 1000
MAX_ATTEMPTS = 3             # the report queue's maxReceiveCount


def _claim(report: Report) -> bool:
    now = clock.epoch()
    condition = (Report.status == reports.PROCESSING) | (
        (Report.status == reports.PREPARING) & (Report.lease_until < now))
    try:
        report.update(actions=[Report.status.set(reports.PREPARING), Report.rows.set(0),
                               Report.lease_until.set(now + LEASE_SECONDS), Report.error.remove()],
                      condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _local(iso: str, zone: ZoneInfo) -> str:
    return clock.parse_iso(iso).astimezone(zone).isoformat(timespec="seconds")


def row(message: Message, columns: list[str], zone: ZoneInfo) -> list[Any]:
    details = {**details_of(message), "message_id": message.message_id, "channel": message.channel,
               "target": message.target, "status": message.status,
               "created_at": _local(message.created_at, zone), "updated_at": _local(message.updated_at, zone)}
    if message.channel == "ivr":
        details.update(call_times(message.history_entries()))
    return [details.get(column) for column in columns]


def build(report: Report, s3: Any, bucket: str, *, rows_per_sheet: int | None = None) -> None:
    """Write and upload the whole file, then mark the report Done."""
    from chalicelib.reports import writers
    from chalicelib.reports.s3_sink import MultipartSink

    extension = FORMATS[report.format]
    key = f"reports/{report.application_id}/{report.report_id}.{extension}"
    filename = "".join(c if c.isalnum() or c in " -_." else "_" for c in report.name).strip() or "report"
    sink = MultipartSink(s3, bucket, key, content_type=CONTENT_TYPES[report.format],
                         content_disposition=f'attachment; filename="{filename}.{extension}"')
    columns = writers.columns_for(report.channel)
    options = {"max_rows_per_sheet": rows_per_sheet} if rows_per_sheet and report.format == "xlsx" else {}
    writer = writers.writer_for(report.format, sink, columns, **options)
    zone = ZoneInfo(report.timezone)
    try:
        count = 0
        for message in queries.iter_messages(report.application_id, report.channel, list(report.statuses),
                                                datetime.fromisoformat(report.start),
                                                datetime.fromisoformat(report.end)):
            writer.write_row(row(message, columns, zone))
            count += 1
            if count % PROGRESS_EVERY == 0:
                report.update(actions=[Report.rows.set(count), Report.lease_until.set(clock.epoch() + LEASE_SECONDS)])
        writer.close()
        sink.close()
    except BaseException:
        writer.abort()  # deletes openpyxl's temp files, or a warm container's /tmp fills up
        sink.abort()
        raise
    report.update(actions=[Report.status.set(reports.DONE), Report.rows.set(count), Report.size.set(sink.size),
                           Report.s3_key.set(key), Report.finished_at.set(clock.now_iso()),
                           Report.lease_until.remove()])


def run(application_id: str, report_id: str, attempt: int) -> str:
    """Handle one delivery of a report job; returns what happened (for logs and tests)."""
    try:
        report = Report.get(application_id, report_id, consistent_read=True)
    except Report.DoesNotExist:
        return "unknown report"
    if report.status in (reports.DONE, reports.FAILED):
        return f"already {report.status}"
    if not _claim(report):
        return "in progress elsewhere"
    started = clock.epoch()
    try:
        build(report, aws.client("s3"), get_settings().report_bucket)
    except Exception as error:  # noqa: BLE001 - recorded, then retried or failed for good
        log.exception("report failed", extra={"report_id": report_id, "attempt": attempt})
        if attempt >= MAX_ATTEMPTS:
            report.update(actions=[Report.status.set(reports.FAILED), Report.lease_until.remove(),
                                   Report.error.set(f"Could not build the report: {type(error).__name__}: "
                                                    f"{str(error)[:300]}"),
                                   Report.finished_at.set(clock.now_iso())])
        else:
            report.update(actions=[Report.lease_until.set(0)])  # let the retry claim it at once
        raise
    metrics.report_duration(report.format, clock.epoch() - started)
    return "done"
