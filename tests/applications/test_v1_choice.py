"""OCA V1 names no application: the owner picks one per channel (settings' v1_default_for), the oldest
answers until they do, and X-Application-Id stays an optional override that no OCA client needs."""
from __future__ import annotations

from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from tests.conftest import assert_dashboard_error, assert_oca_error, basic
from tests.sends import sms_body


def _sms_app(api, session, name):
    response = api.call("POST", "/applications", {"name": name, "channels": ["sms", "email"]}, session)
    assert response.status_code == 201
    return response.json_body["application_id"]


def _owner_of(msg_uid: str) -> str:
    from chalicelib.messages.models import Message
    return Message.get(msg_uid).application_id


def test_two_applications_with_a_channel_no_longer_need_a_header(api):
    email, session = api.user()
    older, newer = _sms_app(api, session, "Old shop"), _sms_app(api, session, "New shop")
    # Before any pick: the oldest answers (this was a 406 asking for X-Application-Id).
    sent = api.call("POST", "/api/v1/sms", sms_body(), basic(email))
    assert sent.status_code == 200, sent.body
    assert _owner_of(sent.json_body["msg_uid"]) == older
    settings = api.call("GET", f"/applications/{older}/settings", headers=session).json_body
    assert settings["v1_default_for"] == ["sms", "email"]

    # The owner picks the newer application for SMS only.
    picked = api.call("PUT", f"/applications/{newer}/settings", {"v1_default_for": ["sms"]}, session)
    assert picked.status_code == 200 and picked.json_body["v1_default_for"] == ["sms"]
    assert api.call("GET", f"/applications/{older}/settings", headers=session).json_body["v1_default_for"] == [
        "email"]
    sent = api.call("POST", "/api/v1/sms", sms_body(), basic(email))
    assert _owner_of(sent.json_body["msg_uid"]) == newer
    # The override still works, for either application.
    sent = api.call("POST", "/api/v1/sms", sms_body(), {**basic(email), "X-Application-Id": older})
    assert _owner_of(sent.json_body["msg_uid"]) == older

    # The latest pick wins; un-picking falls back to the oldest.
    api.call("PUT", f"/applications/{older}/settings", {"v1_default_for": ["sms", "email"]}, session)
    assert _owner_of(api.call("POST", "/api/v1/sms", sms_body(), basic(email)).json_body["msg_uid"]) == older
    api.call("PUT", f"/applications/{older}/settings", {"v1_default_for": []}, session)
    api.call("PUT", f"/applications/{newer}/settings", {"v1_default_for": []}, session)
    assert _owner_of(api.call("POST", "/api/v1/sms", sms_body(), basic(email)).json_body["msg_uid"]) == older


def test_a_pick_must_be_a_channel_of_the_application(api):
    _, session = api.user()
    app_id = _sms_app(api, session, "Shop")
    for value in (["whatsapp"], "sms", [1]):
        assert_dashboard_error(api.call("PUT", f"/applications/{app_id}/settings", {"v1_default_for": value},
                                        session), 406, BAD_PARAMETER, "v1_default_for")


def test_a_v1_call_for_a_channel_no_application_has_is_404(api):
    email, session = api.user()
    _sms_app(api, session, "Shop")
    assert_oca_error(api.call("GET", "/sms/api/v1/number", headers=basic(email)), 404, NOT_FOUND)
