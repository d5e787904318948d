"""Application settings: round trip, copies on live tokens, refusals, operator-managed limits."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BAD_PARAMETER
from tests.conftest import assert_oca_error


def test_settings_round_trip_and_reach_live_tokens(api, monkeypatch):
    import ipaddress

    from chalicelib.core import safe_urls
    # shop.example is a public host as far as this test's resolver knows (there is no DNS here).
    monkeypatch.setattr(safe_urls, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])
    _, session = api.user()
    app_id = api.application(session, ["sms_otp"])["application_id"]
    token = api.token(session, app_id, "sms_otp")
    got = api.call("GET", f"/applications/{app_id}/settings", headers=session).json_body
    assert got == {"application_id": app_id, "rate_limit": 25, "timezone": "Asia/Jakarta", "sender_ids": [],
                   "caller_ids": [], "callback_url": None, "v1_default_for": ["sms_otp"],
                   "callback_secret_set": False, "callback_secret_created_at": None,
                   "previous_secret_expires_at": None}
    put = api.call("PUT", f"/applications/{app_id}/settings",
                   {"sender_ids": ["KIRIM", "Toko 2"], "timezone": "Asia/Makassar", "rate_limit": 40,
                    "callback_url": "https://shop.example/kirim"}, session)
    assert put.status_code == 200 and put.json_body["timezone"] == "Asia/Makassar"
    # The first callback URL issues the signing secret, in this answer only.
    assert put.json_body["callback_secret"].startswith("whsec_") and put.json_body["callback_secret_set"]
    assert put.headers["Cache-Control"] == "no-store"
    assert "callback_secret" not in api.call("GET", f"/applications/{app_id}/settings", headers=session).json_body
    # The token issued before the change sees the new sender ids and rate limit at once.
    number = api.call("GET", "/sms/v2/number", headers={"Authorization": token})
    assert number.json_body == {"sender_id": ["KIRIM", "Toko 2"]}
    assert number.headers["X-RateLimit-Limit"] == "40"
    # A token issued after the change starts with the same copy.
    fresh = api.token(session, app_id, "sms_otp")
    assert api.call("GET", "/sms/v2/number", headers={"Authorization": fresh}).json_body["sender_id"] == [
        "KIRIM", "Toko 2"]
    cleared = api.call("PUT", f"/applications/{app_id}/settings", {"sender_ids": [], "callback_url": None}, session)
    assert cleared.json_body["sender_ids"] == [] and cleared.json_body["callback_url"] is None


@pytest.mark.parametrize("body,field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": 7}, "timezone"),
    ({"rate_limit": 0}, "rate_limit"),
    ({"rate_limit": 1001}, "rate_limit"),
    ({"rate_limit": "25"}, "rate_limit"),
    ({"rate_limit": True}, "rate_limit"),
    ({"sender_ids": "KIRIM"}, "sender_ids"),
    ({"sender_ids": ["TWELVE CHARS"]}, "sender_ids"),
    ({"sender_ids": ["bad/char"]}, "sender_ids"),
    ({"sender_ids": [f"S{i}" for i in range(21)]}, "sender_ids"),
    ({"callback_url": "http://insecure.example"}, "callback_url"),
    ({"callback_url": "https://"}, "callback_url"),
    ({"colour": "blue"}, "colour"),
    ({}, "body"),
])
def test_settings_refuse_bad_values(api, body, field):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    assert_oca_error(api.call("PUT", f"/applications/{app_id}/settings", body, session), 406, BAD_PARAMETER, field)


def test_operator_managed_limits(api, monkeypatch):
    from chalicelib.core import config
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    monkeypatch.setenv("OWNER_MANAGES_LIMITS", "false")
    config.get_settings.cache_clear()
    try:
        refused = api.call("PUT", f"/applications/{app_id}/settings", {"rate_limit": 500}, session)
        assert_oca_error(refused, 403, BAD_PARAMETER, "rate_limit")
        assert api.call("PUT", f"/applications/{app_id}/settings", {"timezone": "UTC"}, session).status_code == 200
        # The operator sets them with the admin CLI.
        from chalicelib.applications import admin
        assert admin.main(["settings", app_id, "--rate-limit", "500", "--sender-id", "KIRIM", "--sender-id", "BANK"]) == 0
        got = api.call("GET", f"/applications/{app_id}/settings", headers=session).json_body
        assert got["rate_limit"] == 500 and got["sender_ids"] == ["BANK", "KIRIM"] and got["timezone"] == "UTC"
        assert admin.main(["settings", app_id, "--rate-limit", "0"]) == 1
    finally:
        monkeypatch.delenv("OWNER_MANAGES_LIMITS")
        config.get_settings.cache_clear()
