"""The console's search: by recipient (any written form of a phone number, or an email), through the
`by_recipient` index, never a Scan; the filter's total from the counters; the detail's body, masked for OTP."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import BAD_PARAMETER, NOT_FOUND
from chalicelib.messages import status_updates
from chalicelib.providers.base import StatusEvent
from chalicelib.sending import pipeline
from tests.conftest import Shop, assert_oca_error, settle_changes
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import email_body, otp_body, sms_body


def _send(shop: Shop, moment: str, channel: str, route: str, body: dict, events=()) -> str:
    clock.use(lambda: datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(timezone.utc))
    response = shop.api.call("POST", route, shop.fill(body), shop.v2(channel))
    assert response.status_code == 200, response.json_body
    msg_id = next(v for k, v in response.json_body.items() if k in ("msg_uid", "msg_id", "msgid"))
    for i, status in enumerate(events):
        status_updates.apply(StatusEvent(msg_id, status, f"2026-11-27T00:00:0{i}.000Z"))
    return msg_id


@pytest.fixture(scope="module")
def seeded(client):
    from tests.conftest import Api
    shop = Shop(Api(client))
    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    try:
        ids = {
            "a1": _send(shop, "2026-11-20T03:00:00Z", "sms", "/sms/v2/sms", sms_body("081234567890"), ["TEXT_DELIVERED"]),
            "a2": _send(shop, "2026-11-21T03:00:00Z", "sms", "/sms/v2/sms", sms_body("6281234567890"), ["TEXT_BLOCKED"]),
            "a3": _send(shop, "2026-11-22T03:00:00Z", "sms_otp", "/sms/v2/send-otp", otp_body("+62 812-3456-7890")),
            "b1": _send(shop, "2026-11-21T04:00:00Z", "sms", "/sms/v2/sms", sms_body("081298765432")),
            "e1": _send(shop, "2026-11-21T05:00:00Z", "email", "/email/v2/send-single",
                        shop.fill(email_body("siti@Example.COM"))),
        }
    finally:
        patch.undo()
        clock.use(None)
    settle_changes()
    return shop, ids


def _list(shop: Shop, query: str) -> dict:
    response = shop.api.call("GET", f"/applications/{shop.app_id}/messages?{query}", headers=shop.session)
    assert response.status_code == 200, response.json_body
    return response.json_body


RANGE = "from=2026-11-20&to=2026-11-23"


@pytest.mark.parametrize("written", ["081234567890", "6281234567890", "+6281234567890", "+62 812-3456-7890",
                                     "(0812) 3456.7890"])
def test_every_indonesian_form_of_a_number_finds_its_messages(seeded, written):
    shop, ids = seeded
    page = _list(shop, f"{RANGE}&recipient={quote(written)}")
    assert [m["message_id"] for m in page["items"]] == [ids["a3"], ids["a2"], ids["a1"]]
    assert {m["target"] for m in page["items"]} == {"+6281234567890"}
    assert page["total"] is None  # a recipient's count would need reading all its messages


def test_recipient_search_keeps_the_other_filters_and_pages(seeded):
    shop, ids = seeded
    r = "recipient=0812-3456-7890"
    assert [m["message_id"] for m in _list(shop, f"{RANGE}&{r}&channel=sms")["items"]] == [ids["a2"], ids["a1"]]
    assert [m["message_id"] for m in _list(shop, f"{RANGE}&{r}&status=Failed")["items"]] == [ids["a2"]]
    assert [m["message_id"] for m in _list(shop, f"from=2026-11-21&to=2026-11-21&{r}")["items"]] == [ids["a2"]]
    first = _list(shop, f"{RANGE}&{r}&limit=2&order=asc")
    assert [m["message_id"] for m in first["items"]] == [ids["a1"], ids["a2"]]
    rest = _list(shop, f"{RANGE}&{r}&limit=2&order=asc&cursor={first['next_cursor']}")
    assert [m["message_id"] for m in rest["items"]] == [ids["a3"]] and rest["next_cursor"] is None
    # A cursor is bound to its recipient.
    assert_oca_error(shop.api.call("GET", f"/applications/{shop.app_id}/messages?{RANGE}&recipient=081298765432"
                                          f"&limit=2&order=asc&cursor={first['next_cursor']}", headers=shop.session),
                     406, BAD_PARAMETER, "cursor")


def test_an_email_is_found_as_the_send_path_stored_it(seeded):
    shop, ids = seeded
    for written in ("siti@example.com", " siti@EXAMPLE.com "):
        assert [m["message_id"] for m in _list(shop, f"{RANGE}&recipient={quote(written)}")["items"]] == [ids["e1"]]
    assert _list(shop, f"{RANGE}&recipient=nobody@example.com")["items"] == []


def test_a_bad_recipient_is_a_406_naming_it(seeded):
    shop, _ = seeded
    for bad in ("hello", "0812", "812345678901", "@@", "x" * 300):
        assert_oca_error(shop.api.call("GET", f"/applications/{shop.app_id}/messages?recipient={quote(bad)}",
                                       headers=shop.session), 406, BAD_PARAMETER, "recipient")


def test_the_total_comes_from_the_counters_for_whole_days(seeded):
    shop, _ = seeded
    assert _list(shop, f"{RANGE}&limit=1")["total"] == 5
    assert _list(shop, f"{RANGE}&channel=sms&limit=1")["total"] == 3
    assert _list(shop, f"{RANGE}&channel=sms&status=Failed")["total"] == 1
    assert _list(shop, f"{RANGE}&status=Submitted,Failed")["total"] == 3  # b1, e1 (Accepted is not asked), a2
    # A range cut inside a day would need every message read: no total.
    assert _list(shop, "from=2026-11-20T12:00:00&to=2026-11-23")["total"] is None


def test_the_detail_has_the_body_with_an_otp_masked(seeded):
    shop, ids = seeded

    def detail(name: str) -> dict:
        return shop.api.call("GET", f"/applications/{shop.app_id}/messages/{ids[name]}", headers=shop.session).json_body

    otp = detail("a3")
    assert otp["body"] == "Kode OTP Anda ••••••" and otp["body_masked"] is True
    sms = detail("a1")
    assert sms["body"] == "Halo dari Kirim" and sms["body_masked"] is False and sms["subject"] is None
    assert detail("e1")["subject"] == "Pesanan dikirim"


def test_another_owners_search_is_404(seeded, api):
    shop, ids = seeded
    mallory = Shop(api)
    assert_oca_error(api.call("GET", f"/applications/{shop.app_id}/messages?recipient=081234567890",
                              headers=mallory.session), 404, NOT_FOUND)
    # Her own application's search never finds the shop's messages, sent to the same number.
    response = api.call("GET", f"/applications/{mallory.app_id}/messages?{RANGE}&recipient=081234567890",
                        headers=mallory.session)
    assert response.status_code == 200 and response.json_body["items"] == []
