"""The suppression list fills itself: an email's hard bounce adds the address (`bounced`), a WhatsApp
message Meta refused because the customer stopped marketing messages (131050) adds the number
(`unsubscribed`); each once however often the event or the stream chunk comes again; a soft bounce or
another refusal adds nothing; an entry the owner made keeps its reason."""
from __future__ import annotations

import pytest

from chalicelib.broadcasts import suppression_events
from chalicelib.messages import status_updates
from chalicelib.messages.changes import StatusChange
from chalicelib.providers.base import StatusEvent
from chalicelib.sending import pipeline
from tests.conftest import Shop, settle_changes
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import email_body, whatsapp_body


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())


def _send(shop: Shop, channel: str, route: str, body: dict, *events: str) -> str:
    response = shop.api.call("POST", route, shop.fill(body), shop.v2(channel))
    assert response.status_code == 200, response.json_body
    msg_id = next(v for k, v in response.json_body.items() if k in ("msg_uid", "msg_id", "msgid"))
    for i, status in enumerate(events):
        status_updates.apply(StatusEvent(msg_id, status, f"2026-12-05T01:00:0{i}.000Z"))
    return msg_id


def _listed(shop: Shop) -> dict[str, dict]:
    page = shop.api.call("GET", f"/applications/{shop.app_id}/suppressions?limit=100", headers=shop.session)
    assert page.status_code == 200, page.json_body
    return {item["target"]: item for item in page.json_body["items"]}


def test_a_hard_bounce_suppresses_the_address_once(shop):
    _send(shop, "email", "/email/v2/send-single", email_body("Siti.Hard@Example.COM"), "Send", "Bounce:Permanent")
    _send(shop, "email", "/email/v2/send-single", email_body("soft@example.com"), "Send", "Bounce:Transient")
    settle_changes()
    listed = _listed(shop)
    assert listed["siti.hard@example.com"]["reason"] == "bounced"
    assert "soft@example.com" not in listed
    first = listed["siti.hard@example.com"]["created_at"]
    # The same bounce again (SNS redelivers), and the stream chunk's hooks run again: nothing new.
    again = _send(shop, "email", "/email/v2/send-single", email_body("siti.hard@example.com"), "Send",
                  "Bounce:Permanent")
    settle_changes()
    change = StatusChange(again, shop.app_id, "email", "Accepted", "Failed by mail server", "2026-12-05T01:00:01.000Z",
                          {"target": "siti.hard@example.com",
                           "history": [{"provider_status": "Send"}, {"provider_status": "Bounce:Permanent"}]})
    assert suppression_events.on_status_changes([change, change]) == 0
    listed = _listed(shop)
    assert listed["siti.hard@example.com"] == {"target": "siti.hard@example.com", "reason": "bounced",
                                               "created_at": first}
    assert list(listed).count("siti.hard@example.com") == 1


def test_an_entry_the_owner_made_keeps_its_reason(shop):
    assert shop.api.call("POST", f"/applications/{shop.app_id}/suppressions", {"targets": ["kept@example.com"]},
                         shop.session).status_code == 200
    _send(shop, "email", "/email/v2/send-single", email_body("kept@example.com"), "Send", "Bounce:Permanent")
    settle_changes()
    assert _listed(shop)["kept@example.com"]["reason"] == "added"


def test_a_whatsapp_opt_out_suppresses_the_number_and_other_refusals_do_not(shop):
    _send(shop, "whatsapp", "/api/v2/push/message", whatsapp_body("0812-7777-0001"), "failed:131050")
    _send(shop, "whatsapp", "/api/v2/push/message", whatsapp_body("0812-7777-0002"), "failed:131026")
    _send(shop, "whatsapp", "/api/v2/push/message", whatsapp_body("0812-7777-0003"), "delivered")
    settle_changes()
    listed = _listed(shop)
    assert listed["+6281277770001"]["reason"] == "unsubscribed"
    assert "+6281277770002" not in listed and "+6281277770003" not in listed


@pytest.mark.parametrize(("channel", "status", "history", "reason"), [
    ("email", "Failed by mail server", ["Send", "Bounce:Permanent"], "bounced"),
    ("email", "Failed by mail server", ["Send", "Bounce:Transient"], None),
    ("email", "Failed by mail server", ["Send", "Complaint"], None),
    ("email", "Delivered", ["Send", "Delivery"], None),
    ("whatsapp", "Rejected", ["failed:131050"], "unsubscribed"),
    ("whatsapp", "Rejected", ["failed:131026"], None),
    ("sms", "Failed", ["TEXT_BLOCKED"], None),
])
def test_what_a_status_says_about_its_target(channel, status, history, reason):
    assert suppression_events.reason_for(channel, status, history) == reason
