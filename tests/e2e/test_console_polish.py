"""Accessibility and the template preview (issue 21, sections 7 and 5): the focus ring's contrast against what
it sits on, focus on the page heading after a route change, focus back on the opener after a dialog closes,
axe-core on every page at both sizes in both languages; the preview above the form on a phone, media headers
and "See all options". Its own account."""
from __future__ import annotations

import re
import struct
import zlib

import pytest

from tests.e2e.conftest import CSP_WATCH, Watched, axe_serious
from tests.e2e.helpers import PASSWORD, expect as _expect, register, sign_in

SIZES = {"1280": (1280, 800), "390": (390, 844)}
# Parses any colour the browser computes (rgb()/rgba()) into [r, g, b, a].
RGBA = re.compile(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)")


def _rgba(css: str) -> tuple[float, float, float, float]:
    match = RGBA.match(css)
    assert match, css
    r, g, b, a = match.groups()
    return float(r), float(g), float(b), float(a) if a is not None else 1.0


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb[:3]
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one, two) -> float:
    """WCAG 2 contrast ratio of two opaque colours."""
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_matches_wcag_examples():
    assert round(contrast((255, 255, 255), (0, 0, 0)), 1) == 21.0
    assert round(contrast((118, 118, 118), (255, 255, 255)), 2) == 4.54


@pytest.fixture(scope="module")
def owner(stack) -> dict:
    email = register(stack, "polish")
    headers = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Pekalongan",
                                                             "channels": ["whatsapp", "sms"]}, headers=headers)
    assert status == 201, app
    return {"email": email, "application_id": app["application_id"], "headers": headers}


def _page(browser, stack, owner, size: str, lang: str = "en") -> Watched:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=stack.api,
                                  locale="en-GB", timezone_id="Asia/Jakarta")
    context.add_init_script(CSP_WATCH)
    context.add_init_script(f"localStorage.setItem('kirim.console.lang', '{lang}')")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(stack.console + "#/overview")
    page.get_by_label("Email").fill(owner["email"])
    page.get_by_label(re.compile("Password|Kata sandi")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("^(Sign in|Masuk)$")).click()
    _expect()(page.locator("main h1")).to_be_visible()
    return Watched(page)


@pytest.fixture(scope="module")
def desktop(browser, stack, owner):
    watched = _page(browser, stack, owner, "1280")
    yield watched
    watched.page.context.close()


# What the ring is drawn with, and the colours around it: the nearest opaque background outside the element
# (where the ring sits) and the element's own background (inside the white halo).
RING = """(el) => {
  const opaque = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      if (!/rgba\\(.*,\\s*0\\)$/.test(bg) && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  const s = getComputedStyle(el);
  const halo = (s.boxShadow.match(/rgba?\\([^)]*\\)/) || [null])[0];
  return {ring: s.outlineColor, width: parseFloat(s.outlineWidth), style: s.outlineStyle, halo,
          outside: opaque(el.parentElement), inside: opaque(el), visible: el.matches(':focus-visible')};
}"""


def _ring_ok(info: dict, where: str) -> None:
    assert info["visible"] and info["style"] != "none" and info["width"] >= 2, (where, info)
    ring, outside, inside = _rgba(info["ring"]), _rgba(info["outside"]), _rgba(info["inside"])
    assert contrast(ring, outside) >= 3, (where, info, contrast(ring, outside))
    if contrast(ring, inside) < 3:
        # The ring alone does not stand apart from the control: a halo between them must.
        halo = _rgba(info["halo"] or "rgba(0, 0, 0, 0)")
        assert halo[3] == 1 and contrast(halo, inside) >= 3 and contrast(ring, halo) >= 3, (where, info)


def _key_focus(page, locator) -> None:
    """Focus as a keyboard user would (after a key press, so :focus-visible applies)."""
    page.keyboard.press("Shift")
    locator.focus()


def test_the_focus_ring_stands_out_on_every_background(desktop, owner, screenshot_dir):
    page, expect = desktop.page, _expect()
    # Sidebar (white), with the current page's soft teal link.
    page.goto(page.url.split("#")[0] + "#/overview")
    expect(page.locator("main h1")).to_be_visible()
    page.locator("main h1").focus()
    for nav in ("overview", "templates"):
        link = page.locator(f"[data-nav={nav}]")
        _key_focus(page, link)
        _ring_ok(link.evaluate(RING), f"sidebar {nav}")
    # Cards on the grey page: a secondary button, a select and the primary button.
    page.goto(page.url.split("#")[0] + f"#/applications/{owner['application_id']}")
    expect(page.get_by_role("heading", name="Details App")).to_be_visible()
    select = page.get_by_label("Select channel")
    _key_focus(page, select)
    _ring_ok(select.evaluate(RING), "select in a card")
    select.select_option(label="SMS")
    primary = page.get_by_role("button", name="Generate Key")
    _key_focus(page, primary)
    info = primary.evaluate(RING)
    assert contrast(_rgba(info["ring"]), _rgba(info["inside"])) < 3  # the halo is what separates them
    _ring_ok(info, "primary button")
    page.screenshot(path=str(screenshot_dir / "focus-primary-1280.png"))
    # The dark snippet block in "How to use this key".
    primary.click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, Generate Key").click()
    snippet = page.get_by_role("dialog").get_by_test_id("snippet")
    expect(snippet).to_be_visible()
    _key_focus(page, snippet)
    info = snippet.evaluate(RING)
    _ring_ok(info, "snippet block")
    page.screenshot(path=str(screenshot_dir / "focus-snippet-1280.png"))
    desktop.assert_clean()


def test_a_route_change_focuses_the_heading_and_a_dialog_gives_focus_back(desktop, owner):
    page, expect = desktop.page, _expect()
    page.goto(page.url.split("#")[0] + "#/overview")
    page.reload()
    expect(page.locator("main h1")).to_be_visible()
    for nav, heading in (("monitoring", "Monitoring"), ("reports", "Generate Report"), ("templates", "WhatsApp Template"),
                         ("applications", "My Application"), ("settings", "Settings")):
        page.locator(f"[data-nav={nav}]").focus()
        page.keyboard.press("Enter")
        h1 = page.locator("main h1")
        expect(h1).to_have_text(heading)
        expect(h1).to_be_focused()
        assert h1.get_attribute("tabindex") == "-1"
    # Opened from a button, closed with Esc, with ×, and with Cancel: focus is back on that button.
    page.locator("[data-nav=applications]").click()
    expect(page.locator("main h1")).to_be_focused()
    create = page.get_by_role("button", name="Create application")
    for close in ("Escape", "×", "Cancel"):
        create.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        if close == "Escape":
            page.keyboard.press("Escape")
        elif close == "×":
            dialog.get_by_role("button", name="Close").click()
        else:
            dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        expect(create).to_be_focused()
    desktop.assert_clean()


def test_on_a_phone_the_menu_leads_to_the_heading(browser, stack, owner):
    watched = _page(browser, stack, owner, "390", "id")
    page, expect = watched.page, _expect()
    try:
        page.get_by_test_id("menu-button").click()
        page.locator("[data-nav=monitoring]").click()
        h1 = page.locator("main h1")
        expect(h1).to_have_text("Monitoring")
        expect(h1).to_be_focused()
        expect(page.locator("[data-nav=monitoring]")).to_be_hidden()
        watched.assert_clean()
    finally:
        page.context.close()


def _pages(owner) -> list[str]:
    app = owner["application_id"]
    return ["overview", "applications", f"applications/{app}", "templates", "templates/new", "monitoring",
            "reports", "settings", "inbox"]


@pytest.mark.parametrize("size", ["1280", "390"])
@pytest.mark.parametrize("lang", ["en", "id"])
def test_axe_finds_nothing_serious_on_any_page(browser, stack, owner, size, lang, screenshot_dir):
    watched = _page(browser, stack, owner, size, lang)
    page = watched.page
    try:
        found = {}
        for path in _pages(owner):
            page.goto(stack.console + "#/" + path)
            _expect()(page.locator("main h1")).to_be_visible()
            page.wait_for_load_state("networkidle")
            serious = axe_serious(page)
            if serious:
                found[path] = serious
        assert found == {}
        watched.assert_clean()
    finally:
        page.context.close()


# ---------------------------------------------------------------- section 5: the template preview
# A 2x2 PNG the test serves for an example image URL (the stack has no internet; the browser still applies
# the page's Content-Security-Policy before asking, so a refused origin would show as a violation).
def _png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x0f\x76\x6e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = _png()
WORDS = {"en": {"continue": "Continue", "add": "Add button", "see_all": "See all options", "close": "Close",
                "copy": "Copy offer code"},
         "id": {"continue": "Lanjut", "add": "Tambah tombol", "see_all": "Lihat semua opsi", "close": "Tutup",
                "copy": "Salin kode penawaran"}}


def _new_template(page, stack, words) -> None:
    expect = _expect()
    page.goto(stack.console + "#/templates/new")
    page.locator("input[name=template-name]").fill("promo_lebaran")
    page.locator("input[name=category][value=MARKETING]").check()
    page.get_by_role("button", name=words["continue"]).click()
    expect(page.locator("textarea[name=body-text]")).to_be_visible()
    page.locator("textarea[name=body-text]").fill("Halo, diskon Lebaran untuk semua batik tulis!")
    expect(page.get_by_test_id("preview-body")).to_contain_text("diskon Lebaran")


@pytest.mark.parametrize("size", ["1280", "390"])
@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_template_preview_shows_media_headers_and_all_options(browser, stack, owner, size, lang,
                                                                  screenshot_dir):
    watched = _page(browser, stack, owner, size, lang)
    page, expect, words = watched.page, _expect(), WORDS[lang]
    page.route("https://cdn.example.com/**", lambda route: route.fulfill(status=200, body=PNG,
                                                                         content_type="image/png"))
    try:
        _new_template(page, stack, words)
        preview = page.get_by_test_id("preview-col")
        submit = page.locator("form button[type=submit]")
        form = page.locator("textarea[name=body-text]")
        box, submit_box, form_box = preview.bounding_box(), submit.bounding_box(), form.bounding_box()
        if size == "390":
            # Above the form, so it is in reach while typing (not below Submit).
            assert box["y"] + box["height"] <= form_box["y"] and box["y"] < submit_box["y"]
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        else:
            assert box["x"] > form_box["x"] + form_box["width"]

        header = page.locator("select[name=header-format]")
        media = page.locator("input[name=header-media]")
        # A text header as text.
        header.select_option("TEXT")
        page.locator("input[name=header-text]").fill("Promo Lebaran")
        expect(page.get_by_test_id("preview-header").locator("strong")).to_have_text("Promo Lebaran")
        # The real image.
        header.select_option("IMAGE")
        media.fill("https://cdn.example.com/katalog/batik-parang.png")
        image = page.get_by_test_id("preview-image")
        expect(image).to_be_visible()
        page.wait_for_function("() => document.querySelector('[data-testid=preview-image]')?.naturalWidth === 2")
        page.screenshot(path=str(screenshot_dir / f"template-image-{size}-{lang}.png"), full_page=size == "390")
        # A video: a frame with its file name; a document: its file name.
        header.select_option("VIDEO")
        media.fill("https://cdn.example.com/video/promo%20lebaran.mp4")
        expect(page.get_by_test_id("preview-video")).to_contain_text("promo lebaran.mp4")
        page.get_by_test_id("phone-preview").screenshot(path=str(screenshot_dir / f"template-video-{size}-{lang}.png"))
        header.select_option("DOCUMENT")
        media.fill("https://cdn.example.com/docs/katalog%20batik%202026.pdf")
        expect(page.get_by_test_id("preview-document")).to_contain_text("katalog batik 2026.pdf")
        expect(page.get_by_test_id("preview-image")).to_have_count(0)

        # Five buttons: three shown, "See all options (+2)" lists them all in a sheet, as WhatsApp does.
        names = ["Lihat katalog", "Tanya admin", "Pesan sekarang", "Nanti saja", "Berhenti"]
        for i, text in enumerate(names):
            page.get_by_role("button", name=words["add"]).click()
            page.locator(f"input[name=button-{i}-text]").fill(text)
        expect(page.get_by_test_id("preview-button")).to_have_count(3)
        see_all = page.get_by_test_id("preview-see-all")
        expect(see_all).to_have_text(f"{words['see_all']} (+2)")
        see_all.click()
        sheet = page.get_by_test_id("preview-all-options")
        expect(sheet).to_be_visible()
        expect(sheet).to_have_attribute("role", "dialog")
        expect(sheet.locator("li")).to_have_text(names)
        expect(sheet).to_be_focused()
        page.screenshot(path=str(screenshot_dir / f"template-all-options-{size}-{lang}.png"))
        assert axe_serious(page) == []
        page.keyboard.press("Escape")
        expect(sheet).to_have_count(0)
        expect(see_all).to_be_focused()
        see_all.click()
        sheet.get_by_role("button", name=words["close"]).click()
        expect(sheet).to_have_count(0)
        expect(see_all).to_be_focused()
        page.screenshot(path=str(screenshot_dir / f"template-document-{size}-{lang}.png"), full_page=size == "390")
        watched.assert_clean()
    finally:
        page.context.close()
