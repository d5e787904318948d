"""Team roles on every /applications/{application_id} route: what each role may call, 403 where its role does
not allow it, 404 for an account outside the team. NEEDS is the rule; the first test fails for a route the app
serves that NEEDS does not name, so a new route cannot skip the role check."""
from __future__ import annotations

import re
import uuid

import pytest

from chalicelib.core.errors import FORBIDDEN, NOT_FOUND

R, D, M = "read", "develop", "manage"
BASE = "/applications/{application_id}"
# (method, route) -> what the caller's role must allow (chalicelib/applications/access.py).
NEEDS = {
    ("GET", BASE): R,
    ("GET", BASE + "/overview"): R,
    ("GET", BASE + "/messages"): R,
    ("GET", BASE + "/messages/{message_id}"): R,
    ("POST", BASE + "/reports"): R,
    ("GET", BASE + "/reports"): R,
    ("GET", BASE + "/reports/{report_id}"): R,
    ("GET", BASE + "/reports/{report_id}/download"): R,
    ("GET", BASE + "/members"): R,
    ("POST", BASE + "/channels/{channel}/token"): D,
    ("DELETE", BASE + "/channels/{channel}/token"): D,
    ("GET", BASE + "/settings"): D,
    ("PUT", BASE + "/settings"): D,
    ("POST", BASE + "/settings/callback-secret"): D,
    ("GET", BASE + "/email-identities"): D,
    ("POST", BASE + "/email-identities"): D,
    ("GET", BASE + "/email-identities/{identity}"): D,
    ("DELETE", BASE + "/email-identities/{identity}"): D,
    ("GET", BASE + "/callbacks/failed"): D,
    ("POST", BASE + "/callbacks/replay"): D,
    ("POST", BASE + "/callbacks/{delivery_id}/replay"): D,
    ("POST", BASE + "/ivr"): D,
    ("GET", BASE + "/ivr"): D,
    ("POST", BASE + "/whatsapp/templates"): D,
    ("GET", BASE + "/whatsapp/templates"): D,
    ("POST", BASE + "/whatsapp/templates/preview"): D,
    ("GET", BASE + "/whatsapp/templates/{template_id}"): D,
    ("PATCH", BASE + "/whatsapp/templates/{template_id}"): D,
    ("DELETE", BASE + "/whatsapp/templates/{template_id}"): D,
    ("POST", BASE + "/whatsapp/templates/{template_id}/submit"): D,
    ("GET", BASE + "/whatsapp/templates/{template_id}/preview"): D,
    ("POST", BASE + "/invitations"): M,
    ("DELETE", BASE + "/invitations/{invitation_id}"): M,
    ("PUT", BASE + "/members/{user_id}"): M,
    ("DELETE", BASE + "/members/{user_id}"): M,
    ("GET", BASE + "/usage"): R,
    ("PUT", BASE + "/usage/alert"): D,
    ("POST", BASE + "/test-messages"): D,
    ("POST", BASE + "/broadcasts"): D,
    ("GET", BASE + "/broadcasts"): R,
    ("GET", BASE + "/broadcasts/{broadcast_id}"): R,
    ("PATCH", BASE + "/broadcasts/{broadcast_id}"): D,
    ("DELETE", BASE + "/broadcasts/{broadcast_id}"): D,
    ("POST", BASE + "/broadcasts/{broadcast_id}/upload"): D,
    ("POST", BASE + "/broadcasts/{broadcast_id}/file"): D,
    ("POST", BASE + "/broadcasts/{broadcast_id}/validate"): D,
    ("GET", BASE + "/broadcasts/{broadcast_id}/errors"): R,
    ("PUT", BASE + "/broadcasts/{broadcast_id}/schedule"): D,
    ("POST", BASE + "/broadcasts/{broadcast_id}/start"): D,
    ("POST", BASE + "/broadcasts/{broadcast_id}/pause"): D,
    ("POST", BASE + "/broadcasts/{broadcast_id}/resume"): D,
    ("POST", BASE + "/broadcasts/{broadcast_id}/cancel"): D,
    ("GET", BASE + "/broadcasts/{broadcast_id}/progress"): R,
    ("POST", BASE + "/broadcasts/{broadcast_id}/results"): R,
    ("GET", BASE + "/suppressions"): R,
    ("POST", BASE + "/suppressions"): D,
    ("DELETE", BASE + "/suppressions/{target}"): D,
    ("PATCH", BASE): M,
    ("DELETE", BASE): M,
}
ALLOWS = {"owner": {R, D, M}, "developer": {R, D}, "viewer": {R}, "stranger": set()}
APP_NOT_FOUND = "Application not found"


def test_every_application_route_names_what_it_needs(client):
    from app import app

    served = {(method, path) for path, methods in app.routes.items() if path.startswith(BASE)
              for method in methods}
    assert served - set(NEEDS) == set(), "routes with no role rule: add them to NEEDS (and pass need= to the check)"
    assert set(NEEDS) - served == set(), "NEEDS names routes the app no longer serves"


def join(api, owner: dict, app_id: str, role: str) -> tuple[str, dict]:
    email, session = api.user()
    invited = api.call("POST", f"/applications/{app_id}/invitations", {"email": email, "role": role}, owner)
    assert invited.status_code == 201, invited.json_body
    accepted = api.call("POST", "/invitations/accept", {"token": invited.json_body["token"]}, session)
    assert accepted.status_code == 200 and accepted.json_body["role"] == role, accepted.json_body
    return email, session


@pytest.fixture(scope="module")
def team(client):
    from tests.conftest import Api

    api = Api(client)
    _, owner = api.user()
    app_id = api.application(owner)["application_id"]
    sessions = {"owner": owner, "stranger": api.user()[1]}
    for role in ("developer", "viewer"):
        sessions[role] = join(api, owner, app_id, role)[1]
    return api, app_id, sessions


def _url(route: str, app_id: str) -> str:
    values = {"application_id": app_id, "channel": "sms"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x" + uuid.uuid4().hex[:8]), route)


@pytest.mark.parametrize("role", list(ALLOWS))
@pytest.mark.parametrize("method,route", sorted(NEEDS))
def test_each_role_on_each_route(team, role, method, route):
    api, app_id, sessions = team
    answer = api.call(method, _url(route, app_id), {} if method in ("POST", "PUT", "PATCH") else None,
                      sessions[role])
    errors = (answer.json_body or {}).get("errors") if isinstance(answer.json_body, dict) else None
    message = errors[0]["message"] if errors else None
    if role == "stranger":
        assert answer.status_code == 404 and errors[0]["code"] == NOT_FOUND and message == APP_NOT_FOUND
    elif NEEDS[(method, route)] in ALLOWS[role]:
        assert answer.status_code != 403, answer.json_body
        assert not (answer.status_code == 404 and message == APP_NOT_FOUND), answer.json_body
    else:
        assert answer.status_code == 403 and errors[0]["code"] == FORBIDDEN, answer.json_body
