"""Issue 12, item 7: a report can no longer stay Processing for ever. The report is saved before its
job is queued; when the queue send fails (here: the SQS call answers an error, injected with a
botocore hook), or a slice's "next slice" send fails, or a slice dies holding its lease, the report
sweeper finds it past `due_at` in the sparse `by_due` index (Query, never Scan) and queues it again."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from chalicelib.core import aws, clock
from chalicelib.core.config import get_settings
from chalicelib.reports import job_state, sweeper
from chalicelib.reports import service as reports
from chalicelib.reports import worker as report_jobs
from chalicelib.reports.models import Report
from local.call_counter import counting
from local.seed_messages import seed
from tests.conftest import Shop, drain

START = datetime(2026, 8, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def seeded(client, worker):
    from tests.conftest import Api
    shop = Shop(Api(client))
    messages = seed(shop.app_id, 600, START, days=5, seed_value=11)
    drain(worker)  # the messages stream counts them into the day counters
    return shop, [m for m in messages if m["status"] in ("Delivered", "Failed")]


@contextmanager
def sqs_sends_fail():
    """Every SQS SendMessage answers an error, as an SQS outage would."""
    calls = []

    def refuse(params, **_):
        calls.append(params)
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}, "SendMessage")

    events = aws.client("sqs").meta.events
    events.register("before-call.sqs.SendMessage", refuse, unique_id="refuse-sends")
    try:
        yield calls
    finally:
        events.unregister("before-call.sqs.SendMessage", unique_id="refuse-sends")


def _create(shop: Shop, name: str = "Sweep me"):
    return shop.api.call("POST", f"/applications/{shop.app_id}/reports", {
        "name": name, "channel": "sms", "statuses": ["Delivered", "Failed"], "format": "csv",
        "from": "2026-08-01", "to": "2026-08-10"}, shop.session)


def _queued_reports() -> list[str]:
    """Report jobs waiting on the queue (received, then made visible again)."""
    sqs = aws.client("sqs")
    url = aws.queue_url(get_settings().report_queue_name)
    found = []
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []):
        found.append(__import__("json").loads(message["Body"])["report_id"])
    return found


def _rows(shop: Shop, report_id: str) -> int:
    report = Report.get(shop.app_id, report_id, consistent_read=True)
    body = aws.client("s3").get_object(Bucket=get_settings().report_bucket, Key=report.s3_key)["Body"].read()
    return len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))) - 1


def test_a_report_whose_job_could_not_be_queued_is_queued_by_the_sweeper(seeded, worker):
    shop, expected = seeded
    with sqs_sends_fail() as refused:
        created = _create(shop)
    # The report is saved and the owner told so; before the fix this was a 500 and the report stayed
    # Processing for ever, with no job anywhere.
    assert created.status_code == 202 and len(refused) == 1, created.json_body
    report_id = created.json_body["report_id"]
    drain(worker)
    assert Report.get(shop.app_id, report_id).status == "Processing"
    assert report_id not in _queued_reports()

    report = Report.get(shop.app_id, report_id)
    assert report_id not in sweeper.sweep(report.due_at - 1)["report_ids"]  # not due yet
    with counting() as calls:
        outcome = sweeper.sweep(report.due_at)
    assert report_id in outcome["report_ids"]
    assert calls[("dynamodb", "Scan")] == 0 and calls[("dynamodb", "Query")] == 2  # one per unfinished status
    # Pushed back: a second sweep does not queue it again.
    assert report_id not in sweeper.sweep(report.due_at)["report_ids"]
    drain(worker)
    done = Report.get(shop.app_id, report_id, consistent_read=True)
    assert done.status == "Done" and done.rows == len(expected) == _rows(shop, report_id)
    # Finished reports leave the index.
    assert report_id not in [r.report_id for status in ("Processing", "Preparing", "Done")
                             for r in Report.by_due.query(status)]


def test_a_lost_next_slice_is_queued_again(seeded, worker, monkeypatch):
    shop, expected = seeded
    settings = get_settings()._replace(report_part_bytes=8 << 10, report_slice_seconds=0)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)
    import moto.s3.models
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 8 << 10)
    monkeypatch.setattr(report_jobs, "BATCH", 100)
    report_id = _create(shop, "Next slice lost").json_body["report_id"]
    with sqs_sends_fail():
        assert report_jobs.run(shop.app_id, report_id, attempt=1) == "continued"  # its next send failed
    stuck = Report.get(shop.app_id, report_id, consistent_read=True)
    assert stuck.status == "Preparing" and stuck.lease_until == 0 and 0 < stuck.rows < len(expected)
    assert report_id not in sweeper.sweep(stuck.due_at - 1)["report_ids"]
    assert report_id in sweeper.sweep(stuck.due_at)["report_ids"]
    for _ in range(20):
        drain(worker)
        if Report.get(shop.app_id, report_id).status == "Done":
            break
    done = Report.get(shop.app_id, report_id, consistent_read=True)
    assert done.status == "Done" and done.rows == len(expected) == _rows(shop, report_id)


def test_a_claimed_slice_that_dies_is_resumed_after_its_lease(seeded, worker, frozen_clock):
    shop, expected = seeded
    with sqs_sends_fail():
        report_id = _create(shop, "Died holding the lease").json_body["report_id"]
    report = Report.get(shop.app_id, report_id)
    assert job_state.claim(report)  # a slice starts, then its Lambda dies: the lease stays taken
    held = Report.get(shop.app_id, report_id, consistent_read=True)
    assert held.due_at == held.lease_until + job_state.DUE_AFTER_LEASE
    assert report_id not in sweeper.sweep(clock.epoch())["report_ids"]  # its lease is live: nothing to do
    frozen_clock.advance(job_state.LEASE_SECONDS + job_state.DUE_AFTER_LEASE)
    assert report_id in sweeper.sweep()["report_ids"]
    drain(worker)
    done = Report.get(shop.app_id, report_id, consistent_read=True)
    assert done.status == "Done" and done.rows == len(expected) == _rows(shop, report_id)
    assert done.slices == 2 and reports.render(done)["progress"] == 100
