"""The report worker as its own process against a moto server that outlives it, so a test can kill
it (SIGKILL) in the middle of a slice, start it again, and check the file row by row.

    python tests/scripts/killed_report_worker.py --endpoint URL setup ROWS   -> {"application_id", "report_id"}
    python tests/scripts/killed_report_worker.py --endpoint URL work APP REPORT RUN
        polls the report queue as Lambda would (local.worker), runs the report sweeper when the
        queue is idle, and prints "part <n>" after each part it uploads, until the report is Done.
        Its clock runs RUN x 1,000 s ahead, so a killed run's lease has ended for the next one.
    python tests/scripts/killed_report_worker.py --endpoint URL check APP REPORT
        -> {"status", "rows", "ids_in_order", "rows_equal", "slices", "sheets"}
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
START = datetime(2026, 7, 1, tzinfo=timezone.utc)


def main() -> None:
    from local.moto_stack import FAKE_AWS_ENV

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("phase", choices=("setup", "work", "check"))
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    os.environ.update({**FAKE_AWS_ENV, "AWS_ENDPOINT_URL": args.endpoint, "REPORT_PART_BYTES": "4096",
                       "DYNAMODB_READ_TIMEOUT": "30",  # a moto server on a busy machine
                       "REPORT_SLICE_SECONDS": "2"})
    import boto3

    from infra.deploy import deploy_stack, outputs_to_env

    os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                  str(ROOT / "infra" / "template.yaml"))))
    from chalicelib.accounts.service import Principal
    from chalicelib.applications import service as applications
    from chalicelib.core import clock
    from chalicelib.core.config import get_settings
    from chalicelib.reports import service as reports
    from chalicelib.reports import worker as report_jobs
    from chalicelib.reports.models import Report
    from local.seed_messages import seed

    if args.phase == "setup":
        app = applications.create(Principal("owner", "owner@example.com"), "Killed reports", ["sms"])
        seed(app.application_id, int(args.args[0]), START, days=20, seed_value=3, counters=True)
        report = reports.create(app.application_id, ["sms"], "Asia/Jakarta", {
            "name": "Killed", "channel": "sms", "statuses": ["Delivered", "Failed"], "format": "xlsx",
            "from": "2026-07-01", "to": "2026-07-31"})
        print(json.dumps({"application_id": app.application_id, "report_id": report.report_id}))
        return

    app_id, report_id = args.args[0], args.args[1]
    if args.phase == "work":
        ahead = timedelta(seconds=1000 * int(args.args[2]))
        clock.use(lambda: datetime.now(timezone.utc) + ahead)
        report_jobs.BATCH = 50  # a part boundary may come every 50 rows: many parts per slice
        from chalicelib.core import aws
        sending = {}
        events = aws.client("s3").meta.events  # the very client the worker uploads with
        events.register("provide-client-params.s3.UploadPart", lambda params, **_: sending.update(params))
        events.register("after-call.s3.UploadPart", lambda **_: print(f"part {sending['PartNumber']}", flush=True))
        from app import app
        from chalicelib.reports import sweeper
        from local.worker import LocalWorker

        worker = LocalWorker(app, boto3.client("sqs"), boto3.client("sns"))
        worker.sources = [s for s in worker.sources if s.name == "report_worker"]
        for _ in range(2_000):
            if Report.get(app_id, report_id, consistent_read=True).status in ("Done", "Failed"):
                break
            if not worker.poll_once():
                sweeper.sweep()
        print("finished", flush=True)
        return

    from openpyxl import load_workbook

    from chalicelib.messages.models import Message
    from chalicelib.messages import queries

    report = Report.get(app_id, report_id, consistent_read=True)
    body = boto3.client("s3").get_object(Bucket=get_settings().report_bucket, Key=report.s3_key)["Body"].read()
    book = load_workbook(io.BytesIO(body), read_only=True)
    rows = [list(r) for sheet in book.worksheets for r in sheet.iter_rows(min_row=2, values_only=True)]
    expected = sorted((m for m in queries.channel_messages(app_id, "sms")
                       if m.status in ("Delivered", "Failed")), key=lambda m: m.message_id)
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Asia/Jakarta")
    want = [[m.message_id, "sms", m.target, m.status,
             clock.parse_iso(m.created_at).astimezone(zone).isoformat(timespec="seconds"),
             clock.parse_iso(m.updated_at).astimezone(zone).isoformat(timespec="seconds"),
             int(m.details_dict()["total_sms"]), m.details_dict()["message_body"]] for m in expected]
    print(json.dumps({"status": report.status, "rows": int(report.rows), "file_rows": len(rows),
                      "ids_in_order": [r[0] for r in rows] == [m.message_id for m in expected],
                      "rows_equal": rows == want, "expected": len(want), "slices": int(report.slices),
                      "sheets": len(book.sheetnames)}))


if __name__ == "__main__":
    main()
