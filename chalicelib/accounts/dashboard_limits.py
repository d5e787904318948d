"""Requests per account on the dashboard API, in fixed windows (core.config.Limits):

- REQUESTS: every request made with a session (DASHBOARD_REQUESTS_PER_MINUTE);
- SEARCHES: a message list filtered by status (MESSAGE_SEARCHES_PER_MINUTE): each status of each
  channel is 8 index shards to read, up to 400 Queries for one page;
- REPORTS: a new report (REPORTS_PER_HOUR): its job reads every message of its range.

Each request counts in exactly one of them, so the limit costs one conditional UpdateItem a request.
Past a limit: 429 code 9 with Retry-After (the window's end) in the dashboard's body. Per account
rather than per session, so that more sessions buy no more. Logging out is never limited.

The count is exact: each request carries a random id into its window's set (core.limits.take_once),
so botocore sending the write again after a lost answer counts nothing more. Over-counting would
have been tolerable (one request refused early in one window), but the exact count costs no extra
call: about 8 bytes a request in an item that lives one window.
"""
from __future__ import annotations

import math
import random
from typing import NamedTuple

from chalicelib.core import clock
from chalicelib.core.config import get_settings
from chalicelib.core.errors import TOO_MANY_REQUESTS, ApiError


class Kind(NamedTuple):
    name: str
    limit: str        # the core.config.Limits field
    window: int       # seconds
    what: str         # in the refusal: "Too many <what>"
    per: str


REQUESTS = Kind("dash", "dashboard_requests_per_minute", 60, "dashboard requests", "a minute")
SEARCHES = Kind("dash-search", "message_searches_per_minute", 60, "message lists by status", "a minute")
REPORTS = Kind("dash-report", "reports_per_hour", 3600, "new reports", "an hour")


def hit(user_id: str, kind: Kind = REQUESTS) -> None:
    """Count one request of the account in `kind`'s window, or refuse it with 429."""
    from chalicelib.core import metrics
    from chalicelib.core.limits import Limit, take_once

    limit = getattr(get_settings().limits, kind.limit)
    now = clock.epoch()
    start = int(now) // kind.window * kind.window
    if take_once(Limit.key(kind.name, user_id, start), random.getrandbits(48), limit, start + kind.window + 60):
        return
    metrics.throttled("dashboard")
    wait = max(1, math.ceil(start + kind.window - now))
    raise ApiError(TOO_MANY_REQUESTS, f"Too many {kind.what}: at most {limit} {kind.per} per account; "
                                      f"try again in {wait} s", headers={"Retry-After": str(wait)})
