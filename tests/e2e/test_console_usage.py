"""The Usage page in a real browser: quota left per channel, messages per day, the operator's top-ups
(made with the admin CLI, once per top-up id), and a low-quota alert set on the page that shows a
warning banner; at 1280 and 390 px, in English and Indonesian. Its own account and browser page."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import axe_serious
from tests.e2e.stack import ROOT
from tests.e2e.helpers import open_signed_in, eventually as _eventually, register, sign_in


def _admin(stack, *args: str) -> str:
    """The operator's CLI against the stack's moto."""
    moto = re.search(r"moto\s+(http://127\.0\.0\.1:\d+)", "".join(stack.output)).group(1)
    env = {**os.environ, "AWS_ENDPOINT_URL": moto, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "KIRIM_STAGE": "local"}
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    done = subprocess.run([sys.executable, "-m", "chalicelib.applications.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def owner(stack):
    email = register(stack, "usage", "Batik")
    session = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Pekalongan", "channels": ["sms", "email"]},
                                   session)
    assert status == 201
    app_id = app["application_id"]
    status, token, _ = stack.request("POST", f"/applications/{app_id}/channels/sms/token", None, session)
    assert status == 201
    for _ in range(2):
        status, _, _ = stack.request("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Pesanan dikirim"},
                                     {"Authorization": token["token"]})
        assert status == 200

    def counted() -> bool:
        _, usage, _ = stack.request("GET", f"/applications/{app_id}/usage", headers=session)
        return {c["channel"]: c["messages"] for c in usage["channels"]}["sms"] == 2

    _eventually(counted, "the counters to count 2 SMS")
    # The operator tops up twice with the same id (say, its answer was lost): added once.
    assert '"added": true' in _admin(stack, "topup", app_id, "sms", "500", "--id", "invoice-2026-12")
    assert '"added": false' in _admin(stack, "topup", app_id, "sms", "500", "--id", "invoice-2026-12")
    return {"email": email, "session": session, "application_id": app_id}


@pytest.fixture(scope="module")
def page(browser, stack, owner):
    watched = open_signed_in(browser, stack, owner["email"], "usage")
    yield watched
    watched.assert_clean()
    watched.page.context.close()


def _language(page, lang: str) -> None:
    page.get_by_role("button", name=lang.upper(), exact=True).click()


def test_the_usage_page_shows_quota_messages_and_top_ups(stack, page, owner, screenshot_dir):
    from playwright.sync_api import expect

    p = page.page
    p.goto(f"{stack.console}#/usage")
    expect(p.get_by_role("heading", name="Usage", exact=True)).to_be_visible()
    sms = p.get_by_test_id("usage-sms")
    expect(sms).to_contain_text("2 messages, 0 units refunded in this range")
    expect(p.get_by_test_id("usage-chart")).to_have_attribute("data-points", "30")
    rows = p.get_by_test_id("top-ups").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("500")
    left = int(p.get_by_test_id("left-sms").inner_text().replace(",", "").replace(".", ""))
    assert left > 500
    assert axe_serious(p) == []


def test_an_alert_set_on_the_page_shows_a_warning_in_both_languages_and_sizes(stack, page, owner, screenshot_dir):
    from playwright.sync_api import expect

    p = page.page
    p.goto(f"{stack.console}#/usage")
    sms = p.get_by_test_id("usage-sms")
    sms.get_by_label("Warn me by").select_option("units")  # a percentage is offered first
    field = sms.get_by_label("Warn me at (units left)")
    field.fill("ten")
    sms.get_by_role("button", name="Save alert").click()
    expect(sms).to_contain_text("Enter a whole number of units, from 0 to 100,000,000.")
    field.fill("100000000")
    sms.get_by_role("button", name="Save alert").click()
    banner = p.get_by_test_id("low-sms")
    expect(banner).to_contain_text("SMS quota is low")
    expect(sms.get_by_role("button", name="Remove alert")).to_be_visible()
    for lang, words in (("en", "Ask your provider for a top-up."), ("id", "Minta penyedia layanan Anda")):
        _language(p, lang)
        expect(banner).to_contain_text(words)
        for width, height in ((1280, 800), (390, 844)):
            p.set_viewport_size({"width": width, "height": height})
            expect(banner).to_be_visible()
            assert axe_serious(p) == [], (lang, width)
            # Nothing wider than the screen on a phone.
            assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (lang, width)
            p.screenshot(path=str(screenshot_dir / f"usage-{lang}-{width}.png"), full_page=True)
    p.set_viewport_size({"width": 1280, "height": 800})
    expect(p.get_by_role("heading", name="Pemakaian", exact=True)).to_be_visible()
    expect(p.get_by_test_id("usage-sms")).to_contain_text("Sisa kuota")
    p.get_by_test_id("usage-sms").get_by_role("button", name="Hapus peringatan").click()
    expect(banner).to_have_count(0)
    _language(p, "en")


def test_another_account_gets_404_for_the_usage(stack, owner):
    other = sign_in(stack, register(stack, "other", "Other"))
    status, _, _ = stack.request("GET", f"/applications/{owner['application_id']}/usage", headers=other)
    assert status == 404


def test_rename_then_delete_an_application_typing_its_name(stack, page, owner, screenshot_dir):
    from playwright.sync_api import expect

    status, app, _ = stack.request("POST", "/applications", {"name": "Toko Kedua", "channels": ["sms"]},
                                   owner["session"])
    assert status == 201
    app_id = app["application_id"]
    _, token, _ = stack.request("POST", f"/applications/{app_id}/channels/sms/token", None, owner["session"])
    p = page.page
    p.goto(f"{stack.console}#/applications/{app_id}")
    expect(p.get_by_test_id("app-name")).to_have_text("Toko Kedua")
    form = p.get_by_test_id("rename-form")
    form.get_by_label("Application Name").fill("   ")
    form.get_by_role("button", name="Save name").click()
    expect(p.get_by_text("Enter a name of 1 to 100 characters.")).to_be_visible()
    form.get_by_label("Application Name").fill("Toko Kedua Baru")
    form.get_by_role("button", name="Save name").click()
    expect(p.get_by_test_id("app-name")).to_have_text("Toko Kedua Baru")
    expect(p.get_by_text("Name saved.")).to_be_visible()

    _language(p, "id")
    p.get_by_test_id("delete-app").click()
    dialog = p.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Hapus Toko Kedua Baru?")
    confirm = dialog.get_by_role("button", name="Ya, Hapus")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Ketik nama aplikasi (Toko Kedua Baru) untuk mengonfirmasi").fill("toko kedua baru")
    expect(confirm).to_be_disabled()  # the name exactly, case included
    for width, height in ((1280, 800), (390, 844)):
        p.set_viewport_size({"width": width, "height": height})
        assert axe_serious(p) == [], width
        p.screenshot(path=str(screenshot_dir / f"delete-app-id-{width}.png"))
    p.set_viewport_size({"width": 1280, "height": 800})
    dialog.get_by_label("Ketik nama aplikasi (Toko Kedua Baru) untuk mengonfirmasi").fill("Toko Kedua Baru")
    confirm.click()
    expect(p.get_by_role("heading", name="Aplikasi Saya")).to_be_visible()
    expect(p.get_by_test_id("applications")).not_to_contain_text("Toko Kedua Baru")
    expect(p.get_by_test_id("applications")).to_contain_text("Batik Pekalongan")
    _language(p, "en")
    # Its key died with it, and it answers 404 to its owner.
    status, _, _ = stack.request("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Halo"},
                                 {"Authorization": token["token"]})
    assert status == 401
    status, _, _ = stack.request("GET", f"/applications/{app_id}", headers=owner["session"])
    assert status == 404
