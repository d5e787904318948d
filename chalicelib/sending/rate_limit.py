"""Requests per second per application: a fixed one-second window counted in DynamoDB.

One UpdateItem (ADD, returning the new count) per request; the item expires by TTL. Every
request of the application writes its second's item, so above SHARD_RATE requests per second
the window is split over several items (one picked at random per request, each allowing its
share of the limit): no item takes more than about a quarter of a partition's 1,000 writes per
second. Up to SHARD_RATE (the default limit is 25) the count is exact; above it each share is
enforced on its own, which can refuse a burst a few percent before the limit.
The X-RateLimit-* headers go on the request's answer, errors included (web.response_headers).

Safe to resend, for a window, means each request is counted at most once: a retry inside Kirim
never makes a client under its limit look over it. The ADD is sent once (core.limits.count);
when its answer is lost the window is read instead, and the request is judged by that count
(with or without itself: at most once, so at worst one request more than the limit passes).
"""
from __future__ import annotations

import math
import random

from chalicelib.core import clock, metrics
from chalicelib.core.errors import TOO_MANY_REQUESTS, ApiError
from chalicelib.core.limits import Limit
from chalicelib.core.limits import count as count_event
from chalicelib.web import response_headers

SHARD_RATE = 250


def shards_for(limit: int) -> int:
    return max(1, math.ceil(limit / SHARD_RATE))


def hit(application_id: str, limit: int) -> dict[str, str]:
    now = clock.epoch()
    window = int(now)
    shards = shards_for(limit)
    parts = ("rl", application_id, window) if shards == 1 else ("rl", application_id, window, random.randrange(shards))
    count = count_event(Limit.key(*parts), window + 120)
    share = math.ceil(limit / shards)
    remaining = str(max(0, limit - count * shards))
    # OCA's pages spell one header X-RateLmit-Remaining: both spellings, so either client reads it.
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": remaining, "X-RateLmit-Remaining": remaining,
               "X-RateLimit-Reset": str(window + 1)}
    response_headers.add(headers)
    if count > share:
        metrics.throttled("rate_limit")
        retry_after = max(1, int(window + 1 - now + 0.999))
        raise ApiError(TOO_MANY_REQUESTS, f"Rate limit of {limit} requests per second exceeded",
                       headers={**headers, "Retry-After": str(retry_after)})
    return headers
