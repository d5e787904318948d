"""From a key to a sent message, without a developer (issue 21, section 1): the first-steps checklist,
"How to use this key" with its snippets (the curl ones run against the stack), the shown-once key's
"Did you save it?", and a test message watched until it is delivered. Its own account; in file order."""
from __future__ import annotations

import re
import subprocess
import urllib.parse

import pytest

from tests.e2e.conftest import CSP_WATCH, Watched, axe_serious
from tests.e2e.helpers import PASSWORD, expect as _expect, register, sign_in


@pytest.fixture(scope="module")
def owner(stack) -> dict:
    return {"email": register(stack, "first-send")}


def _session(stack, owner) -> dict[str, str]:
    return sign_in(stack, owner["email"])


def _page(browser, stack, owner, width: int, height: int, lang: str = "en") -> Watched:
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=stack.api,
                                  locale="en-GB", timezone_id="Asia/Jakarta")
    context.add_init_script(CSP_WATCH)
    if lang == "id":
        context.add_init_script("localStorage.setItem('kirim.console.lang', 'id')")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(stack.console + "#/overview")
    page.get_by_label("Email").fill(owner["email"])
    page.get_by_label(re.compile("Password|Kata sandi")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Sign in|Masuk)$")).click()
    return Watched(page)


@pytest.fixture(scope="module")
def desktop(browser, stack, owner):
    watched = _page(browser, stack, owner, 1280, 800)
    yield watched
    watched.page.context.close()


def _run(command: str) -> str:
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, check=True).stdout


def test_an_empty_overview_lists_the_first_steps(desktop, owner, screenshot_dir):
    page, expect = desktop.page, _expect()
    steps = page.get_by_test_id("first-steps")
    expect(steps).to_be_visible()
    expect(steps.locator("li")).to_have_count(5)
    expect(steps.locator("li[data-done=true]")).to_have_count(0)
    create = steps.get_by_role("link", name="Create your application")
    expect(create).to_have_attribute("href", "#/applications?create=1")
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / "first-steps-1280.png"), full_page=True)
    steps.get_by_role("link", name="Create your application").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Application Name").fill("Batik Sari")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Details App")).to_be_visible()
    owner["application_id"] = page.get_by_test_id("app-id").inner_text()
    desktop.assert_clean()


def test_the_first_key_shows_how_to_use_it_and_its_snippets_send(desktop, owner, stack, screenshot_dir):
    page, expect = desktop.page, _expect()
    app_id = owner["application_id"]
    page.get_by_label("Select channel").select_option(label="SMS")
    page.get_by_role("button", name="Generate Key").click()
    confirm = page.get_by_role("dialog")
    # No key yet: nothing "stops working".
    expect(confirm).to_contain_text("shown only once")
    expect(confirm).not_to_contain_text("stops working")
    confirm.get_by_role("button", name="Yes, Generate Key").click()
    key = page.get_by_test_id("new-key").input_value()
    assert key.startswith("kirim_sms_")

    dialog = page.get_by_role("dialog")
    usage = dialog.get_by_test_id("key-usage")
    expect(usage.get_by_test_id("usage-v2")).to_contain_text(f"POST {stack.api}/sms/v2/sms")
    expect(usage.get_by_test_id("usage-v2")).to_contain_text("Authorization: Bearer YOUR_SMS_KEY")
    expect(usage.get_by_test_id("usage-v1")).to_contain_text(f"POST {stack.api}/api/v1/sms")
    expect(usage.get_by_test_id("usage-v1")).to_contain_text(f"X-Application-Id: {app_id}")
    # Side by side on a laptop.
    v2, v1 = usage.get_by_test_id("usage-v2").bounding_box(), usage.get_by_test_id("usage-v1").bounding_box()
    assert abs(v2["y"] - v1["y"]) < 2 and v1["x"] > v2["x"]
    expect(usage.get_by_test_id("usage-docs")).to_have_attribute("href", "/docs/guide/channel-api/#sms")
    page.screenshot(path=str(screenshot_dir / "key-usage-1280.png"))

    snippet = usage.get_by_test_id("snippet")
    expected = {"curl": "curl -s", "php": "curl_init(", "javascript": "await fetch(", "python": "requests.post(",
                "go": "http.NewRequest("}
    for lang, marker in expected.items():
        usage.get_by_test_id(f"snippet-{lang}").click()
        expect(snippet).to_contain_text(marker)
        expect(snippet).to_contain_text(f"{stack.api}/sms/v2/sms")
        expect(snippet).to_contain_text("YOUR_SMS_KEY")
        expect(snippet).to_contain_text(app_id)

    # The curl snippet, with the key put in, sends (V2); so does V1's with the password.
    usage.get_by_test_id("snippet-curl").click()
    curl = snippet.inner_text()
    assert '"sent"' in _run(curl.replace("YOUR_SMS_KEY", key))
    usage.get_by_role("button", name="V1 (login)").click()
    expect(snippet).to_contain_text(f"-u '{owner['email']}:YOUR_PASSWORD'")
    assert '"sent"' in _run(snippet.inner_text().replace("YOUR_PASSWORD", PASSWORD))

    # Esc and × ask first; the key stays until the owner says so.
    page.keyboard.press("Escape")
    expect(dialog.get_by_test_id("ask-saved")).to_contain_text("Did you save it?")
    expect(page.get_by_test_id("new-key")).to_have_value(key)
    assert axe_serious(page) == []
    dialog.get_by_role("button", name="Back to the key").click()
    expect(dialog.get_by_test_id("ask-saved")).to_have_count(0)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog.get_by_test_id("ask-saved")).to_be_visible()
    dialog.get_by_role("button", name="Yes, close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    owner["sms_key"] = key
    # The snippet used the key: its row says when ("created" and "last used").
    sms_row = page.locator("tr[data-channel=sms]")
    expect(sms_row).to_contain_text("Created")
    expect(sms_row.get_by_test_id("last-used")).to_contain_text("Last used")

    # A second key does stop the first.
    page.get_by_label("Select channel").select_option(label="SMS")
    page.get_by_role("button", name="Generate Key").click()
    expect(page.get_by_role("dialog")).to_contain_text("stops working at once")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    # Every channel's row has "How to use"; WhatsApp is V2 only.
    page.locator("tr[data-channel=whatsapp]").get_by_role("button", name="How to use WhatsApp").click()
    usage = page.get_by_role("dialog").get_by_test_id("key-usage")
    expect(usage.get_by_test_id("usage-v2")).to_contain_text(f"{stack.api}/api/v2/push/message")
    expect(usage.get_by_test_id("usage-v1")).to_contain_text("V2 only")
    expect(usage.get_by_role("button", name="V1 (login)")).to_have_count(0)
    page.keyboard.press("Escape")
    page.locator("tr[data-channel=sms_otp]").get_by_role("button", name="How to use SMS OTP").click()
    expect(page.get_by_role("dialog").get_by_test_id("snippet")).to_contain_text(f"{stack.api}/sms/v2/send-otp")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    desktop.assert_clean()


def test_a_test_message_is_watched_until_delivered(desktop, owner, screenshot_dir):
    page, expect = desktop.page, _expect()
    form = page.get_by_test_id("test-send")
    form.get_by_label("Channel").select_option(label="SMS")
    form.get_by_label("Recipient").fill("halo")
    form.get_by_role("button", name="Send test").click()
    expect(form.locator(".field-error")).to_be_visible()
    form.get_by_label("Recipient").fill("0812 3456 7890")
    form.get_by_role("button", name="Send test").click()
    status = page.get_by_test_id("test-status")
    expect(status).to_contain_text("Delivered", timeout=60_000)
    expect(status.get_by_test_id("open-inbox")).to_have_attribute("href", "#/inbox?to=%2B6281234567890")
    form.scroll_into_view_if_needed()
    form.screenshot(path=str(screenshot_dir / "test-send-1280.png"))
    # Email: the owner's own address is filled in.
    form.get_by_label("Channel").select_option(label="Email")
    expect(form.get_by_label("Recipient")).to_have_value(owner["email"])
    desktop.assert_clean()


def test_the_first_steps_tick_themselves(desktop, owner, stack):
    page, expect = desktop.page, _expect()
    page.goto(stack.console + "#/overview")
    steps = page.get_by_test_id("first-steps")
    for step, done in (("app", "true"), ("key", "true"), ("test", "true"), ("template", "false"),
                       ("callback", "false")):
        expect(steps.locator(f"li[data-step={step}]")).to_have_attribute("data-done", done)
    # With steps still open, a switch back to the Overview stays within its budget of 3 API calls.
    calls: list[str] = []

    def record(request) -> None:
        path = urllib.parse.urlparse(request.url).path
        if path.startswith("/applications") or path.startswith("/auth"):
            calls.append(f"{request.method} {path}")

    page.locator("[data-nav=applications]").click()
    expect(page.get_by_test_id("applications")).to_be_visible()
    page.on("request", record)
    try:
        page.locator("[data-nav=overview]").click()
        expect(page.get_by_test_id("first-steps")).to_be_visible()
        expect(page.get_by_test_id("kpi-total")).to_be_visible()
        page.wait_for_timeout(300)
    finally:
        page.remove_listener("request", record)
    assert 1 <= len(calls) <= 3, calls
    # The local stage takes a loopback http URL (nothing is called on save).
    status, body, _ = stack.request("PUT", f"/applications/{owner['application_id']}/settings",
                                    {"callback_url": "http://127.0.0.1:9/kirim"}, _session(stack, owner))
    assert status == 200, body
    page.reload()
    expect(page.get_by_test_id("first-steps").locator("li[data-step=callback]")).to_have_attribute("data-done", "true")
    expect(page.get_by_text("4 of 5 done")).to_be_visible()


def test_on_a_phone_in_indonesian(browser, stack, owner, screenshot_dir):
    watched = _page(browser, stack, owner, 390, 844, lang="id")
    page, expect = watched.page, _expect()
    try:
        steps = page.get_by_test_id("first-steps")
        expect(page.get_by_role("heading", name="Langkah pertama")).to_be_visible()
        expect(steps).to_contain_text("Ajukan template WhatsApp")
        assert axe_serious(page) == []
        page.screenshot(path=str(screenshot_dir / "first-steps-390-id.png"), full_page=True)

        page.goto(stack.console + f"#/applications/{owner['application_id']}")
        expect(page.get_by_test_id("test-send")).to_contain_text("Kirimkan pesan uji")
        page.get_by_test_id("test-send").screenshot(path=str(screenshot_dir / "test-send-390-id.png"))
        page.locator("tr[data-channel=sms]").get_by_role("button", name="Cara memakai SMS").click()
        usage = page.get_by_role("dialog").get_by_test_id("key-usage")
        expect(usage).to_contain_text("Cara memakai kunci ini")
        expect(usage).to_contain_text("V1: dengan login Anda")
        # Stacked on a phone, and nothing wider than the screen.
        v2, v1 = usage.get_by_test_id("usage-v2").bounding_box(), usage.get_by_test_id("usage-v1").bounding_box()
        assert v1["y"] > v2["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_serious(page) == []
        page.screenshot(path=str(screenshot_dir / "key-usage-390-id.png"))
        page.keyboard.press("Escape")

        # The shown-once key's question, in Indonesian.
        page.get_by_label("Pilih kanal").select_option(label="Email")
        page.get_by_role("button", name="Buat Kunci").click()
        page.get_by_role("dialog").get_by_role("button", name="Ya, Buat Kunci").click()
        expect(page.get_by_test_id("new-key")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("ask-saved")).to_contain_text("Sudah Anda simpan?")
        page.get_by_role("button", name="Ya, tutup").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(page.locator("tr[data-channel=email]").get_by_test_id("last-used")).to_have_text("Belum pernah dipakai")
        watched.assert_clean()
    finally:
        page.context.close()
