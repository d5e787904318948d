"""Reports on the real path: API -> SQS job -> worker -> multipart upload to S3 -> presigned URL,
fetched over real HTTP from a moto server, then parsed and compared row by row."""
from __future__ import annotations

import csv
import io
import json
import urllib.request
from datetime import datetime, timezone

import boto3
import pytest

from local.ports import free_port

from chalicelib.core import aws, clock
from chalicelib.core.errors import BAD_PARAMETER, CONFLICT, NOT_FOUND
from chalicelib.messages import status_updates
from chalicelib.providers.base import StatusEvent
from chalicelib.reports import job_state
from chalicelib.reports import worker as report_jobs
from chalicelib.reports.models import Report
from chalicelib.sending import pipeline
from tests.conftest import Shop, assert_oca_error, drain
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import email_body, sms_body


@pytest.fixture(scope="module")
def http_s3(aws):
    """moto's server in this process: it serves the same in-memory S3 over real HTTP."""
    from local.moto_server import start
    port = free_port()
    stop = start("127.0.0.1", port)
    yield boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}")
    stop()


@pytest.fixture(scope="module")
def seeded(client):
    from tests.conftest import Api
    shop = Shop(Api(client))
    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    sent = []
    try:
        plan = [("2026-11-20T16:59:59Z", sms_body(message="=HYPERLINK(\"http://evil\")"), ["TEXT_DELIVERED"]),
                ("2026-11-20T17:00:00Z", sms_body(), ["TEXT_BLOCKED"]),
                ("2026-11-21T10:00:00Z", sms_body(message="+62 promo, \"quoted\"\nline"), ["TEXT_SENT"]),
                ("2026-11-22T01:00:00Z", sms_body(message="Halo 👋"), ["TEXT_DELIVERED"]),
                ("2026-11-24T01:00:00Z", sms_body(), ["TEXT_DELIVERED"])]
        for moment, body, events in plan:
            when = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(timezone.utc)
            clock.use(lambda when=when: when)
            msg = shop.api.call("POST", "/sms/v2/sms", body, shop.v2("sms")).json_body["msg_uid"]
            for i, event in enumerate(events):
                status_updates.apply(StatusEvent(msg, event, f"2026-11-27T00:00:0{i}.000Z"))
            sent.append(msg)
        clock.use(lambda: datetime(2026, 11, 21, 3, tzinfo=timezone.utc))
        email = shop.api.call("POST", "/email/v2/send-single", {**shop.fill(email_body()), "subject": "@SUM(1+1)"},
                              shop.v2("email")).json_body["msg_id"]
        status_updates.apply(StatusEvent(email, "Delivery", "2026-11-27T00:00:01.000Z"))
    finally:
        patch.undo()
        clock.use(None)
    return shop, sent, email


@pytest.fixture
def empty_report_queue(aws):
    """The report queue (and its DLQ) without the jobs earlier tests of this process left there (a test
    that runs a report's slices itself leaves its job queued): a test that drains the queue, or counts its
    own job's receives, then sees its own jobs only, whatever ran before it."""
    sqs = boto3.client("sqs")
    for queue in (aws["ReportQueueUrl"], aws["ReportDlqUrl"]):
        while stale := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message_batch(QueueUrl=queue, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(stale)])
    return aws["ReportQueueUrl"]


def _create(shop: Shop, **overrides):
    body = {"name": "Laporan November", "channel": "sms", "statuses": ["Delivered", "Failed"], "format": "csv",
            "from": "2026-11-20", "to": "2026-11-22", **overrides}
    return shop.api.call("POST", f"/applications/{shop.app_id}/reports", body, shop.session)


def _fetch(shop: Shop, report_id: str, http_s3, monkeypatch) -> tuple[bytes, dict]:
    real_client = aws.client
    monkeypatch.setattr(aws, "client", lambda service: http_s3 if service == "s3" else real_client(service))
    link = shop.api.call("GET", f"/applications/{shop.app_id}/reports/{report_id}/download", headers=shop.session)
    assert link.status_code == 200, link.json_body
    assert link.json_body["url"].startswith("http://127.0.0.1:") and link.json_body["expires_at"].endswith("Z")
    with urllib.request.urlopen(link.json_body["url"], timeout=10) as response:
        return response.read(), {name.lower(): value for name, value in response.headers.items()}


def test_csv_report_end_to_end(seeded, worker, http_s3, empty_report_queue, monkeypatch):
    shop, sent, _ = seeded
    created = _create(shop)
    assert created.status_code == 202
    report = created.json_body
    assert report["status"] == "Processing" and report["progress"] == 0 and report["rows"] == 0
    assert_oca_error(shop.api.call("GET", f"/applications/{shop.app_id}/reports/{report['report_id']}/download",
                                   headers=shop.session), 409, CONFLICT)
    drain(worker)
    done = shop.api.call("GET", f"/applications/{shop.app_id}/reports/{report['report_id']}",
                         headers=shop.session).json_body
    assert done["status"] == "Done" and done["rows"] == 3 and done["progress"] == 100
    assert done["finished_at"].endswith("Z") and done["size"] > 0 and done["expired"] is False
    body, headers = _fetch(shop, report["report_id"], http_s3, monkeypatch)
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == 'attachment; filename="Laporan November.csv"'
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:6] == ["message_id", "channel", "target", "status", "created_at", "updated_at"]
    # s1 (23:59:59 on the 20th in Jakarta), s2 (00:00 on the 21st), s4 (the 22nd): Delivered or Failed only.
    assert [r[0] for r in rows[1:]] == [sent[0], sent[1], sent[3]]
    assert [r[3] for r in rows[1:]] == ["Delivered", "Failed", "Delivered"]
    assert rows[1][4] == "2026-11-20T23:59:59+07:00" and rows[2][4] == "2026-11-21T00:00:00+07:00"
    body_column = rows[0].index("message_body")
    assert rows[1][body_column] == "'=HYPERLINK(\"http://evil\")"  # neutralised
    assert rows[3][body_column] == "Halo 👋"


def test_xlsx_report_with_sheet_spill(seeded, http_s3, monkeypatch):
    import openpyxl
    shop, sent, email = seeded
    from chalicelib.reports import xlsx_writer
    monkeypatch.setattr(xlsx_writer, "ROWS_PER_SHEET", 1)
    report = _create(shop, channel="email", statuses=["Delivered"], format="xls", name="Email").json_body
    record = Report.get(shop.app_id, report["report_id"])
    assert record.format == "xlsx"
    assert report_jobs.run(shop.app_id, report["report_id"], attempt=1) == "done"
    body, headers = _fetch(shop, report["report_id"], http_s3, monkeypatch)
    assert headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(body))
    sheet = book[book.sheetnames[0]]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][:4] == ["message_id", "channel", "target", "status"] and values[1][0] == email
    # No visible apostrophe: the quotePrefix style keeps it text, as written.
    subject = sheet.cell(row=2, column=values[0].index("subject") + 1)
    assert subject.value == "@SUM(1+1)" and subject.quotePrefix and subject.data_type == "s"
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


def test_redelivery_and_a_crash_midway(seeded, monkeypatch):
    shop, _, _ = seeded
    report_id = _create(shop).json_body["report_id"]
    real_run = report_jobs.Slice.run
    crashes = []

    def crash_once(self):
        if not crashes:
            crashes.append(1)
            raise RuntimeError("disk full")
        return real_run(self)

    monkeypatch.setattr(report_jobs.Slice, "run", crash_once)
    with pytest.raises(RuntimeError):
        report_jobs.run(shop.app_id, report_id, attempt=1)
    after_crash = Report.get(shop.app_id, report_id)
    assert after_crash.status == "Preparing" and not after_crash.finished_at
    assert report_jobs.run(shop.app_id, report_id, attempt=2) == "done"
    done = Report.get(shop.app_id, report_id)
    assert done.status == "Done" and done.rows == 3
    assert done.s3_key == f"reports/{shop.app_id}/{report_id}.csv"
    # A redelivery after Done does nothing twice.
    assert report_jobs.run(shop.app_id, report_id, attempt=3) == "already Done"
    assert Report.get(shop.app_id, report_id).finished_at == done.finished_at


def test_a_job_held_by_another_attempt_is_left_alone(seeded):
    shop, _, _ = seeded
    report_id = _create(shop).json_body["report_id"]
    report = Report.get(shop.app_id, report_id)
    assert job_state.claim(report)
    assert report_jobs.run(shop.app_id, report_id, attempt=2) == "in progress elsewhere"


def test_a_poisoned_job_fails_the_report_and_goes_to_the_dlq(seeded, client, monkeypatch):
    shop, _, _ = seeded
    report_id = _create(shop).json_body["report_id"]
    monkeypatch.setattr(report_jobs.Slice, "run", lambda self: (_ for _ in ()).throw(ValueError("bad row")))
    event = client.events.generate_sqs_event(
        message_bodies=[json.dumps({"application_id": shop.app_id, "report_id": report_id})],
        queue_name="kirim-local-reports")
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "3"
    answer = client.lambda_.invoke("report_worker", event).payload
    # Reported as failed, so SQS keeps it and, at the queue's maxReceiveCount (3), moves it to the DLQ.
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    failed = shop.api.call("GET", f"/applications/{shop.app_id}/reports/{report_id}", headers=shop.session).json_body
    assert failed["status"] == "Failed" and "bad row" in failed["error"]


@pytest.mark.parametrize("overrides,field", [
    ({"name": ""}, "name"), ({"name": "x" * 101}, "name"), ({"channel": "fax"}, "channel"),
    ({"statuses": []}, "statuses"), ({"statuses": ["Opened"]}, "statuses"), ({"format": "pdf"}, "format"),
    ({"from": "2026-11-22", "to": "2026-11-20"}, "from"), ({"from": "2025-01-01", "to": "2026-11-20"}, "to"),
    ({"to": None}, "to"),
])
def test_bad_report_requests_are_406(seeded, overrides, field):
    shop, _, _ = seeded
    assert_oca_error(_create(shop, **overrides), 406, BAD_PARAMETER, field)


def test_reports_are_the_owners_only(seeded, api):
    shop, _, _ = seeded
    report_id = _create(shop).json_body["report_id"]
    mallory = Shop(api)
    for suffix in ("", f"/{report_id}", f"/{report_id}/download"):
        assert_oca_error(api.call("GET", f"/applications/{shop.app_id}/reports{suffix}", headers=mallory.session),
                         404, NOT_FOUND)
    assert_oca_error(api.call("GET", f"/applications/{mallory.app_id}/reports/{report_id}", headers=mallory.session),
                     404, NOT_FOUND)
    listed = api.call("GET", f"/applications/{shop.app_id}/reports", headers=shop.session).json_body["items"]
    assert report_id in [r["report_id"] for r in listed]


def test_an_expired_report_says_so(seeded, monkeypatch):
    shop, _, _ = seeded
    report_id = _create(shop).json_body["report_id"]
    report_jobs.run(shop.app_id, report_id, attempt=1)
    Report(shop.app_id, report_id).update(actions=[Report.finished_at.set("2026-01-01T00:00:00.000Z")])
    got = shop.api.call("GET", f"/applications/{shop.app_id}/reports/{report_id}", headers=shop.session).json_body
    assert got["status"] == "Done" and got["expired"] is True
    response = shop.api.call("GET", f"/applications/{shop.app_id}/reports/{report_id}/download", headers=shop.session)
    assert_oca_error(response, 410, NOT_FOUND)


def test_after_three_failed_attempts_the_job_is_in_the_dlq(seeded, aws, empty_report_queue, monkeypatch):
    """The real queue and its redrive policy: each failed attempt is made visible again at once
    (instead of after the 5,400 s visibility timeout), and the fourth receive finds it in the DLQ."""
    from app import app
    from local.worker import LocalWorker
    shop, _, _ = seeded
    monkeypatch.setattr(report_jobs.Slice, "run", lambda self: (_ for _ in ()).throw(OSError("S3 unreachable")))
    sqs = boto3.client("sqs")
    queue, dlq = empty_report_queue, aws["ReportDlqUrl"]
    report_id = _create(shop).json_body["report_id"]
    source = next(s for s in LocalWorker(app, sqs, boto3.client("sns")).sources if s.name == "report_worker")
    for attempt in (1, 2, 3):
        [message] = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"]).get("Messages", [])
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        event = {"Records": [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                              "body": message["Body"], "attributes": message["Attributes"],
                              "messageAttributes": {}, "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                              "eventSourceARN": aws["ReportQueueArn"], "awsRegion": "us-east-1"}]}
        from chalice.local import LambdaContext
        answer = source.handler(event, LambdaContext("report_worker", 1024, 900_000))
        assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    [dead] = sqs.receive_message(QueueUrl=dlq).get("Messages", [])
    assert json.loads(dead["Body"])["report_id"] == report_id
    failed = Report.get(shop.app_id, report_id)
    assert failed.status == "Failed" and "S3 unreachable" in failed.error


def test_a_non_ascii_report_name_downloads_under_its_own_name(seeded, http_s3, monkeypatch):
    """RFC 6266: `filename*` carries the UTF-8 name (percent-encoded), after an ASCII stand-in for
    old clients. Before, the name's non-ASCII letters were simply replaced by "_"."""
    from urllib.parse import unquote
    shop, _, _ = seeded
    name = "Laporan Désember 📊 \"final\""
    report_id = _create(shop, name=name, format="csv.gz").json_body["report_id"]
    assert report_jobs.run(shop.app_id, report_id, attempt=1) == "done"
    body, headers = _fetch(shop, report_id, http_s3, monkeypatch)
    disposition = headers["content-disposition"]
    assert disposition.isascii() and disposition.startswith('attachment; filename="Laporan Desember _ _final_.csv.gz"; ')
    charset, language, encoded = disposition.split("; filename*=", 1)[1].split("'", 2)
    assert (charset, language) == ("UTF-8", "") and unquote(encoded, encoding="utf-8") == name + ".csv.gz"
    assert headers["content-type"] == "application/gzip"
    import gzip
    rows = list(csv.reader(io.StringIO(gzip.decompress(body).decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[0][0] == "message_id"
