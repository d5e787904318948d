"""Accounts' tables.
- users:    GetItem by email (login, Basic auth); Query `by_kind` to list accounts (admin).
- sessions: GetItem by sha256(session token); TTL removes expired ones.
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import index, strings, table


class User(Model):
    Meta = table("users_table")

    email = UnicodeAttribute(hash_key=True)
    user_id, name, password_hash, created_at = strings(4)
    kind = UnicodeAttribute(default="user")
    by_kind = index("by_kind", "kind", "created_at")


class Session(Model):
    Meta = table("sessions_table")

    token_hash = UnicodeAttribute(hash_key=True)
    user_id, email, expires_at = strings(3)
    expires_ttl = NumberAttribute()
