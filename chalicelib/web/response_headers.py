"""Headers that belong on the current request's answer whatever it turns out to be (the rate
limit's X-RateLimit-*, errors included), the security headers every answer carries, and the
CORS headers of OCA's channel routes (browsers call them with jQuery; the dashboard API never
answers another origin)."""
from __future__ import annotations

import contextvars

from chalice import CORSConfig

_extra: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("response_headers", default=None)

# JSON never runs as a page, and nothing may frame Kirim. The console's page sets its own
# Content-Security-Policy first (the middleware only fills what is missing).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}

# Channel routes: any origin may call with a token in Authorization (no cookies, so no
# credentials mode), and may read the rate limit, paging and idempotency headers.
CHANNEL_CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Application-Id"],
    expose_headers=["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLmit-Remaining", "X-RateLimit-Reset",
                    "Retry-After", "X-Next-Cursor", "Link", "Idempotent-Replayed", "X-Request-Id"],
    max_age=600,
)
CHANNEL_CORS_HEADERS = CHANNEL_CORS.get_access_control_headers()


def reset() -> None:
    _extra.set(None)


def add(headers: dict[str, str]) -> None:
    _extra.set({**(_extra.get() or {}), **headers})


def pending() -> dict[str, str]:
    return {**(_extra.get() or {}), **SECURITY_HEADERS}
