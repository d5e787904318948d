"""Accounts' tables.
- users:    GetItem by email (login, Basic auth); Query `by_kind` to list accounts (admin).
- sessions: GetItem by sha256(session token); TTL removes expired ones.
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.config import get_settings
from chalicelib.core.db import BaseMeta, index


class User(Model):
    class Meta(BaseMeta):
        table_name = get_settings().users_table

    email = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    kind = UnicodeAttribute(default="user")
    created_at = UnicodeAttribute()
    by_kind = index("by_kind", "kind", "created_at")


class Session(Model):
    class Meta(BaseMeta):
        table_name = get_settings().sessions_table

    token_hash = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    expires_ttl = NumberAttribute()
