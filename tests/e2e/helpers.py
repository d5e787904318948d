"""What the browser test files share: the accounts' password, a poll for an outcome, Playwright's expect."""
from __future__ import annotations

import time

PASSWORD = "a long enough password"


def eventually(check, what: str, seconds: float = 60, every: float = 0.5):
    """`check()`'s first truthy value, polled with a generous ceiling (no test asserts a duration)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def expect(*_):
    """Playwright's expect, imported when a browser test runs (the rest of the suite never loads it)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect
