"""Requests per second per application: a fixed one-second window counted in DynamoDB.

One UpdateItem (ADD, returning the new count) per request; the item expires by TTL.
The X-RateLimit-* headers go on the request's answer, errors included (web.response_headers).
"""
from __future__ import annotations

from chalicelib.core import clock, metrics
from chalicelib.core.errors import TOO_MANY_REQUESTS, ApiError
from chalicelib.core.limits import Limit
from chalicelib.web import response_headers


def hit(application_id: str, limit: int) -> dict[str, str]:
    now = clock.epoch()
    window = int(now)
    item = Limit(Limit.key("rl", application_id, window))
    item.update(actions=[Limit.hits.add(1), Limit.expires_ttl.set(window + 120)])
    count = int(item.hits)
    remaining = str(max(0, limit - count))
    # OCA's pages spell one header X-RateLmit-Remaining: both spellings, so either client reads it.
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": remaining, "X-RateLmit-Remaining": remaining,
               "X-RateLimit-Reset": str(window + 1)}
    response_headers.add(headers)
    if count > limit:
        metrics.throttled("rate_limit")
        retry_after = max(1, int(window + 1 - now + 0.999))
        raise ApiError(TOO_MANY_REQUESTS, f"Rate limit of {limit} requests per second exceeded",
                       headers={**headers, "Retry-After": str(retry_after)})
    return headers
