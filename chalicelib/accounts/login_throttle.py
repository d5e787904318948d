"""Login throttling that an attacker cannot turn against the account's owner.

Every password check (dashboard login and V1 Basic auth alike) first reserves an attempt on two
counters, each with one conditional UpdateItem, before the slow scrypt check runs:

- per email and source address: LOGIN_MAX_FAILURES attempts per window (core.config.Limits), then a progressive delay
  (1 s, 2 s, 4 s... between attempts) until the window ends. A success clears it.
- per source address, whatever the email: 4x that many failures per window, then the same
  delay, so one address cannot try passwords on many accounts. A success gives its own
  reservation back.

Because the attempt is counted before the check, parallel guesses cannot all slip through
(the condition admits FREE + 1 of any burst), and because the counters are per source
address, guesses from elsewhere never delay the owner's own logins or V1 calls: there is no
lockout to trigger. The source address is API Gateway's (`requestContext.identity.sourceIp`),
never a header a client can set. Items hold only hashes and expire by TTL.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock, metrics
from chalicelib.core.config import get_settings
from chalicelib.core.db import error_code
from chalicelib.core.errors import TOO_MANY_REQUESTS, ApiError
from chalicelib.core.limits import Limit

FREE_PER_SOURCE_FACTOR = 4    # a source may fail this many times what one email allows
BASE_DELAY = 1                # seconds; doubles with every attempt past the free ones


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Reservation:
    email_key: str
    source_key: str


def _keys(email: str, source: str) -> Reservation:
    return Reservation(Limit.key("login", _digest(email.lower(), source)), Limit.key("login-src", _digest(source)))


def _try(key: str, actions: list, condition) -> bool:
    try:
        Limit(key).update(actions=actions, condition=condition)
    except UpdateError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _take(key: str, free: int, now: int, window: int) -> int | None:
    """Reserve one attempt on a counter; None when reserved, else the seconds to wait."""
    ttl = now + window + 60
    # A new window: no counter yet, or its window is over.
    if _try(key, [Limit.hits.set(1), Limit.window_until.set(now + window), Limit.expires_ttl.set(ttl),
                  Limit.next_at.remove(), Limit.backoff.remove()],
            Limit.pk.does_not_exist() | (Limit.window_until <= now)):
        return None
    # One of the free attempts of the window.
    if _try(key, [Limit.hits.add(1)], (Limit.hits < free) & (Limit.window_until > now)):
        return None
    # Past them: one attempt once the delay has passed, and the next delay doubles.
    delay = Limit.backoff | BASE_DELAY
    if _try(key, [Limit.hits.add(1), Limit.next_at.set(delay + now), Limit.backoff.set(delay + delay)],
            (Limit.window_until > now) & (Limit.next_at.does_not_exist() | (Limit.next_at <= now))):
        return None
    try:
        item = Limit.get(key, consistent_read=True)
    except Limit.DoesNotExist:
        return 1
    until = min(int(item.next_at or now + 1), int(item.window_until or now + 1))
    return max(1, math.ceil(until - now))


def reserve(email: str, source: str) -> Reservation:
    """Count this attempt before the password is checked, or answer 429 with Retry-After."""
    limits = get_settings().limits
    keys = _keys(email, source)
    now, window, free = int(clock.epoch()), limits.login_window_seconds, limits.login_max_failures
    wait = _take(keys.source_key, free * FREE_PER_SOURCE_FACTOR, now, window)
    if wait is None:
        wait = _take(keys.email_key, free, now, window)
        if wait is not None:
            Limit(keys.source_key).update(actions=[Limit.hits.add(-1)])  # this attempt will not run
    if wait is not None:
        metrics.throttled("login")
        raise ApiError(TOO_MANY_REQUESTS, "Too many failed logins from this address; try again later",
                       headers={"Retry-After": str(wait)})
    return keys


def succeeded(reservation: Reservation) -> None:
    """The password was right: forget this address's failures for the email, and give the
    address its reservation back."""
    Limit(reservation.email_key).delete()
    Limit(reservation.source_key).update(actions=[Limit.hits.add(-1)])
