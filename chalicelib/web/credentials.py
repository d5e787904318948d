"""Reading credentials from requests: the three kinds of Authorization header (Basic, Bearer,
a bare channel token) and the console's session cookie. Parsing only: the accounts and
applications slices decide what a credential is worth."""
from __future__ import annotations

import base64
import binascii

from chalice.app import Request

from chalicelib.core.config import get_settings
from chalicelib.core.errors import AUTH_HEADER_MISSING, INVALID_CREDENTIALS, TOKEN_INVALID, TOKEN_MISSING, ApiError

SESSION_COOKIE = "kirim_session"
# The console adds this header to every request. A cross-site form cannot set a header, and a
# cross-origin script would need a CORS preflight that the dashboard API never grants.
CONSOLE_HEADER = "x-kirim-console"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_TOKEN_LENGTH = 200
MAX_BASIC_LENGTH = 600


def _authorization(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        raise ApiError(AUTH_HEADER_MISSING)
    return header.strip()


def cookie(request: Request, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    raw = request.headers.get("cookie")
    if not raw or len(raw) > 8192:
        return None
    jar: SimpleCookie = SimpleCookie()
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


def session_cookie(token: str, max_age: int) -> str:
    """HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), Secure
    outside the local stage (chalice local serves plain HTTP)."""
    secure = "" if get_settings().stage in ("local", "test") else "; Secure"
    return f"{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def basic_credentials(request: Request) -> tuple[str, str]:
    """(email lowercased, password) from `Authorization: Basic base64(email:password)`. A header
    that is absent or of another scheme is OCA's code 19 ("not set properly"); wrong credentials 17."""
    scheme, _, encoded = _authorization(request).partition(" ")
    if scheme.lower() != "basic":
        raise ApiError(AUTH_HEADER_MISSING, "Missing Authorization Header: use Authorization: Basic "
                                            "base64(email:password)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(INVALID_CREDENTIALS) from None
    email, sep, password = decoded.partition(":")
    if not sep or not email or not password or len(decoded) > MAX_BASIC_LENGTH:
        raise ApiError(INVALID_CREDENTIALS)
    return email.strip().lower(), password


def channel_token(header: str | None) -> str:
    """OCA clients send `Bearer <token>` or the bare token; both are accepted."""
    if header is None or not header.strip():
        raise ApiError(TOKEN_MISSING)
    value = header.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    if not value:
        raise ApiError(TOKEN_MISSING)
    if " " in value or len(value) > MAX_TOKEN_LENGTH:
        raise ApiError(TOKEN_INVALID)
    return value
