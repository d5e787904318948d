"""The Team page end to end: an owner invites a viewer by email, the viewer opens the link signed out, signs
in, accepts, and sees the Overview but no page or button for keys; the owner changes the role and removes
them. Both languages where words matter, 1280 and 390 px for the new pages. Its own accounts; flows in order."""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Watched, axe_serious
from tests.e2e.helpers import PASSWORD, expect as _expect


@pytest.fixture(scope="module")
def people(stack) -> dict:
    """An owner with an application, and a registered account to invite (both through the API)."""
    found: dict = {}
    for who in ("owner", "viewer"):
        email = f"team-{who}-{uuid.uuid4().hex[:8]}@example.com"
        status, body, _ = stack.request("POST", "/auth/register", {"email": email, "password": PASSWORD,
                                                                   "name": who.title()})
        assert status == 201, body
        found[who] = email
    _, login, _ = stack.request("POST", "/auth/login", {"email": found["owner"], "password": PASSWORD})
    found["owner_session"] = {"Authorization": "Bearer " + login["session_token"]}
    status, app, _ = stack.request("POST", "/applications", {"name": "Batik Pekalongan", "channels": ["sms", "whatsapp"]},
                                   found["owner_session"])
    assert status == 201, app
    found["application_id"] = app["application_id"]
    return found


@pytest.fixture(scope="module")
def pages(browser, stack):
    """One browser context per person (each its own cookie)."""
    contexts = []

    def open_page(lang: str = "en") -> Watched:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=stack.api, locale="en-GB",
                                  timezone_id="Asia/Jakarta")
        if lang == "id":
            ctx.add_init_script("localStorage.setItem('kirim.console.lang', 'id')")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        return Watched(page)

    yield open_page
    for ctx in contexts:
        ctx.close()


def _sign_in(page, email: str, lang: str = "en") -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password" if lang == "en" else "Kata sandi").fill(PASSWORD)
    page.locator("form").get_by_role("button", name="Sign in" if lang == "en" else "Masuk").click()


@pytest.fixture(scope="module")
def flow() -> dict:
    return {}


def test_the_owner_invites_a_viewer_by_email(stack, people, pages, flow, screenshot_dir):
    expect = _expect()
    watched = pages()
    page = watched.page
    page.goto(f"{stack.console}#/team")
    _sign_in(page, people["owner"])
    page.locator("[data-nav=team]").click()
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(page.get_by_test_id("members").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("members")).to_contain_text(people["owner"])
    page.get_by_test_id("invite").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Email").fill("not an address")
    dialog.get_by_test_id("send-invite").click()
    expect(dialog).to_contain_text("Enter the email address of the person to invite.")
    dialog.get_by_label("Email").fill(people["viewer"])
    dialog.get_by_label("Role").select_option("viewer")
    dialog.get_by_test_id("send-invite").click()
    link = page.get_by_test_id("invite-link")
    expect(link).to_be_visible()
    flow["link"] = link.input_value()
    assert "#/invite/kirim_inv_" in flow["link"]
    assert axe_serious(page) == [], "invitation link"
    page.get_by_role("dialog").get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("invitations")).to_contain_text(people["viewer"])
    watched.assert_clean()
    flow["owner"] = watched


def test_the_viewer_accepts_and_sees_the_overview_but_no_keys(stack, people, pages, flow, screenshot_dir):
    expect = _expect()
    watched = pages()
    page = watched.page
    page.goto(flow["link"])   # signed out: sign in first, then the invitation
    expect(page.get_by_text("Sign in, or create an account, with the email the invitation was sent to.")).to_be_visible()
    _sign_in(page, people["viewer"])
    expect(page.get_by_role("heading", name="Join a team")).to_be_visible()
    page.get_by_test_id("accept-invite").click()
    expect(page.get_by_text("You joined Batik Pekalongan as Viewer.")).to_be_visible()
    page.get_by_test_id("go-overview").click()
    expect(page.get_by_test_id("kpi-total")).to_be_visible()
    # A viewer's menu has no keys, templates or settings; the page itself says so; the API refuses.
    expect(page.locator("[data-nav=overview]")).to_be_visible()
    for hidden in ("applications", "templates", "settings"):
        expect(page.locator(f"[data-nav={hidden}]")).to_have_count(0)
    page.goto(f"{stack.console}#/applications")
    expect(page.get_by_text("Your role in this application does not include this page.")).to_be_visible()
    expect(page.get_by_role("button", name="Generate Key")).to_have_count(0)
    status = page.evaluate("""(id) => fetch('/applications/' + id + '/channels/sms/token', {method: 'POST',
        headers: {'X-Kirim-Console': '1'}, credentials: 'same-origin'}).then(r => r.status)""", people["application_id"])
    assert status == 403
    # The Team page: who is in it, and no button a viewer cannot use.
    page.locator("[data-nav=team]").click()
    expect(page.get_by_test_id("members").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("my-role")).to_contain_text("Viewer")
    expect(page.get_by_test_id("invite")).to_have_count(0)
    expect(page.get_by_test_id("remove-member")).to_have_count(0)
    expect(page.get_by_test_id("member-role")).to_have_count(0)
    assert axe_serious(page) == [], "team as a viewer"
    page.screenshot(path=str(screenshot_dir / "team-viewer-1280.png"))
    watched.assert_clean()
    flow["viewer"] = watched


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_the_team_page_in_both_languages_at_both_sizes(stack, people, pages, flow, lang, width, height,
                                                       screenshot_dir):
    expect = _expect()
    watched = pages(lang)
    page = watched.page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{stack.console}#/team")
    _sign_in(page, people["owner"], lang)
    page.locator("[data-nav=team][aria-current=page]").wait_for(state="attached")  # back where it signed in
    title = "Team" if lang == "en" else "Tim"
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    members = page.get_by_test_id("members")
    expect(members.locator("tbody tr")).to_have_count(2)
    expect(members).to_contain_text("Pemilik" if lang == "id" else "Owner")
    expect(page.get_by_test_id("invite")).to_have_text("Undang anggota" if lang == "id" else "Invite someone")
    if lang == "id":
        text = page.locator("main").inner_text()
        for english in ("Members", "Invite someone", "Valid until", "Joined", "Your role in"):
            assert english not in text, english
    assert axe_serious(page) == [], f"team {lang} {width}"
    # Nothing scrolls sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshot_dir / f"team-{lang}-{width}.png"), full_page=True)
    page.goto(flow["link"])
    expect(page.get_by_role("heading", name="Join a team" if lang == "en" else "Bergabung dengan tim")).to_be_visible()
    page.get_by_test_id("accept-invite").click()   # spent: said in the reader's language
    expect(page.locator("main")).to_contain_text(
        "This invitation is not valid" if lang == "en" else "Undangan ini tidak berlaku")
    assert axe_serious(page) == [], f"accept {lang} {width}"
    page.screenshot(path=str(screenshot_dir / f"invite-{lang}-{width}.png"))
    watched.assert_clean()


def test_a_new_person_registers_from_the_link_and_joins_as_developer(stack, people, pages):
    expect = _expect()
    email = f"team-new-{uuid.uuid4().hex[:8]}@example.com"
    status, invitation, _ = stack.request("POST", f"/applications/{people['application_id']}/invitations",
                                          {"email": email, "role": "developer"}, people["owner_session"])
    assert status == 201, invitation
    watched = pages()
    page = watched.page
    page.goto(f"{stack.console}#/invite/{invitation['token']}")
    page.get_by_role("button", name="Register").click()
    page.get_by_label("Full name").fill("Rina")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form").get_by_role("button", name="Register").click()
    page.get_by_test_id("accept-invite").click()
    expect(page.get_by_text("You joined Batik Pekalongan as Developer.")).to_be_visible()
    expect(page.locator("[data-nav=applications]")).to_be_visible()   # keys are a developer's
    expect(page.locator("[data-nav=team]")).to_be_visible()
    watched.assert_clean()


def test_the_owner_changes_the_role_and_removes_the_member(stack, people, flow):
    expect = _expect()
    page = flow["owner"].page
    page.reload()   # it shows the team as it was before the viewer joined
    row = page.get_by_test_id("members").locator(f"tr[data-email='{people['viewer']}']")
    row.get_by_test_id("member-role").select_option("developer")
    expect(row).to_have_attribute("data-role", "developer")
    viewer = flow["viewer"].page
    viewer.goto(f"{stack.console}#/overview")
    viewer.reload()
    expect(viewer.locator("[data-nav=applications]")).to_be_visible()
    row.get_by_test_id("remove-member").click()
    page.get_by_test_id("confirm-remove").click()
    expect(page.get_by_test_id("members").locator(f"tr[data-email='{people['viewer']}']")).to_have_count(0)
    viewer.reload()
    expect(viewer.get_by_text("You have no application yet.")).to_be_visible()
    flow["owner"].assert_clean()


def _code(secret: str, ahead: int = 0) -> str:
    """The authenticator app's code (the stack runs on this machine's clock)."""
    import base64
    import time

    from chalicelib.accounts.two_factor import code_at

    return code_at(base64.b32decode(secret + "=" * (-len(secret) % 8)), int(time.time()) // 30 + ahead)


@pytest.mark.parametrize("lang,width,height", [("en", 1280, 800), ("id", 390, 844)])
def test_two_factor_sign_in_is_turned_on_and_asked_for_after_the_password(stack, pages, lang, width, height,
                                                                          screenshot_dir):
    expect = _expect()
    email = f"team-2fa-{uuid.uuid4().hex[:8]}@example.com"
    status, body, _ = stack.request("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Sari"})
    assert status == 201, body
    watched = pages(lang)
    page = watched.page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{stack.console}#/overview")
    _sign_in(page, email, lang)
    page.locator("[data-nav=overview][aria-current=page]").wait_for(state="attached")
    page.goto(f"{stack.console}#/account")
    words = {"en": ("Two-factor sign-in", "Code", "Code from your authenticator app"),
             "id": ("Verifikasi dua langkah", "Kode", "Kode dari aplikasi autentikator")}[lang]
    expect(page.get_by_role("heading", name=words[0])).to_be_visible()
    page.get_by_test_id("two-factor-start").click()
    secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
    assert page.get_by_test_id("otpauth-link").get_attribute("href").startswith("otpauth://totp/Kirim:")
    page.get_by_label(words[1], exact=True).fill("000000" if _code(secret) != "000000" else "111111")
    page.get_by_test_id("two-factor-confirm").click()
    expect(page.get_by_text("Kode tidak sesuai" if lang == "id" else "The code is not right")).to_be_visible()
    page.get_by_label(words[1], exact=True).fill(_code(secret))
    page.get_by_test_id("two-factor-confirm").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    expect(page.get_by_test_id("two-factor")).to_have_attribute("data-enabled", "true")
    assert axe_serious(page) == [], f"two-factor {lang}"
    page.screenshot(path=str(screenshot_dir / f"two-factor-{lang}-{width}.png"), full_page=True)

    # Signing in again: the password, then the code (the next step's: the one that turned it on is spent).
    page.context.clear_cookies()
    page.goto(f"{stack.console}#/overview")
    page.reload()
    _sign_in(page, email, lang)
    code_box = page.get_by_label(words[2])
    expect(code_box).to_be_focused()
    assert axe_serious(page) == [], f"sign-in code {lang}"
    page.screenshot(path=str(screenshot_dir / f"sign-in-code-{lang}-{width}.png"))
    code_box.fill(_code(secret, 1))
    page.locator("form").get_by_role("button", name="Sign in" if lang == "en" else "Masuk").click()
    page.locator("[data-nav=overview][aria-current=page]").wait_for(state="attached")
    watched.assert_clean()
