"""When a delivery is tried again: exponential backoff with jitter, for more than a day.

Attempt 1 is made at once; after failed attempt n (1-7) the next waits BASE x FACTOR^(n-1)
seconds, capped at CAP, times a random factor in [1 - JITTER, 1 + JITTER]: about 1 min, 4 min,
16 min, 64 min, 4.3 h, 12 h and 12 h. The 8 attempts span 29.7 h (26.7 h at the least), and
the jitter keeps a receiver that comes back from an outage from being hit by every delivery in
the same second.
"""
from __future__ import annotations

import random
from typing import Callable

MAX_ATTEMPTS = 8
BASE_SECONDS = 60
FACTOR = 4
CAP_SECONDS = 12 * 3600
JITTER = 0.1


jitter: Callable[[], float] = random.random   # uniform in [0, 1); tests pin it


def retry_delay(failed_attempts: int, rand: Callable[[], float] | None = None) -> float:
    """Seconds to wait after `failed_attempts` failures (1 or more) before the next attempt."""
    base = min(BASE_SECONDS * FACTOR ** (failed_attempts - 1), CAP_SECONDS)
    return base * (1 - JITTER + 2 * JITTER * (rand or jitter)())


def shortest_span() -> float:
    """From the first attempt to the last, with the least jitter."""
    return sum(retry_delay(n, lambda: 0.0) for n in range(1, MAX_ATTEMPTS))
