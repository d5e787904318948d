"""A token's "last used": noted by its first use and then at most once an hour, with no write per send."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.core import clock
from local.call_counter import ITEMS, counting


def _token_state(api, session, app_id, channel="sms") -> dict:
    channels = api.call("GET", f"/applications/{app_id}", headers=session).json_body["channels"]
    return [c for c in channels if c["channel"] == channel][0]["token"]


def test_last_used_is_null_until_used_then_noted_at_most_once_an_hour(api, frozen_clock):
    _, session = api.user()
    app_id = api.application(session, ["sms", "email"])["application_id"]
    token = {"Authorization": api.token(session, app_id, "sms")}
    api.token(session, app_id, "email")
    assert _token_state(api, session, app_id)["last_used_at"] is None
    first = clock.now_iso()
    api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers=token)
    assert _token_state(api, session, app_id)["last_used_at"] == first
    assert _token_state(api, session, app_id, "email")["last_used_at"] is None
    # Within the hour: the token's GetItem only, no write.
    frozen_clock.advance(1800)
    with counting() as calls:
        api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers=token)
    calls.pop(ITEMS, None)
    assert calls == {("dynamodb", "GetItem"): 2, ("dynamodb", "UpdateItem"): 1}  # token, message; rate window
    assert _token_state(api, session, app_id)["last_used_at"] == first
    # Over the hour: one conditional UpdateItem of the token notes it again.
    frozen_clock.advance(3600)
    later = clock.now_iso()
    with counting() as calls:
        api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers=token)
    calls.pop(ITEMS, None)
    assert calls == {("dynamodb", "GetItem"): 2, ("dynamodb", "UpdateItem"): 2}
    assert _token_state(api, session, app_id)["last_used_at"] == later
    assert clock.parse_iso(later) - clock.parse_iso(first) == timedelta(seconds=5400)


def test_a_new_key_starts_unused_and_the_list_leaves_it_out(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    api.call("GET", "/sms/v2/sms/status/01UNKNOWN", headers={"Authorization": api.token(session, app_id, "sms")})
    assert _token_state(api, session, app_id)["last_used_at"] is not None
    api.token(session, app_id, "sms")
    assert _token_state(api, session, app_id)["last_used_at"] is None
    listed = api.call("GET", "/applications", headers=session).json_body["items"]
    assert [c["token"]["last_used_at"] for a in listed for c in a["channels"]] == [None]
