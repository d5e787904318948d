"""IVR scripts: create, list, refuse bad input, owner only."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from tests.conftest import assert_oca_error


def test_ivr_scripts_create_and_list(api):
    _, session = api.user()
    app_id = api.application(session, ["ivr"])["application_id"]
    created = api.call("POST", f"/applications/{app_id}/ivr",
                       {"name": "Reminder", "script": "Halo {{ name }}, tagihan {{amount}} jatuh tempo. {{name}}!"},
                       session)
    assert created.status_code == 201
    assert created.json_body["ivr_name"] == "Reminder" and created.json_body["required_variable"] == ["name", "amount"]
    listed = api.call("GET", f"/applications/{app_id}/ivr", headers=session).json_body["items"]
    assert listed == [created.json_body]


@pytest.mark.parametrize("body,field", [
    ({"script": "Halo"}, "name"),
    ({"name": "x"}, "script"),
    ({"name": "x", "script": "x" * 3001}, "script"),
    ({"name": "x", "script": "Halo {{1bad}}"}, "script"),
    ({"name": "x", "script": "Halo {{name"}, "script"),
])
def test_ivr_scripts_refuse_bad_input(api, body, field):
    _, session = api.user()
    app_id = api.application(session, ["ivr"])["application_id"]
    assert_oca_error(api.call("POST", f"/applications/{app_id}/ivr", body, session), 406, BAD_PARAMETER, field)


def test_another_users_settings_and_ivr_are_404(api):
    _, alice = api.user()
    _, mallory = api.user()
    app_id = api.application(alice, ["ivr", "sms"])["application_id"]
    for method, path, body in (("GET", f"/applications/{app_id}/settings", None),
                               ("PUT", f"/applications/{app_id}/settings", {"rate_limit": 1000}),
                               ("POST", f"/applications/{app_id}/ivr", {"name": "x", "script": "y"}),
                               ("GET", f"/applications/{app_id}/ivr", None)):
        assert_oca_error(api.call(method, path, body, mallory), 404, NOT_FOUND)
    assert api.call("GET", f"/applications/{app_id}/settings", headers=alice).json_body["rate_limit"] == 25


def test_ivr_needs_the_ivr_channel(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    assert_oca_error(api.call("POST", f"/applications/{app_id}/ivr", {"name": "x", "script": "y"}, session), 404,
                     NOT_FOUND)
