"""Opaque page cursors: DynamoDB's LastEvaluatedKey plus the filter it belongs to, signed with
itsdangerous (HMAC-SHA1 over URL-safe JSON, keyed by the master key), behind the id of the master
key that signed it: `<kid>~<signed>` (a cursor without `~` was signed by core.stack_keys.LEGACY_KID).

A cursor replayed with another filter, or altered, is refused with 406 code 39 rather than
silently reading the wrong page; so is one whose key a master key rotation has retired.
"""
from __future__ import annotations

from typing import Any

from chalicelib.core import stack_keys
from chalicelib.core.errors import bad_parameter

MAX_CURSOR_LENGTH = 2048
_KID = "~"   # outside itsdangerous' URL-safe alphabet, and unreserved in a URL


def _serializer(kid: str) -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(stack_keys.key(kid), salt="kirim-cursor")


def encode(last_key: dict[str, Any] | None, scope: str) -> str | None:
    if not last_key:
        return None
    kid = stack_keys.current_kid()
    return f"{kid}{_KID}{_serializer(kid).dumps({'k': last_key, 's': scope})}"


def decode(cursor: str | None, scope: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    from itsdangerous import BadData

    invalid = bad_parameter("cursor", "cursor is not valid; use next_cursor from the previous page")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    kid, _, signed = cursor.rpartition(_KID)
    try:
        serializer = _serializer(kid or stack_keys.LEGACY_KID)
    except stack_keys.RetiredKey:
        raise bad_parameter("cursor", "cursor has expired (its signing key was retired); "
                                      "start again from the first page") from None
    try:
        data = serializer.loads(signed)
    except (BadData, ValueError, TypeError):
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("k"), dict):
        raise invalid
    if data.get("s") != scope:
        raise bad_parameter("cursor", "cursor belongs to another listing or filter")
    return data["k"]
