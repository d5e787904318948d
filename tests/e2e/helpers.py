"""What the browser test files share: the accounts' password, a poll for an outcome (and one that moves the
page's clock past the console's polls), Playwright's expect, an account with its application, a page signed
in, and the checks of a page at each screen size."""
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


def fast_polls(page, check, what: str, poll_ms: int = 3000):
    """`check()`'s first truthy value, the page's clock (`page.clock.install()`ed before its first load) moved
    on by one of the console's poll intervals between looks: its polls come at once instead of every few
    seconds. Only the page's timers move; the stack keeps real time (no test asserts a duration)."""
    def look():
        value = check()
        if not value:
            page.clock.fast_forward(poll_ms)
        return value

    return eventually(look, what, seconds=120, every=0.2)


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


def owner_with_application(stack, prefix: str, name: str, channels=("sms",), sender_ids=()) -> dict:
    """A new account (through the API) with one application called `name` on `channels`, its SMS sender ids
    set when given: {"email", "session", "application_id"}."""
    email = register(stack, prefix, name)
    session = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": name, "channels": list(channels)}, session)
    assert status == 201, app
    app_id = app["application_id"]
    if sender_ids:
        status, body, _ = stack.request("PUT", f"/applications/{app_id}/settings", {"sender_ids": list(sender_ids)},
                                        session)
        assert status == 200, body
    return {"email": email, "session": session, "application_id": app_id}


BOTH_SIZES = ((1280, 800), (390, 844))


def check_sizes(page, lang: str, what: str, screenshot=None, sizes=BOTH_SIZES) -> None:
    """The page as it is now, in `lang` (the page's language), at each size: no English left in Indonesian,
    axe-core clean, nothing wider than the screen; `screenshot(width)` names the picture to take and look at
    (None: none). Back at 1280x800 after."""
    import re

    from tests.e2e.conftest import axe_serious
    from tests.e2e.test_console_language import english_left

    for width, height in sizes:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(100)  # the layout settles; no timing is asserted
        if lang == "id":
            # "3 unit" is Indonesian too
            assert [f for f in english_left(page) if not re.search(r"'[\d.]+ unit'", f)] == [], (what, width)
        assert axe_serious(page) == [], (what, lang, width)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (what, lang, width)
        path = screenshot(width) if screenshot else None
        if path:
            page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


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
