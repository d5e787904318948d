"""Reading requests: bounded JSON bodies and the three kinds of Authorization header."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalice.app import Request

from chalicelib.accounts import service as accounts
from chalicelib.core.errors import AUTH_HEADER_MISSING, INVALID_CREDENTIALS, ApiError, bad_parameter, too_large
from chalicelib.core.config import get_settings


def json_body(request: Request, *, max_bytes: int | None = None) -> dict[str, Any]:
    """The body as a JSON object, or a clear 4xx: 413 past the size limit, 406 otherwise."""
    limit = max_bytes or get_settings().max_body_bytes
    raw = request.raw_body or b""
    if len(raw) > limit:
        raise too_large(limit)
    if not raw.strip():
        raise bad_parameter("body", "A JSON object body is required")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_parameter("body", "The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_parameter("body", "The body must be a JSON object")
    return body


def _authorization(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        raise ApiError(AUTH_HEADER_MISSING)
    return header.strip()


SESSION_COOKIE = "kirim_session"
# The console adds this header to every request. A cross-site form cannot set a header, and a
# cross-origin script would need a CORS preflight that the dashboard API never grants.
CONSOLE_HEADER = "x-kirim-console"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def cookie(request: Request, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    raw = request.headers.get("cookie")
    if not raw or len(raw) > 8192:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def from_console(request: Request) -> bool:
    return request.headers.get(CONSOLE_HEADER) == "1"


def session_token(request: Request) -> str:
    """The session from `Authorization: Bearer` (scripts) or the console's HttpOnly cookie.
    A cookie alone authenticates unsafe methods only with the console's header (CSRF)."""
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        token = cookie(request, SESSION_COOKIE)
        if token is None:
            raise ApiError(AUTH_HEADER_MISSING)
        if request.method not in _SAFE_METHODS and not from_console(request):
            raise ApiError(INVALID_CREDENTIALS, "A cookie session needs the X-Kirim-Console: 1 header", status=403)
        return token
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(INVALID_CREDENTIALS, "Use Authorization: Bearer <session token>")
    return token.strip()


def session_principal(request: Request) -> accounts.Principal:
    return accounts.session_principal(session_token(request))


def session_cookie(token: str, max_age: int) -> str:
    """HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), Secure
    outside the local stage (chalice local serves plain HTTP)."""
    secure = "" if get_settings().stage in ("local", "test") else "; Secure"
    return f"{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def basic_principal(request: Request) -> accounts.Principal:
    scheme, _, encoded = _authorization(request).partition(" ")
    if scheme.lower() != "basic":
        raise ApiError(INVALID_CREDENTIALS, "Use Authorization: Basic base64(email:password)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(INVALID_CREDENTIALS) from None
    email, sep, password = decoded.partition(":")
    if not sep or not email or not password or len(decoded) > 600:
        raise ApiError(INVALID_CREDENTIALS)
    return accounts.basic_principal(email.strip().lower(), password)
