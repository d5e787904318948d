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


@pytest.mark.parametrize("script", [
    "<&> " * 750,        # 3,000 characters of text, spoken as &lt;&amp;&gt;: 10,500 of SSML
    "Halo " + " ".join(f"{{{{v{i}}}}}" for i in range(12)),     # 12 variables of up to 500 characters each
])
def test_a_script_whose_longest_call_exceeds_the_ssml_limit_is_refused_when_saved(api, script):
    # Accepted at creation, it made every call fail at End User Messaging (6,000 characters of SSML).
    _, session = api.user()
    app_id = api.application(session, ["ivr"])["application_id"]
    response = api.call("POST", f"/applications/{app_id}/ivr", {"name": "Long", "script": script[:3000]}, session)
    assert_oca_error(response, 406, BAD_PARAMETER, "script")
    assert "6000" in response.json_body["errors"][0]["message"]


def test_a_script_that_fits_with_every_variable_at_its_longest_calls_with_any_values(shop):
    from chalicelib.ivr.scripts import MAX_VALUE
    from chalicelib.ivr.ssml import SSML_MAX
    script = "Halo {{a}}, " + "x" * (SSML_MAX - len("<speak></speak>") - 2 * MAX_VALUE - 20) + " {{b}}."
    created = shop.api.call("POST", f"/applications/{shop.app_id}/ivr", {"name": "Edge", "script": script[:3000]},
                            shop.session)
    assert created.status_code == 201, created.body
    # The longest values a call may carry (counted as spoken) still fit.
    body = {"from_number": "02150001234", "to_number": "081234567890", "ivr_id": created.json_body["ivr_id"],
            "variable": {"a": "&" * (MAX_VALUE // 5), "b": "y" * MAX_VALUE}}
    assert shop.api.call("POST", "/call/v2/call", body, shop.v2("ivr")).status_code == 200
    body["variable"]["a"] = "&" * (MAX_VALUE // 5 + 1)  # 101 ampersands are 505 characters of SSML
    assert_oca_error(shop.api.call("POST", "/call/v2/call", body, shop.v2("ivr")), 406, BAD_PARAMETER, "variable.a")
