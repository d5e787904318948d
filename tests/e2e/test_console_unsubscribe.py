"""A broadcast email's one-click unsubscribe, against the real local stack: an email broadcast made through the
API (its CSV through the presigned S3 POST) and sent by the workers; the Test inbox shows its unsubscribe
link; the link's page (Bahasa Indonesia and English together) changes nothing when opened, and its button
puts the address on the application's suppression list. At 1280 and 390 px, in English and Indonesian,
axe-core clean."""
from __future__ import annotations

import re
import urllib.request
import uuid

import pytest

from tests.e2e.conftest import Watched, axe_serious
from tests.e2e.helpers import eventually, expect, open_signed_in, owner_with_application
from tests.e2e.test_console_language import english_left


def _multipart(url: str, fields: dict[str, str], filename: str, data: bytes) -> int:
    """The browser's presigned POST, by hand: the policy's fields, then the file."""
    boundary = "kirim" + uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@pytest.fixture(scope="module")
def owner(stack):
    made = owner_with_application(stack, "unsub", "Toko Melati", channels=("email",))
    email, session, app_id = made["email"], made["session"], made["application_id"]
    domain = f"melati-{uuid.uuid4().hex[:8]}.example"   # the simulator verifies it at once
    status, body, _ = stack.request("POST", f"/applications/{app_id}/email-identities", {"identity": domain}, session)
    assert status == 201 and body["status"] == "verified", body
    to = f"pelanggan-{uuid.uuid4().hex[:8]}@example.com"
    base = f"/applications/{app_id}/broadcasts"
    status, bc, _ = stack.request("POST", base, {"name": "Promo Melati", "channel": "email", "content": {
        "sender_email": f"promo@{domain}", "subject": "Diskon untuk {{name}}",
        "html": "<p>Halo {{name}}, diskon 20% minggu ini.</p>"}}, session)
    assert status == 201, bc
    one = f"{base}/{bc['broadcast_id']}"
    csv = f"email;name\n{to};Sari\n".encode()
    status, post, _ = stack.request("POST", one + "/upload", {"filename": "pelanggan.csv", "size": len(csv),
                                                              "content_type": "text/csv"}, session)
    assert status == 200, post
    assert _multipart(post["url"], post["fields"], "pelanggan.csv", csv) in (200, 201, 204)
    status, body, _ = stack.request("POST", one + "/file", None, session)
    assert status == 200, body
    status, body, _ = stack.request("POST", one + "/validate", {"mapping": {
        "recipient": "email", "values": {"name": {"column": "name"}}}}, session)
    assert status == 202, body
    eventually(lambda: stack.request("GET", one, None, session)[1]["status"] == "ready", "validation", 120)
    status, body, _ = stack.request("PUT", one + "/schedule", {"start_at": None, "rate_per_second": 25,
                                                               "quiet_hours": None}, session)
    assert status == 200, body
    status, body, _ = stack.request("POST", one + "/start", None, session)
    assert status == 200, body

    def delivered():
        status, page, _ = stack.request("GET", f"/simulator/messages?to={to}&channel=email", None, session)
        return status == 200 and page["items"]

    items = eventually(delivered, "the broadcast email in the test inbox", 180)
    return {"email": email, "session": session, "application_id": app_id, "to": to, "inbox": items[0]}


def _suppressions(stack, owner) -> dict[str, dict]:
    status, page, _ = stack.request("GET", f"/applications/{owner['application_id']}/suppressions?limit=100",
                                    None, owner["session"])
    assert status == 200, page
    return {item["target"]: item for item in page["items"]}


def test_the_email_carries_the_one_click_headers(stack, owner):
    headers = owner["inbox"]["body"]["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(re.escape("<" + stack.api) + r"/unsubscribe/[^>]+>", headers["List-Unsubscribe"]), headers


@pytest.mark.parametrize("lang, size", [("en", (1280, 800)), ("id", (390, 844))])
def test_the_test_inbox_shows_the_unsubscribe_link(browser, stack, owner, screenshot_dir, lang, size):
    watched: Watched = open_signed_in(browser, stack, owner["email"], "inbox", width=size[0], height=size[1])
    page = watched.page
    if lang == "id":
        page.get_by_role("button", name="ID", exact=True).click()
    page.locator("input[name=inbox-to]").fill(owner["to"])
    page.locator("form.filters button[type=submit]").click()
    link = page.get_by_test_id("inbox-unsubscribe")
    expect()(link).to_have_text("Unsubscribe link" if lang == "en" else "Tautan berhenti berlangganan")
    assert link.get_attribute("href") == owner["inbox"]["body"]["headers"]["List-Unsubscribe"][1:-1]
    if lang == "id":
        assert english_left(page) == []
    assert axe_serious(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshot_dir / f"unsubscribe-inbox-{lang}-{size[0]}.png"), full_page=True)
    watched.assert_clean()
    page.context.close()


def test_the_link_page_changes_nothing_until_its_button_is_pressed(browser, stack, owner, screenshot_dir):
    url = owner["inbox"]["body"]["headers"]["List-Unsubscribe"][1:-1]
    from tests.e2e.conftest import CSP_WATCH

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    context.add_init_script(CSP_WATCH)
    watched = Watched(context.new_page())
    page = watched.page
    page.goto(url)
    expect()(page.get_by_role("heading", level=1)).to_have_text("Berhenti berlangganan?")
    expect()(page.get_by_role("heading", level=2)).to_have_text("Unsubscribe?")
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        assert axe_serious(page) == [], width
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), width
        page.screenshot(path=str(screenshot_dir / f"unsubscribe-page-{width}.png"), full_page=True)
    # Its one style block is allowed by the page's own policy: the button is styled.
    assert page.get_by_role("button").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 92, 173)"
    assert owner["to"] not in _suppressions(stack, owner)   # opening the link (a mail scanner) changes nothing

    page.get_by_role("button", name=re.compile("Berhenti berlangganan")).click()
    expect()(page.get_by_role("heading", level=1)).to_have_text("Anda sudah berhenti berlangganan")
    expect()(page.get_by_role("heading", level=2)).to_have_text("You are unsubscribed")
    assert axe_serious(page) == []
    page.screenshot(path=str(screenshot_dir / "unsubscribe-done-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "unsubscribe-done-390.png"), full_page=True)
    watched.assert_clean()
    entry = _suppressions(stack, owner)[owner["to"]]
    assert entry["reason"] == "unsubscribed"

    # The mail app's own one-click POST, again: the same answer, the entry unchanged.
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200 and b"You are unsubscribed" in response.read()
    assert _suppressions(stack, owner)[owner["to"]] == entry
    context.close()


def test_a_forged_link_is_a_clear_page(browser, stack, owner):
    url = owner["inbox"]["body"]["headers"]["List-Unsubscribe"][1:-1]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    answer = page.goto(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"))
    assert answer.status == 404
    expect()(page.get_by_role("heading", level=1)).to_have_text("Tautan ini tidak berlaku")
    assert axe_serious(page) == []
    assert list(_suppressions(stack, owner)) == [owner["to"]]   # only the one the real link added
    context.close()
