"""Opaque page cursors: DynamoDB's LastEvaluatedKey plus the filter it belongs to, signed with
itsdangerous (HMAC-SHA1 over URL-safe JSON, keyed by the stack's secret).

A cursor replayed with another filter, or altered, is refused with 406 code 39 rather than
silently reading the wrong page.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core import stack_keys
from chalicelib.core.errors import bad_parameter

MAX_CURSOR_LENGTH = 2048


# The HMAC key: the stack's secret (core.stack_keys.master), read once per container.
_key = stack_keys.master


def _serializer() -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(_key(), salt="kirim-cursor")


def encode(last_key: dict[str, Any] | None, scope: str) -> str | None:
    if not last_key:
        return None
    return _serializer().dumps({"k": last_key, "s": scope})


def decode(cursor: str | None, scope: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    from itsdangerous import BadData

    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        data = _serializer().loads(cursor)
        if not isinstance(data, dict) or not isinstance(data.get("k"), dict):
            raise ValueError
    except (BadData, ValueError, TypeError):
        raise bad_parameter("cursor", "cursor is not valid; use next_cursor from the previous page") from None
    if data.get("s") != scope:
        raise bad_parameter("cursor", "cursor belongs to another listing or filter")
    return data["k"]
