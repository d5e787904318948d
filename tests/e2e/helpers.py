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


def open_signed_in(browser, stack, email: str, at: str = "overview", *, width: int = 1280, height: int = 800,
                   locale: str = "en-GB", timezone: str = "Asia/Jakarta", before=None, **options):
    """A new browser context signed in through the page at `#/{at}`, watched for errors and CSP reports
    (a phone's menu hides the links, so the page's own link is waited for attached). `before(page)` runs
    before the first load (routes, say); `options` go to the context."""
    from tests.e2e.conftest import CSP_WATCH, Watched

    context = browser.new_context(viewport={"width": width, "height": height}, base_url=stack.api, locale=locale,
                                  timezone_id=timezone, **options)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.set_default_timeout(30_000)
    if before:
        before(page)
    watched = Watched(page)
    page.goto(f"{stack.console}#/{at}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form").get_by_role("button", name="Sign in").click()
    page.locator(f"[data-nav={at}]").wait_for(state="attached")
    return watched
