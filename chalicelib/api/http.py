"""Reading requests: bounded JSON bodies and the three kinds of Authorization header."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalice.app import Request

from chalicelib import accounts
from chalicelib.errors import AUTH_HEADER_MISSING, INVALID_CREDENTIALS, ApiError, bad_parameter, too_large
from chalicelib.settings import get_settings


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


def session_token(request: Request) -> str:
    scheme, _, token = _authorization(request).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(INVALID_CREDENTIALS, "Use Authorization: Bearer <session token>")
    return token.strip()


def session_principal(request: Request) -> accounts.Principal:
    return accounts.session_principal(session_token(request))


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
