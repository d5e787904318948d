"""Browser tests: the real local stack (moto, `chalice local`, the worker) with the built console, driven
by Playwright through Debian's Chromium. All of them share one stack and one signed-in browser, so they
run in one xdist worker (`--dist loadfile`), in file order."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.stack import CHROMIUM, CHROMIUM_ARGS, ROOT, start_stack

AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Records what the page's Content-Security-Policy refused (the page itself cannot run inline code).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    running = start_stack(tmp_path_factory.mktemp("stack") / "demo.env")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Beside the rest of the suite on 2 cores, a page may take a while: wait for outcomes generously.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Watched:
    """A page whose console errors, uncaught exceptions and CSP violations are collected."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message) -> None:
        text = message.text
        # 401/4xx answers the console expects (a signed-out check, a refused form) log as resource errors.
        if message.type == "error" and "Failed to load resource" not in text:
            self.errors.append(text)

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations || []")

    def assert_clean(self) -> None:
        assert self.csp_violations() == []
        assert [e for e in self.errors if "Content Security Policy" in e or "pageerror" in e] == []


@pytest.fixture(scope="session")
def context(browser, stack):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=stack.api, accept_downloads=True,
                              locale="en-GB", timezone_id="Asia/Jakarta")
    ctx.add_init_script(CSP_WATCH)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def watched(context):
    page = context.new_page()
    page.set_default_timeout(20_000)
    return Watched(page)


@pytest.fixture(scope="session")
def shared() -> dict:
    """What the flows hand each other (they run in order in one worker)."""
    return {}


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """docs/screenshots/ when KIRIM_UPDATE_SCREENSHOTS=1 (then commit them), else a temporary folder."""
    if os.environ.get("KIRIM_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


def axe_serious(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document);
        return {checked: r.passes.length + r.violations.length,
                serious: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                           .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))};
    }""")
    assert result["checked"] > 10, "axe-core did not run its rules"
    return result["serious"]

