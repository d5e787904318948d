"""Team members: invitations (single use, hashed, expiring, for one email), roles, the shared list."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.applications.models import Application
from chalicelib.core import clock
from chalicelib.core.errors import BAD_PARAMETER, CONFLICT, FORBIDDEN, NOT_FOUND
from tests.conftest import assert_dashboard_error


def invite(api, owner, app_id, email, role="viewer"):
    answer = api.call("POST", f"/applications/{app_id}/invitations", {"email": email, "role": role}, owner)
    assert answer.status_code == 201, answer.json_body
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json_body


def test_invite_accept_and_the_shared_application_is_listed(api):
    owner_email, owner = api.user()
    app = api.application(owner, ["sms"])
    app_id = app["application_id"]
    email, member = api.user()
    invitation = invite(api, owner, app_id, email.upper(), "developer")
    assert invitation["email"] == email and invitation["role"] == "developer"
    assert invitation["token"].startswith("kirim_inv_" + app_id + ".")
    # Only the secret's hash is stored, never the token.
    stored = Application.get(app_id)
    assert invitation["token"].split(".")[-1] not in str(stored.invitations.as_dict())

    team = api.call("GET", f"/applications/{app_id}/members", headers=owner).json_body
    assert team["members"] == [{"user_id": team["members"][0]["user_id"], "email": owner_email, "role": "owner",
                                "joined_at": app["created_at"]}]
    assert [i["email"] for i in team["invitations"]] == [email]

    accepted = api.call("POST", "/invitations/accept", {"token": invitation["token"]}, member)
    assert accepted.status_code == 200 and accepted.json_body["role"] == "developer"
    listed = api.call("GET", "/applications", headers=member).json_body["items"]
    assert [(a["application_id"], a["role"]) for a in listed] == [(app_id, "developer")]
    assert api.call("GET", "/applications", headers=owner).json_body["items"][0]["role"] == "owner"

    team = api.call("GET", f"/applications/{app_id}/members", headers=member).json_body
    assert [(m["email"], m["role"]) for m in team["members"]] == [(owner_email, "owner"), (email, "developer")]
    assert team["invitations"] == []
    # Single use: the same token again is refused.
    assert_dashboard_error(api.call("POST", "/invitations/accept", {"token": invitation["token"]}, member),
                           404, NOT_FOUND)


def test_change_role_and_remove(api):
    _, owner = api.user()
    app_id = api.application(owner, ["sms"])["application_id"]
    email, member = api.user()
    token = invite(api, owner, app_id, email, "developer")["token"]
    user_id = api.call("POST", "/invitations/accept", {"token": token}, member).json_body and \
        api.call("GET", "/auth/me", headers=member).json_body["user_id"]
    assert api.call("POST", f"/applications/{app_id}/channels/sms/token", headers=member).status_code == 201

    changed = api.call("PUT", f"/applications/{app_id}/members/{user_id}", {"role": "viewer"}, owner)
    assert changed.status_code == 200 and changed.json_body["role"] == "viewer"
    assert_dashboard_error(api.call("POST", f"/applications/{app_id}/channels/sms/token", headers=member),
                           403, FORBIDDEN)
    assert_dashboard_error(api.call("PUT", f"/applications/{app_id}/members/{user_id}", {"role": "owner"}, owner),
                           406, BAD_PARAMETER, "role")

    assert api.call("DELETE", f"/applications/{app_id}/members/{user_id}", headers=owner).status_code == 204
    assert_dashboard_error(api.call("GET", f"/applications/{app_id}", headers=member), 404, NOT_FOUND)
    assert api.call("GET", "/applications", headers=member).json_body["items"] == []
    assert_dashboard_error(api.call("DELETE", f"/applications/{app_id}/members/{user_id}", headers=owner),
                           404, NOT_FOUND)


def test_an_invitation_is_for_its_email_only(api):
    _, owner = api.user()
    app_id = api.application(owner, ["sms"])["application_id"]
    email, _ = api.user()
    _, other = api.user()
    token = invite(api, owner, app_id, email)["token"]
    assert_dashboard_error(api.call("POST", "/invitations/accept", {"token": token}, other), 403, FORBIDDEN)
    assert_dashboard_error(api.call("GET", f"/applications/{app_id}", headers=other), 404, NOT_FOUND)


def test_bad_wrong_expired_and_withdrawn_tokens(api, frozen_clock):
    _, owner = api.user()
    app_id = api.application(owner, ["sms"])["application_id"]
    email, member = api.user()
    now = frozen_clock.at
    frozen_clock.set(now - timedelta(days=8))   # an invitation made 8 days ago (they last 7)
    token = invite(api, owner, app_id, email)["token"]
    frozen_clock.set(now)
    for bad in ("", "nonsense", "kirim_inv_x.y", token[:-2] + "xx", token.replace(app_id, "0" * 8 + app_id[8:])):
        answer = api.call("POST", "/invitations/accept", {"token": bad}, member)
        assert answer.status_code in (404, 406), answer.json_body
    assert_dashboard_error(api.call("POST", "/invitations/accept", {"token": token}, member), 404, NOT_FOUND)
    assert api.call("GET", f"/applications/{app_id}/members", headers=owner).json_body["invitations"] == []

    fresh = invite(api, owner, app_id, email)
    withdrawn = api.call("DELETE", f"/applications/{app_id}/invitations/{fresh['invitation_id']}", headers=owner)
    assert withdrawn.status_code == 204
    assert_dashboard_error(api.call("POST", "/invitations/accept", {"token": fresh["token"]}, member), 404, NOT_FOUND)


def test_invite_refuses_bad_input(api):
    owner_email, owner = api.user()
    app_id = api.application(owner, ["sms"])["application_id"]
    for body, field in (({"email": "x@example.com", "role": "owner"}, "role"),
                        ({"email": "not an email", "role": "viewer"}, "email"),
                        ({"email": "x@example.com"}, "role")):
        assert_dashboard_error(api.call("POST", f"/applications/{app_id}/invitations", body, owner),
                               406, BAD_PARAMETER, field)
    assert_dashboard_error(api.call("POST", f"/applications/{app_id}/invitations",
                                    {"email": owner_email, "role": "viewer"}, owner), 409, CONFLICT, "email")
    email, member = api.user()
    api.call("POST", "/invitations/accept", {"token": invite(api, owner, app_id, email)["token"]}, member)
    assert_dashboard_error(api.call("POST", f"/applications/{app_id}/invitations",
                                    {"email": email, "role": "viewer"}, owner), 409, CONFLICT, "email")


def test_a_second_invitation_replaces_the_first(api):
    _, owner = api.user()
    app_id = api.application(owner, ["sms"])["application_id"]
    email, member = api.user()
    first = invite(api, owner, app_id, email)
    invite(api, owner, app_id, email, "developer")
    team = api.call("GET", f"/applications/{app_id}/members", headers=owner).json_body
    assert [(i["email"], i["role"]) for i in team["invitations"]] == [(email, "developer")]
    assert_dashboard_error(api.call("POST", "/invitations/accept", {"token": first["token"]}, member), 404, NOT_FOUND)
    assert clock.now()  # the clock is the project's, not the wall's
