"""A report while statuses move: every message in the report's statuses for the whole read is a row
exactly once, and no message is a row twice, wherever the moves fall between the worker's Queries
(issue 20, item 5)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.core import aws
from chalicelib.core.config import get_settings
from chalicelib.messages.models import SHARDS
from chalicelib.reports import worker as report_jobs
from chalicelib.reports.models import Report
from tests.conftest import Shop
from tests.moving_statuses import before_queries, move_all_at, put_messages

START = datetime(2026, 4, 1, tzinfo=timezone.utc)
# 12 messages, all Sent or Delivered the whole time: 5 move from Sent to Delivered during the read.
STATUSES = ["Delivered", "Sent"] * 5 + ["Delivered", "Delivered"]


def _rows(shop: Shop, report_id: str) -> list[list[str]]:
    report = Report.get(shop.app_id, report_id, consistent_read=True)
    assert report.status == "Done", report.error
    body = aws.client("s3").get_object(Bucket=get_settings().report_bucket, Key=report.s3_key)["Body"].read()
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]


@pytest.mark.parametrize("statuses", [["Sent", "Delivered"], ["Delivered", "Sent"]])
def test_twelve_messages_moving_between_the_report_s_statuses_are_each_a_row_once(shop, statuses, monkeypatch):
    monkeypatch.setattr(report_jobs, "READ_PAGE", 2 * SHARDS)  # several Queries per partition
    for when in range(1, 2 * SHARDS + 2):
        start = START + timedelta(hours=when + (100 if statuses[0] == "Delivered" else 0))
        ids = put_messages(shop.app_id, STATUSES, start)
        sent = [i for i, s in zip(ids, STATUSES) if s == "Sent"]
        response = shop.api.call("POST", f"/applications/{shop.app_id}/reports", {
            "name": "Moving", "channel": "sms", "statuses": statuses, "format": "csv",
            "from": start.isoformat()[:19] + "Z", "to": (start + timedelta(minutes=1)).isoformat()[:19] + "Z"},
            shop.session)
        assert response.status_code == 202, response.json_body
        report_id = response.json_body["report_id"]
        with before_queries(move_all_at(when, sent, "Delivered")):
            assert report_jobs.run(shop.app_id, report_id, attempt=1) == "done"
        rows = _rows(shop, report_id)
        listed = [row[0] for row in rows]
        assert listed == ids, f"moves before Query {when}: {len(listed)} rows, {len(set(listed))} distinct"
