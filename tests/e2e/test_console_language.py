"""Bahasa Indonesia, finished (issue 21, section 3): every console page and dialog, opened in `id` at 1280
and 390 px, holds no English string from the message catalogue (text, placeholders, aria-labels, titles,
option labels) and no English sentence outside it. OCA's status words, brand names and technical tokens
(ids, URLs, code) stay as they are. Its own owner, with an application, keys, a sent SMS and a draft."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import CSP_WATCH, Watched, axe_serious
from tests.e2e.helpers import PASSWORD, eventually as _eventually, expect as _expect, register, sign_in

ROOT = Path(__file__).resolve().parents[2]

# OCA's status words (users search for them), brand and product names, and words both languages share.
ALLOWED = {
    # OCA's status words (console/src/channels.ts)
    "Submitted", "Sent", "Delivered", "Read", "Rejected", "Failed", "Undelivered", "In Call", "Answered", "RNA",
    "Accepted", "Opened", "Clicked", "Failed by mail server",
    "Kirim", "WhatsApp", "SMS", "SMS OTP", "Email", "IVR", "IVR Call", "OCA", "Meta", "Go", "PHP", "Python",
    "JavaScript", "curl", "V1", "V2", "OTP", "API", "URL", "ID", "EN",
}
# English words that never appear in Indonesian business text: two of them, or one of the strong ones,
# mark a sentence left in English.
ENGLISH = {"the", "your", "you", "and", "with", "this", "that", "is", "are", "not", "for", "of", "to", "an",
           "yet", "will", "it", "by", "from", "or", "no", "new", "all", "be", "can", "has", "have", "here",
           "what", "when", "which", "there", "these", "only", "each", "one", "at", "on", "in"}
STRONG = {"the", "your", "you", "this", "with", "is", "are", "will", "have", "which"}

COLLECT = """() => {
  const skip = 'script,style,noscript,code,pre,.mono,[translate=no],[data-raw],.phone-preview .bubble-text';
  // What names itself in its own language (the EN switch, a template in English) is not the page's text.
  const other = '[lang]:not([lang=id]):not(html)';
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest(skip) || el.closest(other)) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) out.push(['text', text]);
  }
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]')) {
    if (el.closest('script,style,code,pre') || el.closest(other)) continue;
    for (const a of ['placeholder', 'aria-label', 'title', 'alt']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push([a, v.replace(/\\s+/g, ' ').trim()]);
    }
  }
  for (const o of document.querySelectorAll('option')) if (o.label.trim()) out.push(['option', o.label.trim()]);
  return out;
}"""


def catalogue() -> dict[str, str]:
    """English -> Indonesian: console/src/locales/id.json when the catalogue is there, else i18n.ts's map."""
    path = ROOT / "console" / "src" / "locales" / "id.json"
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    text = (ROOT / "console" / "src" / "i18n.ts").read_text("utf-8")
    quoted = r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\""
    entry = re.compile(rf"^\s*(?:{quoted}|(\w+))\s*:\s*(?:{quoted}),?\s*$", re.M)
    out = {}
    for m in entry.finditer(text):
        key = m.group(1) or m.group(2) or m.group(3)
        out[re.sub(r"\\(.)", r"\1", key)] = re.sub(r"\\(.)", r"\1", m.group(4) or m.group(5) or "")
    return out


def _patterns() -> list[tuple[str, re.Pattern]]:
    out = []
    for en, id_ in catalogue().items():
        if en == id_ or en in ALLOWED or not re.search(r"[A-Za-z]{2}", re.sub(r"\{\w+\}", "", en)):
            continue
        # An ICU plural or select matches by each of its forms; a placeholder or # matches anything.
        forms = re.findall(r"\{([^{}]*)\}", en) if re.search(r",\s*(plural|select)\s*,", en) else [en]
        for form in forms:
            if form in id_:   # the same words in Indonesian ("# unit")
                continue
            pattern = re.sub(r"\\\{\w+\\\}|\\?#", ".+?", re.escape(form))
            out.append((en, re.compile(pattern)))
    # WhatsApp's template languages, named in English: "Indonesian (id)"
    data = ROOT / "console" / "src" / "data"
    english = json.loads((data / "whatsapp_languages.json").read_text("utf-8"))
    indonesian = json.loads((data / "whatsapp_languages_id.json").read_text("utf-8"))
    for code, name in english.items():
        if indonesian[code] != name:
            out.append((name, re.compile(re.escape(f"{name} ({code})") + "|" + re.escape(name))))
    return out


PATTERNS: list[tuple[str, re.Pattern]] = []


def english_left(page) -> list[str]:
    """The page's strings that are English: a catalogue entry as it is in English, or an English sentence."""
    if not PATTERNS:
        PATTERNS.extend(_patterns())
    found = []
    for kind, text in page.evaluate(COLLECT):
        if text in ALLOWED or re.fullmatch(r"[\W\d_]+", text) or "://" in text or re.fullmatch(r"[\w.@+/:#-]+", text) and not re.search(r"\s", text) and not text.isalpha():
            continue
        hit = next((en for en, p in PATTERNS if p.fullmatch(text)), None)
        words = [w.lower() for w in re.findall(r"(?<![\w'])[A-Za-z']+(?![\w'])", text)]
        english = {w for w in words if w in ENGLISH}
        if hit or english & STRONG or len(english) >= 2:
            found.append(f"{kind}: {text!r}" + (f" (catalogue: {hit!r})" if hit else ""))
    return sorted(set(found))


@pytest.fixture(scope="module")
def owner(stack) -> dict:
    """An owner with an application (SMS, WhatsApp, email), keys, a delivered SMS and a template draft."""
    email = register(stack, "bahasa")
    session = sign_in(stack, email)
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Pekalongan",
                                                             "channels": ["sms", "whatsapp", "email"]}, session)
    assert status == 201, app
    app_id = app["application_id"]
    tokens = {}
    for channel in ("sms", "whatsapp"):
        status, body, _ = stack.request("POST", f"/applications/{app_id}/channels/{channel}/token", None, session)
        assert status == 201, body
        tokens[channel] = body["token"]
    status, body, _ = stack.request("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Pesanan Anda dikirim"},
                                    {"Authorization": tokens["sms"]})
    assert status == 200, body
    message_id = body["msg_uid"]
    status, body, _ = stack.request("POST", f"/applications/{app_id}/whatsapp/templates", {
        "name": "pesanan_dikirim", "language": "id", "category": "UTILITY",
        "body": {"text": "Halo {{1}}, pesanan Anda sudah dikirim.", "examples": ["Budi"]}}, session)
    assert status == 201, body
    template_id = body["template_id"]

    def settled() -> bool:
        _, page, _ = stack.request("GET", f"/applications/{app_id}/messages?limit=10", headers=session)
        return any(m["message_id"] == message_id and m["status"] == "Delivered" for m in page["items"])

    _eventually(settled, "the SMS delivered")
    return {"email": email, "app_id": app_id, "message_id": message_id, "template_id": template_id}


def _signed_in(browser, stack, owner, width: int, height: int) -> Watched:
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=stack.api,
                                  locale="en-GB", timezone_id="Asia/Jakarta")
    context.add_init_script(CSP_WATCH)
    context.add_init_script("localStorage.setItem('kirim.console.lang', 'id')")
    page = context.new_page()
    page.set_default_timeout(20_000)
    watched = Watched(page)
    page.goto(stack.console + "#/register")
    _expect()(page.get_by_role("heading", name="Buat akun")).to_be_visible()
    watched.findings = {"register": english_left(page)}
    page.goto(stack.console + "#/login")
    _expect()(page.get_by_role("heading", name="Masuk")).to_be_visible()
    watched.findings["login"] = english_left(page)
    page.get_by_label("Email").fill(owner["email"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.locator("form").get_by_role("button", name="Masuk").click()
    _expect()(page.get_by_role("heading", name="Ringkasan")).to_be_visible()
    return watched


def _settle(page) -> None:
    """The page's own loading is over (no spinner, no skeleton)."""
    _expect()(page.locator(".spinner, .skeleton, [aria-busy=true]")).to_have_count(0)


def _visit(watched, stack, route: str, heading: str | None, screenshot_dir: Path, width: int) -> None:
    page = watched.page
    page.goto(f"{stack.console}#/{route}")
    heading_ = page.get_by_role("heading", name=heading, exact=True) if heading else page.locator("h1")
    _expect()(heading_.first).to_be_visible()
    _settle(page)
    watched.findings[route] = english_left(page)
    name = re.sub(r"/[0-9a-f-]{36}", "-one", route).replace("/", "-")
    page.screenshot(path=str(screenshot_dir / f"bahasa-{name}-{width}.png"), full_page=True)


def _dialog(watched, name: str, opener, screenshot_dir: Path | None = None) -> None:
    page = watched.page
    opener()
    dialog = page.get_by_role("dialog")
    _expect()(dialog).to_be_visible()
    _settle(page)
    watched.findings[f"dialog {name}"] = english_left(page)
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / f"bahasa-dialog-{name}.png"))
    page.keyboard.press("Escape")
    _expect()(dialog).to_have_count(0)


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_every_page_and_dialog_in_indonesian_holds_no_english(browser, stack, owner, screenshot_dir, width, height):
    watched = _signed_in(browser, stack, owner, width, height)
    page, expect, app_id = watched.page, _expect(), owner["app_id"]
    try:
        _visit(watched, stack, "overview", "Ringkasan", screenshot_dir, width)
        _visit(watched, stack, "applications", "Aplikasi Saya", screenshot_dir, width)
        _dialog(watched, "create-application",
                lambda: page.get_by_role("button", name="Buat aplikasi").first.click(), screenshot_dir)
        _visit(watched, stack, f"applications/{app_id}", None, screenshot_dir, width)
        row = page.locator("tr[data-channel=sms]")
        page.get_by_label("Pilih kanal").select_option("sms")
        _dialog(watched, "new-key", lambda: page.locator("form").get_by_role("button", name="Buat Kunci").click(),
                screenshot_dir)
        _dialog(watched, "revoke-key", lambda: row.get_by_role("button", name="Cabut SMS").click())
        _dialog(watched, "key-usage", lambda: row.get_by_role("button", name="Cara memakai SMS").click(), screenshot_dir)
        _visit(watched, stack, "templates", "Template WhatsApp", screenshot_dir, width)
        _visit(watched, stack, "templates/new", None, screenshot_dir, width)
        page.get_by_label("Nama Template").fill("promo_bahasa")
        page.get_by_role("button", name="Lanjut").click()
        expect(page.get_by_label("Isi pesan", exact=True).first).to_be_visible()
        watched.findings["templates/new, the message"] = english_left(page)
        page.screenshot(path=str(screenshot_dir / f"bahasa-template-body-{width}.png"), full_page=True)
        _visit(watched, stack, f"templates/{owner['template_id']}", None, screenshot_dir, width)
        _visit(watched, stack, "monitoring", "Monitoring", screenshot_dir, width)
        # OCA's word stays; a tap (or Enter) says what it means, in Indonesian.
        badge = page.locator("[data-testid=messages] tbody").get_by_role("button", name="Delivered").first
        badge.focus()
        page.keyboard.press("Enter")
        expect(badge).to_have_attribute("aria-expanded", "true")
        expect(page.locator(".status-tip").first).to_have_text("Pesan sudah sampai ke penerima.")
        watched.findings["monitoring, a status explained"] = english_left(page)
        page.screenshot(path=str(screenshot_dir / f"bahasa-status-word-{width}.png"))
        page.keyboard.press("Enter")
        expect(page.locator(".status-tip")).to_have_count(0)
        _dialog(watched, "message", lambda: page.locator("[data-testid=messages] tbody tr a").first.click(), screenshot_dir)
        _visit(watched, stack, "reports", "Buat Laporan", screenshot_dir, width)
        _dialog(watched, "new-report", lambda: page.get_by_role("button", name="Buat Laporan Baru").first.click(),
                screenshot_dir)
        _visit(watched, stack, "settings", "Pengaturan", screenshot_dir, width)
        _visit(watched, stack, "inbox", None, screenshot_dir, width)
        _visit(watched, stack, "usage", None, screenshot_dir, width)
        _visit(watched, stack, "team", None, screenshot_dir, width)
        _visit(watched, stack, "account", None, screenshot_dir, width)
        if width < 600:
            page.get_by_role("button", name="Menu").click()
            expect(page.get_by_role("button", name="Tutup menu").first).to_be_visible()
            watched.findings["menu"] = english_left(page)
        assert axe_serious(page) == []
        left = {where: found for where, found in watched.findings.items() if found}
        assert left == {}, "English in the Indonesian console:\n" + json.dumps(left, indent=1, ensure_ascii=False)
        watched.assert_clean()
    finally:
        page.context.close()


def test_dates_are_typed_day_first_in_the_page_language(browser, stack, owner, screenshot_dir):
    """Not the browser's <input type=date> (an English laptop's mm/dd/yyyy): dd/mm/yyyy, typed or moved by
    the arrow keys, kept as ISO days in the URL; a day that does not exist is said in Indonesian."""
    watched = _signed_in(browser, stack, owner, 390, 844)
    page, expect = watched.page, _expect()
    try:
        page.goto(f"{stack.console}#/monitoring")
        page.get_by_role("button", name="Kustom").click()
        start, end = page.get_by_label("Dari", exact=True), page.get_by_label("Sampai", exact=True)
        expect(start).to_have_attribute("placeholder", "hh/bb/tttt")
        expect(start).to_have_value(re.compile(r"^\d{2}/\d{2}/\d{4}$"))
        expect(page.locator("input[type=date]")).to_have_count(0)
        start.fill("1/11/2026")
        end.fill("03-11-2026")
        end.press("ArrowUp")
        expect(end).to_have_value("04/11/2026")
        end.press("PageUp")
        expect(end).to_have_value("04/12/2026")
        end.press("PageDown")
        expect(end).to_have_value("04/11/2026")
        page.get_by_role("button", name="Terapkan").click()
        expect(page).to_have_url(re.compile(r"from=2026-11-01&to=2026-11-04|to=2026-11-04.*from=2026-11-01|from=2026-11-01.*to=2026-11-04"))
        expect(start).to_have_value("01/11/2026")
        start.fill("31/02/2026")
        start.blur()
        expect(page.get_by_text("Tulis tanggal sebagai hh/bb/tttt, mis. 31/12/2026.")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "bahasa-date-range-390.png"), full_page=True)
        assert english_left(page) == []
        page.goto(f"{stack.console}#/reports")
        page.get_by_role("button", name="Buat Laporan Baru").first.click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("Dari", exact=True)).to_have_value(re.compile(r"^\d{2}/\d{2}/\d{4}$"))
        dialog.get_by_label("Sampai", exact=True).fill("")
        dialog.get_by_label("Nama laporan").fill("Pesanan November")
        dialog.get_by_role("button", name="Selesai").click()
        expect(dialog.get_by_text("Tulis tanggal sebagai hh/bb/tttt, mis. 31/12/2026.")).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "bahasa-report-dates-390.png"), full_page=True)
        assert axe_serious(page) == []
        watched.assert_clean()
    finally:
        page.context.close()
