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


def register(stack, prefix: str, name: str = "Batik Pekalongan") -> str:
    """A new account of the test's own, made through the API; its email."""
    import uuid

    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    status, body, _ = stack.request("POST", "/auth/register", {"name": name, "email": email, "password": PASSWORD})
    assert status == 201, body
    return email


def sign_in(stack, email: str) -> dict[str, str]:
    """A session for the account, as the Authorization header of dashboard requests."""
    status, body, _ = stack.request("POST", "/auth/login", {"email": email, "password": PASSWORD})
    assert status == 200, body
    return {"Authorization": "Bearer " + body["session_token"]}
