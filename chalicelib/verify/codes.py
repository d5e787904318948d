"""One-time codes: made with `secrets`, stored only as a keyed, salted hash, compared in constant time.

The hash is HMAC-SHA256 under a key derived for the one verification from the master key
(core.stack_keys), over a random salt and the code, stored as `<kid>:<hex>` with the id of the
master key it was made with (a bare hex hash was made with LEGACY_KID), so a code started before
a master key rotation still checks during it. Without the master key, a copy of the table cannot
be turned back into codes by trying all 10^6 of them.
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


def _hash(kid: str, verification_id: str, salt: str, code: str) -> str:
    key = stack_keys.derive("verify-code", verification_id, kid=kid)
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def digest(verification_id: str, salt: str, code: str) -> str:
    kid = stack_keys.current_kid()
    return f"{kid}:{_hash(kid, verification_id, salt, code)}"


def matches(stored: str, verification_id: str, salt: str, code: str) -> bool:
    kid, _, value = stored.rpartition(":")
    try:
        expected = _hash(kid or stack_keys.LEGACY_KID, verification_id, salt, code)
    except stack_keys.RetiredKey:
        return False  # made before a finished rotation: it expired before the key was retired
    return hmac.compare_digest(value, expected)
