"""Headers that belong on the current request's answer whatever it turns out to be (the rate
limit's X-RateLimit-*, errors included), and the security headers every answer carries."""
from __future__ import annotations

import contextvars

_extra: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("response_headers", default=None)

# JSON never runs as a page, and nothing may frame Kirim. The console's page sets its own
# Content-Security-Policy first (the middleware only fills what is missing).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}


def reset() -> None:
    _extra.set(None)


def add(headers: dict[str, str]) -> None:
    _extra.set({**(_extra.get() or {}), **headers})


def pending() -> dict[str, str]:
    return {**(_extra.get() or {}), **SECURITY_HEADERS}
