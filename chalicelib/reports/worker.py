"""The report worker: a report is written in slices, each one SQS delivery of its job.

- Claim: a new lease token (job_state.claim); a delivery while a live slice holds the lease, or
  after Done or Failed, does nothing.
- A slice reads the messages in the report's statuses after the checkpoint's last id, oldest first
  (queries.iter_messages: by_app_channel, which no status change moves, filtered; a broadcast's
  results: its own by_broadcast shards, the rest of each message fetched), into the writer,
  whose bytes collect in memory. Each time PART_BYTES (8 MiB) are there, at a row's end, the writer
  checkpoints (every byte out, a zlib full flush for XLSX and csv.gz), the buffer
  goes up as the next part of the one multipart upload, and the checkpoint is saved under the
  lease: upload id, parts, last message id, rows, the writer's state. No temporary files.
- At the first part boundary past its time budget (REPORT_SLICE_SECONDS, and never into the
  Lambda's last minutes) the slice releases its lease and queues the report's next slice.
- A crash or timeout anywhere loses at most the rows since the last checkpoint: the next slice
  (the queue's redelivery, or the sweeper once `due_at` passed) starts from the checkpoint, uploads
  the same part number again and writes the same bytes. Every row is written exactly once.
- The last slice closes the file, uploads the rest as the last part, saves `completing`, completes
  the upload (accepting one an earlier attempt completed) and marks the report Done.
- Errors: the lease is released and the job retried; at the third attempt in a row without a new
  checkpoint the report is Failed with a readable error and its upload aborted.
"""
from __future__ import annotations

import logging
from datetime import datetime
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core import aws, clock, metrics
from chalicelib.core.config import get_settings
from chalicelib.messages import queries
from chalicelib.messages.models import SHARDS
from chalicelib.messages.views import call_times
from chalicelib.monitoring.ranges import parse_range
from chalicelib.reports import job_state
from chalicelib.reports import service as reports
from chalicelib.reports.formats import CONTENT_TYPES, content_disposition
from chalicelib.reports.job_state import LeaseLost
from chalicelib.reports.models import Report

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3          # the report queue's maxReceiveCount, and claims in a row without progress
BATCH = 1000              # rows read and written between two looks at the buffer
READ_PAGE = 1000 * SHARDS  # items read per page of the channel's shards (before the filter): 1,000 per Query
FINISH_RESERVE = 240      # seconds of Lambda time kept for the last part and the completion
PROGRESS_SECONDS = 3      # progress is saved at least this often while rows move...
PROGRESS_SHARE = 100      # ...and at every hundredth of the total


def _local(iso: str, zone: ZoneInfo) -> str:
    return clock.parse_iso(iso).astimezone(zone).isoformat(timespec="seconds")


def row(message: dict[str, Any], columns: list[str], zone: ZoneInfo) -> list[Any]:
    """A message (as queries.iter_messages gives it) as report values, in `columns` order."""
    details = {**(message.get("details") or {}), "message_id": message["message_id"], "channel": message["channel"],
               "target": message.get("target"), "status": message["status"],
               "created_at": _local(message["created_at"], zone), "updated_at": _local(message["updated_at"], zone)}
    if message["channel"] == "ivr":
        details.update(call_times(message.get("history") or []))
    return [details.get(column) for column in columns]


def read_attributes(channel: str) -> list[str]:
    """What a row needs of a message: IVR's call times come from its history, nothing else's."""
    wanted = ["message_id", "channel", "target", "status", "created_at", "updated_at", "details"]
    return wanted + ["history"] if channel == "ivr" else wanted


def file_key(report: Report) -> str:
    return f"reports/{report.application_id}/{report.report_id}.{report.format}"


class _Progress:
    """Rows shown to the owner, saved under the lease every PROGRESS_SECONDS or hundredth of the total.
    Never moves back: after a crash, the redone rows are not counted again."""

    def __init__(self, report: Report, token: str, shown: int, total: int) -> None:
        self.report, self.token, self.shown = report, token, shown
        self.step = max(BATCH, total // PROGRESS_SHARE)
        self.saved_rows, self.saved_at = shown, clock.monotonic()

    def rows(self, done: int) -> int:
        self.shown = max(self.shown, done)
        return self.shown

    def tick(self, done: int) -> None:
        if done - self.saved_rows >= self.step or clock.monotonic() - self.saved_at >= PROGRESS_SECONDS:
            job_state.save_progress(self.report, self.token, self.rows(done))
            self.saved(done)

    def saved(self, done: int) -> None:
        self.saved_rows, self.saved_at = done, clock.monotonic()


class Slice:
    """One slice of one report, under one lease."""

    def __init__(self, report: Report, token: str, s3: Any, bucket: str, deadline: float) -> None:
        self.report, self.token, self.s3, self.bucket, self.deadline = report, token, s3, bucket, deadline
        self.key = file_key(report)
        self.parts_uploaded = 0

    def _start(self) -> dict:
        """The first slice: the total from the counters (before any row), the upload, the first checkpoint."""
        from chalicelib.reports.s3_sink import MultipartUpload

        report = self.report
        if report.broadcast_id:  # its recipients, counted when it was asked for: the channel's days hold others
            total = int(report.expected_rows or 0)
        else:
            span = parse_range({"from": report.start, "to": report.end}, report.timezone)
            total = reports.expected_rows(report.application_id, report.channel, list(report.statuses), span)
        upload = MultipartUpload.create(self.s3, self.bucket, self.key, content_type=CONTENT_TYPES[report.format],
                                        content_disposition=content_disposition(report.name, report.format))
        checkpoint = {"upload_id": upload.upload_id, "parts": [], "last_id": None, "rows": 0, "size": 0,
                      "writer": None}
        # Saved before any row, so a crash from here on reuses this upload rather than leaking it.
        job_state.save_checkpoint(report, self.token, checkpoint, 0, expected_rows=total, progressed=False)
        report.expected_rows = total
        return checkpoint

    def run(self) -> str:
        """"more" (the next slice must be queued) or "done"."""
        from chalicelib.reports import writers
        from chalicelib.reports.s3_sink import MultipartUpload

        report = self.report
        checkpoint = job_state.load_checkpoint(report) or self._start()
        upload = MultipartUpload(self.s3, self.bucket, self.key, checkpoint["upload_id"], checkpoint["parts"])
        if checkpoint.get("completing"):
            return self._complete(upload, checkpoint)
        part_bytes = get_settings().report_part_bytes
        columns = writers.columns_for(report.channel)
        buffer = bytearray()
        options = writers.stream_options(report.format, part_bytes)
        if checkpoint["writer"] is None:
            writer = writers.writer_for(report.format, buffer.extend, columns, **options)
        else:
            writer = writers.resume_writer(report.format, checkpoint["writer"], buffer.extend, columns, **options)
        progress = _Progress(report, self.token, max(int(report.rows), checkpoint["rows"]),
                             int(report.expected_rows or 0))
        zone = ZoneInfo(report.timezone)
        messages = queries.iter_messages(report.application_id, report.channel, list(report.statuses),
                                         datetime.fromisoformat(report.start), datetime.fromisoformat(report.end),
                                         READ_PAGE, after=checkpoint["last_id"],
                                         attributes=read_attributes(report.channel),
                                         broadcast_id=report.broadcast_id)
        last_id = checkpoint["last_id"]
        while batch := list(islice(messages, BATCH)):
            writer.write_rows([row(message, columns, zone) for message in batch])
            last_id = batch[-1]["message_id"]
            if len(buffer) < part_bytes:
                progress.tick(writer.rows)
                continue
            state = writer.checkpoint()  # every byte so far is in the buffer, ending at this row
            checkpoint = self._part(upload, buffer, checkpoint, last_id, state["rows"], state, progress)
            if clock.monotonic() >= self.deadline:
                return "more"
        writer.close()
        checkpoint = self._part(upload, buffer, checkpoint, last_id, writer.rows, None, progress, completing=True)
        return self._complete(upload, checkpoint)

    def _part(self, upload: Any, buffer: bytearray, checkpoint: dict, last_id: str | None, rows: int,
              state: dict | None, progress: _Progress, completing: bool = False) -> dict:
        # The lease first (renewed, or LeaseLost): a slice taken over must not upload a part, which
        # would replace the new holder's part of the same number. Renewed, it outlasts the upload.
        job_state.save_progress(self.report, self.token, progress.rows(checkpoint["rows"]))
        size = upload.upload(buffer)
        buffer.clear()
        self.parts_uploaded += 1
        checkpoint = {"upload_id": upload.upload_id, "parts": upload.parts, "last_id": last_id, "rows": rows,
                      "size": checkpoint["size"] + size, "writer": state}
        if completing:
            checkpoint["completing"] = True
        job_state.save_checkpoint(self.report, self.token, checkpoint, progress.rows(rows), progressed=True)
        progress.saved(rows)
        return checkpoint

    def _complete(self, upload: Any, checkpoint: dict) -> str:
        upload.complete()
        job_state.finish(self.report, self.token, checkpoint["rows"], checkpoint["size"], self.key)
        return "done"

    def abort_upload(self) -> None:
        from chalicelib.reports.s3_sink import MultipartUpload

        checkpoint = job_state.load_checkpoint(self.report)
        if checkpoint and not checkpoint.get("completing"):
            MultipartUpload(self.s3, self.bucket, self.key, checkpoint["upload_id"], []).abort()


def _give_up(report: Report, token: str, work: Slice, error: str) -> None:
    try:
        job_state.fail(report, token, error)
    except LeaseLost:
        return
    work.abort_upload()


def run(application_id: str, report_id: str, attempt: int, remaining_ms: int | None = None) -> str:
    """Handle one delivery of a report's job: run one slice; returns what happened (logs, tests)."""
    try:
        report = Report.get(application_id, report_id, consistent_read=True)
    except Report.DoesNotExist:
        return "unknown report"
    if report.status in (reports.DONE, reports.FAILED):
        return f"already {report.status}"
    token = job_state.claim(report)
    if token is None:
        return "in progress elsewhere"
    settings = get_settings()
    budget = float(settings.report_slice_seconds)
    if remaining_ms is not None:
        budget = min(budget, remaining_ms / 1000 - FINISH_RESERVE)
    started = clock.monotonic()
    work = Slice(report, token, aws.client("s3"), settings.report_bucket, started + budget)
    if int(report.strikes) > MAX_ATTEMPTS:
        _give_up(report, token, work, f"Could not build the report: {MAX_ATTEMPTS} attempts in a row made no "
                                      "progress")
        return "failed"
    try:
        outcome = work.run()
    except LeaseLost:
        log.warning("report slice lost its lease; another slice carries on", extra={"report_id": report_id})
        return "lease lost"
    except Exception as error:  # noqa: BLE001 - recorded, then retried or failed for good
        log.exception("report slice failed", extra={"report_id": report_id, "attempt": attempt})
        if attempt >= MAX_ATTEMPTS or int(report.strikes) >= MAX_ATTEMPTS:
            _give_up(report, token, work, f"Could not build the report: {type(error).__name__}: {str(error)[:300]}")
        else:
            try:
                job_state.release(report, token, job_state.RETRY_AFTER)
            except LeaseLost:
                pass
        raise
    seconds = clock.monotonic() - started
    log.info("report slice", extra={"report_id": report_id, "outcome": outcome, "parts": work.parts_uploaded,
                                    "rows": int(report.rows), "seconds": round(seconds, 1)})
    if outcome == "more":
        job_state.release(report, token, job_state.QUEUE_GRACE)
        try:
            reports.queue_job(application_id, report_id)
        except Exception:  # noqa: BLE001 - the sweeper queues it once due_at has passed
            log.warning("next report slice not queued; the sweeper will", exc_info=True,
                        extra={"report_id": report_id})
        return "continued"
    metrics.report_duration(report.format, clock.epoch() - clock.parse_iso(report.created_at).timestamp())
    return "done"
