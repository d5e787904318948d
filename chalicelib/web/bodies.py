"""Request bodies: JSON objects, and the form encodings OCA clients send (multipart and
urlencoded), each bounded in size; anything else is a clear 406 (413 past the size limit)."""
from __future__ import annotations

import json
from typing import Any

from chalice.app import Request

from chalicelib.core.config import get_settings
from chalicelib.core.errors import bad_parameter, too_large

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
Files = dict[str, tuple[str, str, bytes]]


def _raw(request: Request, max_bytes: int | None) -> bytes:
    limit = max_bytes or get_settings().max_body_bytes
    raw = request.raw_body or b""
    if len(raw) > limit:
        raise too_large(limit)
    return raw


def json_body(request: Request, *, max_bytes: int | None = None) -> dict[str, Any]:
    """The body as a JSON object."""
    raw = _raw(request, max_bytes)
    if not raw.strip():
        raise bad_parameter("body", "A JSON object body is required")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_parameter("body", "The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_parameter("body", "The body must be a JSON object")
    return body


def fields_and_files(request: Request) -> tuple[dict[str, Any], Files]:
    """JSON, or a form (with its files) when the Content-Type says so."""
    content_type = request.headers.get("content-type", "application/json")
    if content_type.split(";")[0].strip().lower() in FORM_TYPES:
        from chalicelib.web.forms import parse_form

        return parse_form(content_type, _raw(request, None))
    return json_body(request), {}
