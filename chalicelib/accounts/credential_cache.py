"""A short-lived, in-memory memo of verified Basic-auth credentials.

Why: V1 clients send email:password on every request, and scrypt is deliberately slow
(~0.3 s). Verifying once and remembering the result for a short time makes a warm V1
request cost about what a V2 token request costs.

What is kept: the key is SHA-256 over (a per-process random salt, email, password), so the
process memory never holds a password, and a stolen dump cannot be checked against a
password list without the salt. Entries live for `ttl` seconds (60 by default) on Kirim's
clock: a changed password stops working on a warm container within that time. The cache is
bounded (cachetools' TTLCache evicts the least recently used entry past MAX_ENTRIES).
"""
from __future__ import annotations

import hashlib
import os
from threading import Lock
from typing import Any

from cachetools import TTLCache

from chalicelib.core import clock

MAX_ENTRIES = 1024


class CredentialCache:
    def __init__(self, ttl: float) -> None:
        self._salt = os.urandom(16)
        self._entries: TTLCache | None = TTLCache(MAX_ENTRIES, ttl, timer=clock.monotonic) if ttl > 0 else None
        self._lock = Lock()

    def _key(self, email: str, password: str) -> str:
        return hashlib.sha256(self._salt + email.lower().encode() + b"\0" + password.encode()).hexdigest()

    def get(self, email: str, password: str) -> Any | None:
        if self._entries is None:
            return None
        with self._lock:
            return self._entries.get(self._key(email, password))

    def put(self, email: str, password: str, value: Any) -> None:
        if self._entries is None:
            return
        with self._lock:
            self._entries[self._key(email, password)] = value

    def clear(self) -> None:
        if self._entries is not None:
            with self._lock:
                self._entries.clear()

    def __len__(self) -> int:
        """Entries held, the expired ones dropped first."""
        if self._entries is None:
            return 0
        with self._lock:
            self._entries.expire()
            return len(self._entries)
