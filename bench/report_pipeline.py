"""The whole report pipeline on moto: where the time goes between reading (Query pages of the
status index), writing (the CSV/XLSX writer) and uploading (the S3 multipart sink), measured
inside one run of the real worker code.

moto's in-process Query costs grow with the whole table on every page, so reading dominates here
far more than it would on DynamoDB; the report reads pages of 2,000 to keep the page count low."""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local.moto_stack import deployed_stack, use_fake_aws_env  # noqa: E402

use_fake_aws_env()
MESSAGES = 100_000


class _Timed:
    """Wraps an object so the time spent in some of its methods is added to a shared clock."""

    def __init__(self, inner, clock: dict, name: str, methods: tuple[str, ...]) -> None:
        self._inner, self._clock, self._name, self._methods = inner, clock, name, methods

    def __getattr__(self, attribute):
        value = getattr(self._inner, attribute)
        if attribute not in self._methods:
            return value

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self._clock[self._name] += time.perf_counter() - start
        return timed


def run() -> dict[str, float]:
    import boto3

    from bench.monitoring import _seed
    from chalicelib.accounts import service as accounts
    from chalicelib.core.clock import DEFAULT_TIMEZONE
    from chalicelib.core.config import get_settings
    from chalicelib.messages import queries
    from chalicelib.reports import service as reports
    from chalicelib.reports import worker as report_jobs
    from chalicelib.reports.models import Report

    with deployed_stack():
        accounts.register("report-bench@kirim.dev", "bench password 123", "Bench")
        owner = accounts.session_principal(accounts.login("report-bench@kirim.dev", "bench password 123", "127.0.0.1")[0])
        app_id = _seed(owner, MESSAGES)
        results = {}
        for fmt in ("csv", "xlsx"):
            report = reports.create(app_id, ["sms"], DEFAULT_TIMEZONE, {
                "name": f"bench {fmt}", "channel": "sms", "statuses": ["Delivered", "Failed"], "format": fmt,
                "from": "2026-10-01", "to": "2026-10-31"})
            report_jobs._claim(report)
            spent = {"read": 0.0, "write": 0.0, "upload": 0.0}
            s3 = _Timed(boto3.client("s3"), spent, "upload",
                        ("create_multipart_upload", "upload_part", "complete_multipart_upload"))
            real_iter = queries.iter_messages

            def timed_iter(*args, **kwargs):
                iterator = real_iter(*args, **kwargs)
                while True:
                    start = time.perf_counter()
                    try:
                        item = next(iterator)
                    except StopIteration:
                        spent["read"] += time.perf_counter() - start
                        return
                    spent["read"] += time.perf_counter() - start
                    yield item

            queries.iter_messages = timed_iter
            started = time.perf_counter()
            try:
                report_jobs.build(report, s3, get_settings().report_bucket)
            finally:
                queries.iter_messages = real_iter
            total = time.perf_counter() - started
            spent["write"] = total - spent["read"] - spent["upload"]
            done = Report.get(app_id, report.report_id)
            shares = {k: v / total for k, v in spent.items()}
            print(f"report pipeline, {fmt}, {int(done.rows):,} rows ({int(done.size) / 1e6:.1f} MB) in {total:.1f} s: "
                  f"reading {shares['read']:.0%}, writing {shares['write']:.0%}, uploading {shares['upload']:.0%}")
            results[fmt] = shares
    return results


if __name__ == "__main__":
    run()
