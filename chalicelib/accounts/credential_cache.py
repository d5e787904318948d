"""A short-lived, in-memory memo of verified Basic-auth credentials.

Why: V1 clients send email:password on every request, and scrypt is deliberately slow
(~0.3 s). Verifying once and remembering the result for a short time makes a warm V1
request cost about what a V2 token request costs.

What is kept: the key is SHA-256 over (a per-process random salt, email, password), so the
process memory never holds a password, and a stolen dump cannot be checked against a
password list without the salt. Entries live for `ttl` seconds (60 by default): a changed
password stops working on a warm container within that time. The cache is bounded (LRU).
"""
from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict
from threading import Lock
from typing import Any, Callable

_MAX_ENTRIES = 1024


class CredentialCache:
    def __init__(self, ttl: Callable[[], int]) -> None:
        self._ttl = ttl
        self._salt = os.urandom(16)
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = Lock()

    def _key(self, email: str, password: str) -> str:
        material = self._salt + email.lower().encode() + b"\0" + password.encode()
        return hashlib.sha256(material).hexdigest()

    def get(self, email: str, password: str) -> Any | None:
        key = self._key(email, password)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, email: str, password: str, value: Any) -> None:
        ttl = self._ttl()
        if ttl <= 0:
            return
        with self._lock:
            self._entries[self._key(email, password)] = (time.monotonic() + ttl, value)
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
