"""Reports: what the owner asks for, its state, and the expiring download link.

POST stores the report as Processing and puts one job on the report queue (reports.worker
writes the file, in slices); GET shows progress; download presigns a fresh 15-minute URL.
If the job cannot be queued, the report is saved anyway and the report sweeper queues it once
`due_at` has passed (reports.sweeper), so no report stays Processing for ever.
Files expire from S3 after RETENTION_DAYS (bucket lifecycle); the report then reads as expired.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Iterator

from chalicelib.core import aws, clock, validation
from chalicelib.core.config import get_settings
from chalicelib.core.errors import CONFLICT, NOT_FOUND, ApiError, bad_parameter, not_found
from chalicelib.messages.queries import daily_counts
from chalicelib.messages.status_rules import RULES
from chalicelib.monitoring.ranges import Range, parse_range
from chalicelib.reports.formats import FORMATS
from chalicelib.reports.models import Report

PROCESSING, PREPARING, DONE, FAILED = "Processing", "Preparing", "Done", "Failed"
RETENTION_DAYS = 7
LINK_SECONDS = 15 * 60
# The largest report: 10 sheets of XLSX, and even rows of 400 compressed bytes stay under the
# 4 GiB a zip without ZIP64 holds (docs/reports.md, "The largest report").
MAX_ROWS = 10_000_000
# A queued job that has not started by then is queued again by the sweeper (a lost send, or a
# queue backed up behind long reports: a second message for a report is harmless).
QUEUE_GRACE = 10 * 60
log = logging.getLogger(__name__)


def expected_rows(application_id: str, channel: str, statuses: list[str], span: Range) -> int:
    """An estimate for the progress bar, from the daily counters (whole days)."""
    return sum(counts.get(word, 0) for counts in daily_counts(application_id, channel, span.days()).values()
               for word in statuses)


def create(application_id: str, app_channels: list[str], timezone_name: str, body: dict[str, Any]) -> Report:
    name = validation.string(body, "name", max_len=100)
    channel = body.get("channel")
    if channel not in app_channels:
        raise bad_parameter("channel", f"channel must be one of this application's: {', '.join(app_channels)}")
    statuses = body.get("statuses")
    words = RULES[channel].words
    if not isinstance(statuses, list) or not statuses or not all(isinstance(s, str) for s in statuses):
        raise bad_parameter("statuses", f"statuses is a non-empty list of: {', '.join(words)}")
    unknown = [s for s in statuses if s not in words]
    if unknown:
        raise bad_parameter("statuses", f"{unknown[0]!r} is not a {channel} status; use: {', '.join(words)}")
    fmt = body.get("format")
    if not isinstance(fmt, str) or fmt.lower() not in FORMATS:
        raise bad_parameter("format", "format is csv, csv.gz or xlsx (xls means xlsx)")
    for field in ("from", "to"):
        if not isinstance(body.get(field), str):
            raise bad_parameter(field, f"{field} is required: a date (2026-11-27) or an ISO 8601 time",
                                "required")
    span = parse_range({"from": body["from"], "to": body["to"]}, timezone_name)
    statuses = sorted(set(statuses), key=words.index)
    total = expected_rows(application_id, channel, statuses, span)
    if total > MAX_ROWS:
        raise bad_parameter("to", f"this range holds about {total:,} messages of those statuses; a report holds "
                                  f"at most {MAX_ROWS:,}: make the range shorter or ask for fewer statuses",
                            "report_too_large", max=MAX_ROWS)
    from ulid import ULID

    report = Report(application_id, str(ULID()), name=name, channel=channel, statuses=statuses,
                    format=FORMATS[fmt.lower()], start=span.start.isoformat(), end=span.end.isoformat(),
                    from_text=body["from"], to_text=body["to"], timezone=timezone_name, status=PROCESSING,
                    rows=0, expected_rows=total, created_at=clock.now_iso(),
                    due_at=int(clock.epoch()) + QUEUE_GRACE)
    report.save(condition=Report.report_id.does_not_exist())
    try:
        queue_job(application_id, report.report_id)
    except Exception:  # noqa: BLE001 - the report is saved; the sweeper queues it past due_at
        log.warning("report job not queued; the sweeper will", exc_info=True, extra={"report_id": report.report_id})
    return report


def create_for_broadcast(application_id: str, timezone_name: str, broadcast: dict[str, Any], fmt: Any) -> Report:
    """A report of one broadcast's messages, every status, from its start to now (or its end): its
    per-recipient results. `broadcast`: {broadcast_id, name, channel, started_at, completed_at, total}."""
    if not isinstance(fmt, str) or fmt.lower() not in FORMATS:
        raise bad_parameter("format", "format is csv, csv.gz or xlsx (xls means xlsx)")
    if not broadcast.get("started_at"):
        raise ApiError(CONFLICT, "This broadcast has not started: it has no results yet", field="status",
                       reason="wrong_status")
    from ulid import ULID

    start = clock.parse_iso(broadcast["started_at"]) - timedelta(minutes=1)
    end = (clock.parse_iso(broadcast["completed_at"]) if broadcast.get("completed_at") else clock.now())
    end += timedelta(minutes=1)
    report = Report(application_id, str(ULID()), name=f"{broadcast['name']} results"[:100],
                    channel=broadcast["channel"], statuses=list(RULES[broadcast["channel"]].words),
                    format=FORMATS[fmt.lower()], start=start.isoformat(), end=end.isoformat(),
                    from_text=clock.iso(start), to_text=clock.iso(end), timezone=timezone_name, status=PROCESSING,
                    rows=0, expected_rows=int(broadcast.get("total") or 0), created_at=clock.now_iso(),
                    due_at=int(clock.epoch()) + QUEUE_GRACE, broadcast_id=broadcast["broadcast_id"])
    report.save(condition=Report.report_id.does_not_exist())
    try:
        queue_job(application_id, report.report_id)
    except Exception:  # noqa: BLE001 - the report is saved; the sweeper queues it past due_at
        log.warning("report job not queued; the sweeper will", exc_info=True, extra={"report_id": report.report_id})
    return report


def queue_job(application_id: str, report_id: str) -> None:
    """One job (one slice) for the report on the report queue."""
    aws.send_to_queue(get_settings().report_queue_name, {"application_id": application_id, "report_id": report_id})


def get(application_id: str, report_id: str) -> Report:
    if not report_id or len(report_id) > 40:
        raise not_found("Report not found")
    try:
        return Report.get(application_id, report_id, consistent_read=True)
    except Report.DoesNotExist:
        raise not_found("Report not found") from None


def list_for(application_id: str) -> Iterator[Report]:
    return Report.query(application_id, scan_index_forward=False, limit=100)


def expired(report: Report) -> bool:
    if report.status != DONE or not report.finished_at:
        return False
    return clock.parse_iso(report.finished_at) + timedelta(days=RETENTION_DAYS) <= clock.now()


def progress(report: Report) -> int:
    """Rows done over the total, in percent; 99 at most until Done (messages can change status
    while a long report runs, so the count may end a little off the total)."""
    if report.status == DONE:
        return 100
    if not report.expected_rows:
        return 0
    return min(99, int(int(report.rows) * 100 / int(report.expected_rows)))


def render(report: Report) -> dict[str, Any]:
    rendered = {"report_id": report.report_id, "name": report.name, "channel": report.channel,
                "statuses": list(report.statuses), "format": report.format, "from": report.from_text,
                "to": report.to_text, "status": report.status, "rows": int(report.rows),
                "total": int(report.rows) if report.status == DONE else int(report.expected_rows or 0),
                "progress": progress(report), "created_at": report.created_at}
    if report.error:
        rendered["error"] = report.error
    if report.finished_at:
        rendered["finished_at"] = report.finished_at
    if report.size is not None:
        rendered["size"] = int(report.size)
    if report.status == DONE:
        rendered["expired"] = expired(report)
    return rendered


def download(report: Report) -> dict[str, str]:
    if report.status != DONE:
        raise ApiError(CONFLICT, f"The report is {report.status}; it can be downloaded once Done")
    if expired(report):
        raise ApiError(NOT_FOUND, f"The report expired {RETENTION_DAYS} days after it was made; make it again",
                       status=410)
    url = aws.client("s3").generate_presigned_url("get_object", Params={"Bucket": get_settings().report_bucket,
                                                          "Key": report.s3_key}, ExpiresIn=LINK_SECONDS)
    expires = clock.now() + timedelta(seconds=LINK_SECONDS)
    return {"url": url, "expires_at": clock.iso(expires)}
