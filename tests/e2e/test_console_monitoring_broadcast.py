"""Monitoring meets broadcasts: the Broadcast page's "See the messages" opens Monitoring filtered to that
broadcast (a chip names it and removes the filter), each message names its broadcast with a link, in
the list and the detail. Its own account; the broadcast is created through the API, marked completed and
given messages written as the send path writes them (running a whole broadcast is tested elsewhere).
At 1280 px in English and 390 px in Indonesian."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import Watched, axe_serious
from tests.e2e.helpers import open_signed_in, eventually as _eventually, expect as _expect, owner_with_application

NAME = "Promo Lebaran"


def _dynamodb(stack):
    import boto3

    moto = re.search(r"moto\s+(http://127\.0\.0\.1:\d+)", "".join(stack.output)).group(1)
    return boto3.resource("dynamodb", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="local",
                          aws_secret_access_key="local", aws_session_token=None)


def _table(db, suffix: str):
    names = [t.name for t in db.tables.all() if t.name.startswith("kirim-") and t.name.endswith(suffix)]
    assert len(names) == 1, names
    return db.Table(names[0])


@pytest.fixture(scope="module")
def owner(stack):
    from ulid import ULID

    from chalicelib.messages.models import index_keys

    made = owner_with_application(stack, "bcmon", "Toko Sari", sender_ids=("TOKOSARI",))
    email, session, app_id = made["email"], made["session"], made["application_id"]
    status, token, _ = stack.request("POST", f"/applications/{app_id}/channels/sms/token", None, session)
    assert status == 201, token
    status, plain, _ = stack.request("POST", "/sms/v2/sms", {"phone": "081234567890", "message": "Pesanan dikirim"},
                                     {"Authorization": token["token"]})
    assert status == 200, plain
    status, bc, _ = stack.request("POST", f"/applications/{app_id}/broadcasts",
                                  {"name": NAME, "channel": "sms",
                                   "content": {"sender_id": "TOKOSARI", "text": "Diskon 20% untuk {{name}}"}}, session)
    assert status == 201, bc
    broadcast_id = bc["broadcast_id"]
    db = _dynamodb(stack)
    now = datetime.now(timezone.utc)
    at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # Finished, so its page is the detail (a draft opens the wizard).
    _table(db, "-broadcasts").update_item(
        Key={"application_id": app_id, "broadcast_id": broadcast_id},
        UpdateExpression="SET #s = :s, started_at = :at, completed_at = :at, #t = :n, chunks = :one, chunks_done = :one",
        ExpressionAttributeNames={"#s": "status", "#t": "total"},
        ExpressionAttributeValues={":s": "completed", ":at": at, ":n": 3, ":one": 1})
    ids = []
    with _table(db, "-messages").batch_writer() as batch:
        for i, status_word in enumerate(["Delivered", "Delivered", "Failed"]):
            moment = now - timedelta(seconds=30 - i)
            message_id = str(ULID.from_timestamp(moment.timestamp()))
            target = f"+6281290000{i:03d}"
            batch.put_item(Item={
                "message_id": message_id, "application_id": app_id, "channel": "sms", "target": target,
                **index_keys(app_id, "sms", status_word, message_id, target, broadcast_id),
                "status": status_word, "created_at": at, "updated_at": at, "day": now.strftime("%Y-%m-%d"),
                "cost": 1, "details": {"message_body": f"Diskon 20% untuk Pelanggan {i}", "broadcast_id": broadcast_id,
                                       "source": "broadcast"},
                "history": [{"status": status_word, "at": at, "provider_status": "DELIVERED"}]})
            ids.append(message_id)

    def listed() -> bool:
        _, page, _ = stack.request("GET", f"/applications/{app_id}/messages?limit=10", headers=session)
        return len(page["items"]) == 4

    _eventually(listed, "the four messages")
    return {"email": email, "app_id": app_id, "broadcast_id": broadcast_id, "ids": ids, "plain": plain["msg_uid"]}


def _open(browser, stack, owner, viewport, locale, lang: str = "en") -> Watched:
    watched = open_signed_in(browser, stack, owner["email"], width=viewport["width"], height=viewport["height"],
                             locale=locale)
    page, expect = watched.page, _expect()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    if lang != "en":
        page.get_by_role("button", name=lang.upper(), exact=True).click()
    return watched


def _shot(page, screenshot_dir, name: str) -> None:
    page.screenshot(path=str(screenshot_dir / name), full_page=True)


def test_see_the_messages_opens_monitoring_filtered_to_the_broadcast(browser, stack, owner, screenshot_dir):
    expect = _expect()
    watched = _open(browser, stack, owner, {"width": 1280, "height": 800}, "en-GB")
    page = watched.page
    page.goto(f"{stack.console}#/broadcasts/{owner['broadcast_id']}")
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    page.get_by_role("link", name="See the messages").click()
    expect(page).to_have_url(re.compile(r"#/monitoring\?.*broadcast=" + owner["broadcast_id"]))
    chip = page.get_by_test_id("broadcast-chip")
    expect(chip).to_contain_text(f"Broadcast: {NAME}")
    rows = page.get_by_test_id("messages").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("messages")).not_to_contain_text(owner["plain"])
    for message_id in owner["ids"]:
        expect(page.get_by_test_id("messages")).to_contain_text(message_id)
    expect(page.get_by_test_id("message-broadcast")).to_have_count(3)
    expect(page.get_by_test_id("message-broadcast").first).to_have_text(NAME)
    assert axe_serious(page) == []
    _shot(page, screenshot_dir, "monitoring-broadcast-1280-en.png")

    # One message: its detail names the broadcast, linked to its page.
    page.get_by_role("link", name=owner["ids"][0]).click()
    detail = page.get_by_test_id("message-detail")
    expect(detail.get_by_role("link", name=NAME)).to_have_attribute("href", f"#/broadcasts/{owner['broadcast_id']}")
    assert axe_serious(page) == []
    _shot(page, screenshot_dir, "monitoring-broadcast-detail-1280-en.png")
    page.keyboard.press("Escape")
    expect(detail).to_have_count(0)

    # The chip removes the filter: every message again, the broadcast's still named.
    chip.get_by_role("button", name="Remove the broadcast filter").click()
    expect(page.get_by_test_id("broadcast-chip")).to_have_count(0)
    expect(page).not_to_have_url(re.compile("broadcast="))
    expect(page.get_by_test_id("messages")).to_contain_text(owner["plain"])
    expect(page.get_by_test_id("message-broadcast")).to_have_count(3)
    # The broadcast's link in a row opens its page.
    page.get_by_test_id("message-broadcast").first.click()
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    watched.assert_clean()
    page.context.close()


def test_the_filter_on_a_phone_in_indonesian(browser, stack, owner, screenshot_dir):
    expect = _expect()
    watched = _open(browser, stack, owner, {"width": 390, "height": 844}, "id-ID", "id")
    page = watched.page
    page.goto(f"{stack.console}#/monitoring?broadcast={owner['broadcast_id']}")
    chip = page.get_by_test_id("broadcast-chip")
    expect(chip).to_contain_text(f"Kirim Massal: {NAME}")
    expect(page.get_by_test_id("message-broadcast")).to_have_count(3)
    expect(chip.get_by_role("button", name="Hapus filter Kirim Massal")).to_be_visible()
    # The chip and its button fit the phone's width.
    box = chip.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert axe_serious(page) == []
    _shot(page, screenshot_dir, "monitoring-broadcast-390-id.png")
    page.goto(f"{stack.console}#/broadcasts/{owner['broadcast_id']}")
    expect(page.get_by_role("link", name="Lihat pesannya")).to_be_visible()
    _shot(page, screenshot_dir, "broadcast-detail-390-id.png")
    watched.assert_clean()
    page.context.close()
