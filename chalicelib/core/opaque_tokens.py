"""Opaque bearer secrets (sessions and channel tokens): made here, stored only as SHA-256.

A 256-bit random secret needs no salt or slow KDF: SHA-256 of it cannot be reversed or
guessed, and a hash lets the server find it with one GetItem.
"""
from __future__ import annotations

import hashlib
import secrets

SECRET_BYTES = 32  # 256 bits


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(SECRET_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
