"""Reports written in slices on moto: parts of a small size (moto's 5 MiB minimum lowered to match),
a slice per part, crashes injected at every step (a BaseException raised from a botocore hook: the
process "dies" there, nothing of it runs on), and each final file compared with the messages row by
row, and byte for byte with the same report written without a crash."""
from __future__ import annotations

import csv
import gzip
import io
from datetime import datetime, timezone

import pytest

from chalicelib.core import aws
from chalicelib.core.config import get_settings
from chalicelib.reports import job_state
from chalicelib.reports import service as reports
from chalicelib.reports import worker as report_jobs
from chalicelib.reports.models import Report
from local.seed_messages import seed
from tests.conftest import Shop, drain

PART = 16 << 10
START = datetime(2026, 9, 1, tzinfo=timezone.utc)
COUNT = 2_500


class Killed(BaseException):
    """The process dies here: not an Exception, so no handler of Kirim's sees it."""


@pytest.fixture(scope="module")
def seeded(client, worker):
    from tests.conftest import Api
    shop = Shop(Api(client))
    messages = seed(shop.app_id, COUNT, START, days=10)
    drain(worker)  # the messages stream counts them into the day counters
    return shop, messages


@pytest.fixture(autouse=True)
def small_parts(monkeypatch):
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", PART)  # S3's rule, at this test's scale
    monkeypatch.setattr(report_jobs, "BATCH", 100)  # a part boundary may come every 100 rows
    settings = get_settings()._replace(report_part_bytes=PART, report_slice_seconds=0)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)


def _create(shop: Shop, fmt: str) -> str:
    response = shop.api.call("POST", f"/applications/{shop.app_id}/reports", {
        "name": f"Slices {fmt}", "channel": "sms", "statuses": ["Delivered", "Failed"], "format": fmt,
        "from": "2026-09-01", "to": "2026-09-15"}, shop.session)
    assert response.status_code == 202, response.json_body
    return response.json_body["report_id"]


def _file(shop: Shop, report_id: str) -> bytes:
    report = Report.get(shop.app_id, report_id)
    return aws.client("s3").get_object(Bucket=get_settings().report_bucket, Key=report.s3_key)["Body"].read()


def _rows(fmt: str, data: bytes) -> list[list[str]]:
    if fmt == "xlsx":
        from openpyxl import load_workbook
        book = load_workbook(io.BytesIO(data), read_only=True)
        rows = []
        for sheet in book.worksheets:
            values = list(sheet.iter_rows(values_only=True))
            assert list(values[0][:2]) == ["message_id", "channel"]  # every sheet under the header
            rows += [["" if v is None else str(v) for v in r] for r in values[1:]]
        return rows
    text = (gzip.decompress(data) if fmt == "csv.gz" else data).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


def _expected(messages: list[dict], fmt: str) -> list[list[str]]:
    """The rows a report of Delivered and Failed must hold, from the seeded items themselves."""
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Asia/Jakarta")
    rows = []
    for m in messages:
        if m["status"] not in ("Delivered", "Failed"):
            continue
        local = datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")).astimezone(zone).isoformat(
            timespec="seconds")
        body, target = m["details"]["message_body"], m["target"]
        if fmt != "xlsx":  # CSV text is neutralised (cells.py); XLSX keeps it and styles the cell
            body = body.replace(";=", ";'=").replace(";@", ";'@").replace(",- ", ",'- ")
            body = "'" + body if body[0] in "=+" else body
            target = "'" + target
        rows.append([m["message_id"], "sms", target, m["status"], local, local, str(m["details"]["total_sms"]), body])
    return rows


@pytest.mark.parametrize("fmt, part, slices", [("xlsx", PART, 3), ("csv", 4 * PART, 3), ("csv.gz", PART, 2)])
def test_a_report_in_many_slices_holds_every_row_exactly_once(seeded, worker, fmt, part, slices, monkeypatch):
    from chalicelib.reports import xlsx_writer
    settings = get_settings()._replace(report_part_bytes=part, report_slice_seconds=0)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)
    monkeypatch.setattr(xlsx_writer, "ROWS_PER_SHEET", 700)  # and across sheets, inside the one zip stream
    shop, messages = seeded
    shown = []  # the rows shown to the owner, at each save (progress, or a checkpoint)
    for name in ("save_progress", "save_checkpoint"):
        real = getattr(job_state, name)
        monkeypatch.setattr(job_state, name, lambda *a, real=real, **k: (shown.append(a[3] if len(a) > 3 else a[2]),
                                                                         real(*a, **k))[1])
    report_id = _create(shop, fmt)
    for _ in range(20):
        drain(worker)  # each slice queues the next: the local worker runs them one after another
        if Report.get(shop.app_id, report_id).status == "Done":
            break
    report = Report.get(shop.app_id, report_id, consistent_read=True)
    expected = _expected(messages, fmt)
    assert report.status == "Done" and report.rows == len(expected) == report.expected_rows
    assert report.slices >= slices and report.checkpoint is None and report.due_at is None
    assert _rows(fmt, _file(shop, report_id)) == expected
    # Progress a person can trust: it never moves back, and moves in steps of at most 1,000 rows.
    assert len(shown) >= 3 and shown == sorted(shown) and max(b - a for a, b in zip([0, *shown], shown)) <= 1_000


@pytest.mark.parametrize("fmt, part, at_least", [("csv", PART, 9), ("xlsx", PART // 8, 4)])
def test_crashes_at_every_step_leave_the_same_file(seeded, fmt, part, at_least, frozen_clock, monkeypatch):
    import moto.s3.models

    shop, messages = seeded
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", part)
    settings = get_settings()._replace(report_part_bytes=part, report_slice_seconds=0)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)
    bucket = get_settings().report_bucket
    reference = _create(shop, fmt)
    while report_jobs.run(shop.app_id, reference, attempt=1) != "done":
        pass
    reference_bytes = _file(shop, reference)

    report_id = _create(shop, fmt)
    # Each crash point in turn dies once (at its n-th call in a slice), and the slice after a crash
    # runs free, so the report always moves on. The completion's points stay armed until the end.
    plan = [("after", "s3", "CreateMultipartUpload", 1), ("before", "s3", "UploadPart", 1),
            ("after", "s3", "UploadPart", 1), ("after", "dynamodb", "UpdateItem", 2),  # checkpoint saved
            ("before", "dynamodb", "UpdateItem", 2),  # part uploaded, its checkpoint not saved
            ("before", "dynamodb", "Query", 1), ("after", "dynamodb", "UpdateItem", 3),  # lease released
            ("before", "sqs", "SendMessage", 1), ("after", "sqs", "SendMessage", 1)]
    finale = {("before", "s3", "CompleteMultipartUpload", 1), ("after", "s3", "CompleteMultipartUpload", 1)}
    state = {"armed": plan.pop(0), "seen": {}, "free": False}
    hits: dict[str, int] = {}

    def maybe_die(where: str, model, **_) -> None:
        point = (where, model.service_model.service_name, model.name)
        seen = state["seen"][point] = state["seen"].get(point, 0) + 1
        for armed in [state["armed"], *finale]:
            if armed and armed[:3] == point and seen == armed[3] and (armed in finale or not state["free"]):
                if armed in finale:
                    finale.discard(armed)
                else:
                    state["armed"] = plan.pop(0) if plan else None
                name = " ".join(point)
                hits[name] = hits.get(name, 0) + 1
                raise Killed(name)

    from chalicelib.messages.models import Message
    clients = {aws.client("s3"), aws.client("sqs"), Report._get_connection().connection.client,
               Message._get_connection().connection.client}
    for c in clients:
        c.meta.events.register("before-call", lambda **kw: maybe_die("before", **kw), unique_id="kill-before")
        c.meta.events.register("after-call", lambda **kw: maybe_die("after", **kw), unique_id="kill-after")
    runs = 0
    try:
        for runs in range(1, 200):
            state["seen"] = {}
            try:
                outcome = report_jobs.run(shop.app_id, report_id, attempt=1)
                state["free"] = False
                if outcome == "done":
                    break
            except Killed:
                state["free"] = True
                frozen_clock.advance(job_state.LEASE_SECONDS + 1)  # the dead slice's lease runs out
    finally:
        for c in clients:
            c.meta.events.unregister("before-call", unique_id="kill-before")
            c.meta.events.unregister("after-call", unique_id="kill-after")
    report = Report.get(shop.app_id, report_id, consistent_read=True)
    assert report.status == "Done", (runs, hits)
    # (XLSX compresses these rows into a few parts: fewer slices, so fewer steps to die at.)
    assert sum(hits.values()) >= at_least and {"after s3 CreateMultipartUpload", "before s3 UploadPart",
                                               "after s3 CompleteMultipartUpload"} <= set(hits), hits
    data = _file(shop, report_id)
    assert data == reference_bytes
    assert _rows(fmt, data) == _expected(messages, fmt)
    # The crashed slices' parts went into the one upload that was completed; only a death between
    # creating an upload and saving its id leaves one behind (the bucket's lifecycle rule aborts it).
    uploads = aws.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert len([u for u in uploads if report_id in u["Key"]]) == hits["after s3 CreateMultipartUpload"] == 1


def test_a_slice_that_lost_its_lease_can_save_nothing(seeded, frozen_clock, monkeypatch):
    """Issue 12, item 7: progress and Done are fenced by the lease. A slice that stalls past its
    lease is taken over; its later writes are refused and the new slice's file stands."""
    shop, messages = seeded
    report_id = _create(shop, "csv")
    stalled = Report.get(shop.app_id, report_id)
    old_token = job_state.claim(stalled)
    assert old_token and job_state.claim(Report.get(shop.app_id, report_id)) is None  # held
    frozen_clock.advance(job_state.LEASE_SECONDS + 1)
    taken = Report.get(shop.app_id, report_id)
    new_token = job_state.claim(taken)
    assert new_token and new_token != old_token
    with pytest.raises(job_state.LeaseLost):
        job_state.save_progress(stalled, old_token, 10_000)
    with pytest.raises(job_state.LeaseLost):
        job_state.save_checkpoint(stalled, old_token, {"upload_id": "x"}, 10_000)
    with pytest.raises(job_state.LeaseLost):
        job_state.finish(stalled, old_token, 10_000, 1, "reports/x.csv")
    with pytest.raises(job_state.LeaseLost):
        job_state.fail(stalled, old_token, "no")
    current = Report.get(shop.app_id, report_id, consistent_read=True)
    assert current.status == "Preparing" and current.rows == 0 and current.lease_token == new_token
    job_state.release(taken, new_token, 0)
    settings = get_settings()._replace(report_part_bytes=PART, report_slice_seconds=10**6)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)
    while report_jobs.run(shop.app_id, report_id, attempt=1) != "done":
        pass
    assert _rows("csv", _file(shop, report_id)) == _expected(messages, "csv")


def test_a_slice_taken_over_midway_stops_and_the_file_stays_whole(seeded, frozen_clock, monkeypatch):
    """A slice stalls after its first part; another takes the report over and finishes it; the
    stalled one wakes up, its next save is refused, and it stops without touching the report."""
    shop, messages = seeded
    report_id = _create(shop, "xlsx")
    real_part = report_jobs.Slice._part
    woke = []

    def stall_then_take_over(self, *args, **kwargs):
        checkpoint = real_part(self, *args, **kwargs)
        if not woke:
            woke.append(1)
            frozen_clock.advance(job_state.LEASE_SECONDS + 1)
            settings = get_settings()._replace(report_part_bytes=PART, report_slice_seconds=10**6)
            monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)
            assert report_jobs.run(shop.app_id, report_id, attempt=1) == "done"
        return checkpoint

    monkeypatch.setattr(report_jobs.Slice, "_part", stall_then_take_over)
    settings = get_settings()._replace(report_part_bytes=PART, report_slice_seconds=10**6)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)
    assert report_jobs.run(shop.app_id, report_id, attempt=1) == "lease lost"
    done = Report.get(shop.app_id, report_id, consistent_read=True)
    assert done.status == "Done" and done.rows == len(_expected(messages, "xlsx"))
    assert _rows("xlsx", _file(shop, report_id)) == _expected(messages, "xlsx")


def test_a_slice_that_lost_its_lease_uploads_no_part(seeded, frozen_clock, monkeypatch):
    """Issue 20, item 11: a part upload is fenced too. A slice stalls with a full buffer, another
    takes the report over; the stalled one must not upload its part (it would replace the new
    slice's part of the same number), only stop."""
    from chalicelib.reports.s3_sink import MultipartUpload

    shop, _ = seeded
    report_id = _create(shop, "csv")
    real_part, real_upload, uploads = report_jobs.Slice._part, MultipartUpload.upload, []

    def taken_over_meanwhile(self, *args, **kwargs):
        frozen_clock.advance(job_state.LEASE_SECONDS + 1)
        assert job_state.claim(Report.get(shop.app_id, report_id, consistent_read=True))
        return real_part(self, *args, **kwargs)

    monkeypatch.setattr(report_jobs.Slice, "_part", taken_over_meanwhile)
    monkeypatch.setattr(MultipartUpload, "upload", lambda self, data: uploads.append(len(data)) or real_upload(self, data))
    settings = get_settings()._replace(report_part_bytes=PART, report_slice_seconds=10**6)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)
    assert report_jobs.run(shop.app_id, report_id, attempt=1) == "lease lost"
    assert uploads == []


def test_three_slices_in_a_row_without_progress_fail_the_report(seeded, frozen_clock):
    shop, _ = seeded
    report_id = _create(shop, "csv")
    for _ in range(3):  # claimed, then the process dies before any checkpoint with rows
        report = Report.get(shop.app_id, report_id)
        assert job_state.claim(report)
        frozen_clock.advance(job_state.LEASE_SECONDS + 1)
    assert report_jobs.run(shop.app_id, report_id, attempt=1) == "failed"
    failed = Report.get(shop.app_id, report_id, consistent_read=True)
    assert failed.status == "Failed" and "no progress" in failed.error and failed.due_at is None
    assert reports.render(failed)["status"] == "Failed"
