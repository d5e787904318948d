"""One-time codes: made with `secrets`, stored only as a keyed, salted hash, compared in constant time.

The hash is HMAC-SHA256 under a key derived for the one verification from the stack's secret
(core.stack_keys), over a random salt and the code. Without the stack's secret, a copy of the
table cannot be turned back into codes by trying all 10^6 of them.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from chalicelib.core import stack_keys

DEFAULT_LENGTH, MIN_LENGTH, MAX_LENGTH = 6, 4, 10


def new_code(length: int = DEFAULT_LENGTH) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(verification_id: str, salt: str, code: str) -> str:
    key = stack_keys.derive("verify-code", verification_id)
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(stored: str, verification_id: str, salt: str, code: str) -> bool:
    return hmac.compare_digest(stored, digest(verification_id, salt, code))
