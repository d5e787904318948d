"""Errors for people, in both languages (issue 21, section 2): a template's faults all at once, each by its
field in words (never a path, a 0-based index or a provider code), the first one focused; server and network
failures said as such (injected with page.route); Try again that really retries; an expired session that
keeps what was typed; the console's own checks and messages instead of the browser's bubbles. Its own
account, its own browser contexts, at 1280 and 390 px, in English and Indonesian."""
from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e.conftest import CSP_WATCH, Watched, axe_serious
from tests.e2e.helpers import PASSWORD, expect as _expect, register, sign_in

WIDTHS = {1280: 800, 390: 844}
# What the page must never show: field paths, 0-based indexes, provider codes, bare HTTP statuses.
FORBIDDEN = re.compile(r"body\.text|buttons\[\d\]|footer\.text|phone_number|HTTP \d{3}|SIMULATED_|\bcode 39\b")

WORDS = {
    "en": {"continue": "Continue", "submit": "Submit", "fix": "Please fix the highlighted fields.",
           "start": "Start with words, not with a variable.", "phone": "Write the number with + and the country code",
           "footer": "The footer cannot have variables.", "button": "Button 1 · Phone number",
           "server": "Kirim had a problem on its side. Try again in a moment.",
           "network": "Cannot reach Kirim. Check your connection and try again.", "retry": "Try again",
           "https": "Use a web address that starts with https://", "range": "Enter a whole number from 1 to 90.",
           "password": "Use 10 to 256 characters.", "session": "Your session ended. Sign in again.",
           "sign_in": "Sign in", "submitted": "Template submitted for review.", "draft": "Save as Draft",
           "saved": "Template saved as a draft.", "no_templates": "No templates yet.", "register": "Register",
           "terms": "Terms of Use", "saved_as": "Saved as"},
    "id": {"continue": "Lanjut", "submit": "Ajukan", "fix": "Perbaiki kolom yang ditandai.",
           "start": "Awali dengan kata, bukan dengan variabel.", "phone": "Tulis nomor dengan + dan kode negara",
           "footer": "Footer tidak boleh berisi variabel.", "button": "Tombol 1 · Nomor telepon",
           "server": "Kirim sedang mengalami gangguan. Coba lagi sebentar lagi.",
           "network": "Tidak dapat menghubungi Kirim. Periksa koneksi lalu coba lagi.", "retry": "Coba lagi",
           "https": "Gunakan alamat web yang diawali https://", "range": "Masukkan bilangan bulat dari 1 sampai 90.",
           "password": "Gunakan 10 sampai 256 karakter.", "session": "Sesi Anda berakhir. Silakan masuk lagi.",
           "sign_in": "Masuk", "submitted": "Template diajukan untuk ditinjau.", "draft": "Simpan sebagai Draf",
           "saved": "Template disimpan sebagai draf.", "no_templates": "Belum ada template.", "register": "Daftar",
           "terms": "Ketentuan Penggunaan", "saved_as": "Disimpan sebagai"},
}


@pytest.fixture(scope="module")
def owner(stack) -> dict:
    """An account of its own with one WhatsApp application, made through the API."""
    email = register(stack, "errors", "Toko Batik")
    session = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Pekalongan", "channels": ["whatsapp", "sms"]},
                                   session)
    assert status == 201, app
    return {"email": email, "application_id": app["application_id"], "session": session}


def _page(browser, stack, lang: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]}, base_url=stack.api,
                                  locale="en-GB", timezone_id="Asia/Jakarta")
    context.add_init_script(CSP_WATCH)
    context.add_init_script(f"localStorage.setItem('kirim.console.lang', '{lang}')")
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, Watched(page)


def _sign_in(page, stack, owner, lang: str, route: str = "overview") -> None:
    page.goto(f"{stack.console}#/{route}")
    page.locator("input[name=email]").fill(owner["email"])
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    _expect()(page.locator("main")).to_be_visible()


def _new_template(page, stack, lang: str, name: str = "Promo Lebaran 2026") -> None:
    expect = _expect()
    page.goto(f"{stack.console}#/templates/new")
    page.locator("input[name=template-name]").fill(name)
    page.get_by_role("button", name=WORDS[lang]["continue"]).click()
    expect(page.locator("textarea[name=body-text]")).to_be_visible()


@pytest.fixture(params=[("en", 1280), ("id", 390)], ids=["en-1280", "id-390"])
def signed_in(request, browser, stack, owner):
    lang, width = request.param
    context, watched = _page(browser, stack, lang, width)
    _sign_in(watched.page, stack, owner, lang)
    yield lang, width, watched
    context.close()


def test_every_template_fault_at_once_by_its_field_first_one_focused(signed_in, stack, screenshot_dir):
    lang, width, watched = signed_in
    page, words, expect = watched.page, WORDS[lang], _expect()
    page.goto(f"{stack.console}#/templates/new")
    # The name as Meta will take it, shown as it is typed.
    page.locator("input[name=template-name]").fill(f"Promo Lebaran 2026 {lang.upper()}{width}")
    expect(page.get_by_test_id("name-as-saved")).to_have_text(f"{words['saved_as']} promo_lebaran_2026_{lang}{width}")
    page.get_by_role("button", name=words["continue"]).click()
    # The Terms of Use link goes to WhatsApp's own page, in the page's language.
    terms = page.get_by_test_id("terms-link")
    expect(terms).to_have_text(words["terms"])
    assert terms.get_attribute("href") == f"https://www.whatsapp.com/legal/business-policy?lang={lang}"
    # Three faults only the server checks: all answered by one submit, each by its field.
    page.locator("textarea[name=body-text]").fill("{{1}} diskon Lebaran untuk Anda")
    page.locator("input[name=body-example-1]").fill("Budi")
    page.locator("input[name=footer-text]").fill("Kode {{1}}")
    page.get_by_role("button", name=re.compile("Add button|Tambah tombol")).click()
    page.locator("select[name=button-0-type]").select_option("PHONE_NUMBER")
    page.locator("input[name=button-0-text]").fill("Telepon")
    page.locator("input[name=button-0-phone]").fill("0812")
    page.locator("input[name=accept-terms]").check()
    with page.expect_response(lambda r: r.url.endswith("/whatsapp/templates") and r.request.method == "POST") as sent:
        page.get_by_role("button", name=words["submit"], exact=True).click()
    assert sent.value.status == 406 and len(sent.value.json()["errors"]) == 3
    summary = page.get_by_test_id("error-summary")
    expect(summary.locator("li")).to_have_count(3)
    expect(page.get_by_text(words["fix"])).to_be_visible()
    body_field = page.locator(".field").filter(has=page.locator("textarea[name=body-text]"))
    expect(body_field.locator(".field-error")).to_have_text(words["start"])
    footer_field = page.locator(".field").filter(has=page.locator("input[name=footer-text]"))
    expect(footer_field.locator(".field-error")).to_have_text(words["footer"])
    phone_field = page.locator(".field").filter(has=page.locator("input[name=button-0-phone]"))
    expect(phone_field.locator(".field-error")).to_contain_text(words["phone"])
    expect(summary).to_contain_text(words["button"])
    # The first fault in page order has the focus.
    expect(page.locator("textarea[name=body-text]")).to_be_focused()
    assert not FORBIDDEN.search(page.locator("main").inner_text())
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / f"template-errors-{lang}-{width}.png"), full_page=True)
    # Fixed: the submit goes through, and no stale error stays behind.
    page.locator("textarea[name=body-text]").fill("Halo {{1}}, diskon Lebaran untuk Anda")
    page.locator("input[name=footer-text]").fill("Toko Batik")
    page.locator("input[name=button-0-phone]").fill("+6281234567890")
    page.get_by_role("button", name=words["submit"], exact=True).click()
    expect(page.get_by_text(words["submitted"])).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)
    watched.assert_clean()


def test_server_and_network_failures_on_submit_say_so(signed_in, stack, screenshot_dir):
    lang, width, watched = signed_in
    page, words, expect = watched.page, WORDS[lang], _expect()
    _new_template(page, stack, lang, f"gagal server {lang} {width}")
    page.locator("textarea[name=body-text]").fill("Halo kak, pesanan sudah dikirim")
    page.locator("input[name=accept-terms]").check()
    route = re.compile(r".*/whatsapp/templates$")
    page.route(route, lambda r: r.fulfill(status=500, body="upstream exploded", content_type="text/plain")
               if r.request.method == "POST" else r.continue_())
    page.get_by_role("button", name=words["submit"], exact=True).click()
    expect(page.get_by_role("alert").filter(has_text=words["server"])).to_be_visible()
    expect(page.get_by_text(words["fix"])).to_have_count(0)
    assert "500" not in page.locator("main").inner_text()
    page.unroute(route)
    page.route(route, lambda r: r.abort() if r.request.method == "POST" else r.continue_())
    page.get_by_role("button", name=words["submit"], exact=True).click()
    expect(page.get_by_role("alert").filter(has_text=words["network"])).to_be_in_viewport()
    expect(page.get_by_text(words["fix"])).to_have_count(0)
    expect(page.locator(".field-error")).to_have_count(0)
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / f"template-network-{lang}-{width}.png"), full_page=True)
    page.unroute(route)
    # The network is back: the same form submits, nothing was lost.
    page.get_by_role("button", name=words["draft"]).click()
    expect(page.get_by_text(words["saved"])).to_be_visible()
    watched.assert_clean()


def _offline(asked: list[str]):
    """A route handler: GETs fail as if the network were down (and are counted), the rest go through."""
    def handle(route) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        asked.append(route.request.url)
        route.abort()
    return handle


def test_try_again_after_a_network_failure_really_retries(signed_in, stack, screenshot_dir):
    lang, width, watched = signed_in
    page, words, expect = watched.page, WORDS[lang], _expect()
    # A page's own list (useLoad), the applications every page needs, and the session check (App's Try again).
    for route in (re.compile(r".*/whatsapp/templates(\?.*)?$"), re.compile(r".*/applications$"),
                  re.compile(r".*/auth/me$")):
        asked: list[str] = []
        page.route(route, _offline(asked))
        page.goto(f"{stack.console}#/templates")
        page.reload()
        error = page.locator(".state-error")
        expect(error).to_contain_text(words["network"])
        assert asked
        page.unroute(route)
        sent: list[str] = []
        page.on("request", lambda r, sent=sent, route=route: sent.append(r.url) if route.match(r.url) else None)
        page.get_by_role("button", name=words["retry"]).click()
        expect(error).to_have_count(0)
        expect(page.get_by_role("link", name=re.compile("Add Template|Tambah Template")).first).to_be_visible()
        assert sent, "Try again sent nothing"
    # The browser itself offline, then back.
    page.context.set_offline(True)
    page.evaluate("location.hash = '#/overview'")
    page.evaluate("location.hash = '#/templates'")
    error = page.locator(".state-error")
    expect(error).to_contain_text(words["network"])
    page.context.set_offline(False)
    page.get_by_role("button", name=words["retry"]).click()
    expect(error).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Add Template|Tambah Template")).first).to_be_visible()
    watched.assert_clean()


def test_an_expired_session_keeps_the_template_and_returns_to_it(signed_in, stack, owner):
    lang, width, watched = signed_in
    page, words, expect = watched.page, WORDS[lang], _expect()
    _new_template(page, stack, lang, f"sesi habis {lang} {width}")
    page.locator("textarea[name=body-text]").fill("Halo kak, pesanan Anda sedang kami siapkan")
    page.context.clear_cookies()  # the session ends while the owner types
    page.locator("input[name=footer-text]").fill("Toko Batik")  # the preview's request answers 401
    expect(page.get_by_text(words["session"])).to_be_visible()
    page.locator("input[name=email]").fill(owner["email"])
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    # Back on the same page, with what was typed.
    expect(page.locator("textarea[name=body-text]")).to_have_value("Halo kak, pesanan Anda sedang kami siapkan")
    expect(page.locator("input[name=footer-text]")).to_have_value("Toko Batik")
    assert page.url.endswith("#/templates/new")
    watched.assert_clean()


def test_the_consoles_own_checks_and_messages_before_any_request(signed_in, stack, screenshot_dir):
    lang, width, watched = signed_in
    page, words, expect = watched.page, WORDS[lang], _expect()
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and "/preview" not in r.url else None)
    # Media and website addresses must be https.
    _new_template(page, stack, lang, f"cek lokal {lang} {width}")
    page.locator("select[name=header-format]").select_option("IMAGE")
    page.locator("input[name=header-media]").fill("http://toko.example/banner.png")
    page.locator("textarea[name=body-text]").fill("Halo kak, ada promo baru")
    page.locator("input[name=accept-terms]").check()
    page.get_by_role("button", name=words["submit"], exact=True).click()
    media = page.locator(".field").filter(has=page.locator("input[name=header-media]"))
    expect(media.locator(".field-error")).to_have_text(words["https"])
    expect(page.locator("input[name=header-media]")).to_be_focused()
    # Authentication: the code's expiry is 1 to 90 minutes.
    page.locator("main button.link").first.click()
    page.locator("input[name=category][value=AUTHENTICATION]").check()
    page.get_by_role("button", name=words["continue"]).click()
    page.locator("input[name=auth-expiry]").fill("91")
    page.locator("input[name=accept-terms]").check()
    page.get_by_role("button", name=words["submit"], exact=True).click()
    expiry = page.locator(".field").filter(has=page.locator("input[name=auth-expiry]"))
    expect(expiry.locator(".field-error")).to_have_text(words["range"])
    assert page.locator("form[novalidate]").count() >= 1
    assert [u for u in posted if u.endswith("/whatsapp/templates")] == []
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / f"template-local-checks-{lang}-{width}.png"), full_page=True)
    watched.assert_clean()


@pytest.mark.parametrize("lang,width", [("en", 390), ("id", 1280)])
def test_register_checks_the_password_length_in_the_pages_language(browser, stack, screenshot_dir, lang, width):
    context, watched = _page(browser, stack, lang, width)
    page, words, expect = watched.page, WORDS[lang], _expect()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/auth/register" in r.url else None)
    page.goto(f"{stack.console}#/register")
    page.locator("input[name=name]").fill("Toko Batik")
    page.locator("input[name=email]").fill(f"short-{uuid.uuid4().hex[:8]}@example.com")
    page.locator("input[name=password]").fill("short")
    page.locator("form button[type=submit]").click()
    password = page.locator(".field").filter(has=page.locator("input[name=password]"))
    expect(password.locator(".field-error")).to_have_text(words["password"])
    expect(page.locator("input[name=password]")).to_be_focused()
    assert page.locator("form").get_attribute("novalidate") is not None
    assert asked == []
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / f"register-password-{lang}-{width}.png"), full_page=True)
    watched.assert_clean()
    context.close()


def test_a_rejection_is_told_in_words_not_metas_code(signed_in, stack, owner):
    lang, width, watched = signed_in
    page, expect = watched.page, _expect()
    base = f"/applications/{owner['application_id']}/whatsapp/templates"
    # The simulator rejects a template whose name starts with reject_ (reason INVALID_FORMAT).
    status, body, _ = stack.request("POST", base, {
        "name": f"reject_{lang}_{width}", "language": "id", "category": "UTILITY", "accept_terms": True,
        "submit": True, "body": {"text": "Halo kak, pesanan sudah dikirim"}}, owner["session"])
    assert status == 201, body
    words = {"en": "The template does not follow WhatsApp’s format rules.",
             "id": "Template belum sesuai aturan format WhatsApp."}[lang]
    page.goto(f"{stack.console}#/templates")
    row = page.locator(f"tr[data-name='reject_{lang}_{width}']")
    for _ in range(20):  # the review lands within seconds; the list shows it when read again
        expect(row).to_be_visible()  # the list has loaded: a count before it would always be 0
        if row.get_by_text(words).count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.get_by_text(words).first).to_be_visible()
    assert "INVALID_FORMAT" not in page.locator("main").inner_text()
    watched.assert_clean()
