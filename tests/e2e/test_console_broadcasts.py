"""The Broadcast page ("Kirim Massal") in a real browser: the list, the wizard (content, recipients with the
phone preview, validation, schedule and pace, review and start), the detail page with live progress, pause,
resume, cancel and results, and a viewer's page without the buttons; at 1280 and 390 px, in English and
Indonesian. Sign-in, the application and its approved template are the real stack's; the broadcast routes are
mocked with page.route (their API is built on another branch), a broadcast moving validating -> ready ->
running -> completed as it is polled."""
from __future__ import annotations

import json
import os
import re

import pytest

from tests.e2e.conftest import Watched, axe_serious
from tests.e2e.helpers import BOTH_SIZES, check_sizes, eventually, fast_polls, open_signed_in, owner_with_application

CSV = b"phone;name;kota\n081234567890;Budi;Solo\n628111222333;Sari;Medan\n+6281399988877;Andi;Bandung\n"
COLUMNS = ["phone", "name", "kota"]
PREVIEW = [["081234567890", "Budi", "Solo"], ["628111222333", "Sari", "Medan"], ["+6281399988877", "Andi", "Bandung"]]
STAMP = "2026-12-05T03:00:00Z"
# The screenshots docs/console.md and console-id.md show (KIRIM_UPDATE_SCREENSHOTS=1 rewrites only these);
# the others go to a temporary folder, to be looked at.
DOCS = {f"broadcast-{name}.png" for name in (
    "list-en-1280", "recipients-en-1280", "validate-en-1280", "detail-en-1280", "recipients-en-390",
    "list-id-1280", "validate-id-1280", "recipients-id-390", "detail-id-390")}


@pytest.fixture(scope="module")
def owner(stack):
    made = owner_with_application(stack, "broadcasts", "Toko Sari", channels=("whatsapp", "sms"))
    email, session, app_id = made["email"], made["session"], made["application_id"]
    status, tpl, _ = stack.request("POST", f"/applications/{app_id}/whatsapp/templates", {
        "name": "promo_lebaran", "language": "id", "category": "MARKETING",
        "body": {"text": "Halo {{1}}, diskon Lebaran {{2}} untuk Anda!", "examples": ["Budi", "20%"]},
        "submit": True, "accept_terms": True}, session)
    assert status == 201, tpl

    def approved() -> bool:
        _, got, _ = stack.request("GET", f"/applications/{app_id}/whatsapp/templates/{tpl['template_id']}",
                                  headers=session)
        return got["status"] == "APPROVED"

    eventually(approved, "the simulator to approve the template")
    return {"email": email, "application_id": app_id, "template_id": tpl["template_id"]}


class FakeBroadcasts:
    """The broadcast API as the console sees it, in memory: each poll moves a broadcast one step on."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.items: dict[str, dict] = {}
        self.seq = 0
        self.calls: list[tuple[str, str, object]] = []
        self.validation_error: str | None = None
        self.refuse: dict[str, tuple[int, str, str]] = {}  # action -> (status, field, reason)

    def new(self, name: str, channel: str, content: dict, **over) -> dict:
        self.seq += 1
        b = {"broadcast_id": f"bc_01JTEST{self.seq:019d}", "name": name, "channel": channel, "status": "draft",
             "status_reason": None, "content": content, "file": None, "mapping": None, "validation": None,
             "schedule": {"start_at": None, "rate_per_second": 20, "quiet_hours": None},
             "progress": {"total": 0, "queued": 0, "sent": 0, "delivered": 0, "read": 0, "failed": 0,
                          "not_sent": 0, "not_sent_reasons": {}},
             "created_at": STAMP, "updated_at": STAMP, "started_at": None, "completed_at": None, "_polls": 0}
        b.update(over)
        self.items[b["broadcast_id"]] = b
        return b

    @staticmethod
    def shown(b: dict) -> dict:
        return {k: v for k, v in b.items() if not k.startswith("_")}

    def _advance(self, b: dict) -> None:
        b["_polls"] += 1
        if b["status"] == "validating" and b["_polls"] >= 2:
            if self.validation_error:
                b.update(status="draft", validation={**VALIDATION, "error": {"code": self.validation_error,
                                                                             "message": "x"}})
            else:
                b.update(status="ready", validation=dict(VALIDATION))
        elif b["status"] == "scheduled":
            b.update(status="running")
        elif b["status"] == "running":
            p = b["progress"]
            step = min(p["queued"], 1)
            p["queued"] -= step
            p["sent"] += step
            p["delivered"] += step
            if p["queued"] == 0:
                b.update(status="completed", completed_at=STAMP)

    def handle(self, route, request) -> None:
        path = re.sub(r"^.*/broadcasts", "", request.url.split("?")[0])
        method = request.method
        body = request.post_data_json if request.post_data else None
        self.calls.append((method, path, body))
        parts = [p for p in path.split("/") if p]
        if not parts:
            if method == "POST":
                made = self.new(body["name"], body["channel"], body["content"])
                return self._json(route, self.shown(made), 201)
            items = sorted(self.items.values(), key=lambda b: b["broadcast_id"], reverse=True)
            return self._json(route, {"items": [self.shown(b) for b in items], "next_cursor": None})
        b = self.items.get(parts[0])
        if not b:
            return self._json(route, {"errors": [{"code": 404, "reason": "not_found", "message": "Not found"}]}, 404)
        action = parts[1] if len(parts) > 1 else ""
        if action in self.refuse:
            status, field, reason = self.refuse.pop(action)
            return self._json(route, {"errors": [{"code": status, "field": field, "reason": reason,
                                                  "message": "refused"}]}, status)
        if action == "" and method == "GET":
            self._advance(b)
        elif action == "" and method == "PATCH":
            b.update({k: v for k, v in body.items() if k in ("name", "content", "mapping")})
        elif action == "upload":
            return self._json(route, {"url": self.base + "/__upload", "fields": {"key": "uploads/x", "policy": "p"},
                                      "expires_at": STAMP})
        elif action == "file":
            b["file"] = {"name": "pelanggan.csv", "size": len(CSV), "format": "csv", "columns": COLUMNS,
                         "preview": PREVIEW, "delimiter": ";", "encoding": "utf-8"}
        elif action == "validate":
            b.update(status="validating", mapping=body["mapping"], _polls=0, validation=None)
            return self._json(route, self.shown(b), 202)
        elif action == "errors":
            return self._json(route, {"url": self.base + "/__bad-rows.csv"})
        elif action == "schedule":
            b["schedule"] = body
        elif action == "start":
            total = b["validation"]["valid"]
            b.update(status="scheduled" if b["schedule"]["start_at"] else "running", started_at=STAMP, _polls=0,
                     progress={"total": total, "queued": total, "sent": 0, "delivered": 0, "read": 0, "failed": 0,
                               "not_sent": 0, "not_sent_reasons": {}})
        elif action == "progress":
            self._advance(b)
            return self._json(route, {"status": b["status"], "status_reason": b["status_reason"],
                                      "progress": b["progress"]})
        elif action == "pause":
            b.update(status="paused", status_reason=None)
        elif action == "resume":
            b.update(status="running", status_reason=None)
        elif action == "cancel":
            b.update(status="canceled", status_reason="canceled")
        elif action == "results":
            return self._json(route, dict(REPORT, status="Processing", progress=40), 202)
        return self._json(route, self.shown(b))

    @staticmethod
    def _json(route, body, status: int = 200) -> None:
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


VALIDATION = {"rows": 4, "valid": 3, "invalid": 1, "duplicates": 0, "suppressed": 0, "units": 3,
              "quota_available": 1000, "estimated_cost": 3, "estimated_seconds": 1, "error": None,
              "errors_file": True}
REPORT = {"report_id": "rep_bc1", "name": "Lebaran sale results", "channel": "whatsapp", "statuses": [],
          "format": "xlsx", "from": "2026-12-05", "to": "2026-12-05", "status": "Done", "progress": 100,
          "rows": 3, "total": 3, "expired": False, "created_at": STAMP}


def _open(browser, stack, owner, fake: FakeBroadcasts, viewport=(1280, 800), viewer: bool = False) -> Watched:
    return open_signed_in(browser, stack, owner["email"], "broadcasts", width=viewport[0], height=viewport[1],
                          accept_downloads=True, before=lambda page: _routes(page, stack, fake, viewer))


def _routes(page, stack, fake: FakeBroadcasts, viewer: bool) -> None:
    # Its time starts at STAMP (the fake's day in Jakarta, whatever the hour the test runs) and runs on;
    # fast_polls moves it a poll on at a time.
    page.clock.install(time=STAMP)
    page.route(re.compile(r".*/applications/[^/]+/broadcasts.*"), fake.handle)
    # The presigned S3 form, the bad rows file and the results file.
    page.route("**/__upload", lambda route, request: route.fulfill(status=204))
    page.route("**/__bad-rows.csv", lambda route, request: route.fulfill(
        status=200, body="line,reason,values\n4,bad_number,0812\n", content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bad-rows.csv"'}))
    page.route("**/__results.xlsx", lambda route, request: route.fulfill(
        status=200, body="results", headers={"Content-Disposition": 'attachment; filename="results.xlsx"'}))
    page.route(re.compile(r".*/reports/rep_bc1/download$"),
               lambda route, request: FakeBroadcasts._json(route, {"url": stack.api + "/__results.xlsx"}))
    page.route(re.compile(r".*/reports/rep_bc1$"), lambda route, request: FakeBroadcasts._json(route, REPORT))
    if viewer:
        def as_viewer(route, request):
            answer = route.fetch()
            body = answer.json()
            for item in body["items"]:
                item["role"] = "viewer"
            route.fulfill(response=answer, body=json.dumps(body))
        page.route(re.compile(r".*/applications(\?.*)?$"), as_viewer)


def _language(page, lang: str) -> None:
    page.get_by_role("button", name=lang.upper(), exact=True).click()


def _shots(page, screenshot_dir, name: str, sizes=BOTH_SIZES, langs=("en", "id")) -> None:
    """check_sizes in each language, then back to English."""
    def picture(file: str):
        # With KIRIM_UPDATE_SCREENSHOTS=1 only the docs' pictures are rewritten.
        return screenshot_dir / file if file in DOCS or os.environ.get("KIRIM_UPDATE_SCREENSHOTS") != "1" else None

    for lang in langs:
        _language(page, lang)
        check_sizes(page, lang, name, lambda width: picture(f"broadcast-{name}-{lang}-{width}.png"), sizes)
    _language(page, "en")


def test_a_whatsapp_broadcast_from_the_wizard_to_its_results(browser, stack, owner, screenshot_dir):
    from playwright.sync_api import expect

    fake = FakeBroadcasts(stack.api)
    watched = _open(browser, stack, owner, fake)
    p = watched.page
    # The list, empty: one sentence says what a broadcast is.
    expect(p.get_by_role("heading", name="Broadcast", exact=True)).to_be_visible()
    expect(p.get_by_text("A broadcast sends one message to many customers at once")).to_be_visible()
    _shots(p, screenshot_dir, "empty", sizes=((1280, 800),))

    # 1. Content: a name and an approved template.
    p.get_by_test_id("new-broadcast").click()
    expect(p.get_by_test_id("stepper").locator("[aria-current=step]")).to_contain_text("Content")
    p.get_by_role("button", name="Create draft and continue").click()
    expect(p.get_by_text("Give the broadcast a name.")).to_be_visible()
    p.get_by_label("Broadcast name").fill("Lebaran sale")
    p.get_by_label("Approved template").select_option(label="promo_lebaran")
    _shots(p, screenshot_dir, "content")
    p.get_by_role("button", name="Create draft and continue").click()

    # 2. Recipients: a file that is not CSV or Excel is refused before any upload; then the CSV.
    expect(p.get_by_test_id("stepper").locator("[aria-current=step]")).to_contain_text("Recipients")
    created = [c for c in fake.calls if c[0] == "POST" and c[1] == ""]
    assert created and created[0][2]["content"] == {"template_id": owner["template_id"], "header_media_url": None}
    p.get_by_test_id("file-input").set_input_files({"name": "foto.png", "mimeType": "image/png", "buffer": b"\x89PNG"})
    expect(p.get_by_text("Choose a .csv or .xlsx file.")).to_be_visible()
    assert not [c for c in fake.calls if c[1].endswith("/upload")]
    p.get_by_test_id("file-input").set_input_files({"name": "pelanggan.csv", "mimeType": "text/csv", "buffer": CSV})
    expect(p.get_by_test_id("file-preview").locator("tbody tr")).to_have_count(3)
    upload = [c for c in fake.calls if c[1].endswith("/upload")][0][2]
    assert upload == {"filename": "pelanggan.csv", "size": len(CSV), "content_type": "text/csv"}
    expect(p.get_by_label("Column with the phone number")).to_have_value("phone")  # guessed from its name
    p.get_by_label("Value for {{1}}").select_option(label="Column: name")
    p.get_by_label("Value for {{2}}").select_option(label="The same value for everyone")
    p.get_by_label("Fixed value for {{2}}").fill("20%")
    expect(p.get_by_test_id("preview-body")).to_have_text("Halo Budi, diskon Lebaran 20% untuk Anda!")
    p.get_by_role("button", name="Customer 2").click()
    expect(p.get_by_test_id("preview-body")).to_have_text("Halo Sari, diskon Lebaran 20% untuk Anda!")
    expect(p.get_by_test_id("preview-to")).to_contain_text("628111222333")
    _shots(p, screenshot_dir, "recipients")

    # 3. Validate: the mapping is saved, then checked; the numbers and the bad rows file.
    p.get_by_role("button", name="Check the file").click()
    fast_polls(p, lambda: p.get_by_test_id("validation").is_visible(), "the file to be checked")
    # Read once the page is past it: the fake's route handler runs while Playwright is called, not before.
    mapping = {"recipient": "phone", "values": {"1": {"column": "name"}, "2": {"value": "20%"}}}
    assert ("PATCH", f"/{list(fake.items)[0]}", {"mapping": mapping}) in fake.calls
    expect(p.get_by_test_id("valid-count")).to_contain_text("3")
    expect(p.get_by_test_id("units")).to_contain_text("3 of 1,000 left in your quota")
    with p.expect_download() as download:
        p.get_by_test_id("bad-rows").click()
    assert download.value.suggested_filename == "bad-rows.csv"
    _shots(p, screenshot_dir, "validate")
    p.get_by_role("button", name="Next").click()

    # 4. Schedule and pace: the rate is capped by the application's limit; quiet hours.
    rate = p.get_by_label("Messages per second")
    limit = int(rate.get_attribute("max"))
    rate.fill(str(limit + 1))
    p.get_by_role("button", name="Next").click()
    expect(p.get_by_text(f"Enter a whole number from 1 to {limit}.")).to_be_visible()
    rate.fill("10")
    p.get_by_label("Quiet hours: send nothing between two times of day").check()
    # A time in the application's zone (Asia/Jakarta, +07:00), typed day first.
    p.get_by_label("At a date and time").check()
    p.get_by_label("Date", exact=True).fill("24/12/2026")
    p.get_by_label("Time (Asia/Jakarta)").fill("09:00")
    _shots(p, screenshot_dir, "schedule", sizes=((390, 844),))
    # The API finds the time past (say, the page stayed open overnight): said in words, then sent again.
    fake.refuse["schedule"] = (400, "start_at", "in_the_past")
    p.get_by_role("button", name="Next").click()
    expect(p.get_by_role("alert")).to_have_text("That time has passed. Choose a later date or time.")
    p.get_by_role("button", name="Next").click()
    expect(p.get_by_test_id("review")).to_be_visible()
    schedule = [c for c in fake.calls if c[1].endswith("/schedule")][-1][2]
    assert schedule == {"start_at": "2026-12-24T09:00:00+07:00", "rate_per_second": 10,
                        "quiet_hours": {"start": "21:00", "end": "08:00"}}

    # 5. Review and start, with a confirmation naming the count and the units.
    expect(p.get_by_test_id("review")).to_contain_text("Lebaran sale")
    expect(p.get_by_test_id("review")).to_contain_text("24 Dec 2026")
    _shots(p, screenshot_dir, "review", sizes=((390, 844),))
    p.get_by_role("button", name="Schedule broadcast").click()
    expect(p.get_by_role("dialog")).to_contain_text("This uses about 3 units of your WhatsApp quota.")
    p.get_by_test_id("confirm-start").click()

    # The detail page: scheduled, then running as it is polled; pause and resume, then completed; results.
    status = p.get_by_test_id("broadcast-status")
    expect(status).to_have_attribute("data-status", re.compile("scheduled|running"))
    fast_polls(p, lambda: status.get_attribute("data-status") == "running", "the broadcast to run")
    p.get_by_role("button", name="Pause").click()
    expect(status).to_have_text("Paused")
    p.get_by_role("button", name="Resume").click()
    # A failed poll (a dropped connection, a 502) is said without alarm, and the next poll still comes.
    fake.refuse["progress"] = (502, "", "bad_gateway")
    warning = p.get_by_text("The latest figures could not be read. The page tries again every few seconds.")
    fast_polls(p, warning.is_visible, "the failed poll to be said")
    fast_polls(p, lambda: status.get_attribute("data-status") == "completed", "the broadcast to complete")
    expect(warning).to_be_hidden()
    expect(p.get_by_test_id("n-delivered")).to_contain_text("3")
    # Monitoring on the broadcast's channel and days (STAMP is 5 December in Jakarta).
    expect(p.get_by_test_id("monitoring-link")).to_have_attribute(
        "href", f"#/monitoring?channel=whatsapp&from=2026-12-05&to=2026-12-05&broadcast={list(fake.items)[0]}")
    p.get_by_test_id("prepare-results").click()
    fast_polls(p, lambda: p.get_by_test_id("download-results").is_visible(), "the results file", poll_ms=1500)
    with p.expect_download() as download:
        p.get_by_test_id("download-results").click()
    assert download.value.suggested_filename == "results.xlsx"
    assert [c for c in fake.calls if c[1].endswith("/results")][0][2] == {"format": "xlsx"}
    _shots(p, screenshot_dir, "detail")

    # The list: status, progress and the New button.
    p.goto(f"{stack.console}#/broadcasts")
    row = p.locator("tr[data-name='Lebaran sale']")
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("3 / 3")
    watched.assert_clean()
    p.context.close()


def test_a_paused_broadcast_says_why_and_cancel_asks_first(browser, stack, owner, screenshot_dir):
    from playwright.sync_api import expect

    fake = FakeBroadcasts(stack.api)
    b = fake.new("Flash sale", "sms", {"sender_id": "TOKOSARI", "text": "Halo {{name}}"}, status="paused",
                 status_reason="quota", validation=dict(VALIDATION),
                 progress={"total": 40000, "queued": 20000, "sent": 19000, "delivered": 18000, "read": 0,
                           "failed": 30, "not_sent": 970, "not_sent_reasons": {"quota": 950, "suppressed": 20}})
    watched = _open(browser, stack, owner, fake)
    p = watched.page
    row = p.locator("tr[data-name='Flash sale']")
    expect(row).to_contain_text("Paused: quota ran out — top up to resume")
    _shots(p, screenshot_dir, "list")
    _language(p, "id")
    expect(row).to_contain_text("Dijeda: kuota habis — tambah kuota untuk melanjutkan")
    expect(p.locator("[data-nav=broadcasts]")).to_contain_text("Kirim Massal")
    _language(p, "en")
    row.get_by_role("link", name="Flash sale").click()
    expect(p.get_by_test_id("n-not-sent")).to_contain_text("Quota ran out: 950")
    expect(p.get_by_test_id("n-not-sent")).to_contain_text("On the suppression list: 20")
    # A refusal says why in words, never the field or the code.
    fake.refuse["resume"] = (409, "content.template_id", "template_paused")
    p.get_by_role("button", name="Resume").click()
    expect(p.get_by_role("alert")).to_have_text(
        "WhatsApp paused the template. Wait until WhatsApp allows it again, or choose another template.")
    p.get_by_role("button", name="Cancel broadcast").click()
    expect(p.get_by_role("dialog")).to_contain_text("cannot be started again")
    p.get_by_role("button", name="Keep sending").click()
    assert not [c for c in fake.calls if c[1].endswith("/cancel")]
    p.get_by_role("button", name="Cancel broadcast").click()
    p.get_by_test_id("confirm-cancel").click()
    expect(p.get_by_test_id("broadcast-status")).to_have_attribute("data-status", "canceled")
    assert ("POST", f"/{b['broadcast_id']}/cancel", {}) in fake.calls
    watched.assert_clean()
    p.context.close()


def test_a_file_error_in_both_languages_and_sms_parts(browser, stack, owner, screenshot_dir):
    from playwright.sync_api import expect

    fake = FakeBroadcasts(stack.api)
    fake.validation_error = "encoding"
    watched = _open(browser, stack, owner, fake)
    p = watched.page
    p.get_by_test_id("new-broadcast").click()
    p.get_by_label("Channel").select_option(label="SMS")
    p.get_by_label("Text", exact=True).fill("Halo {{name}}, diskon Lebaran untuk Anda!")
    expect(p.get_by_test_id("sms-segments")).to_contain_text("1 SMS part for this text")
    p.get_by_label("Text", exact=True).fill("Halo {{name}} 🎉 " + "diskon " * 10)
    expect(p.get_by_test_id("sms-segments")).to_contain_text("2 SMS parts for this text")
    # A broadcast made elsewhere in SMS: its file could not be read.
    b = fake.new("Promo SMS", "sms", {"sender_id": "TOKOSARI", "text": "Halo {{name}}"})
    b["file"] = {"name": "pelanggan.csv", "size": len(CSV), "format": "csv", "columns": COLUMNS,
                 "preview": PREVIEW, "delimiter": ";", "encoding": "utf-8"}
    p.goto(f"{stack.console}#/broadcasts/{b['broadcast_id']}")
    expect(p.get_by_label("Value for {{name}}")).to_have_value("col:name")  # the column of the same name
    expect(p.get_by_test_id("rendered")).to_contain_text("Halo Budi")
    p.get_by_role("button", name="Check the file").click()
    expect(p.get_by_test_id("file-error")).to_contain_text("Save it as CSV UTF-8")
    _language(p, "id")
    expect(p.get_by_test_id("file-error")).to_contain_text("Simpan sebagai CSV UTF-8")
    _shots(p, screenshot_dir, "file-error", sizes=((390, 844),), langs=("id",))
    _language(p, "en")

    # Back to the file: one dropped on the page over 100 MB is refused before any upload; a CSV is taken.
    p.get_by_role("button", name="Back").click()

    def drop(size: int, name: str) -> None:
        p.get_by_test_id("dropzone").evaluate("""(zone, [size, name]) => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(size)], name, {type: 'text/csv'}));
            zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
        }""", [size, name])

    drop(100 * 1024 * 1024 + 1, "semua.csv")
    expect(p.get_by_text("The file is larger than 100 MB. Split it into smaller files.")).to_be_visible()
    assert not [c for c in fake.calls if c[1].endswith("/upload")]
    with p.expect_response(lambda r: r.url.endswith("/file")):
        drop(2048, "baru.csv")
    assert [c for c in fake.calls if c[1].endswith("/upload")][0][2]["filename"] == "baru.csv"
    watched.assert_clean()
    p.context.close()


def test_a_viewer_follows_broadcasts_without_their_buttons(browser, stack, owner, screenshot_dir):
    from playwright.sync_api import expect

    fake = FakeBroadcasts(stack.api)
    b = fake.new("Lebaran sale", "whatsapp", {"template_id": owner["template_id"], "header_media_url": None},
                 status="paused", validation=dict(VALIDATION),
                 progress={"total": 3, "queued": 2, "sent": 1, "delivered": 1, "read": 0, "failed": 0,
                           "not_sent": 0, "not_sent_reasons": {}})
    watched = _open(browser, stack, owner, fake, viewer=True)
    p = watched.page
    expect(p.locator("tr[data-name='Lebaran sale']")).to_be_visible()
    expect(p.get_by_test_id("new-broadcast")).to_have_count(0)
    expect(p.get_by_text("Your role can follow broadcasts but not create, start or stop them.")).to_be_visible()
    p.goto(f"{stack.console}#/broadcasts/{b['broadcast_id']}")
    expect(p.get_by_test_id("numbers")).to_be_visible()
    for name in ("Pause", "Resume", "Cancel broadcast"):
        expect(p.get_by_role("button", name=name)).to_have_count(0)
    expect(p.get_by_text("Your role can follow broadcasts but not create, start or stop them.")).to_be_visible()
    p.goto(f"{stack.console}#/broadcasts/new")
    expect(p.get_by_role("link", name="Back to broadcasts")).to_be_visible()
    # A broadcast of another application (an old link): said so, with the way back.
    p.goto(f"{stack.console}#/broadcasts/bc_01JNOTHERE")
    expect(p.get_by_text("This application has no such broadcast.")).to_be_visible()
    assert axe_serious(p) == []
    watched.assert_clean()
    p.context.close()
