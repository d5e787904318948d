"""Dashboard routes for applications (session auth; each names what the caller's role must allow,
applications.access): create, list, get, channel tokens, sending settings and the team. Routes parse, call, render; the slice's modules are imported by the
views that use them, so `import app` stays cheap (bench/cold_import.py)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.accounts.request_auth import session_principal
from chalicelib.applications.access import DEVELOP, MANAGE, READ, application_access, owned_application
from chalicelib.core import validation
from chalicelib.core.channels import CHANNELS, parse_channel
from chalicelib.web.bodies import json_body

application_routes = Blueprint(__name__)


@application_routes.route("/applications", methods=["POST"])
def create_application() -> Response:
    from chalicelib.applications import service as applications

    owner = session_principal(application_routes.current_request)
    body = json_body(application_routes.current_request)
    name = validation.string(body, "name", max_len=100)
    channels = validation.string_list(body, "channels", allowed=CHANNELS, max_items=len(CHANNELS))
    app = applications.create(owner, name, channels)
    return Response(applications.render(app), status_code=201)


@application_routes.route("/applications", methods=["GET"])
def list_applications() -> dict:
    from chalicelib.applications import service as applications
    from chalicelib.applications import team

    owner = session_principal(application_routes.current_request)
    # Its own applications, newest first, then those shared with it (team), with its role in each.
    return {"items": [applications.render(app) for app in applications.list_owned(owner)]
            + [applications.render(app, role) for app, role in team.shared_with(owner)]}


@application_routes.route("/applications/{application_id}", methods=["GET"])
def get_application(application_id: str) -> dict:
    from chalicelib.applications import service as applications
    from chalicelib.applications import tokens

    app, role = application_access(application_routes.current_request, application_id, READ)
    return applications.render(app, role, last_used=tokens.last_used(app))


@application_routes.route("/applications/{application_id}", methods=["PATCH"])
def rename_application(application_id: str) -> dict:
    from chalicelib.applications import lifecycle
    from chalicelib.applications import service as applications

    app = owned_application(application_routes.current_request, application_id)
    return applications.render(lifecycle.rename(app, json_body(application_routes.current_request)))


@application_routes.route("/applications/{application_id}", methods=["DELETE"])
def delete_application(application_id: str) -> Response:
    """Typed: {"confirm_name": the application's name}. Its keys stop working at once."""
    from chalicelib.applications import lifecycle

    app = owned_application(application_routes.current_request, application_id)
    lifecycle.delete(app, json_body(application_routes.current_request))
    return Response(body="", status_code=204)


@application_routes.route("/applications/{application_id}/channels/{channel}/token", methods=["POST"])
def generate_token(application_id: str, channel: str) -> Response:
    from chalicelib.applications import tokens

    app = owned_application(application_routes.current_request, application_id, need=DEVELOP)
    channel = parse_channel(channel)
    token, issued_at = tokens.generate(app, channel)
    return Response({"channel": channel, "token": token, "issued_at": issued_at}, status_code=201,
                    headers={"Cache-Control": "no-store"})


@application_routes.route("/applications/{application_id}/channels/{channel}/token", methods=["DELETE"])
def revoke_token(application_id: str, channel: str) -> Response:
    from chalicelib.applications import tokens

    tokens.revoke(owned_application(application_routes.current_request, application_id, need=DEVELOP), parse_channel(channel))
    return Response(body="", status_code=204)


@application_routes.route("/applications/{application_id}/settings", methods=["GET"])
def get_settings(application_id: str) -> dict:
    from chalicelib.applications import sending_settings
    from chalicelib.applications import service as applications

    app = owned_application(application_routes.current_request, application_id, need=DEVELOP)
    return sending_settings.render(app, applications.v1_channels(app))


@application_routes.route("/applications/{application_id}/settings", methods=["PUT"])
def put_settings(application_id: str) -> Response:
    from chalicelib.applications import sending_settings
    from chalicelib.applications import service as applications

    app = owned_application(application_routes.current_request, application_id, need=DEVELOP)
    app = sending_settings.update(app, json_body(application_routes.current_request))
    body = sending_settings.render(app, applications.v1_channels(app))
    # The answer that issues the callback secret is its only copy: no cache may keep it.
    return Response(body, status_code=200, headers={"Cache-Control": "no-store"} if "callback_secret" in body else {})


@application_routes.route("/applications/{application_id}/settings/callback-secret", methods=["POST"])
def rotate_callback_secret(application_id: str) -> Response:
    """A new signing secret (shown once); the previous one keeps signing for 24 hours."""
    from chalicelib.applications import callback_secrets

    app = owned_application(application_routes.current_request, application_id, need=DEVELOP)
    return Response(callback_secrets.rotate(app), status_code=201, headers={"Cache-Control": "no-store"})


@application_routes.route("/applications/{application_id}/email-identities", methods=["GET"])
def list_email_identities(application_id: str) -> dict:
    from chalicelib.applications import email_identities

    app = owned_application(application_routes.current_request, application_id, need=DEVELOP)
    return {"items": [email_identities.render(claim) for claim in email_identities.list_for(app)]}


@application_routes.route("/applications/{application_id}/email-identities", methods=["POST"])
def add_email_identity(application_id: str) -> Response:
    """201 with a new claim; 200 when it is this application's already."""
    from chalicelib.applications import email_identities

    app = owned_application(application_routes.current_request, application_id, need=DEVELOP)
    claim, new = email_identities.add(app, json_body(application_routes.current_request))
    return Response(email_identities.render(claim), status_code=201 if new else 200)


@application_routes.route("/applications/{application_id}/email-identities/{identity}", methods=["GET"])
def get_email_identity(application_id: str, identity: str) -> dict:
    from urllib.parse import unquote

    from chalicelib.applications import email_identities

    app = owned_application(application_routes.current_request, application_id, need=DEVELOP)
    return email_identities.render(email_identities.get(app, unquote(identity)))


@application_routes.route("/applications/{application_id}/email-identities/{identity}", methods=["DELETE"])
def remove_email_identity(application_id: str, identity: str) -> Response:
    from urllib.parse import unquote

    from chalicelib.applications import email_identities

    email_identities.remove(owned_application(application_routes.current_request, application_id, need=DEVELOP), unquote(identity))
    return Response(body="", status_code=204)


@application_routes.route("/applications/{application_id}/members", methods=["GET"])
def list_members(application_id: str) -> dict:
    """Every member sees who is in the team; only the owner changes it."""
    from chalicelib.applications import team

    return team.render(owned_application(application_routes.current_request, application_id, need=READ))


@application_routes.route("/applications/{application_id}/invitations", methods=["POST"])
def invite_member(application_id: str) -> Response:
    """The invitation and its token, shown this once (the console makes the link)."""
    from chalicelib.applications import team

    request = application_routes.current_request
    app = owned_application(request, application_id, need=MANAGE)
    body = json_body(request)
    email = validation.email_address(body.get("email"), "email").lower()
    role = validation.string(body, "role", max_len=20)
    invitation, token = team.invite(app, session_principal(request, None), email, role)
    return Response({**invitation, "token": token}, status_code=201, headers={"Cache-Control": "no-store"})


@application_routes.route("/applications/{application_id}/invitations/{invitation_id}", methods=["DELETE"])
def withdraw_invitation(application_id: str, invitation_id: str) -> Response:
    from chalicelib.applications import team

    team.withdraw(owned_application(application_routes.current_request, application_id, need=MANAGE), invitation_id)
    return Response(body="", status_code=204)


@application_routes.route("/applications/{application_id}/members/{user_id}", methods=["PUT"])
def change_member_role(application_id: str, user_id: str) -> dict:
    from chalicelib.applications import team

    request = application_routes.current_request
    app = owned_application(request, application_id, need=MANAGE)
    return team.set_role(app, user_id, validation.string(json_body(request), "role", max_len=20))


@application_routes.route("/applications/{application_id}/members/{user_id}", methods=["DELETE"])
def remove_member(application_id: str, user_id: str) -> Response:
    from chalicelib.applications import team

    team.remove(owned_application(application_routes.current_request, application_id, need=MANAGE), user_id)
    return Response(body="", status_code=204)


@application_routes.route("/invitations/accept", methods=["POST"])
def accept_invitation() -> Response:
    """The signed-in account joins the team it was invited to (its email must be the invited one)."""
    from chalicelib.applications import service as applications
    from chalicelib.applications import team

    request = application_routes.current_request
    principal = session_principal(request)
    token = validation.string(json_body(request), "token", max_len=300)
    app, role = team.accept(principal, token)
    return Response(applications.render(app, role), status_code=200)
