"""Dashboard auth routes: register, log in (a Bearer token for scripts, an HttpOnly cookie for the
console), who am I, log out."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.accounts.request_auth import session_principal, source_address
from chalicelib.core import validation
from chalicelib.core.config import get_settings
from chalicelib.web.bodies import json_body
from chalicelib.web.credentials import from_console, session_cookie, session_token

auth_routes = Blueprint(__name__)


@auth_routes.route("/auth/register", methods=["POST"])
def register() -> Response:
    from chalicelib.accounts import registration_limit
    from chalicelib.accounts import service as accounts

    registration_limit.hit(source_address(auth_routes.current_request))
    body = json_body(auth_routes.current_request)
    email = validation.email_address(body.get("email"), "email").lower()
    password = validation.string(body, "password", min_len=1, max_len=1024, strip=False)
    name = validation.string(body, "name", max_len=100)
    user = accounts.register(email, password, name)
    return Response({"user_id": user.user_id, "email": user.email, "name": user.name}, status_code=201)


@auth_routes.route("/auth/login", methods=["POST"])
def login() -> Response:
    from chalicelib.accounts import service as accounts

    body = json_body(auth_routes.current_request)
    email = validation.string(body, "email", max_len=254).lower()
    password = validation.string(body, "password", max_len=1024, strip=False)
    code = validation.string(body, "code", max_len=32, required=False)
    token, expires_at = accounts.login(email, password, source_address(auth_routes.current_request), code)
    headers = {"Cache-Control": "no-store"}
    if from_console(auth_routes.current_request):
        # The console keeps its session in an HttpOnly cookie: its scripts never see the token.
        headers["Set-Cookie"] = session_cookie(token, get_settings().session_ttl_seconds)
        return Response({"expires_at": expires_at}, status_code=200, headers=headers)
    return Response({"session_token": token, "expires_at": expires_at}, status_code=200, headers=headers)


@auth_routes.route("/auth/me", methods=["GET"])
def me() -> dict:
    from chalicelib.accounts import service as accounts

    user = accounts.get_user(session_principal(auth_routes.current_request).email)
    # The stage tells the console whether the local-only pages (the test inbox) exist.
    return {"user_id": user.user_id, "email": user.email, "name": user.name, "stage": get_settings().stage}


@auth_routes.route("/auth/logout", methods=["POST"])
def logout() -> Response:
    from chalicelib.accounts import service as accounts

    request = auth_routes.current_request
    session_principal(request, limit=None)  # an account past its limits can still end its session
    accounts.logout(session_token(request))
    return Response(body="", status_code=204, headers={"Set-Cookie": session_cookie("", 0)})


@auth_routes.route("/auth/two-factor", methods=["GET"])
def two_factor_status() -> dict:
    from chalicelib.accounts import service as accounts
    from chalicelib.accounts import two_factor

    return two_factor.status(accounts.get_user(session_principal(auth_routes.current_request).email))


@auth_routes.route("/auth/two-factor/setup", methods=["POST"])
def two_factor_setup() -> Response:
    """A new secret and its otpauth:// URI, shown this once; nothing changes until /enable."""
    from chalicelib.accounts import service as accounts
    from chalicelib.accounts import two_factor

    user = accounts.get_user(session_principal(auth_routes.current_request).email)
    return Response(two_factor.setup(user), status_code=201, headers={"Cache-Control": "no-store"})


@auth_routes.route("/auth/two-factor/enable", methods=["POST"])
def two_factor_enable() -> Response:
    from chalicelib.accounts import service as accounts
    from chalicelib.accounts import two_factor

    request = auth_routes.current_request
    user = accounts.get_user(session_principal(request).email)
    code = validation.string(json_body(request), "code", max_len=32)
    codes = two_factor.enable(user, code, source_address(request))
    return Response({"recovery_codes": codes}, status_code=200, headers={"Cache-Control": "no-store"})


@auth_routes.route("/auth/two-factor/disable", methods=["POST"])
def two_factor_disable() -> Response:
    from chalicelib.accounts import service as accounts
    from chalicelib.accounts import two_factor

    request = auth_routes.current_request
    user = accounts.get_user(session_principal(request).email)
    two_factor.disable(user, validation.string(json_body(request), "code", max_len=32), source_address(request))
    return Response(body="", status_code=204)
