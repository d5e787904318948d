"""Broadcasts through the dashboard API: draft -> file -> validation -> schedule -> run -> completed,
every recipient reaching the provider once, progress from the message stream, and bad input answered
with a clear 4xx naming its field."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from chalicelib.broadcasts import pacer, plan, run
from chalicelib.core import aws
from chalicelib.core.config import get_settings
from chalicelib.messages import queries
from chalicelib.sending import pipeline
from tests.broadcasts.helpers import file_side  # noqa: F401 - autouse: the file side faked here
from tests.broadcasts.helpers import (
    CountingProvider,
    csv_of,
    phones,
    put_upload,
    queued_jobs,
    ready_sms,
    run_jobs,
    table,
)
from tests.conftest import Shop, assert_dashboard_error, settle_changes


@pytest.fixture
def provider(monkeypatch) -> CountingProvider:
    counting = CountingProvider()
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: counting)
    return counting


def _base(shop: Shop) -> str:
    return f"/applications/{shop.app_id}/broadcasts"


def test_an_sms_broadcast_from_draft_to_completed_sends_each_recipient_once(shop, provider):
    rows = table(35)
    rows += [["not a number", "X"], [rows[1][0], "Again"]]   # one bad row, one duplicate
    bc = ready_sms(shop, rows)
    assert bc["file"]["columns"] == ["phone", "name"] and bc["file"]["delimiter"] == ";"
    assert bc["file"]["preview"][0] == rows[1]
    assert bc["validation"] == {"rows": 37, "valid": 35, "invalid": 1, "duplicates": 1, "suppressed": 0,
                                "units": 35, "quota_available": bc["validation"]["quota_available"],
                                "estimated_cost": 35, "estimated_seconds": 1, "error": None, "errors_file": True}
    one = f"{_base(shop)}/{bc['broadcast_id']}"
    errors = shop.api.call("GET", one + "/errors", headers=shop.session)
    assert errors.status_code == 200 and plan.errors_key(shop.app_id, bc["broadcast_id"]) in errors.json_body["url"]
    # The bad rows file in the asker's language: ?lang= first, then Accept-Language, else English.
    for headers, query, lang in (({"Accept-Language": "id-ID,id;q=0.9,en;q=0.8"}, "", "id"),
                                 ({"Accept-Language": "id"}, "?lang=en", "en"), ({}, "?lang=ID", "id"),
                                 ({"Accept-Language": "fr-FR, en;q=0.5"}, "", "en")):
        link = shop.api.call("GET", one + "/errors" + query, headers={**shop.session, **headers})
        assert link.status_code == 200, link.json_body
        assert link.json_body["url"].split("?")[0].endswith(plan.errors_key(shop.app_id, bc["broadcast_id"], lang))
    refused = shop.api.call("GET", one + "/errors?lang=fr", headers=shop.session)
    assert_dashboard_error(refused, 406, 39, "lang")
    assert refused.json_body["errors"][0]["reason"] == "unknown_language"

    started = shop.api.call("POST", one + "/start", None, shop.session)
    assert started.status_code == 200 and started.json_body["status"] == "running", started.json_body
    assert started.json_body["started_at"]
    run_jobs()
    done = shop.api.call("GET", one, headers=shop.session).json_body
    assert done["status"] == "completed" and done["completed_at"]
    assert provider.total == 35 and set(provider.sent.values()) == {1}
    assert set(provider.sent) == {"+62" + p[1:] for p in phones(35)}

    settle_changes()
    progress = shop.api.call("GET", one + "/progress", headers=shop.session).json_body
    assert progress["status"] == "completed" and progress["status_reason"] is None
    assert progress["progress"]["total"] == 35 and progress["progress"]["sent"] == 35
    assert progress["progress"]["queued"] == 0 and progress["progress"]["not_sent"] == 0
    # Monitoring knows each message by its broadcast, and the text was filled in per row.
    mine = [m for m in queries.channel_messages(shop.app_id, "sms")
            if m.details_dict().get("broadcast_id") == bc["broadcast_id"]]
    assert len(mine) == 35
    assert {m.details_dict()["message_body"] for m in mine} >= {"Halo Pelanggan 0, kode LEBARAN20"}

    listed = shop.api.call("GET", _base(shop) + "?status=completed", headers=shop.session).json_body
    assert bc["broadcast_id"] in [b["broadcast_id"] for b in listed["items"]]
    assert shop.api.call("DELETE", one, headers=shop.session).status_code == 204
    assert shop.api.call("GET", one, headers=shop.session).status_code == 404


def test_the_upload_is_a_presigned_post_the_browser_can_use(shop, monkeypatch):
    """The form posts to S3 itself (moto's server here), with the 100 MB range in its policy."""
    import boto3

    from local.moto_server import start
    from local.ports import free_port

    port = free_port()
    stop = start("127.0.0.1", port)
    http_s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}")
    real = aws.client
    monkeypatch.setattr(aws, "client", lambda service: http_s3 if service == "s3" else real(service))
    try:
        created = shop.api.call("POST", _base(shop), {"name": "Upload", "channel": "sms", "content": {
            "sender_id": "KIRIM", "text": "Halo"}}, shop.session).json_body
        one = f"{_base(shop)}/{created['broadcast_id']}"
        too_big = shop.api.call("POST", one + "/upload", {"filename": "a.csv", "size": 100 * 1024 * 1024 + 1},
                                shop.session)
        assert_dashboard_error(too_big, 406, 39, "size")
        form = shop.api.call("POST", one + "/upload", {"filename": "a.csv", "size": 30, "content_type": "text/csv"},
                             shop.session).json_body
        answer = requests.post(form["url"], data=form["fields"],
                               files={"file": ("a.csv", csv_of(table(2)), "text/csv")}, timeout=10)
        assert answer.status_code in (200, 204), answer.text
        stored = http_s3.get_object(Bucket=get_settings().report_bucket,
                                    Key=plan.upload_key(shop.app_id, created["broadcast_id"]))
        assert stored["Body"].read() == csv_of(table(2))
    finally:
        stop()


def test_bad_input_gets_a_clear_answer_naming_its_field(shop):
    api, base, s = shop.api, _base(shop), shop.session
    assert_dashboard_error(api.call("POST", base, {"name": "x", "channel": "sms", "content": {
        "sender_id": "SOMEONE", "text": "Halo"}}, s), 406, 39, "content.sender_id")
    assert_dashboard_error(api.call("POST", base, {"name": "x", "channel": "email", "content": {
        "sender_email": "promo@not-verified.example", "subject": "s", "html": "<p>h</p>"}}, s), 406, 39,
        "content.sender_email")
    assert_dashboard_error(api.call("POST", base, {"name": "x", "channel": "whatsapp", "content": {
        "template_id": "no-such-template"}}, s), 406, 39, "content.template_id")
    assert_dashboard_error(api.call("POST", base, {"name": "x", "channel": "ivr", "content": {
        "script_id": shop.ivr_id, "caller_id": "0811111111"}}, s), 406, 39, "content.caller_id")
    assert_dashboard_error(api.call("POST", base, {"name": "x", "channel": "fax", "content": {}}, s), 406, 39,
                           "channel")
    created = api.call("POST", base, {"name": "x", "channel": "sms", "content": {
        "sender_id": "KIRIM", "text": "Halo {{name}}"}}, s).json_body
    one = f"{base}/{created['broadcast_id']}"
    assert_dashboard_error(api.call("POST", one + "/start", None, s), 409, 409, "status")
    assert_dashboard_error(api.call("POST", one + "/file", None, s), 409, 409, "file")
    api.call("POST", one + "/upload", {"filename": "empty.csv", "size": 1}, s)
    put_upload(shop.app_id, created["broadcast_id"], b"")
    empty = api.call("POST", one + "/file", None, s)
    assert_dashboard_error(empty, 422, 422, "file")
    assert empty.json_body["errors"][0]["reason"] == "empty_file"
    put_upload(shop.app_id, created["broadcast_id"], csv_of(table(3)))
    assert api.call("POST", one + "/file", None, s).status_code == 200
    assert_dashboard_error(api.call("POST", one + "/validate", {"mapping": {"recipient": "telepon", "values": {}}}, s),
                           406, 39, "mapping.recipient")
    unmapped = api.call("POST", one + "/validate", {"mapping": {"recipient": "phone", "values": {}}}, s)
    assert_dashboard_error(unmapped, 406, 39, "mapping.values")
    assert unmapped.json_body["errors"][0]["params"] == {"placeholder": "name"}
    assert_dashboard_error(api.call("PUT", one + "/schedule", {"rate_per_second": 5000}, s), 406, 39,
                           "rate_per_second")
    assert_dashboard_error(api.call("PUT", one + "/schedule", {"quiet_hours": {"start": "25:00", "end": "08:00"}}, s),
                           406, 39, "quiet_hours")
    assert api.call("GET", f"{base}/bc_nope", headers=s).status_code == 404


def test_the_suppression_list_leaves_people_out_of_a_broadcast(shop, provider):
    api, s = shop.api, shop.session
    base = f"/applications/{shop.app_id}/suppressions"
    added = api.call("POST", base, {"targets": [phones(1, 100)[0], "+62 812 9000 0101", "Budi@Example.com"]}, s)
    assert added.status_code == 200 and added.json_body == {"added": 3}
    listed = api.call("GET", base, headers=s).json_body
    assert {i["target"] for i in listed["items"]} >= {"+6281290000100", "+6281290000101", "budi@example.com"}
    bc = ready_sms(shop, table(5, 100), name="Suppressed")
    assert bc["validation"]["valid"] == 3 and bc["validation"]["suppressed"] == 2
    assert api.call("DELETE", base + "/%2B6281290000101", headers=s).status_code == 204
    assert api.call("DELETE", base + "/%2B6281290000101", headers=s).status_code == 404
    api.call("POST", f"{_base(shop)}/{bc['broadcast_id']}/cancel", None, s)


def test_a_scheduled_broadcast_starts_when_due_and_waits_out_quiet_hours(shop, provider, frozen_clock):
    # 2026-12-05 10:00 in Jakarta.
    frozen_clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc))
    bc = ready_sms(shop, table(12, 200), name="Scheduled")
    one = f"{_base(shop)}/{bc['broadcast_id']}"
    start_at = "2026-12-05T21:30:00+07:00"
    put = shop.api.call("PUT", one + "/schedule", {"start_at": start_at, "rate_per_second": 10,
                                                   "quiet_hours": {"start": "21:00", "end": "08:00"}}, shop.session)
    assert put.status_code == 200 and put.json_body["schedule"]["start_at"] == start_at, put.json_body
    started = shop.api.call("POST", one + "/start", None, shop.session).json_body
    assert started["status"] == "scheduled"
    pacer.tick()
    assert queued_jobs() == []
    frozen_clock.set(datetime(2026, 12, 5, 14, 31, tzinfo=timezone.utc))   # 21:31: due, but quiet
    pacer.tick()
    now = shop.api.call("GET", one + "/progress", headers=shop.session).json_body
    assert now["status"] == "running" and now["status_reason"] == "quiet_hours"
    assert queued_jobs() == [] and provider.total == 0
    frozen_clock.set(datetime(2026, 12, 6, 1, 0, 30, tzinfo=timezone.utc))  # 08:00:30 the next day
    session = shop.api.login(shop.email)   # the day's session has ended meanwhile
    pacer.tick()
    # 10 a second is 600 a minute: one chunk (of 500 in production) this minute, the next one the next minute.
    assert [job["chunk"] for job in queued_jobs()] == [0]
    assert shop.api.call("GET", one + "/progress", headers=session).json_body["status_reason"] is None
    pacer.tick()
    assert queued_jobs() == []
    frozen_clock.advance(61)
    pacer.tick()
    assert [job["chunk"] for job in queued_jobs()] == [1]
    for number in (0, 1):
        run.run_chunk(shop.app_id, bc["broadcast_id"], number)
    assert provider.total == 12
    assert shop.api.call("GET", one, headers=session).json_body["status"] == "completed"


def test_the_pacer_queues_one_message_per_chunk_a_minute_at_the_rate():
    assert pacer.plan_minute(25, 0, 10_000) == (list(range(3)), 60)        # 1,500 a minute: 3 chunks of 500
    assert pacer.plan_minute(1000, 0, 2000) == (list(range(120)), 60)
    assert pacer.plan_minute(1000, 1990, 2000) == (list(range(1990, 2000)), 60)
    assert pacer.plan_minute(1, 0, 5) == ([0], 60 * 9)                      # 60 a minute: a chunk every 9 minutes
    assert plan.CHUNK_SIZE == 500


def _tiered(monkeypatch, limit: int = 1000) -> None:
    """Meta's tier at `limit`, its window empty (it is the stage's: an earlier test's would be here)."""
    from chalicelib.broadcasts.models import TierWindow

    TierWindow().delete()
    settings = get_settings()
    tiered = settings._replace(limits=settings.limits._replace(whatsapp_tier_limit=limit))
    monkeypatch.setattr(pacer, "get_settings", lambda: tiered)


def _running_whatsapp(shop, rows: int) -> str:
    """A WhatsApp broadcast of `rows` recipients, started: its path."""
    api, base, s = shop.api, _base(shop), shop.session
    created = api.call("POST", base, {"name": "WA", "channel": "whatsapp", "content": {
        "template_id": shop.template["template_id"], "header_media_url": None}}, s).json_body
    one = f"{base}/{created['broadcast_id']}"
    api.call("POST", one + "/upload", {"filename": "wa.csv", "size": 10}, s)
    put_upload(shop.app_id, created["broadcast_id"], csv_of(table(rows, 300)))
    assert api.call("POST", one + "/file", None, s).status_code == 200
    checked = api.call("POST", one + "/validate", {"mapping": {"recipient": "phone",
                                                               "values": {"1": {"column": "name"}}}}, s)
    assert checked.status_code == 202, checked.json_body
    run_jobs()
    assert api.call("GET", one, headers=s).json_body["status"] == "ready"
    assert api.call("POST", one + "/start", None, s).json_body["status"] == "running"
    return one


def _waits_at_tier_a_minute_later(shop, frozen_clock, one: str) -> None:
    """The next minute's pacer queues nothing: the broadcast waits for the tier window."""
    frozen_clock.advance(61)
    pacer.tick()
    assert queued_jobs() == []
    waiting = shop.api.call("GET", one + "/progress", headers=shop.session).json_body
    assert waiting["status"] == "running" and waiting["status_reason"] == "tier_limit"


def test_a_whatsapp_broadcast_waits_at_metas_messaging_tier(shop, provider, frozen_clock, monkeypatch):
    """The tier is counted in whole chunks (500 recipients in production): at 1,000 a day, two."""
    frozen_clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc))
    _tiered(monkeypatch)
    one = _running_whatsapp(shop, 35)
    broadcast_id = one.rsplit("/", 1)[1]
    assert [job["chunk"] for job in queued_jobs()] == [0, 1]
    _waits_at_tier_a_minute_later(shop, frozen_clock, one)
    frozen_clock.advance(24 * 3600)
    session = shop.api.login(shop.email)
    pacer.tick()
    assert [job["chunk"] for job in queued_jobs()] == [2, 3]
    for number in range(4):
        run.run_chunk(shop.app_id, broadcast_id, number)
    assert provider.total == 35 and set(provider.sent.values()) == {1}
    assert shop.api.call("GET", one, headers=session).json_body["status"] == "completed"


def test_whatsapp_broadcasts_at_once_share_the_numbers_tier(shop, frozen_clock, monkeypatch):
    """Meta's tier is the sending number's, and every broadcast of the stage sends through one: two
    broadcasts running together queue two chunks in all within the 24 hours, not two each."""
    frozen_clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc))
    _tiered(monkeypatch)
    first = _running_whatsapp(shop, 10)     # one chunk: 500 of the tier's 1,000
    assert [(job["broadcast_id"], job["chunk"]) for job in queued_jobs()] == [(first.rsplit("/", 1)[1], 0)]
    second = _running_whatsapp(shop, 35)    # wants four: one fits
    assert [(job["broadcast_id"], job["chunk"]) for job in queued_jobs()] == [(second.rsplit("/", 1)[1], 0)]
    _waits_at_tier_a_minute_later(shop, frozen_clock, second)
    frozen_clock.advance(24 * 3600)
    pacer.tick()   # a new window: two more chunks (and first's chunk 0, never run here, queued again)
    assert [job["chunk"] for job in queued_jobs() if second.endswith(job["broadcast_id"])] == [1, 2]


def test_a_lost_validation_job_is_queued_again_by_the_pacer(shop, frozen_clock):
    from chalicelib.broadcasts import service

    frozen_clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc))
    api, base, s = shop.api, _base(shop), shop.session
    created = api.call("POST", base, {"name": "Lost", "channel": "sms", "content": {
        "sender_id": "KIRIM", "text": "Halo"}}, s).json_body
    one = f"{base}/{created['broadcast_id']}"
    api.call("POST", one + "/upload", {"filename": "a.csv", "size": 10}, s)
    put_upload(shop.app_id, created["broadcast_id"], csv_of(table(3, 400)))
    api.call("POST", one + "/file", None, s)
    assert api.call("POST", one + "/validate", {"mapping": {"recipient": "phone", "values": {}}}, s).status_code == 202
    assert len(queued_jobs()) == 1   # taken off the queue and lost
    pacer.tick()
    assert queued_jobs() == []
    frozen_clock.advance(service.VALIDATION_GRACE + 1)
    pacer.tick()
    run_jobs()
    assert api.call("GET", one, headers=shop.api.login(shop.email)).json_body["status"] == "ready"


def test_results_are_a_report_of_the_broadcasts_own_messages(shop, provider, worker):
    from tests.sends import sms_body

    bc = ready_sms(shop, table(7, 500), name="Results")
    one = f"{_base(shop)}/{bc['broadcast_id']}"
    assert shop.api.call("POST", one + "/results", {"format": "csv"}, shop.session).status_code == 409  # not started
    shop.api.call("POST", one + "/start", None, shop.session)
    run_jobs()
    other = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms"))   # not the broadcast's
    assert other.status_code == 200
    asked = shop.api.call("POST", one + "/results", {"format": "csv"}, shop.session)
    assert asked.status_code == 202 and asked.json_body["status"] == "Processing", asked.json_body
    assert_dashboard_error(shop.api.call("POST", one + "/results", {"format": "pdf"}, shop.session), 406, 39, "format")
    for _ in range(100):  # its own jobs, and whatever jobs an earlier test of this process left queued
        if not worker.poll_source("report_worker"):
            break
    report = shop.api.call("GET", f"/applications/{shop.app_id}/reports/{asked.json_body['report_id']}",
                           headers=shop.session).json_body
    assert report["status"] == "Done" and report["rows"] == 7, report
    assert shop.api.call("GET", f"/applications/{shop.app_id}/reports/{report['report_id']}/download",
                         headers=shop.session).status_code == 200
    from chalicelib.reports.models import Report

    key = Report.get(shop.app_id, report["report_id"]).s3_key
    body = aws.client("s3").get_object(Bucket=get_settings().report_bucket, Key=key)["Body"].read().decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 8 and other.json_body["msg_uid"] not in body
    assert all(f"+62{p[1:]}" in body for p in phones(7, 500))


def test_a_scheduled_broadcast_paused_then_resumed_waits_for_its_start(shop, frozen_clock):
    frozen_clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc))
    bc = ready_sms(shop, table(3, 600), name="Paused early")
    one = f"{_base(shop)}/{bc['broadcast_id']}"
    shop.api.call("PUT", one + "/schedule", {"start_at": "2026-12-06T09:00:00+07:00", "rate_per_second": 10,
                                             "quiet_hours": None}, shop.session)
    assert shop.api.call("POST", one + "/start", None, shop.session).json_body["status"] == "scheduled"
    assert shop.api.call("POST", one + "/pause", None, shop.session).json_body["status"] == "paused"
    assert_dashboard_error(shop.api.call("DELETE", one, headers=shop.session), 409, 409, "status")
    assert shop.api.call("POST", one + "/resume", None, shop.session).json_body["status"] == "scheduled"
    assert queued_jobs() == []
    assert shop.api.call("POST", one + "/cancel", None, shop.session).json_body["status"] == "canceled"
