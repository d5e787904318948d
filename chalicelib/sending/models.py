"""Sending's table.
- idempotency: one record per (application, route, Idempotency-Key), keyed by a hash of the
               three; written in the send's own transaction with its message; TTL on `expiration`.
"""
from __future__ import annotations

import hashlib

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import strings, table


def idempotency_id(scope: str, key: str) -> str:
    return "send#" + hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


class IdempotencyRecord(Model):
    """The first answer to a send, kept for replays: its body (JSON) and the hash of the request
    body it answered, so the same key with another body is refused."""

    Meta = table("idempotency_table")

    id = UnicodeAttribute(hash_key=True)
    body_hash, message_id, response, created_at = strings(4)
    expiration = NumberAttribute()
