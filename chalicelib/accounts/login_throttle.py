"""Login throttling that counts every guess before it is checked, never refuses a right password
for the checks of other right ones, and that an attacker cannot turn against the account's owner.

Every password check (dashboard login and V1 Basic auth alike) first reserves an attempt, with one
conditional UpdateItem per counter, before the slow scrypt check runs:

- per email and source address: LOGIN_MAX_FAILURES attempts per window (core.config.Limits), then
  one more each time a delay has passed (1 s, 2 s, 4 s... doubling) until the window ends: at most
  6 checks at one instant, 6 + floor(log2(t + 1)) over t seconds, 15 in a 15-minute window;
- per source address, whatever the email: 4x that many, so one address cannot try passwords on many
  accounts;
- per account, whatever the address: 4x that many, so many addresses cannot keep guessing one
  account. Addresses that logged in to the account within TRUST_SECONDS are not held to it: guesses
  from elsewhere never lock the owner out of their own logins or V1 calls. (An address the account has
  never logged in from waits for the window while the account is under attack.)

Why reserve first: a reservation is counted before the check, so a parallel burst of wrong guesses
gets at most the free attempts (and the delayed ones) checked, never one check per request.

Why a right password is not refused: the 429 of a burst was never about guesses. A V1 client's
20 parallel requests land on 20 cold Lambdas, each checking the password once; the first five held
the free attempts while their checks ran, and the other fifteen were refused. So a reservation is
*in flight* until its check ends: a right password gives its attempt back (it was no guess), a wrong
one leaves it counted. A request refused while some of the refusing counter's attempts are still
in flight waits for them (polling, up to WAIT_POLLS x POLL_SECONDS) and tries again: if they were
right, their attempts come back and it gets one; if they were wrong, they stay counted and it is
refused as before. Checking the password of a refused request instead ("answer only a right
password") would not do: a right answer is exactly what a guesser wants to learn, so that path would
be an unthrottled oracle. Waiting keeps the bound for wrong guesses exact and lets right ones
through. A success erases nothing but its own attempt, so a right password among guesses (a shared
address) never opens the window for more of them.

Safe to resend: botocore sends an UpdateItem again when its answer is lost. Attempts are ids in
string sets, and ADD and DELETE of an id are idempotent; a free attempt's condition admits its own id
again, and a delayed attempt's resend, refused by its own `next_at`, is recognised by reading the
counter: the id is there.

The source address is API Gateway's (`requestContext.identity.sourceIp`), never a header a client
can set. Items hold only hashes and random ids, and expire by TTL.
"""
from __future__ import annotations

import hashlib
import math
import secrets
from typing import NamedTuple

from pynamodb.expressions.condition import size

from chalicelib.core import clock, metrics
from chalicelib.core.config import get_settings
from chalicelib.core.db import update_if
from chalicelib.core.errors import TOO_MANY_REQUESTS, ApiError
from chalicelib.core.limits import Limit

FREE_PER_SOURCE_FACTOR = 4    # a source may fail this many times what one email allows
FREE_PER_ACCOUNT_FACTOR = 4   # an account, from addresses it never logged in from, as many
BASE_DELAY = 1                # seconds; doubles with every attempt past the free ones
TRUST_SECONDS = 30 * 24 * 3600  # an address that logged in is the owner's for the per-account ceiling
CHECK_SECONDS = 30            # an attempt in flight longer than this was abandoned (its Lambda died)
WAIT_POLLS, POLL_SECONDS = 60, 0.25  # a refused request waits up to 15 s for checks in flight


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class Reservation(NamedTuple):
    attempt: str                # a random id, the same on every counter
    counters: tuple[str, ...]   # the counters holding it
    trust_key: str


class _Refusal(NamedTuple):
    wait: int                   # seconds until the counter takes an attempt again
    in_flight: bool             # some of its attempts are still being checked (or were, and left room)


def _holds(item: Limit | None, attempt: str) -> bool:
    return item is not None and attempt in (item.attempts or ())


def _take(key: str, attempt: str, free: int, now: int, window: int) -> _Refusal | None:
    """Reserve `attempt` on a counter; None when reserved."""
    item = Limit(key)
    held = [Limit.attempts.add({attempt}), Limit.pending.add({attempt}), Limit.pending_until.set(now + CHECK_SECONDS)]
    # A new window: no counter, its window is over, or every attempt in it was given back.
    if update_if(item, [Limit.attempts.set({attempt}), Limit.pending.set({attempt}),
                        Limit.pending_until.set(now + CHECK_SECONDS), Limit.window_until.set(now + window),
                        Limit.expires_ttl.set(now + window + 60), Limit.next_at.remove(), Limit.backoff.remove()],
                 Limit.pk.does_not_exist() | (Limit.window_until <= now) | Limit.attempts.does_not_exist()):
        return None
    # One of the free attempts of the window; a resend of one finds its id there and changes nothing.
    if update_if(item, held, ((size(Limit.attempts) < free) | Limit.attempts.contains(attempt))
                 & (Limit.window_until > now)):
        return None
    # Past them: one attempt once the delay has passed, and the next delay doubles.
    delay = Limit.backoff | BASE_DELAY
    if update_if(item, [*held, Limit.next_at.set(delay + now), Limit.backoff.set(delay + delay)],
                 (Limit.window_until > now) & (Limit.next_at.does_not_exist() | (Limit.next_at <= now))):
        return None
    try:
        current = Limit.get(key, consistent_read=True)
    except Limit.DoesNotExist:
        return _Refusal(1, False)
    if _holds(current, attempt):
        return None  # a resent write whose first copy had reserved it
    until = min(int(current.next_at or now + 1), int(current.window_until or now + 1))
    in_flight = bool(current.pending) and int(current.pending_until or 0) > now
    # Attempts given back between the refused write and this read: there is room again, so try again.
    room = (int(current.window_until or 0) <= now or len(current.attempts or ()) < free
            or int(current.next_at or 0) <= now)
    return _Refusal(max(1, math.ceil(until - now)), in_flight or room)


def _resolve(counters: tuple[str, ...] | list[str], actions: list) -> None:
    for key in counters:
        update_if(Limit(key), actions, Limit.pk.exists())  # an expired counter stays gone


def _trusted(trust_key: str, now: int) -> bool:
    try:
        return int(Limit.get(trust_key).expires_ttl or 0) > now
    except Limit.DoesNotExist:
        return False


def reserve(email: str, source: str) -> Reservation:
    """Count this attempt before the password is checked, or answer 429 with Retry-After."""
    limits = get_settings().limits
    free, window = limits.login_max_failures, limits.login_window_seconds
    email = email.lower()
    trust_key = Limit.key("login-ok", _digest(email, source))
    counters = [(Limit.key("login-src", _digest(source)), free * FREE_PER_SOURCE_FACTOR),
                (Limit.key("login", _digest(email, source)), free)]
    if not _trusted(trust_key, int(clock.epoch())):
        counters.append((Limit.key("login-acct", _digest(email)), free * FREE_PER_ACCOUNT_FACTOR))
    attempt = secrets.token_hex(8)
    refusal = _Refusal(1, False)
    for poll in range(WAIT_POLLS + 1):
        now = int(clock.epoch())
        held: list[str] = []
        for key, allowed in counters:
            refused = _take(key, attempt, allowed, now, window)
            if refused is not None:
                refusal = refused
                break
            held.append(key)
        else:
            return Reservation(attempt, tuple(held), trust_key)
        _resolve(held, [Limit.attempts.delete({attempt}), Limit.pending.delete({attempt})])  # it will not run
        if not refusal.in_flight or poll == WAIT_POLLS:
            break
        clock.sleep(POLL_SECONDS)
    metrics.throttled("login")
    raise ApiError(TOO_MANY_REQUESTS, "Too many failed logins; try again later",
                   headers={"Retry-After": str(refusal.wait)})


def failed(reservation: Reservation) -> None:
    """The password was wrong (or not checked to the end): the attempt stays counted."""
    _resolve(reservation.counters, [Limit.pending.delete({reservation.attempt})])


def succeeded(reservation: Reservation) -> None:
    """The password was right: its attempt is given back everywhere (it was no guess), and the
    address counts as the owner's for the account's ceiling."""
    _resolve(reservation.counters, [Limit.attempts.delete({reservation.attempt}),
                                    Limit.pending.delete({reservation.attempt})])
    Limit(reservation.trust_key, expires_ttl=int(clock.epoch()) + TRUST_SECONDS).save()
