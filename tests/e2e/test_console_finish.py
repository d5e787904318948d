"""The last items of issue 21 in a real browser: Try again on every page really retries (after a network
failure and after a server fault, said in words, never a status); Today by hour on the Overview. Its own
account and browser contexts, at 1280 and 390 px, in English and Indonesian."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import CSP_WATCH, Watched, axe_serious
from tests.e2e.helpers import PASSWORD, eventually, expect as _expect, register, sign_in

SIZES = {1280: 800, 390: 844}
WORDS = {
    "en": {"retry": "Try again", "network": "Cannot reach Kirim. Check your connection and try again.",
           "server": "Kirim had a problem on its side. Try again in a moment.", "by_hour": "Today by hour"},
    "id": {"retry": "Coba lagi", "network": "Tidak dapat menghubungi Kirim. Periksa koneksi lalu coba lagi.",
           "server": "Kirim sedang mengalami gangguan. Coba lagi sebentar lagi.", "by_hour": "Hari ini per jam"},
}
# Each page with Try again: its hash, the request its page load makes, and what shows once it loaded.
PAGES = [
    ("overview", r"/applications/[^/]+/overview(\?.*)?$", ".overview"),
    ("monitoring", r"/applications/[^/]+/messages(\?.*)?$", "main table, main .state-empty"),
    ("reports", r"/applications/[^/]+/reports(\?.*)?$", "main table, main .state-empty"),
    ("usage", r"/applications/[^/]+/usage(\?.*)?$", ".usage"),
    ("settings", r"/applications/[^/]+/settings$", "main form"),
    ("team", r"/applications/[^/]+/members$", "main table"),
    ("applications", r"/applications$", "main table"),
    ("account", r"/auth/two-factor$", "main form, main button"),
]


@pytest.fixture(scope="module")
def owner(stack) -> dict:
    email = register(stack, "finish", "Batik Finish")
    session = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Pekalongan", "channels": ["sms", "whatsapp"]},
                                   session)
    assert status == 201, app
    return {"email": email, "session": session, "application_id": app["application_id"]}


def _open(browser, stack, owner, lang: str, width: int, route: str = "overview", zone: str = "Asia/Jakarta"):
    context = browser.new_context(viewport={"width": width, "height": SIZES[width]}, base_url=stack.api,
                                  locale="en-GB", timezone_id=zone)
    context.add_init_script(CSP_WATCH)
    context.add_init_script(f"localStorage.setItem('kirim.console.lang', '{lang}')")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{stack.console}#/{route}")
    page.locator("input[name=email]").fill(owner["email"])
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    _expect()(page.locator("main h1")).to_be_visible()
    return context, Watched(page)


def _fails(kind: str, asked: list):
    def handle(route):
        if route.request.method != "GET":
            route.continue_()
            return
        asked.append(route.request.url)
        if kind == "network":
            route.abort()
        else:
            route.fulfill(status=502, body="<html>Bad Gateway</html>", content_type="text/html")
    return handle


@pytest.mark.parametrize("lang,width,kind", [("en", 1280, "network"), ("id", 390, "server")])
def test_try_again_on_every_page_really_retries(browser, stack, owner, lang, width, kind, screenshot_dir):
    words, expect = WORDS[lang], _expect()
    context, watched = _open(browser, stack, owner, lang, width)
    page = watched.page
    try:
        for name, pattern, shown in PAGES:
            route = re.compile(".*" + pattern)
            asked: list[str] = []
            page.route(route, _fails(kind, asked))
            page.goto(f"{stack.console}#/{name}")
            page.reload()
            error = page.locator(".state-error").first
            expect(error).to_contain_text(words[kind], timeout=30_000)
            assert asked, name
            assert not re.search(r"HTTP \d{3}|\b502\b|Bad Gateway", page.locator("main").inner_text()), name
            if name == "overview":
                assert axe_serious(page) == []
                page.screenshot(path=str(screenshot_dir / f"try-again-{kind}-{lang}-{width}.png"))
            page.unroute(route)
            sent: list[str] = []
            page.on("request", lambda r, sent=sent, route=route: sent.append(r.url) if route.match(r.url) else None)
            page.get_by_role("button", name=words["retry"]).first.click()
            expect(page.locator(".state-error")).to_have_count(0)
            expect(page.locator(shown).first).to_be_visible()
            assert sent, f"Try again on {name} sent nothing"
        watched.assert_clean()
    finally:
        context.close()


@pytest.fixture(scope="module")
def sent_today(stack, owner) -> list[int]:
    """Two SMS sent now; the Jakarta hours they were created in, once the counters have them."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    app_id, session = owner["application_id"], owner["session"]
    status, token, _ = stack.request("POST", f"/applications/{app_id}/channels/sms/token", None, session)
    assert status == 201, token
    for _ in range(2):
        status, body, _ = stack.request("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Pesanan dikirim"},
                                        {"Authorization": token["token"]})
        assert status == 200, body

    def counted():
        _, overview, _ = stack.request("GET", f"/applications/{app_id}/overview", headers=session)
        return overview if sum(overview["today_by_hour"]) == 2 else None

    overview = eventually(counted, "today's hours to count 2 SMS")
    hours = [datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Jakarta")).hour
             for m in overview["latest"]]
    assert sorted(h for h, n in enumerate(overview["today_by_hour"]) for _ in range(n)) == sorted(hours)
    return hours


@pytest.mark.parametrize("lang,width", [("en", 1280), ("id", 390), ("id", 1280), ("en", 390)])
def test_today_by_hour_on_the_overview(browser, stack, owner, sent_today, lang, width, screenshot_dir):
    words, expect = WORDS[lang], _expect()
    context, watched = _open(browser, stack, owner, lang, width)
    page = watched.page
    try:
        card = page.locator(".card").filter(has=page.get_by_role("heading", name=words["by_hour"]))
        bars = card.get_by_test_id("today-by-hour")
        expect(bars).to_have_attribute("data-total", "2")
        expect(bars.locator(".hour-bar")).to_have_count(24)
        for hour in set(sent_today):
            expect(bars.locator(f".hour-bar[data-hour='{hour}']")).to_have_attribute("data-count", str(sent_today.count(hour)))
        caption = {"en": "2 messages today, most at", "id": "2 pesan hari ini, terbanyak pukul"}[lang]
        expect(bars.locator("figcaption")).to_contain_text(caption)
        label = bars.locator("[role=img]").get_attribute("aria-label")
        assert label.startswith(words["by_hour"]) and caption in label
        # The bars fit the card: nothing runs off a phone's screen.
        box, row = card.bounding_box(), bars.locator(".hour-bars-row").bounding_box()
        assert row["x"] >= box["x"] and row["x"] + row["width"] <= box["x"] + box["width"] + 0.5
        assert axe_serious(page) == []
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"overview-by-hour-{lang}-{width}.png"))
        watched.assert_clean()
    finally:
        context.close()


ALERT = {
    "en": {"kind": "Warn me by", "percent": "Warn me at (% left)", "save": "Save alert", "bad": "Enter a whole percentage, from 1 to 100.",
           "set": "Alert at 10% of the starting quota (1,000 units): 100 units left.",
           "topped": "Alert at 10% of the last top-up (300 units): 30 units left."},
    "id": {"kind": "Ingatkan berdasarkan", "percent": "Beri tahu saya saat sisa (%)", "save": "Simpan peringatan",
           "bad": "Masukkan persentase berupa bilangan bulat, dari 1 sampai 100.",
           "set": "Peringatan pada 10% dari kuota awal (1.000 unit): sisa 100 unit.",
           "topped": "Peringatan pada 10% dari penambahan kuota terakhir (300 unit): sisa 30 unit."},
}


@pytest.mark.parametrize("lang,width,channel", [("en", 1280, "whatsapp"), ("id", 390, "sms")])
def test_the_usage_alert_as_a_percentage(browser, stack, owner, lang, width, channel, screenshot_dir):
    from tests.e2e.test_console_usage import _admin

    words, expect = ALERT[lang], _expect()
    status, _, _ = stack.request("PUT", f"/applications/{owner['application_id']}/usage/alert",
                                 {"channel": channel, "alert_at": None}, owner["session"])
    assert status == 200
    context, watched = _open(browser, stack, owner, lang, width, "usage")
    page = watched.page
    try:
        card = page.get_by_test_id(f"usage-{channel}")
        expect(card.get_by_label(words["kind"])).to_have_value("percent")  # offered first
        field = card.get_by_label(words["percent"])
        field.fill("0")
        card.get_by_role("button", name=words["save"]).click()
        expect(card.locator(".field-error")).to_have_text(words["bad"])
        assert field.evaluate("e => e.validationMessage") == ""
        field.fill("10")
        card.get_by_role("button", name=words["save"]).click()
        expect(card).to_contain_text(words["set"])
        # The operator tops the channel up: the alert follows, 10% of it.
        _admin(stack, "topup", owner["application_id"], channel, "300")
        page.reload()
        expect(card).to_contain_text(words["topped"])
        expect(card.get_by_label(words["percent"])).to_have_value("10")
        assert axe_serious(page) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"usage-alert-percent-{lang}-{width}.png"))
        watched.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize("lang,width", [("en", 1280), ("id", 390)])
def test_two_factor_setup_shows_a_qr_code_and_the_key_below_it(browser, stack, lang, width, screenshot_dir):
    import urllib.parse

    expect = _expect()
    person = {"email": register(stack, f"qr-{lang}", "Batik QR")}
    context, watched = _open(browser, stack, person, lang, width, "account")
    page = watched.page
    try:
        with page.expect_response(lambda r: r.url.endswith("/auth/two-factor/setup")) as answered:
            page.get_by_test_id("two-factor-start").click()
        setup = answered.value.json()
        qr = page.get_by_test_id("totp-qr")
        expect(qr).to_be_visible()
        assert qr.get_attribute("src") == setup["qr_svg"]
        assert urllib.parse.unquote(setup["qr_svg"]).startswith("data:image/svg+xml;charset=utf-8,<svg")
        # The image really drew (the page's CSP allows data: images) and is big enough to scan.
        assert page.evaluate("() => { const i = document.querySelector('[data-testid=totp-qr]'); "
                             "return i.complete && i.naturalWidth > 0; }")
        box = qr.bounding_box()
        assert box["width"] >= 150 and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert qr.get_attribute("alt") == {"en": "QR code of your two-factor key",
                                           "id": "Kode QR kunci verifikasi dua langkah Anda"}[lang]
        # The manual key, below it, for people who cannot scan.
        expect(page.get_by_test_id("totp-secret")).to_have_attribute("data-secret", setup["secret"])
        assert page.get_by_test_id("totp-secret").bounding_box()["y"] > box["y"] + box["height"]
        expect(page.get_by_text({"en": "Cannot scan? Type this key instead",
                                 "id": "Tidak bisa memindai? Ketik kunci ini"}[lang])).to_be_visible()
        assert axe_serious(page) == []
        page.screenshot(path=str(screenshot_dir / f"two-factor-qr-{lang}-{width}.png"), full_page=True)
        watched.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize("lang,width", [("en", 1280), ("id", 390)])
def test_usage_polish_numbers_icon_and_yesterday(browser, stack, owner, lang, width, screenshot_dir):
    from datetime import datetime, timedelta
    from urllib.parse import parse_qs, urlparse
    from zoneinfo import ZoneInfo

    expect, words = _expect(), _catalogue(lang)
    app_id, session = owner["application_id"], owner["session"]
    status, usage, _ = stack.request("PUT", f"/applications/{app_id}/usage/alert",
                                     {"channel": "whatsapp", "alert_at": 100_000_000}, session)
    assert status == 200, usage
    left = {c["channel"]: c["quota_remaining"] for c in usage["channels"]}["whatsapp"]
    number = (lambda n: f"{n:,}") if lang == "en" else (lambda n: f"{n:,}".replace(",", "."))
    # A laptop on UTC: the presets are still the application's (Jakarta's) days.
    context, watched = _open(browser, stack, owner, lang, width, "usage", zone="UTC")
    page = watched.page
    try:
        banner = page.get_by_test_id("low-whatsapp")
        expect(banner).to_contain_text(f" {number(left)} ")
        expect(banner).to_contain_text(number(100_000_000))
        # Usage has an icon of its own in the menu.
        if width == 390:
            page.get_by_test_id("menu-button").click()
        icons = page.evaluate("() => [...document.querySelectorAll('[data-nav] svg path')].map(p => p.getAttribute('d'))")
        usage_icon = page.locator("[data-nav=usage] svg path").get_attribute("d")
        assert usage_icon and icons.count(usage_icon) == 1
        if width == 390:
            page.get_by_role("button", name=words["Close menu"]).click()
        with page.expect_request(lambda r: "/usage?" in r.url) as asked:
            page.get_by_role("button", name=words["Yesterday"], exact=True).click()
        query = parse_qs(urlparse(asked.value.url).query)
        yesterday = (datetime.now(ZoneInfo("Asia/Jakarta")) - timedelta(days=1)).date().isoformat()
        assert query["from"][0].startswith(yesterday) and query["to"][0].startswith(yesterday)
        expect(page.get_by_role("button", name=words["Yesterday"], exact=True)).to_have_attribute("aria-pressed", "true")
        expect(page.locator(".usage")).to_have_attribute("aria-busy", "false")  # dimmed while it loads
        assert axe_serious(page) == []
        page.screenshot(path=str(screenshot_dir / f"usage-polish-{lang}-{width}.png"))
        watched.assert_clean()
    finally:
        stack.request("PUT", f"/applications/{app_id}/usage/alert", {"channel": "whatsapp", "alert_at": None}, session)
        context.close()


def _catalogue(lang: str) -> dict[str, str]:
    import json

    from tests.e2e.stack import ROOT

    return json.loads((ROOT / "console" / "src" / "locales" / f"{lang}.json").read_text("utf-8"))


NO_BUBBLES = "() => [...document.querySelectorAll('form')].filter(f => !f.noValidate).map(f => f.className || f.id)"


@pytest.mark.parametrize("width", [1280, 390])
def test_every_form_submitted_empty_answers_in_indonesian_never_a_browser_bubble(browser, stack, owner, width, screenshot_dir):
    """Each form of the console, sent empty in Indonesian: no form lets the browser check it (noValidate), and
    the console's own message shows, in Indonesian."""
    expect, ID = _expect(), _catalogue("id")
    context, watched = _open(browser, stack, owner, "id", width, "applications")
    page = watched.page
    fill = ID["Fill this in."]

    def visit(route: str) -> None:
        page.goto(f"{stack.console}#/{route}")
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(NO_BUBBLES) == [], route

    def shown(scope, text: str) -> None:
        expect(scope.get_by_text(text, exact=True).first).to_be_visible()
        assert page.evaluate(NO_BUBBLES) == []

    try:
        # My Application: create an application, rename it.
        visit("applications")
        page.get_by_role("button", name=ID["Create application"]).first.click()
        dialog = page.get_by_role("dialog")
        dialog.locator("input[name=name]").fill("")
        dialog.get_by_role("button", name=ID["Create"], exact=True).click()
        shown(dialog, fill)
        if width == 390:
            page.screenshot(path=str(screenshot_dir / f"no-bubble-id-{width}.png"))
        page.keyboard.press("Escape")
        visit(f"applications/{owner['application_id']}")
        form = page.get_by_test_id("rename-form")
        form.locator("input[name=rename]").fill("")
        form.get_by_role("button", name=ID["Save name"]).click()
        shown(form, ID["Enter a name of 1 to 100 characters."])
        # Generate Report.
        visit("reports")
        page.get_by_role("button", name=ID["Generate New Report"]).first.click()
        dialog = page.get_by_role("dialog")
        dialog.locator("input[name=report-name]").fill("")
        dialog.locator("button[type=submit]").click()
        shown(dialog, fill)
        page.keyboard.press("Escape")
        # Settings: a sender, an IVR script (a WhatsApp + SMS application has no email or IVR: another one).
        status, other, _ = stack.request("POST", "/applications", {"name": f"Semua kanal {width}",
                                                                  "channels": ["email", "ivr"]}, owner["session"])
        assert status == 201, other
        page.goto(f"{stack.console}#/overview")
        page.reload()
        page.get_by_label(ID["Application"]).first.select_option(other["application_id"])
        visit("settings")
        page.get_by_role("button", name=ID["Add sender"]).click()
        shown(page.locator("main"), ID["Enter an email address (name@example.com) or a domain (example.com)."])
        page.get_by_role("button", name=ID["Create script"]).click()
        ivr = page.locator("form").filter(has=page.locator("input[name=ivr-name]"))
        expect(ivr.locator(".field-error")).to_have_count(2)
        shown(ivr, fill)
        # Team: an invitation without an email.
        visit("team")
        page.get_by_role("button", name=ID["Invite someone"]).first.click()
        page.get_by_test_id("send-invite").click()
        shown(page.get_by_role("dialog"), ID["Enter the email address of the person to invite."])
        page.keyboard.press("Escape")
        # Usage: an alert without a number.
        visit("usage")
        card = page.get_by_test_id("usage-email")
        card.get_by_role("button", name=ID["Save alert"]).click()
        shown(card, ID["Enter a whole percentage, from 1 to 100."])
        # Monitoring, Overview, Sign-in security, Test inbox: forms without the browser's checks too.
        for route in ("monitoring", "overview", "account", "inbox"):
            visit(route)
        watched.assert_clean()
    finally:
        context.close()


# The console guide's screenshots (docs/console.md: -en-, docs/console-id.md: -id-), all taken here in one pass
# from one account with a little of everything: `KIRIM_UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest
# tests/e2e/test_console_finish.py -k guide` writes them into docs/screenshots/.
GUIDE_1280 = ["sign-in", "overview", "overview-breakdown", "applications", "key-usage", "test-send", "templates",
              "template-editor", "monitoring", "monitoring-search", "message-detail", "message-failed", "reports",
              "usage", "settings", "email-senders", "team", "two-factor", "inbox"]
GUIDE_390 = ["overview", "menu", "app-details", "first-steps", "monitoring-search"]


@pytest.fixture(scope="module")
def guide_account(stack) -> dict:
    """A shop with every channel, a key, sent messages (one delivered, two failed), a template, a report, an
    email sender and an invitation."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    email = register(stack, "guide", "Toko Batik Sari")
    session = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Sari Pekalongan",
                                                             "channels": ["whatsapp", "sms", "sms_otp", "ivr", "email"]}, session)
    assert status == 201, app
    app_id = app["application_id"]
    base = f"/applications/{app_id}"
    status, token, _ = stack.request("POST", f"{base}/channels/sms/token", None, session)
    assert status == 201, token
    ids = {}
    for name, phone in (("delivered", "081234567890"), ("refused", "081200000000"), ("undelivered", "081200000001")):
        status, body, _ = stack.request("POST", "/sms/v2/sms", {"phone": phone, "message": "Pesanan Anda sudah dikirim"},
                                        {"Authorization": token["token"]})
        assert status == 200, body
        ids[name] = body["msg_uid"]
    status, body, _ = stack.request("POST", f"{base}/whatsapp/templates", {
        "name": "pesanan_dikirim", "language": "id", "category": "UTILITY", "submit": True, "accept_terms": True,
        "body": {"text": "Halo {{1}}, pesanan Anda sudah dikirim.", "examples": ["Budi"]},
        "footer": {"text": "Toko Batik Sari"}}, session)
    assert status in (200, 201), body
    for identity in ("batiksari.example", "halo@batiksari.example"):
        status, body, _ = stack.request("POST", f"{base}/email-identities", {"identity": identity}, session)
        assert status == 201, body
    status, body, _ = stack.request("POST", f"{base}/invitations", {"email": "rina@batiksari.example", "role": "viewer"},
                                    session)
    assert status in (200, 201), body
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()

    def settled():
        _, overview, _ = stack.request("GET", f"{base}/overview?channel=sms", headers=session)
        sms = overview["channels"][0]
        return sms["total"] == 3 and sms["failed"] >= 2

    eventually(settled, "the guide's messages to settle")
    status, body, _ = stack.request("POST", f"{base}/reports", {"name": "SMS hari ini", "channel": "sms",
                                                               "statuses": ["Delivered", "Failed"], "format": "xls",
                                                               "from": today, "to": today}, session)
    assert status in (200, 201, 202), body
    eventually(lambda: stack.request("GET", f"{base}/reports", headers=session)[1]["items"][0]["status"] == "Done",
               "the guide's report")
    return {"email": email, "session": session, "application_id": app_id, "ids": ids}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_guide_screenshots(browser, stack, guide_account, lang, screenshot_dir):
    expect, words = _expect(), _catalogue(lang)
    taken: list[str] = []
    app_id, ids = guide_account["application_id"], guide_account["ids"]

    def shot(page, name: str, width: int, target=None, full: bool = False) -> None:
        assert axe_serious(page) == [], name
        path = str(screenshot_dir / f"{name}-{lang}-{width}.png")
        if target is None:
            page.screenshot(path=path, full_page=full)
        else:  # a card, cut from the whole page (in the viewport the sticky top bar would cover its top)
            target.scroll_into_view_if_needed()
            box, y = target.bounding_box(), page.evaluate("window.scrollY")
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=path, full_page=True, clip={"x": box["x"], "y": box["y"] + y,
                                                             "width": box["width"], "height": box["height"]})
        taken.append(f"{name}-{width}")

    def go(page, route: str) -> None:
        page.goto(f"{stack.console}#/{route}")
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.locator("[aria-busy=true]")).to_have_count(0)
        expect(page.locator(".state-loading")).to_have_count(0)

    # Signed out: the sign-in page.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=stack.api, locale="en-GB",
                                  timezone_id="Asia/Jakarta")
    context.add_init_script(f"localStorage.setItem('kirim.console.lang', '{lang}')")
    page = context.new_page()
    page.goto(f"{stack.console}#/overview")
    expect(page.locator("input[name=email]")).to_be_visible()
    shot(page, "sign-in", 1280)
    context.close()

    # A laptop.
    context, watched = _open(browser, stack, guide_account, lang, 1280)
    page = watched.page
    try:
        go(page, "overview")
        expect(page.get_by_test_id("today-by-hour")).to_have_attribute("data-total", re.compile(r"^[1-9]"))
        shot(page, "overview", 1280)
        shot(page, "overview-breakdown", 1280, page.locator(".card").filter(has=page.get_by_test_id("status-breakdown")))
        go(page, "applications")
        shot(page, "applications", 1280)
        go(page, f"applications/{app_id}")
        page.get_by_test_id("channels").locator("[data-channel=sms]").get_by_test_id("how-to-use").click()
        expect(page.get_by_role("dialog").get_by_test_id("key-usage")).to_be_visible()
        shot(page, "key-usage", 1280)
        page.keyboard.press("Escape")
        form = page.get_by_test_id("test-send")
        form.locator("select[name=test-channel]").select_option("sms")
        form.locator("input[name=test-to]").fill("0812 3456 7890")
        form.locator("button[type=submit]").click()
        expect(page.get_by_test_id("test-status")).to_contain_text("Delivered", timeout=60_000)
        shot(page, "test-send", 1280, page.locator("section.card").filter(has=form))
        go(page, "templates")
        expect(page.locator("main table tbody tr")).to_have_count(1)
        shot(page, "templates", 1280)
        go(page, "templates/new")
        page.locator("input[name=template-name]").fill("Promo Lebaran 2026")
        page.get_by_role("button", name=words["Continue"]).click()
        page.locator("textarea[name=body-text]").fill("Halo {{1}}, ada diskon Lebaran 20% untuk Anda di Batik Sari.")
        page.locator("input[name=body-example-1]").fill("Budi")
        page.locator("input[name=footer-text]").fill("Batik Sari Pekalongan")
        expect(page.get_by_test_id("phone-preview")).to_contain_text("Batik Sari Pekalongan")
        expect(page.get_by_test_id("phone-preview")).to_have_attribute("aria-busy", "false")
        page.locator("main h1").focus()
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "template-editor", 1280, full=True)
        go(page, "monitoring")
        expect(page.locator("[data-testid=messages] tbody tr").nth(3)).to_be_visible()  # and the test message
        shot(page, "monitoring", 1280)
        go(page, "monitoring?q=0812%203456%207890")
        expect(page.locator("[data-testid=messages] tbody tr").nth(1)).to_be_visible()
        shot(page, "monitoring-search", 1280)
        go(page, f"monitoring/{ids['delivered']}")
        expect(page.get_by_test_id("message-detail")).to_be_visible()
        shot(page, "message-detail", 1280)
        go(page, f"monitoring/{ids['refused']}")
        expect(page.get_by_test_id("failure-reason")).to_be_visible()
        shot(page, "message-failed", 1280)
        go(page, "reports")
        shot(page, "reports", 1280)
        stack.request("PUT", f"/applications/{app_id}/usage/alert", {"channel": "sms", "alert_percent": 100},
                      guide_account["session"])
        go(page, "usage")
        expect(page.get_by_test_id("low-sms")).to_be_visible()
        shot(page, "usage", 1280)
        go(page, "settings")
        shot(page, "settings", 1280)
        senders = page.locator("section.card", has=page.get_by_role("heading", name=words["Email senders"]))
        senders.scroll_into_view_if_needed()
        shot(page, "email-senders", 1280, senders)
        go(page, "team")
        shot(page, "team", 1280)
        go(page, "account")
        page.get_by_test_id("two-factor-start").click()
        expect(page.get_by_test_id("totp-qr")).to_be_visible()
        shot(page, "two-factor", 1280, full=True)
        go(page, "inbox")
        shot(page, "inbox", 1280)
    finally:
        context.close()

    # A phone.
    context, watched = _open(browser, stack, guide_account, lang, 390)
    page = watched.page
    try:
        go(page, "overview")
        shot(page, "overview", 390)
        shot(page, "first-steps", 390, page.locator(".card").filter(has=page.get_by_test_id("first-steps")).first)
        page.get_by_test_id("menu-button").click()
        expect(page.locator(".menu-close")).to_be_visible()
        page.wait_for_timeout(400)  # the menu slides in: photograph it in place (a picture, not an assertion)
        shot(page, "menu", 390)
        page.locator(".menu-close").click()
        go(page, f"applications/{app_id}")
        shot(page, "app-details", 390, full=True)
        go(page, "monitoring?q=0812%203456%207890")
        expect(page.locator("[data-testid=messages] tbody tr").nth(1)).to_be_visible()
        shot(page, "monitoring-search", 390, full=True)
    finally:
        context.close()
    assert sorted(taken) == sorted([f"{n}-1280" for n in GUIDE_1280] + [f"{n}-390" for n in GUIDE_390])
