"""Accounts' tables.
- users:    GetItem by email (login, Basic auth); Query `by_kind` to list accounts (admin).
- sessions: GetItem by sha256(session token); TTL removes expired ones.
"""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from chalicelib.core.db import index, strings, table


class User(Model):
    Meta = table("users_table")

    email = UnicodeAttribute(hash_key=True)
    user_id, name, password_hash, created_at = strings(4)
    kind = UnicodeAttribute(default="user")
    # Two-factor sign-in (accounts.two_factor): the TOTP secret wrapped with a key derived from the
    # master key ({kid, nonce, wrapped}), the one being set up, the last time step used (no code twice)
    # and the recovery codes' SHA-256 hashes.
    totp = MapAttribute(null=True)
    totp_pending = MapAttribute(null=True)
    totp_step = NumberAttribute(null=True)
    recovery_hashes = UnicodeSetAttribute(null=True)
    by_kind = index("by_kind", "kind", "created_at")


class Session(Model):
    Meta = table("sessions_table")

    token_hash = UnicodeAttribute(hash_key=True)
    user_id, email, expires_at = strings(3)
    expires_ttl = NumberAttribute()
