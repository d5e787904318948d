"""Password hashing with scrypt (memory-hard, in the standard library).

N=2**15, r=8, p=3 is one of OWASP's scrypt settings; it needs 32 MiB, which fits a
256 MB Lambda. The parameters are stored with each hash so they can be raised later.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

_N, _R, _P, _LEN = 2**15, 8, 3, 32
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN, maxmem=_MAXMEM)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected), maxmem=_MAXMEM)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email costs what a wrong password
    costs. Made on first use, not at import, to keep cold starts short."""
    return hash_password("kirim-dummy-password")
