"""The Broadcast page against the real local stack, nothing mocked: an SMS broadcast made in the page, its
`;`-separated CSV sent through the presigned S3 POST to moto, columns mapped, the file checked by the
validation worker (valid, bad and duplicate rows, the bad rows file in the page's language), started, and
sent by the chunk worker and the pacer until Completed; a second one paused and resumed. At 1280 and 390 px,
in English and Indonesian, axe-core clean."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e.conftest import Watched
from tests.e2e.helpers import BOTH_SIZES, check_sizes, eventually, fast_polls, open_signed_in, owner_with_application

# 6 rows: 4 to send, one bad number (line 5), one duplicate of line 2 (line 6, in another form).
CSV = ("phone;name;kota\n081234567890;Budi;Solo\n628111222333;Sari;Medan\n+6281399988877;Andi;Bandung\n"
       "0812abc;Rudi;Surabaya\n+6281234567890;Budi lagi;Solo\n085711112222;Wati;Depok\n").encode()
TEXT = "Halo {{name}}, diskon Lebaran untuk warga {{kota}}!"


@pytest.fixture(scope="module")
def owner(stack):
    # An SMS broadcast sends from one of the application's sender ids (the simulator takes any).
    return owner_with_application(stack, "broadcast-run", "Toko Wati", sender_ids=("TOKOWATI",))


def _open(browser, stack, owner, viewport=(1280, 800)) -> Watched:
    return open_signed_in(browser, stack, owner["email"], "broadcasts", width=viewport[0], height=viewport[1],
                          accept_downloads=True, before=lambda page: page.clock.install())  # for fast_polls


def _language(page, lang: str) -> None:
    page.get_by_role("button", name=lang.upper(), exact=True).click()


def _check(page, screenshot_dir, name: str, lang: str, sizes=BOTH_SIZES) -> None:
    check_sizes(page, lang, name, lambda width: screenshot_dir / f"broadcast-run-{name}-{lang}-{width}.png", sizes)


def _bad_rows(page) -> list[list[str]]:
    with page.expect_download() as download:
        page.get_by_test_id("bad-rows").click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode())))


def _draft(page, name: str) -> None:
    """Content, then the file through the real presigned POST, then the mapping."""
    from playwright.sync_api import expect

    page.get_by_test_id("new-broadcast").click()
    page.get_by_label("Broadcast name").fill(name)
    page.get_by_label("Channel").select_option(label="SMS")
    page.get_by_label("Sender ID").select_option("TOKOWATI")
    page.get_by_label("Text", exact=True).fill(TEXT)
    page.get_by_role("button", name="Create draft and continue").click()
    expect(page.get_by_test_id("stepper").locator("[aria-current=step]")).to_contain_text("Recipients")
    page.get_by_test_id("file-input").set_input_files(
        {"name": "pelanggan.csv", "mimeType": "text/csv", "buffer": CSV})
    expect(page.get_by_test_id("file-preview").locator("tbody tr")).to_have_count(5)  # the first rows
    expect(page.get_by_label("Column with the phone number")).to_have_value("phone")
    expect(page.get_by_label("Value for {{name}}")).to_have_value("col:name")
    expect(page.get_by_label("Value for {{kota}}")).to_have_value("col:kota")
    expect(page.get_by_test_id("rendered")).to_contain_text("Halo Budi, diskon Lebaran untuk warga Solo!")


def test_an_sms_broadcast_from_a_real_file_to_completed(browser, stack, owner, screenshot_dir):
    from playwright.sync_api import expect

    watched = _open(browser, stack, owner)
    p = watched.page
    _draft(p, "Lebaran SMS")
    p.get_by_role("button", name="Customer 2").click()
    expect(p.get_by_test_id("rendered")).to_contain_text("Halo Sari, diskon Lebaran untuk warga Medan!")
    _check(p, screenshot_dir, "recipients", "en")

    # The validation worker reads the whole file: 4 to send, 1 bad number, 1 duplicate.
    p.get_by_role("button", name="Check the file").click()
    fast_polls(p, lambda: p.get_by_test_id("validation").is_visible(), "the validation worker")
    expect(p.get_by_test_id("valid-count")).to_have_text("4")
    facts = p.get_by_test_id("validation")
    expect(facts).to_contain_text(re.compile(r"Rows in the file\s*6"))
    expect(facts).to_contain_text(re.compile(r"Rows with a problem\s*1"))
    expect(facts).to_contain_text(re.compile(r"Duplicates left out\s*1"))
    rows = _bad_rows(p)
    assert rows[0] == ["line", "code", "reason", "phone", "name", "kota"]
    assert rows[1] == ["5", "invalid_phone", "This is not a valid phone number.", "0812abc", "Rudi", "Surabaya"]
    assert len(rows) == 2
    _check(p, screenshot_dir, "validate", "en")
    # In Indonesian, the page and the bad rows file both speak it; the code column stays the same.
    _language(p, "id")
    rows = _bad_rows(p)
    assert rows[0][:3] == ["baris", "kode", "alasan"]
    assert rows[1][:3] == ["5", "invalid_phone", "Ini bukan nomor telepon yang valid."]
    _check(p, screenshot_dir, "validate", "id")
    _language(p, "en")

    # Schedule (at once, the application's rate), review, start.
    p.get_by_role("button", name="Next").click()
    p.get_by_role("button", name="Next").click()
    expect(p.get_by_test_id("review")).to_contain_text("Lebaran SMS")
    p.get_by_role("button", name="Start broadcast").click()
    expect(p.get_by_role("dialog")).to_contain_text("4")
    p.get_by_test_id("confirm-start").click()

    # The chunk worker and the pacer send it; the page follows through /progress to Completed.
    status = p.get_by_test_id("broadcast-status")
    expect(status).to_have_attribute("data-status", re.compile("running|completed"))
    fast_polls(p, lambda: status.get_attribute("data-status") == "completed", "the broadcast to complete")
    expect(p.get_by_test_id("n-sent")).to_have_text("4")
    expect(p.get_by_test_id("n-queued")).to_have_text("0")
    expect(p.get_by_test_id("progress")).to_contain_text("4 of 4 handled")
    # The simulator's delivery reports reach the page too: it polls on after Completed until they are in.
    fast_polls(p, lambda: p.get_by_test_id("n-delivered").inner_text() == "4", "the delivery reports")
    _check(p, screenshot_dir, "detail", "en")
    _language(p, "id")
    expect(status).to_have_text("Selesai")
    _check(p, screenshot_dir, "detail", "id")

    # The list, in both languages.
    p.goto(f"{stack.console}#/broadcasts")
    row = p.locator("tr[data-name='Lebaran SMS']")
    expect(row).to_contain_text("Selesai")
    expect(row).to_contain_text("4 / 4")
    _check(p, screenshot_dir, "list", "id")
    _language(p, "en")
    expect(row).to_contain_text("Completed")
    _check(p, screenshot_dir, "list", "en", sizes=((390, 844),))
    watched.assert_clean()

    # What the page showed is what the API holds, and its messages went to the simulator.
    _, listed, _ = stack.request("GET", f"/applications/{owner['application_id']}/broadcasts",
                                 headers=owner["session"])
    done = [b for b in listed["items"] if b["name"] == "Lebaran SMS"][0]
    assert done["status"] == "completed" and done["progress"]["sent"] == 4
    assert done["validation"]["rows"] == 6 and done["validation"]["invalid"] == 1
    p.context.close()


def test_a_second_broadcast_is_paused_and_resumed_on_a_phone(browser, stack, owner, screenshot_dir):
    from playwright.sync_api import expect

    watched = _open(browser, stack, owner, viewport=(390, 844))
    p = watched.page
    _language(p, "id")
    _language(p, "en")
    _draft(p, "Flash sale SMS")
    p.get_by_role("button", name="Check the file").click()
    fast_polls(p, lambda: p.get_by_test_id("valid-count").is_visible(), "the validation worker")
    expect(p.get_by_test_id("valid-count")).to_have_text("4")
    p.get_by_role("button", name="Next").click()
    # One message a second, so there is time to pause it (the outcome is checked, never the timing).
    p.get_by_label("Messages per second").fill("1")
    p.get_by_role("button", name="Next").click()
    p.get_by_role("button", name="Start broadcast").click()
    p.get_by_test_id("confirm-start").click()
    status = p.get_by_test_id("broadcast-status")
    expect(status).to_have_attribute("data-status", re.compile("running|completed"))
    if status.get_attribute("data-status") == "running":
        p.get_by_role("button", name="Pause").click()
        paused = p.get_by_test_id("broadcast-status")
        # It may have finished between the click and the answer: then the pause is refused in words.
        expect(paused).to_have_attribute("data-status", re.compile("paused|completed"))
        if paused.get_attribute("data-status") == "paused":
            expect(paused).to_have_text("Paused")
            _language(p, "id")
            expect(paused).to_have_text("Dijeda")
            expect(p.get_by_role("button", name="Lanjutkan")).to_be_visible()
            _check(p, screenshot_dir, "paused", "id", sizes=((390, 844),))
            _language(p, "en")
            p.get_by_role("button", name="Resume").click()
    fast_polls(p, lambda: status.get_attribute("data-status") == "completed", "the broadcast to complete")
    expect(p.get_by_test_id("n-sent")).to_have_text("4")
    _check(p, screenshot_dir, "detail-phone", "en", sizes=((390, 844),))

    def sent() -> bool:
        _, listed, _ = stack.request("GET", f"/applications/{owner['application_id']}/broadcasts",
                                     headers=owner["session"])
        return [b for b in listed["items"] if b["name"] == "Flash sale SMS"][0]["progress"]["sent"] == 4

    eventually(sent, "the broadcast to be sent once to each of the 4")
    watched.assert_clean()
    p.context.close()
