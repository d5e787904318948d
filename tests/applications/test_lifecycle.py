"""Renaming and deleting an application: owner only (404 to anyone else), a typed confirmation, and
its keys dead the moment it is gone."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from chalicelib.sending import pipeline
from tests.conftest import assert_dashboard_error
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import sms_body


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())


def test_rename(api):
    _, session = api.user()
    app = api.application(session, ("sms",))
    path = f"/applications/{app['application_id']}"
    response = api.call("PATCH", path, {"name": "  Batik Pekalongan  "}, session)
    assert response.status_code == 200 and response.json_body["name"] == "Batik Pekalongan"
    assert api.call("GET", path, headers=session).json_body["name"] == "Batik Pekalongan"
    assert_dashboard_error(api.call("PATCH", path, {"name": "   "}, session), 406, BAD_PARAMETER, "name")
    assert_dashboard_error(api.call("PATCH", path, {"name": "x" * 101}, session), 406, BAD_PARAMETER, "name")
    _, stranger = api.user()
    assert_dashboard_error(api.call("PATCH", path, {"name": "Mine now"}, stranger), 404, NOT_FOUND)
    assert api.call("GET", path, headers=session).json_body["name"] == "Batik Pekalongan"


def test_delete_needs_the_typed_name_and_kills_the_keys_at_once(api):
    _, session = api.user()
    app = api.application(session, ("sms", "email"))
    app_id, path = app["application_id"], f"/applications/{app['application_id']}"
    token = api.token(session, app_id, "sms")
    send = lambda: api.call("POST", "/sms/v2/sms", sms_body(), {"Authorization": f"Bearer {token}"})  # noqa: E731
    assert send().status_code == 200
    _, stranger = api.user()
    assert_dashboard_error(api.call("DELETE", path, {"confirm_name": "Shop"}, stranger), 404, NOT_FOUND)
    assert_dashboard_error(api.call("DELETE", path, {"confirm_name": "shop"}, session), 406, BAD_PARAMETER,
                           "confirm_name")
    assert_dashboard_error(api.call("DELETE", path, {}, session), 406, BAD_PARAMETER, "confirm_name")
    assert send().status_code == 200  # still there after the refusals
    assert api.call("DELETE", path, {"confirm_name": "Shop"}, session).status_code == 204
    assert send().status_code == 401
    for method, route in (("GET", path), ("GET", f"{path}/usage"), ("GET", f"{path}/overview"),
                          ("DELETE", path)):
        assert_dashboard_error(api.call(method, route, {"confirm_name": "Shop"} if method == "DELETE" else None,
                                        session), 404, NOT_FOUND)
    listed = api.call("GET", "/applications", headers=session).json_body["items"]
    assert app_id not in [a["application_id"] for a in listed]
