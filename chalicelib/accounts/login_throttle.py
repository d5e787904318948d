"""Login throttling per email: after N failures within a sliding window, refuse with 429.

One item per email in the limits table holds the epoch seconds of recent failures.
Appending is one atomic UpdateItem (list_append), so concurrent guesses cannot slip
past the count; TTL removes the item once the window has passed.
"""
from __future__ import annotations

import hashlib
import math

from chalicelib.core import clock, metrics
from chalicelib.core.config import get_settings
from chalicelib.core.errors import TOO_MANY_REQUESTS, ApiError
from chalicelib.core.limits import Limit

# Keep the item small: only this many recent failures matter for any window.
_KEEP = 50


def _key(email: str) -> str:
    # Hashing keeps the address itself out of this table.
    return Limit.key("login", hashlib.sha256(email.lower().encode()).hexdigest())


def _recent(item: Limit | None, now: float, window: int) -> list[float]:
    if item is None or not item.events:
        return []
    return sorted(t for t in item.events if t > now - window)


def check(email: str) -> None:
    """Raise 429 (code 9) when the email is locked out; one consistent GetItem."""
    settings = get_settings()
    now = clock.epoch()
    try:
        item = Limit.get(_key(email), consistent_read=True)
    except Limit.DoesNotExist:
        return
    recent = _recent(item, now, settings.login_window_seconds)
    if len(recent) >= settings.login_max_failures:
        oldest_that_counts = recent[-settings.login_max_failures]
        retry_after = max(1, math.ceil(oldest_that_counts + settings.login_window_seconds - now))
        metrics.throttled("login")
        raise ApiError(TOO_MANY_REQUESTS, "Too many failed logins; try again later",
                       headers={"Retry-After": str(retry_after)})


def record_failure(email: str) -> None:
    settings = get_settings()
    now = clock.epoch()
    item = Limit(_key(email))
    item.update(actions=[
        Limit.events.set((Limit.events | []).append([now])),
        Limit.expires_ttl.set(int(now) + settings.login_window_seconds + 60),
    ])
    if item.events and len(item.events) > _KEEP:
        # Trim in a separate write; losing a race here only keeps a few extra entries.
        recent = _recent(item, now, settings.login_window_seconds)[-_KEEP:]
        Limit(_key(email), events=recent, expires_ttl=item.expires_ttl).save()


def clear(email: str) -> None:
    Limit(_key(email)).delete()
