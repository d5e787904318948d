"""POST /applications/{id}/test-messages: the console's test send, through the normal pipeline."""
from __future__ import annotations

from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND, QUOTA_LOW
from tests.conftest import assert_dashboard_error, drain, set_quota, settle_changes


def _path(app_id: str) -> str:
    return f"/applications/{app_id}/test-messages"


def test_an_sms_test_goes_through_the_pipeline_and_is_delivered(api, worker):
    _, session = api.user()
    app_id = api.application(session)["application_id"]
    before = [c for c in api.call("GET", f"/applications/{app_id}", headers=session).json_body["channels"]
              if c["channel"] == "sms"][0]["quota_remaining"]
    answer = api.call("POST", _path(app_id), {"channel": "sms", "to": "0812-3456-7890", "lang": "id"}, session)
    assert answer.status_code == 201, answer.body
    body = answer.json_body
    assert body["channel"] == "sms" and body["target"] == "+6281234567890" and body["message_id"]
    drain(worker)
    settle_changes()
    detail = api.call("GET", f"/applications/{app_id}/messages/{body['message_id']}", headers=session).json_body
    assert detail["status"] == "Delivered"
    after = [c for c in api.call("GET", f"/applications/{app_id}", headers=session).json_body["channels"]
             if c["channel"] == "sms"][0]["quota_remaining"]
    assert after == before - 1


def test_an_email_test_goes_from_kirim_s_sender(api, worker):
    _, session = api.user()
    app_id = api.application(session)["application_id"]
    answer = api.call("POST", _path(app_id), {"channel": "email", "to": "open@example.com"}, session)
    assert answer.status_code == 201, answer.body
    drain(worker)
    settle_changes()
    detail = api.call("GET", f"/applications/{app_id}/messages/{answer.json_body['message_id']}",
                      headers=session).json_body
    assert detail["channel"] == "email" and detail["target"] == "open@example.com"


def test_bad_input_is_a_clear_error(api):
    _, session = api.user()
    app_id = api.application(session, channels=("sms", "sms_otp"))["application_id"]
    assert_dashboard_error(api.call("POST", _path(app_id), {"channel": "whatsapp", "to": "0812"}, session),
                           406, BAD_PARAMETER, "channel")
    assert_dashboard_error(api.call("POST", _path(app_id), {"channel": "email", "to": "a@b.co"}, session),
                           404, NOT_FOUND)
    assert_dashboard_error(api.call("POST", _path(app_id), {"channel": "sms", "to": "halo"}, session),
                           406, BAD_PARAMETER, "phone")
    # No sender id yet: SMS OTP cannot send, and says where to add one.
    assert_dashboard_error(api.call("POST", _path(app_id), {"channel": "sms_otp", "to": "081234567890"}, session),
                           406, BAD_PARAMETER, "channel")
    assert_dashboard_error(api.call("POST", _path(app_id), {"to": "081234567890"}, session),
                           406, BAD_PARAMETER, "channel")


def test_no_quota_is_a_conflict_not_an_ended_session(api):
    _, session = api.user()
    app_id = api.application(session)["application_id"]
    set_quota(app_id, "sms", 0)
    assert_dashboard_error(api.call("POST", _path(app_id), {"channel": "sms", "to": "081234567890"}, session),
                           409, QUOTA_LOW, "channel")


def test_only_the_owner_sends(api):
    _, session = api.user()
    app_id = api.application(session)["application_id"]
    _, stranger = api.user()
    assert_dashboard_error(api.call("POST", _path(app_id), {"channel": "sms", "to": "081234567890"}, stranger),
                           404, NOT_FOUND)
    assert api.call("POST", _path(app_id), {"channel": "sms", "to": "081234567890"}).status_code == 401
