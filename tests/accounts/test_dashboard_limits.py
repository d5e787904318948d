"""Per-account limits on the dashboard API (issue 20, item 11): every session request counts in one
window of its account, the expensive ones (a message list filtered by status, a new report) in their
own, and a request past its limit is 429 code 9 with Retry-After in the dashboard's body, at the cost
of one conditional UpdateItem per request, exact even when botocore sends it twice."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import TOO_MANY_REQUESTS
from tests.conftest import assert_dashboard_error

REPORT = {"name": "Juni", "channel": "sms", "statuses": ["Delivered"], "format": "csv", "from": "2026-11-01",
          "to": "2026-11-30"}


@pytest.fixture
def limits(monkeypatch):
    """Set some of core.config.Limits for one test."""
    from chalicelib.core import config

    def use(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name.upper(), str(value))
        config.get_settings.cache_clear()
    yield use
    monkeypatch.undo()
    config.get_settings.cache_clear()


@pytest.fixture
def owner(api):
    _, session = api.user()
    return session, api.application(session, ["sms"])["application_id"]


def _refused(response, within: int) -> int:
    assert_dashboard_error(response, 429, TOO_MANY_REQUESTS)
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= within
    return wait


def test_reports_past_the_limit_are_429_until_the_window_ends(api, owner, limits, frozen_clock):
    session, app_id = owner
    limits(reports_per_hour=3)
    path = f"/applications/{app_id}/reports"
    answers = [api.call("POST", path, REPORT, session) for _ in range(5)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    wait = _refused(answers[-1], 3600)
    assert "report" in answers[-1].json_body["errors"][0]["message"]
    # The rest of the dashboard answers, and another account has its own window.
    assert api.call("GET", path, headers=session).status_code == 200
    _, other = api.user()
    other_app = api.application(other, ["sms"])["application_id"]
    assert api.call("POST", f"/applications/{other_app}/reports", REPORT, other).status_code == 202
    frozen_clock.advance(wait)
    assert api.call("POST", path, REPORT, session).status_code == 202


def test_message_lists_by_status_have_their_own_limit(api, owner, limits, frozen_clock):
    session, app_id = owner  # a frozen clock: three requests on a busy machine may cross a minute
    limits(message_searches_per_minute=2)
    path = f"/applications/{app_id}/messages"
    answers = [api.call("GET", f"{path}?status=Delivered,Failed", headers=session) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    _refused(answers[-1], 60)
    assert api.call("GET", path, headers=session).status_code == 200  # without a status: the general window


def test_every_session_request_counts_in_the_account_window_and_logout_always_works(api, owner, limits,
                                                                                  frozen_clock):
    session, app_id = owner
    limits(dashboard_requests_per_minute=4)
    frozen_clock.advance(60 - frozen_clock().timestamp() % 60)  # a fresh minute: creating the app counted
    answers = [api.call("GET", f"/applications/{app_id}", headers=session) for _ in range(4)]
    answers.append(api.call("GET", "/applications", headers=session))
    answers.append(api.call("GET", "/auth/me", headers=session))
    assert [a.status_code for a in answers] == [200] * 4 + [429, 429]
    _refused(answers[-1], 60)
    assert api.call("POST", "/auth/logout", headers=session).status_code == 204


def test_a_dashboard_request_adds_one_conditional_updateitem(api, owner):
    import json

    from chalicelib.core.limits import Limit
    from local.call_counter import ITEMS, counting

    session, app_id = owner
    api.call("GET", f"/applications/{app_id}", headers=session)
    writes: list[dict] = []
    events = Limit._get_connection().connection.client.meta.events  # the limits table's own client

    def record(params, **_):
        writes.append(json.loads(params["body"]))

    events.register("before-call.dynamodb.UpdateItem", record)
    try:
        with counting() as calls:
            assert api.call("GET", f"/applications/{app_id}", headers=session).status_code == 200
    finally:
        events.unregister("before-call.dynamodb.UpdateItem", record)
    calls.pop(ITEMS, None)
    # The session, the application and its quota items, and the account's window.
    assert calls == {("dynamodb", "GetItem"): 2, ("dynamodb", "BatchGetItem"): 1, ("dynamodb", "UpdateItem"): 1}
    (update,) = writes
    assert update["TableName"].endswith("-limits") and update["ConditionExpression"]


def test_a_window_counts_a_request_once_however_often_its_write_is_sent():
    """botocore sends an UpdateItem again when its answer was lost: the request's own id is in the
    window already, so the second write changes nothing, even at the limit."""
    from chalicelib.core.limits import take_once

    key = "test#window#resend"
    assert take_once(key, 101, 2, 2**31) and take_once(key, 101, 2, 2**31)   # one request, sent twice
    assert take_once(key, 102, 2, 2**31)                                      # a second request
    assert take_once(key, 102, 2, 2**31)                                      # ...sent twice, at the limit
    assert not take_once(key, 103, 2, 2**31)                                  # a third is over it
