"""A 5,000,000-row XLSX report through the real worker: the report queue, the local worker's
Lambda-shaped deliveries, slices that queue the next one, checkpoints in the reports table, one S3
multipart upload (all moto, the real template), and the messages read with the real Query code.

The messages come from bench/message_source.py, a DynamoDB wire-format endpoint that computes each
of the 5.6 million messages when asked (moto's index Query walks and sorts the whole table on every
page, and would need tens of GB for them). Reading is therefore timed as the worker sees it: HTTP,
1 MB JSON pages, botocore's and PynamoDB's parsing, the row built from the message.

Reported: the read time apart from writing and uploading, rows per second of each, the slices, the
items DynamoDB read (ScannedCount: the report filters the channel's `by_app_channel` shards on the
status, so it reads every message of the range), and a check of the finished file (every id once and
in order, streamed out of the zip). Slices are cut
at REPORT_SLICE_SECONDS (120 s here, 600 s on Lambda) so the run crosses several."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter as Tally
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402
from local.moto_stack import deployed_stack, use_fake_aws_env  # noqa: E402
from local.ports import free_port  # noqa: E402

use_fake_aws_env()
ROWS = int(os.environ.get("KIRIM_BENCH_REPORT_ROWS", "5000000"))
SLICE_SECONDS = 120
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
DAYS = 30


class _Stopwatch:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0
        self.calls = 0



def _check_file(body_path: str, expected_ids) -> tuple[int, bool, int]:
    """(rows, every id once and in order, sheets), streaming the sheets out of the zip."""
    cell = re.compile(rb'<c r="A(\d+)" t="inlineStr"><is><t>([0-9A-Z]{26})</t>')
    rows, in_order, sheets = 0, True, 0
    with zipfile.ZipFile(body_path) as archive:
        names = sorted((n for n in archive.namelist() if n.startswith("xl/worksheets/")),
                       key=lambda n: int(re.search(r"(\d+)", n).group(1)))
        for name in names:
            sheets += 1
            tail = b""
            with archive.open(name) as sheet:
                while chunk := sheet.read(8 << 20):
                    data = tail + chunk
                    last = data.rfind(b"</row>") + len(b"</row>")
                    for match in cell.finditer(data, 0, last):
                        if match.group(1) == b"1":
                            continue  # the header row of each sheet
                        rows += 1
                        if in_order and match.group(2).decode() != next(expected_ids, None):
                            in_order = False
                    tail = data[last:]
    return rows, in_order and next(expected_ids, None) is None, sheets


def run() -> dict:
    import boto3

    os.environ["REPORT_SLICE_SECONDS"] = str(SLICE_SECONDS)
    from chalicelib.core.config import get_settings

    get_settings.cache_clear()
    with deployed_stack():
        from app import app
        from bench.message_source import Messages
        from chalicelib.accounts.service import Principal
        from chalicelib.applications import service as applications
        from chalicelib.core.clock import DEFAULT_TIMEZONE
        from chalicelib.messages.models import Message
        from chalicelib.messages.transitions import local_day
        from chalicelib.reports import service as reports
        from chalicelib.reports import worker as report_jobs
        from chalicelib.reports.models import Report
        from local.worker import LocalWorker

        app_id = applications.create(Principal("bench", "bench@kirim.dev"), "Bench 5M", ["sms"]).application_id
        count = -(-ROWS // 9) * 10  # 9 in 10 are Delivered or Failed
        step = DAYS * 86400 / count
        messages = Messages(app_id, count, START.timestamp(), step)
        wanted = [i for i in range(10) if messages.status(i) in ("Delivered", "Failed")]
        rows_expected = sum(1 for i in range(count) if i % 10 in wanted)
        tally: Tally[tuple[str, str]] = Tally()
        for i in range(count):  # the day counters, as the send path keeps them
            tally[(local_day(datetime.fromtimestamp(messages.millis(i) / 1000, timezone.utc), DEFAULT_TIMEZONE),
                   messages.status(i))] += 1
        days: dict[str, dict[str, int]] = {}
        for (day, status), n in tally.items():
            days.setdefault(day, {})[status] = n
        with boto3.resource("dynamodb").Table(get_settings().counters_table).batch_writer() as batch:
            for day, counts in days.items():
                batch.put_item(Item={"pk": f"{app_id}#sms", "sk": day, **counts})

        port = free_port()
        source = subprocess.Popen([sys.executable, "-m", "bench.message_source", "--port", str(port), "--app", app_id,
                                   "--count", str(count), "--start", str(START.timestamp()), "--step", str(step)],
                                  cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            assert "serving" in source.stdout.readline()
            Message.Meta.host = f"http://127.0.0.1:{port}"
            Message._connection = None
            read, upload = _Stopwatch(), _Stopwatch()
            scanned = [0]  # DynamoDB's ScannedCount of the messages' Queries: the items read

            def count_scanned(parsed: dict, **_) -> None:
                scanned[0] += parsed.get("ScannedCount", 0)
            Message._get_connection().connection.client.meta.events.register("after-call.dynamodb.Query",
                                                                             count_scanned)
            real_iter = report_jobs.queries.iter_messages

            def timed_iter(*args, **kwargs):
                iterator = real_iter(*args, **kwargs)
                while True:
                    begun, cpu = time.perf_counter(), time.process_time()
                    try:
                        item = next(iterator)
                    except StopIteration:
                        read.seconds += time.perf_counter() - begun
                        read.cpu += time.process_time() - cpu
                        return
                    read.seconds += time.perf_counter() - begun
                    read.cpu += time.process_time() - cpu
                    yield item

            report_jobs.queries.iter_messages = timed_iter
            s3_events = report_jobs.aws.client("s3").meta.events
            began: dict[str, float] = {}
            s3_events.register("before-call.s3.UploadPart", lambda **_: began.update(t=time.perf_counter()))

            def uploaded(**_) -> None:
                upload.seconds += time.perf_counter() - began["t"]
                upload.calls += 1
            s3_events.register("after-call.s3.UploadPart", uploaded)

            report = reports.create(app_id, ["sms"], DEFAULT_TIMEZONE, {
                "name": "Bench 5M", "channel": "sms", "statuses": ["Delivered", "Failed"], "format": "xlsx",
                "from": START.date().isoformat(), "to": "2026-10-31"})
            worker = LocalWorker(app, boto3.client("sqs"), boto3.client("sns"))
            worker.sources = [s for s in worker.sources if s.name == "report_worker"]
            started, started_cpu = time.perf_counter(), time.process_time()
            deliveries = 0
            while Report.get(app_id, report.report_id, consistent_read=True).status not in ("Done", "Failed"):
                deliveries += worker.poll_once()
            total, total_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            done = Report.get(app_id, report.report_id, consistent_read=True)
        finally:
            report_jobs.queries.iter_messages = real_iter
            Message.Meta.host = None
            Message._connection = None
            source.terminate()
            source.wait(10)

        path = ROOT / ".kirim-bench-report.xlsx"
        boto3.client("s3").download_file(get_settings().report_bucket, done.s3_key, str(path))
        ids = (messages.message_id(i) for i in range(count) if i % 10 in wanted)
        try:
            file_rows, exact, sheets = _check_file(str(path), ids)
        finally:
            path.unlink()
        writing = total - read.seconds - upload.seconds
        rows = int(done.rows)
        print(f"report pipeline, XLSX, {rows:,} rows ({int(done.size or 0) / 2**20:,.0f} MiB, {sheets} sheets, "
              f"{upload.calls} parts) in {int(done.slices)} slices of {SLICE_SECONDS} s, {deliveries} deliveries: "
              f"{total:.0f} s in all ({total_cpu:.0f} CPU-s in the worker); reading {read.seconds:.0f} s "
              f"({rows / read.seconds:,.0f} rows/s; the worker's own part {read.cpu:.0f} CPU-s, "
              f"{rows / read.cpu:,.0f} rows per CPU-s, the rest is the endpoint computing the messages), "
              f"writing and the rest {writing:.0f} s ({rows / writing:,.0f} rows/s), uploading to moto "
              f"{upload.seconds:.0f} s")
        items_read = scanned[0]
        print(f"messages read: {items_read:,} items (every SMS message of the range, from by_app_channel with a "
              f"filter on the status) for {rows:,} rows: {items_read / rows:.2f} items per row (the status index "
              f"would read the rows alone, 1.00, but misses or repeats a message whose status moves meanwhile)")
        goals.check(f"{ROWS:,}-row XLSX report through the worker: every row exactly once, in order",
                    f"{file_rows:,} rows in the file, {rows:,} counted, {rows_expected:,} expected, "
                    f"{'in order' if exact else 'NOT in order'}", "all, once, in order",
                    done.status == "Done" and exact and file_rows == rows == rows_expected)
        goals.check(f"{ROWS:,}-row XLSX report: slices", f"{int(done.slices)} slices", ">= 3", int(done.slices) >= 3)
        return {"rows": rows, "items_read": items_read, "seconds": total, "cpu": total_cpu, "read": read.seconds, "read_cpu": read.cpu, "upload": upload.seconds, "write": writing,
                "slices": int(done.slices), "size": int(done.size or 0), "parts": upload.calls}


if __name__ == "__main__":
    run()
    raise SystemExit(1 if goals.report() else 0)
