"""Applications: create, list, get, owner-only access, and the admin CLI."""
from __future__ import annotations

import json
import uuid

from chalicelib.applications import admin
from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from tests.conftest import assert_oca_error


def test_create_list_and_get(api):
    _, session = api.user()
    created = api.application(session, ["sms", "email"])
    assert uuid.UUID(created["application_id"]) and created["name"] == "Shop"
    assert created["created_at"].endswith("Z")
    assert [c["channel"] for c in created["channels"]] == ["sms", "email"]
    assert all(c == {"channel": c["channel"], "status": "Inactive", "quota_remaining": 1000, "token": None}
               for c in created["channels"])
    second = api.application(session, ["whatsapp"])
    listed = api.call("GET", "/applications", headers=session).json_body["items"]
    assert [a["application_id"] for a in listed] == [second["application_id"], created["application_id"]]
    got = api.call("GET", f"/applications/{created['application_id']}", headers=session)
    assert got.status_code == 200 and got.json_body == created


def test_list_shows_only_the_callers_applications(api):
    _, alice = api.user()
    _, bob = api.user()
    api.application(alice)
    assert api.call("GET", "/applications", headers=bob).json_body == {"items": []}


def test_another_users_application_is_404_on_every_route(api):
    _, alice = api.user()
    _, mallory = api.user()
    app_id = api.application(alice)["application_id"]
    routes = [("GET", f"/applications/{app_id}"),
              ("POST", f"/applications/{app_id}/channels/sms/token"),
              ("DELETE", f"/applications/{app_id}/channels/sms/token")]
    for method, path in routes:
        assert_oca_error(api.call(method, path, headers=mallory), 404, NOT_FOUND)
    # And the owner's application is untouched: still no token.
    own = api.call("GET", f"/applications/{app_id}", headers=alice).json_body
    assert all(c["token"] is None for c in own["channels"])


def test_unknown_and_malformed_ids_are_404(api):
    _, session = api.user()
    for app_id in (str(uuid.uuid4()), "not-a-uuid", "x" * 300):
        assert_oca_error(api.call("GET", f"/applications/{app_id}", headers=session), 404, NOT_FOUND)


def test_create_refuses_bad_input(api):
    _, session = api.user()
    cases = [
        ({"name": "Shop", "channels": ["fax"]}, "channels"),
        ({"name": "Shop", "channels": []}, "channels"),
        ({"name": "Shop", "channels": ["sms", "sms"]}, "channels"),
        ({"name": "Shop", "channels": "sms"}, "channels"),
        ({"name": "Shop", "channels": [1]}, "channels"),
        ({"name": "Shop"}, "channels"),
        ({"name": "", "channels": ["sms"]}, "name"),
        ({"name": "x" * 101, "channels": ["sms"]}, "name"),
        ({"name": 5, "channels": ["sms"]}, "name"),
    ]
    for body, field in cases:
        assert_oca_error(api.call("POST", "/applications", body, session), 406, BAD_PARAMETER, field)


def test_admin_sets_a_channels_quota(api, capsys):
    """quota.set_balance as an operator command: a correction to an exact balance."""
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    assert admin.main(["setquota", app_id, "sms", "7"]) == 0
    assert json.loads(capsys.readouterr().out)["quota_remaining"] == 7
    assert api.call("GET", f"/applications/{app_id}", headers=session).json_body["channels"][0]["quota_remaining"] == 7
    assert admin.main(["setquota", app_id, "email", "5"]) == 1
    assert "no email channel" in capsys.readouterr().err
    assert admin.main(["setquota", app_id, "sms", "-1"]) == 1
    assert "negative" in capsys.readouterr().err


def test_admin_tops_up_quota_and_lists_accounts(api, capsys):
    email, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    assert admin.main(["topup", app_id, "sms", "250"]) == 0
    assert json.loads(capsys.readouterr().out)["quota_remaining"] == 1250
    got = api.call("GET", f"/applications/{app_id}", headers=session).json_body
    assert got["channels"][0]["quota_remaining"] == 1250
    # A channel the application does not have is refused, and nothing is created.
    assert admin.main(["topup", app_id, "email", "5"]) == 1
    assert "no email channel" in capsys.readouterr().err
    assert admin.main(["topup", str(uuid.uuid4()), "sms", "5"]) == 1
    capsys.readouterr()
    assert admin.main(["accounts", "--limit", "1000"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    mine = [row for row in rows if row["email"] == email]
    assert mine and mine[0]["applications"] == [app_id]
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)
