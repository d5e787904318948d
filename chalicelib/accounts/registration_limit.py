"""Registrations per source address: REGISTRATIONS_PER_HOUR attempts an hour (core.config.Limits), successes and
"already exists" answers alike, so the 409 that tells an email is taken cannot be used to list
accounts in bulk. One UpdateItem per registration on a fixed one-hour window; TTL removes it.
"""
from __future__ import annotations

import hashlib

from chalicelib.core import clock
from chalicelib.core.config import get_settings
from chalicelib.core.errors import TOO_MANY_REQUESTS, ApiError
from chalicelib.core.limits import Limit, count

WINDOW = 3600


def hit(source: str) -> None:
    now = clock.epoch()
    start = int(now) // WINDOW * WINDOW
    key = Limit.key("register", hashlib.sha256(source.encode()).hexdigest(), start)
    if count(key, start + WINDOW + 60) > get_settings().limits.registrations_per_hour:
        raise ApiError(TOO_MANY_REQUESTS, "Too many registrations from this address; try again later",
                       headers={"Retry-After": str(max(1, int(start + WINDOW - now)))})
