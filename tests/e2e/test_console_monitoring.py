"""Monitoring answers "what happened to this customer's message?": search by the number however it is
written (or by message id), the count, Yesterday, filters in the URL, why a message failed in words, the
body with an OTP masked; the Overview's days in the application's zone and its status words per channel;
the selector keeping its application. Its own owner, in a browser on UTC (the application is on Jakarta
time), at 1280 and 390 px, in English and Indonesian."""
from __future__ import annotations

import urllib.parse
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import axe_serious
from tests.e2e.helpers import open_signed_in, eventually as _eventually, expect as _expect, register, sign_in

NUMBER = "+6281234567890"


@pytest.fixture(scope="module")
def owner(stack):
    """An owner with one application and four messages to one customer (in three written forms) and
    two others: one the operator blocked, one the test provider refuses; the counters caught up."""
    email = register(stack, "monitor", "Batik")
    session = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Pekalongan",
                                                             "channels": ["sms", "sms_otp", "whatsapp"]}, session)
    assert status == 201, app
    app_id = app["application_id"]

    def token(channel: str) -> str:
        status, body, _ = stack.request("POST", f"/applications/{app_id}/channels/{channel}/token", None, session)
        assert status == 201, body
        return body["token"]

    sms, otp = token("sms"), token("sms_otp")
    status, body, _ = stack.request("PUT", f"/applications/{app_id}/settings", {"sender_ids": ["BATIK"]}, session)
    assert status == 200, body

    def send_sms(phone: str) -> str:
        status, body, _ = stack.request("POST", "/sms/v2/sms", {"phone": phone, "message": "Pesanan Anda dikirim"},
                                        {"Authorization": sms})
        assert status == 200, body
        return body["msg_uid"]

    ids = {"delivered": send_sms("0812-3456-7890"), "blocked": send_sms("081234560004"),
           "refused": send_sms("081234560000")}
    status, body, _ = stack.request("POST", "/sms/v2/send-otp", {"sender_id": "BATIK", "recipient_number": "6281234567890",
                                                                 "message_body": "Kode OTP Anda 482913"},
                                    {"Authorization": otp})
    assert status == 200, body
    ids["otp"] = body["msg_id"]

    def settled() -> bool:
        _, page, _ = stack.request("GET", f"/applications/{app_id}/messages?limit=10", headers=session)
        statuses = {m["message_id"]: m["status"] for m in page["items"]}
        return (statuses.get(ids["delivered"]) == "Delivered" and statuses.get(ids["blocked"]) == "Failed"
                and statuses.get(ids["refused"]) == "Failed" and page["total"] == 4)

    _eventually(settled, "the simulator's statuses and the counters")
    return {"email": email, "session": session, "app_id": app_id, "ids": ids}


@pytest.fixture(scope="module")
def signed_in(browser, stack, owner):
    """A browser on UTC time (a laptop that is not in Jakarta), signed in through the page."""
    watched = open_signed_in(browser, stack, owner["email"], timezone="UTC")
    _expect()(watched.page.get_by_role("heading", name="Overview")).to_be_visible()
    yield watched
    watched.page.context.close()


def _lang(page, lang: str) -> None:
    page.get_by_role("button", name=lang.upper(), exact=True).click()


def _jakarta_day(days_ago: int = 0) -> str:
    return (datetime.now(ZoneInfo("Asia/Jakarta")) - timedelta(days=days_ago)).date().isoformat()


def _rows(page):
    return page.locator("[data-testid=messages] tbody tr")


def test_search_by_a_number_in_any_form_kept_in_the_url(stack, signed_in, owner, screenshot_dir):
    page, expect, ids = signed_in.page, _expect(), owner["ids"]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{stack.console}#/monitoring")
    expect(page.get_by_test_id("message-count")).to_contain_text("4 messages")
    for written in ("0812 3456 7890", "+62 812-3456-7890", "6281234567890"):
        box = page.get_by_label("Search by phone number, email or message ID")
        box.fill(written)
        page.get_by_role("button", name="Search", exact=True).click()
        expect(_rows(page)).to_have_count(2)
        expect(page.get_by_role("heading", name=f"Messages to {written}")).to_be_visible()
        ids_shown = {a.inner_text() for a in page.locator("[data-testid=messages] tbody tr a").all()}
        assert ids_shown == {ids["delivered"], ids["otp"]}
        expect(page.get_by_test_id("message-count")).to_contain_text("2 messages")
        assert urllib.parse.parse_qs(page.evaluate("location.hash").split("?", 1)[1])["q"] == [written]
    # The link is the search: a reload (or a colleague opening it) shows the same.
    page.reload()
    expect(_rows(page)).to_have_count(2)
    expect(page.get_by_label("Search by phone number, email or message ID")).to_have_value("6281234567890")
    expect(page.locator("[data-testid=messages] tbody")).to_contain_text(NUMBER)
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / "monitoring-search-1280.png"))
    # Other filters join the URL too, and survive a reload.
    page.get_by_label("Channel").select_option(label="SMS")
    expect(_rows(page)).to_have_count(1)
    page.reload()
    expect(page.get_by_label("Channel")).to_have_value("sms")
    expect(_rows(page)).to_have_count(1)
    page.get_by_role("button", name="Clear search").click()
    expect(_rows(page)).to_have_count(3)
    expect(page.get_by_test_id("message-count")).to_contain_text("3 messages")
    assert "q=" not in page.evaluate("location.hash")
    signed_in.assert_clean()


def test_yesterday_is_the_applications_yesterday_in_the_url(stack, signed_in):
    page, expect = signed_in.page, _expect()
    page.goto(f"{stack.console}#/monitoring")
    expect(page.get_by_test_id("message-count")).to_contain_text("4 messages")
    with page.expect_request(lambda r: "/messages?" in r.url and "from=" in r.url) as asked:
        page.get_by_role("button", name="Yesterday").click()
    query = urllib.parse.parse_qs(urllib.parse.urlparse(asked.value.url).query)
    # The browser is on UTC; the application's days are Jakarta's.
    assert query["from"] == query["to"] == [_jakarta_day(1)]
    expect(page.get_by_role("button", name="Yesterday")).to_have_attribute("aria-pressed", "true")
    assert "range=yesterday" in page.evaluate("location.hash")
    expect(page.get_by_test_id("message-count")).to_contain_text("0 messages")
    page.reload()
    expect(page.get_by_role("button", name="Yesterday")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("message-count")).to_contain_text("0 messages")  # the reload's own request is done
    with page.expect_request(lambda r: "/messages?" in r.url and "from=" in r.url) as asked:
        page.get_by_role("button", name="Today").click()
    query = urllib.parse.parse_qs(urllib.parse.urlparse(asked.value.url).query)
    assert query["from"] == query["to"] == [_jakarta_day(0)]
    expect(page.get_by_test_id("message-count")).to_contain_text("4 messages")


@pytest.mark.parametrize("lang,reason,other", [
    ("en", "The mobile operator blocked this message.", "The test provider refused it: this test number always fails."),
    ("id", "Operator seluler memblokir pesan ini.", "Penyedia uji coba menolaknya: nomor uji ini selalu gagal."),
])
def test_why_a_message_failed_in_words_never_a_code(stack, signed_in, owner, lang, reason, other, screenshot_dir):
    page, expect, ids = signed_in.page, _expect(), owner["ids"]
    page.goto(f"{stack.console}#/monitoring")
    _lang(page, lang)
    try:
        for name, text in (("blocked", reason), ("refused", other)):
            page.goto(f"{stack.console}#/monitoring/{ids[name]}?range=today")
            detail = page.get_by_test_id("message-detail")
            expect(page.get_by_test_id("failure-reason")).to_contain_text(text)
            expect(page.get_by_test_id("message-body")).to_have_text("Pesanan Anda dikirim")
            for code in ("TEXT_BLOCKED", "SIMULATED_REJECT", "ACCEPTED", "TEXT_SENT"):
                assert code not in detail.inner_text()
        assert axe_serious(page) == []
        page.screenshot(path=str(screenshot_dir / f"message-failed-{lang}-1280.png"))
        # Closing keeps the filters of the list it was opened from.
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        assert page.evaluate("location.hash") == "#/monitoring?range=today"
    finally:
        _lang(page, "en")


def test_an_otp_is_masked_and_a_message_id_is_searchable(stack, signed_in, owner):
    page, expect, ids = signed_in.page, _expect(), owner["ids"]
    page.goto(f"{stack.console}#/monitoring")
    box = page.locator("#message-search")  # its label changes with the language below
    box.fill(ids["otp"].lower())
    page.get_by_role("button", name="Search", exact=True).click()
    dialog = page.get_by_test_id("message-detail")
    expect(dialog).to_contain_text(ids["otp"])
    expect(page.get_by_test_id("message-body")).to_have_text("Kode OTP Anda ••••••")
    expect(dialog).to_contain_text("One-time codes are hidden.")
    assert "482913" not in page.content()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)  # closed before typing: closing navigates, which fills the box again
    # An id no message of this application has, and words that are neither a number nor an address.
    box.fill("01ZZZZZZZZZZZZZZZZZZZZZZZZ")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("message-missing")).to_have_text("No message with this ID in this application.")
    page.keyboard.press("Escape")
    for lang, words in (("en", "Enter a phone number (0812…, +62 812…), an email address or a message ID."),
                        ("id", "Masukkan nomor telepon (0812…, +62 812…), alamat email, atau ID pesan.")):
        _lang(page, lang)
        box.fill("pak budi")
        page.locator("form[role=search]").get_by_role("button").first.click()
        expect(page.get_by_test_id("search-error")).to_have_text(words)
    _lang(page, "en")
    # A number the server cannot read as one says the same, not the server's English.
    box.fill("08123456789012345")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("search-error")).to_be_visible()
    signed_in.assert_clean()


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_phone_sized_search_fits(stack, signed_in, lang, screenshot_dir):
    page, expect = signed_in.page, _expect()
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(f"{stack.console}#/monitoring?q=0812%203456%207890")
        _lang(page, lang)
        expect(_rows(page)).to_have_count(2)
        expect(page.get_by_test_id("message-count")).to_contain_text("2 pesan" if lang == "id" else "2 messages")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_serious(page) == []
        page.screenshot(path=str(screenshot_dir / f"monitoring-search-{lang}-390.png"), full_page=True)
    finally:
        _lang(page, "en")
        page.set_viewport_size({"width": 1280, "height": 800})


def test_overview_counts_each_channels_status_words_on_jakarta_days(stack, signed_in, screenshot_dir):
    page, expect = signed_in.page, _expect()
    with page.expect_request(lambda r: "/overview?" in r.url) as asked:
        page.goto(f"{stack.console}#/overview")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(asked.value.url).query)
    assert query["to"] == [_jakarta_day(0)] and query["from"] == [_jakarta_day(6)]
    sms = page.locator("[data-testid=status-breakdown] [data-channel=sms]")
    expect(sms.locator("[data-status=Delivered]")).to_contain_text("1")
    expect(sms.locator("[data-status=Failed]")).to_contain_text("2")
    expect(sms.locator("[data-status=Sent]")).to_contain_text("0")
    whatsapp = page.locator("[data-testid=status-breakdown] [data-channel=whatsapp]")
    assert [s.get_attribute("data-status") for s in whatsapp.locator("[data-status]").all()] == [
        "Submitted", "Delivered", "Read", "Rejected", "Failed"]
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / "overview-breakdown-1280.png"), full_page=True)


def test_a_second_application_does_not_take_the_selector(stack, signed_in, owner):
    page, expect = signed_in.page, _expect()
    page.goto(f"{stack.console}#/overview")
    picker = page.locator("#app-picker")
    expect(picker).to_have_value(owner["app_id"])
    # Created elsewhere (another tab, a colleague): the list comes back newest first.
    status, second, _ = stack.request("POST", "/applications", {"name": "Batik Solo", "channels": ["sms"]},
                                      owner["session"])
    assert status == 201, second
    page.goto(f"{stack.console}#/applications")  # reads the list again (and shows no selector)
    expect(page.get_by_text("Batik Solo")).to_be_visible()
    page.goto(f"{stack.console}#/monitoring")
    expect(page.locator("#app-picker option")).to_have_count(2)
    expect(picker).to_have_value(owner["app_id"])
    expect(page.get_by_test_id("message-count")).to_contain_text("4 messages")
    # Created here, with the page's own dialog: its details open, and the selector still keeps the one in use.
    page.goto(f"{stack.console}#/applications")
    page.get_by_role("button", name="Create application").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Application Name").fill("Batik Yogya")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_test_id("app-name")).to_have_text("Batik Yogya")
    page.goto(f"{stack.console}#/monitoring")
    expect(page.locator("#app-picker option")).to_have_count(3)
    expect(picker).to_have_value(owner["app_id"])
