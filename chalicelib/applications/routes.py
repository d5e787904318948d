"""Dashboard API: /auth/* and /applications/* (session auth). Routes parse, call, render."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.accounts import service as accounts
from chalicelib.applications import sending_settings
from chalicelib.applications import service as applications
from chalicelib.ivr import scripts as ivr_scripts
from chalicelib.applications import tokens
from chalicelib.core import validation
from chalicelib.web.credentials import from_console, json_body, session_cookie, session_principal, session_token
from chalicelib.core.config import get_settings as stage_settings
from chalicelib.core.channels import CHANNELS, parse_channel

console = Blueprint(__name__)


def _request():
    return console.current_request


@console.route("/auth/register", methods=["POST"])
def register() -> Response:
    body = json_body(_request())
    email = validation.email_address(body.get("email"), "email").lower()
    password = validation.string(body, "password", min_len=1, max_len=1024, strip=False)
    name = validation.string(body, "name", max_len=100)
    user = accounts.register(email, password, name)
    return Response({"user_id": user.user_id, "email": user.email, "name": user.name}, status_code=201)


@console.route("/auth/login", methods=["POST"])
def login() -> dict:
    body = json_body(_request())
    email = validation.string(body, "email", max_len=254).lower()
    password = validation.string(body, "password", max_len=1024, strip=False)
    token, expires_at = accounts.login(email, password)
    headers = {"Cache-Control": "no-store"}
    if from_console(_request()):
        # The console keeps its session in an HttpOnly cookie: its scripts never see the token.
        headers["Set-Cookie"] = session_cookie(token, stage_settings().session_ttl_seconds)
        return Response({"expires_at": expires_at}, status_code=200, headers=headers)
    return Response({"session_token": token, "expires_at": expires_at}, status_code=200, headers=headers)


@console.route("/auth/me", methods=["GET"])
def me() -> dict:
    principal = session_principal(_request())
    user = accounts.get_user(principal.email)
    return {"user_id": user.user_id, "email": user.email, "name": user.name}


@console.route("/auth/logout", methods=["POST"])
def logout() -> Response:
    request = _request()
    session_principal(request)
    accounts.logout(session_token(request))
    return Response(body="", status_code=204, headers={"Set-Cookie": session_cookie("", 0)})


@console.route("/applications", methods=["POST"])
def create_application() -> Response:
    owner = session_principal(_request())
    body = json_body(_request())
    name = validation.string(body, "name", max_len=100)
    channels = validation.string_list(body, "channels", allowed=CHANNELS, max_items=len(CHANNELS))
    app = applications.create(owner, name, channels)
    return Response(applications.render(app), status_code=201)


@console.route("/applications", methods=["GET"])
def list_applications() -> dict:
    owner = session_principal(_request())
    return {"items": [applications.render(app) for app in applications.list_owned(owner)]}


@console.route("/applications/{application_id}", methods=["GET"])
def get_application(application_id: str) -> dict:
    owner = session_principal(_request())
    return applications.render(applications.get_owned(owner, application_id))


@console.route("/applications/{application_id}/channels/{channel}/token", methods=["POST"])
def generate_token(application_id: str, channel: str) -> Response:
    owner = session_principal(_request())
    app = applications.get_owned(owner, application_id)
    channel = parse_channel(channel)
    token, issued_at = tokens.generate(app, channel)
    return Response({"channel": channel, "token": token, "issued_at": issued_at}, status_code=201,
                    headers={"Cache-Control": "no-store"})


@console.route("/applications/{application_id}/channels/{channel}/token", methods=["DELETE"])
def revoke_token(application_id: str, channel: str) -> Response:
    owner = session_principal(_request())
    app = applications.get_owned(owner, application_id)
    tokens.revoke(app, parse_channel(channel))
    return Response(body="", status_code=204)


@console.route("/applications/{application_id}/settings", methods=["GET"])
def get_settings(application_id: str) -> dict:
    owner = session_principal(_request())
    return sending_settings.render(applications.get_owned(owner, application_id))


@console.route("/applications/{application_id}/settings", methods=["PUT"])
def put_settings(application_id: str) -> dict:
    owner = session_principal(_request())
    app = applications.get_owned(owner, application_id)
    return sending_settings.render(sending_settings.update(app, json_body(_request())))


@console.route("/applications/{application_id}/ivr", methods=["POST"])
def create_ivr(application_id: str) -> Response:
    owner = session_principal(_request())
    app = applications.get_owned(owner, application_id)
    applications.channel_state(app, "ivr")
    script = ivr_scripts.create(app.application_id, json_body(_request()))
    return Response(ivr_scripts.render(script), status_code=201)


@console.route("/applications/{application_id}/ivr", methods=["GET"])
def list_ivr(application_id: str) -> dict:
    owner = session_principal(_request())
    app = applications.get_owned(owner, application_id)
    return {"items": [ivr_scripts.render(script) for script in ivr_scripts.list_for(app.application_id)]}
