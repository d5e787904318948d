"""Overview, message list and message detail, against a seeded workload with known answers."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

from chalicelib.applications import admin
from chalicelib.core import clock
from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from chalicelib.messages import status_updates
from chalicelib.messages.models import Counter
from chalicelib.providers.base import StatusEvent
from chalicelib.sending import pipeline
from tests.conftest import Shop, assert_oca_error, drain, hour_recount, recount, settle_changes
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import email_body, sms_body


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    yield
    clock.use(None)  # _send_at moves Kirim's clock


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _send_at(shop: Shop, monkeypatch, moment: str, channel: str, route: str, body: dict, events=()) -> str:
    clock.use(lambda: _at(moment))
    response = shop.api.call("POST", route, shop.fill(body), shop.v2(channel))
    assert response.status_code == 200, response.json_body
    msg_id = next(v for k, v in response.json_body.items() if k in ("msg_uid", "msg_id", "msgid"))
    for i, status in enumerate(events):
        status_updates.apply(StatusEvent(msg_id, status, f"2026-11-27T00:00:0{i}.000Z"))
    return msg_id


WA = {"phone_number": "081234567890", "message": {"type": "template", "template": {
    "template_code_id": "SHOP_TEMPLATE", "payload": [{"position": "body", "parameters": [{"type": "text",
                                                                                          "text": "Budi"}]}]}}}


@pytest.fixture(scope="module")
def seeded(client):
    """A workload across channels, statuses and days, with Jakarta's midnight in it."""
    from tests.conftest import Api
    shop = Shop(Api(client))
    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    ids = {}
    try:
        plan = [
            ("s1", "2026-11-20T16:59:59Z", "sms", "/sms/v2/sms", sms_body(), ["TEXT_SENT", "TEXT_DELIVERED"]),
            ("s2", "2026-11-20T17:00:00Z", "sms", "/sms/v2/sms", sms_body(), ["TEXT_BLOCKED"]),
            ("s3", "2026-11-21T10:00:00Z", "sms", "/sms/v2/sms", sms_body(), ["TEXT_SENT"]),
            ("s4", "2026-11-23T01:00:00Z", "sms", "/sms/v2/sms", sms_body(), ["TEXT_DELIVERED", "TEXT_SENT"]),
            ("e1", "2026-11-21T02:00:00Z", "email", "/email/v2/send-single", shop.fill(email_body()), ["Delivery", "Open"]),
            ("e2", "2026-11-21T03:00:00Z", "email", "/email/v2/send-single", shop.fill(email_body()), ["Bounce:Permanent"]),
            ("w1", "2026-11-22T05:00:00Z", "whatsapp", "/api/v2/push/message", WA, ["sent", "read", "delivered"]),
            ("late", "2026-11-25T05:00:00Z", "sms", "/sms/v2/sms", sms_body(), []),  # outside the range below
        ]
        for name, moment, channel, route, body, events in plan:
            ids[name] = _send_at(shop, patch, moment, channel, route, body, events)
    finally:
        patch.undo()
    return shop, ids


def _overview(shop: Shop, query: str) -> dict:
    settle_changes()  # the stream consumer keeps the counters, within a second of each change
    response = shop.api.call("GET", f"/applications/{shop.app_id}/overview?{query}", headers=shop.session)
    assert response.status_code == 200, response.json_body
    return response.json_body


def test_overview_matches_hand_computed_values(seeded):
    shop, ids = seeded
    body = _overview(shop, "from=2026-11-20&to=2026-11-23")
    assert body["from"] == "2026-11-19T17:00:00.000Z" and body["to"] == "2026-11-23T17:00:00.000Z"
    channels = {c["channel"]: c for c in body["channels"]}
    sms = channels["sms"]
    assert {k: sms[k] for k in ("total", "success", "failed", "pending", "success_rate", "failed_rate")} == {
        "total": 4, "success": 2, "failed": 1, "pending": 1, "success_rate": 0.5, "failed_rate": 0.25}
    assert sms["by_status"] == {"Submitted": 0, "Sent": 1, "Delivered": 2, "Failed": 1}
    assert sms["series"] == [
        {"date": "2026-11-20", "total": 1, "success": 1, "failed": 0},   # 16:59:59Z is 23:59:59 in Jakarta
        {"date": "2026-11-21", "total": 2, "success": 0, "failed": 1},   # 17:00:00Z is the next day
        {"date": "2026-11-22", "total": 0, "success": 0, "failed": 0},   # days without traffic are there
        {"date": "2026-11-23", "total": 1, "success": 1, "failed": 0}]
    email = channels["email"]
    assert (email["total"], email["success"], email["failed"], email["success_rate"], email["failed_rate"]) == (
        2, 1, 1, 0.5, 0.5)
    assert email["by_status"]["Opened"] == 1 and email["by_status"]["Failed by mail server"] == 1
    assert channels["whatsapp"]["by_status"]["Read"] == 1 and channels["whatsapp"]["success_rate"] == 1
    assert channels["ivr"] == {"channel": "ivr", "total": 0, "success": 0, "failed": 0, "pending": 0,
                               "success_rate": 0, "failed_rate": 0,
                               "by_status": {"In Call": 0, "Answered": 0, "RNA": 0, "Failed": 0},
                               "series": [{"date": d, "total": 0, "success": 0, "failed": 0}
                                          for d in ("2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23")]}
    assert [m["message_id"] for m in body["latest"]] == [ids[k] for k in ("s4", "w1", "s3", "e2", "e1")]


def test_overview_of_one_channel_and_one_day(seeded):
    shop, ids = seeded
    body = _overview(shop, "channel=sms&from=2026-11-21&to=2026-11-21")
    [sms] = body["channels"]
    assert (sms["total"], sms["failed"], sms["pending"]) == (2, 1, 1)
    assert [m["message_id"] for m in body["latest"]] == [ids["s3"], ids["s2"]]


def test_today_by_hour_is_in_local_hours_of_the_applications_day(seeded):
    shop, _ = seeded
    # 19:00 in Jakarta on the 21st: its day began at 17:00Z on the 20th (s2, 00:00 WIB); s3 at 10:00Z is
    # 17:00 WIB, the emails at 02:00Z and 03:00Z are 09:00 and 10:00 WIB. The range does not matter.
    clock.use(lambda: _at("2026-11-21T12:00:00Z"))
    body = _overview(shop, "from=2026-11-01&to=2026-11-02")
    assert len(body["today_by_hour"]) == 24
    assert {h: n for h, n in enumerate(body["today_by_hour"]) if n} == {0: 1, 9: 1, 10: 1, 17: 1}
    sms = _overview(shop, "channel=sms")["today_by_hour"]
    assert {h: n for h, n in enumerate(sms) if n} == {0: 1, 17: 1}
    # A day with nothing yet: 24 zeros.
    clock.use(lambda: _at("2026-11-28T01:00:00Z"))
    assert _overview(shop, "channel=sms")["today_by_hour"] == [0] * 24


def test_overview_ranges_are_checked(seeded):
    shop, _ = seeded
    for query, field in (("from=2026-11-23&to=2026-11-20", "from"), ("from=2025-01-01&to=2026-01-02", "to"),
                         ("from=yesterday", "from"), ("to=2026-13-40", "to"), ("channel=fax", "channel")):
        response = shop.api.call("GET", f"/applications/{shop.app_id}/overview?{query}", headers=shop.session)
        assert_oca_error(response, 406, BAD_PARAMETER, field)
    # 366 days is allowed.
    assert shop.api.call("GET", f"/applications/{shop.app_id}/overview?from=2025-11-28&to=2026-11-28",
                         headers=shop.session).status_code == 200


def test_every_filter_walks_every_match_once_in_order(seeded):
    shop, ids = seeded
    in_range = {k: v for k, v in ids.items() if k != "late"}
    finals = {"s1": ("sms", "Delivered"), "s2": ("sms", "Failed"), "s3": ("sms", "Sent"),
              "s4": ("sms", "Delivered"), "e1": ("email", "Opened"), "e2": ("email", "Failed by mail server"),
              "w1": ("whatsapp", "Read")}
    for channel, statuses, order, limit in itertools.product(
            (None, "sms", "email"), (None, ["Delivered"], ["Failed", "Delivered"], ["Read"]), ("asc", "desc"), (1, 2, 7)):
        from chalicelib.messages.status_rules import RULES
        if channel and statuses and not set(statuses) <= set(RULES[channel].words):
            continue  # refused as a bad filter; test_list_parameters_are_checked covers it
        query = f"from=2026-11-20&to=2026-11-23&order={order}&limit={limit}"
        if channel:
            query += f"&channel={channel}"
        if statuses:
            query += "&status=" + ",".join(statuses)
        expected = sorted((in_range[k] for k, (c, s) in finals.items()
                           if (channel is None or c == channel) and (statuses is None or s in statuses)),
                          reverse=order == "desc")
        got = [item["message_id"] for item in shop.listed(query)]
        assert got == expected, query


def test_list_items_and_detail(seeded):
    shop, ids = seeded
    [item] = shop.listed("channel=email&status=Opened&from=2026-11-20&to=2026-11-23")
    assert item == {"message_id": ids["e1"], "channel": "email", "target": "budi@example.com", "status": "Opened",
                    "created_at": "2026-11-21T02:00:00.000Z", "updated_at": item["updated_at"], "broadcast_id": None}
    detail = shop.api.call("GET", f"/applications/{shop.app_id}/messages/{ids['s4']}", headers=shop.session).json_body
    assert detail["status"] == "Delivered"
    assert [(h["status"], h["provider_status"]) for h in detail["history"]] == [
        ("Submitted", "ACCEPTED"), ("Delivered", "TEXT_DELIVERED"), ("Delivered", "TEXT_SENT")]
    assert all(h["at"].endswith("Z") for h in detail["history"])


def test_cursors_are_bound_to_their_filter(seeded):
    shop, _ = seeded
    base = f"/applications/{shop.app_id}/messages?from=2026-11-20&to=2026-11-23&limit=2"
    first = shop.api.call("GET", base, headers=shop.session).json_body
    cursor = first["next_cursor"]
    assert cursor
    for other in (base + "&channel=sms", base + "&order=asc", base.replace("2026-11-23", "2026-11-22"),
                  base + "&status=Delivered"):
        assert_oca_error(shop.api.call("GET", f"{other}&cursor={cursor}", headers=shop.session), 406,
                         BAD_PARAMETER, "cursor")
    forged = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    for bad in (forged, "not-a-cursor", "x" * 3000):
        assert_oca_error(shop.api.call("GET", f"{base}&cursor={bad}", headers=shop.session), 406, BAD_PARAMETER,
                         "cursor")
    # The same filter with its cursor continues.
    assert shop.api.call("GET", f"{base}&cursor={cursor}", headers=shop.session).status_code == 200


def test_list_parameters_are_checked(seeded):
    shop, _ = seeded
    for query, field in (("limit=0", "limit"), ("limit=201", "limit"), ("order=up", "order"),
                         ("status=Bogus", "status"), ("channel=sms&status=Opened", "status")):
        assert_oca_error(shop.api.call("GET", f"/applications/{shop.app_id}/messages?{query}", headers=shop.session),
                         406, BAD_PARAMETER, field)


def test_another_users_monitoring_is_404(seeded, api):
    shop, ids = seeded
    mallory = Shop(api)
    for path in ("overview", "messages", f"messages/{ids['s1']}"):
        assert_oca_error(api.call("GET", f"/applications/{shop.app_id}/{path}", headers=mallory.session), 404,
                         NOT_FOUND)
    # Nor through Mallory's own application.
    assert_oca_error(api.call("GET", f"/applications/{mallory.app_id}/messages/{ids['s1']}",
                              headers=mallory.session), 404, NOT_FOUND)


def test_recount_repairs_counters_and_follows_a_time_zone_change(seeded, worker, capsys):
    shop, ids = seeded
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual
    # Break a counter, as a bug might; the admin recount puts it right.
    Counter(f"{shop.app_id}#sms", "2026-11-21").update(actions=[Counter.of("Failed").set(99), Counter.hour(3).set(5)])
    assert admin.main(["recount", shop.app_id]) == 0
    assert "queued" in capsys.readouterr().out
    drain(worker)
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual and counted["2026-11-21#Failed"] == 1
    hours, by_hour = hour_recount(shop.app_id, "sms")
    assert hours == by_hour and by_hour["2026-11-21#h10"] == 1 and "2026-11-21#h03" not in hours
    # In UTC, 17:00:00Z on the 20th belongs to the 20th: changing the zone regroups the days.
    response = shop.api.call("PUT", f"/applications/{shop.app_id}/settings", {"timezone": "UTC"}, shop.session)
    assert response.status_code == 200
    drain(worker)
    series = _overview(shop, "channel=sms&from=2026-11-20&to=2026-11-21")["channels"][0]["series"]
    assert series == [{"date": "2026-11-20", "total": 2, "success": 1, "failed": 1},
                      {"date": "2026-11-21", "total": 1, "success": 0, "failed": 0}]
    for channel in ("sms", "email", "whatsapp"):
        counted, actual = recount(shop.app_id, channel)
        assert counted == actual
        hours, by_hour = hour_recount(shop.app_id, channel)
        assert hours == by_hour
