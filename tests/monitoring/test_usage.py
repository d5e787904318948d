"""The Usage page's API: quota left, messages and refunds per day, the operator's top-ups (made
once per top-up id), quota alerts and their quota.low event; 404 to anyone but the owner."""
from __future__ import annotations

import pytest

from chalicelib.applications import admin, quota_alerts
from chalicelib.applications.models import Application
from chalicelib.callbacks import events
from chalicelib.callbacks import service as callbacks
from chalicelib.callbacks.models import Delivery
from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from chalicelib.messages import status_updates
from chalicelib.messages.models import Message
from chalicelib.sending import pipeline
from tests.conftest import assert_dashboard_error, settle_changes
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import sms_body


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())


@pytest.fixture
def owned(api):
    _, session = api.user()
    app_id = api.application(session, ("sms", "email"))["application_id"]
    return session, app_id


def _usage(api, session, app_id, query=""):
    response = api.call("GET", f"/applications/{app_id}/usage{query}", headers=session)
    assert response.status_code == 200, response.json_body
    return {c["channel"]: c for c in response.json_body["channels"]}, response.json_body


def test_usage_counts_messages_and_refunds_per_day(api, owned):
    session, app_id = owned
    token = api.token(session, app_id, "sms")
    sent = []
    for _ in range(3):
        response = api.call("POST", "/sms/v2/sms", sms_body(), {"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.json_body
        sent.append(response.json_body["msg_uid"])
    settle_changes()
    assert status_updates.reject(Message.get(sent[0]), "REFUSED", "the provider refused it") == "Failed"
    settle_changes()
    channels, body = _usage(api, session, app_id)
    sms = channels["sms"]
    assert (sms["messages"], sms["refunded"]) == (3, 1)
    assert len(sms["series"]) == 30 and sum(d["messages"] for d in sms["series"]) == 3
    assert sms["quota_remaining"] == channels["email"]["quota_remaining"] - 2  # the refund came back
    assert body["top_ups"] == []
    # A one-day range reads one day.
    channels, _ = _usage(api, session, app_id, "?from=2026-01-01&to=2026-01-01")
    assert channels["sms"]["series"] == [{"date": "2026-01-01", "messages": 0, "refunded": 0}]


def test_a_top_up_sent_again_adds_nothing_and_is_listed_once(api, owned, capsys):
    session, app_id = owned
    before = _usage(api, session, app_id)[0]["sms"]["quota_remaining"]
    for _ in range(2):  # the operator resends it (say, its answer was lost)
        assert admin.main(["topup", app_id, "sms", "250", "--id", "order-77"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert '"added": true' in out[0] and '"added": false' in out[1]
    assert admin.main(["topup", app_id, "email", "10"]) == 0  # without --id: a fresh one, printed
    channels, body = _usage(api, session, app_id)
    assert channels["sms"]["quota_remaining"] == before + 250
    assert [(t["channel"], t["amount"]) for t in body["top_ups"]] == [("email", 10), ("sms", 250)]
    assert body["top_ups"][1]["top_up_id"] == "order-77"
    assert admin.main(["topup", app_id, "sms", "5", "--id", "bad id!"]) == 1


def test_usage_is_the_owners_only(api, owned):
    session, app_id = owned
    _, stranger = api.user()
    assert_dashboard_error(api.call("GET", f"/applications/{app_id}/usage", headers=stranger), 404, NOT_FOUND)
    assert_dashboard_error(api.call("PUT", f"/applications/{app_id}/usage/alert",
                                    {"channel": "sms", "alert_at": 5}, stranger), 404, NOT_FOUND)
    assert_dashboard_error(api.call("GET", "/applications/not-an-id/usage", headers=session), 404, NOT_FOUND)
    assert quota_alerts.alerts_of(Application.get(app_id)) == {}


@pytest.mark.parametrize("body, field", [({"channel": "sms", "alert_at": -1}, "alert_at"),
                                         ({"channel": "sms", "alert_at": "10"}, "alert_at"),
                                         ({"channel": "sms", "alert_at": True}, "alert_at"),
                                         ({"channel": "fax", "alert_at": 1}, "channel"),
                                         ({"channel": "sms", "alert_percent": 0}, "alert_percent"),
                                         ({"channel": "sms", "alert_percent": 101}, "alert_percent"),
                                         ({"channel": "sms", "alert_percent": 12.5}, "alert_percent"),
                                         ({"channel": "sms", "alert_percent": "10"}, "alert_percent"),
                                         ({"channel": "sms", "alert_percent": True}, "alert_percent"),
                                         ({"channel": "sms", "alert_percent": 10, "alert_at": 5}, "alert_percent")])
def test_a_bad_alert_is_refused(api, owned, body, field):
    session, app_id = owned
    assert_dashboard_error(api.call("PUT", f"/applications/{app_id}/usage/alert", body, session), 406,
                           BAD_PARAMETER, field)


def test_an_alert_as_a_percentage_follows_the_last_top_up(api, owned, capsys):
    session, app_id = owned
    put = lambda body: {c["channel"]: c for c in api.call(  # noqa: E731
        "PUT", f"/applications/{app_id}/usage/alert", body, session).json_body["channels"]}
    # Before any top-up: a share of the starting quota (1,000 units here), rounded up.
    sms = put({"channel": "sms", "alert_percent": 10})["sms"]
    assert (sms["alert_percent"], sms["percent_base"], sms["alert_at"]) == (10, 1000, 100)
    # The operator tops up 250 (twice, the same id): 10% of it, whatever is left.
    for _ in range(2):
        assert admin.main(["topup", app_id, "sms", "250", "--id", "invoice-9"]) == 0
    assert admin.main(["topup", app_id, "email", "40"]) == 0  # another channel's top-up changes nothing
    channels, _ = _usage(api, session, app_id)
    assert (channels["sms"]["alert_percent"], channels["sms"]["percent_base"], channels["sms"]["alert_at"]) == (10, 250, 25)
    assert (channels["email"]["alert_percent"], channels["email"]["alert_at"], channels["email"]["percent_base"]) == (None, None, 40)
    assert quota_alerts.alerts_of(Application.get(app_id)) == {"sms": 25}
    # Units again: the percentage is gone, and a top-up leaves the units alone.
    assert put({"channel": "sms", "alert_at": 7})["sms"]["alert_percent"] is None
    assert admin.main(["topup", app_id, "sms", "1000"]) == 0
    assert _usage(api, session, app_id)[0]["sms"]["alert_at"] == 7
    # Cleared: neither.
    put({"channel": "sms", "alert_percent": 5})
    sms = put({"channel": "sms", "alert_at": None})["sms"]
    assert (sms["alert_at"], sms["alert_percent"]) == (None, None)
    capsys.readouterr()


def test_an_alert_warns_and_makes_one_event_per_crossing(api, owned):
    session, app_id = owned
    left = _usage(api, session, app_id)[0]["sms"]["quota_remaining"]
    response = api.call("PUT", f"/applications/{app_id}/usage/alert", {"channel": "sms", "alert_at": left}, session)
    assert response.status_code == 200, response.json_body
    sms = {c["channel"]: c for c in response.json_body["channels"]}["sms"]
    assert (sms["alert_at"], sms["low"]) == (left, True)
    Application(app_id).update(actions=[Application.callback_url.set("https://hooks.example.com/kirim")])

    def run() -> list:
        found = quota_alerts.crossings({(app_id, "sms"), (app_id, "email")})
        for crossing in found:
            callbacks.on_quota_low(crossing.application_id, crossing.channel, crossing.number,
                                   crossing.quota_remaining, crossing.alert_at)
            quota_alerts.mark(crossing.application_id, crossing.channel, crossing.number)
        return found

    assert [(c.channel, c.number) for c in run()] == [("sms", 1)]
    assert run() == []  # still below: told once
    assert not callbacks.on_quota_low(app_id, "sms", 1, left, left)  # the same crossing again: nothing new
    delivery = Delivery.get(events.quota_low_key(app_id, "sms"), 1)
    assert '"type":"quota.low"' in delivery.payload and f'"quota_remaining":{left}' in delivery.payload
    admin.main(["topup", app_id, "sms", "10"])
    assert run() == []  # back above: armed again
    api.call("PUT", f"/applications/{app_id}/usage/alert", {"channel": "sms", "alert_at": left + 10}, session)
    assert [(c.channel, c.number) for c in run()] == [("sms", 3)]
    cleared = api.call("PUT", f"/applications/{app_id}/usage/alert", {"channel": "sms", "alert_at": None}, session)
    assert {c["channel"]: c for c in cleared.json_body["channels"]}["sms"]["alert_at"] is None


def test_the_reconciler_sends_quota_low_for_a_channel_that_sent(api, owned, worker):
    """The whole path: a send, the reconciler's minute run past GRACE, one quota.low delivery."""
    from datetime import timedelta

    from chalicelib.applications.quota import GRACE
    from chalicelib.core import clock

    session, app_id = owned
    token = api.token(session, app_id, "sms")
    Application(app_id).update(actions=[Application.callback_url.set("https://hooks.example.com/kirim")])
    left = _usage(api, session, app_id)[0]["sms"]["quota_remaining"]
    api.call("PUT", f"/applications/{app_id}/usage/alert", {"channel": "sms", "alert_at": left - 1}, session)
    assert api.call("POST", "/sms/v2/sms", sms_body(), {"Authorization": f"Bearer {token}"}).status_code == 200
    settle_changes()
    later = clock.now() + GRACE + timedelta(minutes=2)
    clock.use(lambda: later)
    try:
        for _ in range(2):  # a second run finds nothing new
            worker.run_schedules()
    finally:
        clock.use(None)
    deliveries = list(Delivery.query(events.quota_low_key(app_id, "sms")))
    assert [int(d.sequence) for d in deliveries] == [1]
    assert f'"alert_at":{left - 1}' in deliveries[0].payload


def test_a_recount_repairs_the_words_and_keeps_the_refunds(api, owned, monkeypatch):
    from datetime import timedelta

    from chalicelib.core import clock, jobs
    from chalicelib.messages import recount as recount_job
    from chalicelib.messages.models import Counter, app_channel_key

    session, app_id = owned
    token = api.token(session, app_id, "sms")
    response = api.call("POST", "/sms/v2/sms", sms_body(), {"Authorization": f"Bearer {token}"})
    settle_changes()
    status_updates.reject(Message.get(response.json_body["msg_uid"]), "REFUSED", "refused")
    settle_changes()
    day = Message.get(response.json_body["msg_uid"]).day
    counter = Counter.get(app_channel_key(app_id, "sms"), day)
    counter.update(actions=[Counter.of("Delivered").set(5)])  # a counter gone wrong
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: None)
    later = clock.now() + recount_job.QUIET + timedelta(minutes=1)
    clock.use(lambda: later)
    try:
        assert recount_job.run_job({"application_id": app_id, "old_zone": None})["repaired"] == 1
    finally:
        clock.use(None)
    repaired = Counter.get(app_channel_key(app_id, "sms"), day, consistent_read=True)
    assert repaired.counts() == {"Failed": 1} and int(repaired.refunded) == 1
