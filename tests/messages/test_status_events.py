"""Provider events arrive at least once and out of order: through SNS (SES and End User
Messaging, in their real shapes) and the signed Meta webhook. Each channel ends in the right
status, duplicates change nothing, and the counters always equal a recount."""
from __future__ import annotations

import json
import time

import pytest

from chalicelib.core.errors import INVALID_CREDENTIALS
from chalicelib.messages.models import Message
from chalicelib.sending import pipeline
from tests.conftest import assert_oca_error, recount
from tests.fakes.meta_server import meta_error, sign, signed_webhook, status_update, status_webhook
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import call_body, email_body, otp_body, sms_body, whatsapp_body

SECRET = b"meta-app-secret-for-tests"




@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    monkeypatch.setenv("META_APP_SECRET", SECRET.decode())
    monkeypatch.setenv("META_VERIFY_TOKEN", "verify-me")


def _send(shop, channel, route, body) -> str:
    response = shop.api.call("POST", route, body, shop.v2(channel))
    assert response.status_code == 200, response.json_body
    return next(v for k, v in response.json_body.items() if k in ("msg_uid", "msg_id", "msgid", "call_id"))


def _sns(client, event: dict) -> None:
    client.lambda_.invoke("provider_events", client.events.generate_sns_event(message=json.dumps(event)))


def _eum(message_id: str, event_type: str, at_ms: int, voice: bool = False) -> dict:
    event = {"eventType": event_type, "eventVersion": "1.0", "eventTimestamp": at_ms, "isFinal": False,
             "originationPhoneNumber": "KIRIM", "destinationPhoneNumber": "+6281234567890",
             "messageId": "eum-" + message_id, "messageRequestTimestamp": at_ms - 300,
             "messageType": "TRANSACTIONAL", "messageStatus": event_type.split("_", 1)[1],
             "messageStatusDescription": "test", "context": {"kirim_id": message_id}, "isoCountryCode": "ID"}
    if not voice:
        event.update({"messageEncoding": "GSM", "totalMessageParts": 1, "totalMessagePrice": 0.05})
    return event


def _ses(message_id: str, event_type: str, at: str, **sub) -> dict:
    mail = {"timestamp": "2026-11-27T01:00:00.000Z", "source": "noreply@kirim.dev",
            "sendingAccountId": "123456789012", "messageId": "ses-" + message_id,
            "destination": ["budi@example.com"], "tags": {"kirim_id": [message_id]}}
    key = {"Send": "send", "Delivery": "delivery", "Open": "open", "Click": "click", "Bounce": "bounce",
           "Complaint": "complaint", "Reject": "reject"}[event_type]
    body = {"timestamp": at, **sub}
    if event_type == "Delivery":
        body.update({"processingTimeMillis": 500, "recipients": ["budi@example.com"], "smtpResponse": "250 ok",
                     "reportingMTA": "a.b"})
    if event_type == "Reject":
        body = {"reason": "Bad content"}
    return {"eventType": event_type, "mail": mail, key: body}


def _status(message_id: str) -> str:
    return Message.get(message_id, consistent_read=True).status


def _consistent(shop, channel):
    counted, actual = recount(shop.app_id, channel)
    assert counted == actual


def test_sms_out_of_order_and_duplicates(shop, client):
    msg = _send(shop, "sms", "/sms/v2/sms", sms_body())
    t = int(time.time() * 1000)
    for event_type, at in [("TEXT_DELIVERED", t + 3000), ("TEXT_SENT", t + 1000), ("TEXT_DELIVERED", t + 3000),
                           ("TEXT_QUEUED", t + 500), ("TEXT_DELIVERED", t + 3000)]:
        _sns(client, _eum(msg, event_type, at))
    message = Message.get(msg)
    assert message.status == "Delivered"
    statuses = [h["provider_status"] for h in message.history]
    assert statuses.count("TEXT_DELIVERED") == 1  # the duplicates were dropped
    assert statuses == ["ACCEPTED", "TEXT_DELIVERED", "TEXT_SENT", "TEXT_QUEUED"]
    assert [h["status"] for h in message.history] == ["Submitted", "Delivered", "Delivered", "Delivered"]
    _consistent(shop, "sms")


def test_otp_undelivered_is_final(shop, client):
    msg = _send(shop, "sms_otp", "/sms/v2/send-otp", otp_body())
    t = int(time.time() * 1000)
    _sns(client, _eum(msg, "TEXT_BLOCKED", t + 1000))
    _sns(client, _eum(msg, "TEXT_DELIVERED", t + 2000))
    assert _status(msg) == "Undelivered"
    _consistent(shop, "sms_otp")


def test_email_opens_and_clicks_rank_above_delivery(shop, client):
    before = shop.quota("email")
    msg = _send(shop, "email", "/email/v2/send-single", shop.fill(email_body()))
    events = [_ses(msg, "Delivery", "2026-11-27T01:00:02.000Z"), _ses(msg, "Open", "2026-11-27T01:05:00.000Z"),
              _ses(msg, "Send", "2026-11-27T01:00:01.000Z"), _ses(msg, "Delivery", "2026-11-27T01:00:02.000Z"),
              _ses(msg, "Click", "2026-11-27T01:06:00.000Z", link="https://kirim.dev"),
              _ses(msg, "Bounce", "2026-11-27T01:07:00.000Z", bounceType="Permanent", bounceSubType="General")]
    for event in events:
        _sns(client, event)
    assert _status(msg) == "Clicked"
    assert shop.quota("email") == before - 1  # billed
    _consistent(shop, "email")


def test_email_reject_is_failed_and_not_billed(shop, client):
    before = shop.quota("email")
    msg = _send(shop, "email", "/email/v2/send-single", shop.fill(email_body()))
    _sns(client, _ses(msg, "Reject", "2026-11-27T01:00:01.000Z"))
    _sns(client, _ses(msg, "Reject", "2026-11-27T01:00:01.000Z"))  # duplicate: refunded once
    assert _status(msg) == "Failed"
    assert shop.quota("email") == before
    _consistent(shop, "email")


def test_email_bounce_is_failed_by_mail_server(shop, client):
    msg = _send(shop, "email", "/email/v2/send-single", shop.fill(email_body()))
    _sns(client, _ses(msg, "Bounce", "2026-11-27T01:00:03.000Z", bounceType="Permanent", bounceSubType="NoEmail",
                      bouncedRecipients=[{"emailAddress": "budi@example.com"}], feedbackId="f"))
    assert _status(msg) == "Failed by mail server"
    _consistent(shop, "email")


def test_ivr_status_reports_call_times_from_the_voice_events(shop, client):
    msg = _send(shop, "ivr", "/call/v2/call", call_body(shop))
    t = 1_795_000_000_000
    for event_type, offset in (("VOICE_INITIATED", 0), ("VOICE_RINGING", 2000), ("VOICE_ANSWERED", 7000),
                               ("VOICE_COMPLETED", 49000)):
        _sns(client, _eum(msg, event_type, t + offset, voice=True))
    status = shop.api.call("GET", f"/call/v2/call-status/{msg}", headers=shop.v2("ivr")).json_body
    assert status["status"] == "answered" and status["duration"] == 49 and status["talk_duration"] == 42
    assert status["tta"] == 7  # time to answer: initiated at 0 s, answered at 7 s
    assert status["hangup_cause"] == "VOICE_COMPLETED"
    assert status["call_start"] < status["call_answer"] < status["call_end"]


@pytest.mark.parametrize("events,expected", [
    (["VOICE_ANSWERED", "VOICE_COMPLETED", "VOICE_INITIATED", "VOICE_RINGING"], "Answered"),
    (["VOICE_RINGING", "VOICE_NO_ANSWER", "VOICE_ANSWERED"], "RNA"),
    (["VOICE_INITIATED", "VOICE_BUSY"], "RNA"),
    (["VOICE_INITIATED", "VOICE_FAILED", "VOICE_COMPLETED"], "Failed"),
])
def test_ivr_lifecycles(shop, client, events, expected):
    msg = _send(shop, "ivr", "/call/v2/call", call_body(shop))
    t = int(time.time() * 1000)
    for i, event_type in enumerate(events):
        _sns(client, _eum(msg, event_type, t + i * 1000, voice=True))
    assert _status(msg) == expected
    _consistent(shop, "ivr")


def _webhook(shop, payload: dict, secret: bytes = SECRET, tamper: bool = False):
    raw, headers = signed_webhook(secret, payload)
    if tamper:
        raw = raw.replace(b"read", b"sent")
    return shop.api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers)


def test_whatsapp_webhook_read_is_not_undone(shop):
    msg = _send(shop, "whatsapp", "/api/v2/push/message", shop.fill(whatsapp_body()))
    t = int(time.time())
    payload = status_webhook([status_update(msg, "read", timestamp=t + 5, wamid="wamid.A"),
                              status_update(msg, "delivered", timestamp=t + 3, wamid="wamid.A"),
                              status_update(msg, "sent", timestamp=t + 1, wamid="wamid.A"),
                              status_update(None, "read", timestamp=t + 6)])
    response = _webhook(shop, payload)
    assert response.status_code == 200 and response.json_body == {"received": 3, "applied": 3}
    assert _webhook(shop, payload).status_code == 200  # Meta retries: nothing changes
    message = Message.get(msg)
    assert message.status == "Read" and message.provider_message_id == "wamid.A"
    assert [h["provider_status"] for h in message.history].count("read") == 1
    _consistent(shop, "whatsapp")


def test_whatsapp_failed_not_on_whatsapp_is_rejected(shop):
    msg = _send(shop, "whatsapp", "/api/v2/push/message", shop.fill(whatsapp_body()))
    payload = status_webhook([status_update(msg, "failed", errors=[meta_error(131026)])])
    assert _webhook(shop, payload).status_code == 200
    assert _status(msg) == "Rejected"


def test_a_forged_webhook_changes_nothing(shop):
    msg = _send(shop, "whatsapp", "/api/v2/push/message", shop.fill(whatsapp_body()))
    payload = status_webhook([status_update(msg, "read")])
    for response in (_webhook(shop, payload, secret=b"not-the-secret"), _webhook(shop, payload, tamper=True)):
        assert_oca_error(response, 401, INVALID_CREDENTIALS)
    raw = json.dumps(payload).encode()
    for headers in ({}, {"X-Hub-Signature-256": "sha256=zz"}, {"X-Hub-Signature-256": sign(SECRET, raw)[7:]}):
        response = shop.api.call("POST", "/webhooks/whatsapp", raw=raw,
                                 headers={"Content-Type": "application/json", **headers})
        assert_oca_error(response, 401, INVALID_CREDENTIALS)
    message = Message.get(msg)
    assert message.status == "Submitted" and len(message.history) == 1


def test_webhook_verification_handshake(shop):
    ok = shop.api.call("GET", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.body == b"1158201444"
    bad = shop.api.call("GET", "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert bad.status_code == 403


def test_an_event_for_an_unknown_message_is_dropped(shop, client, caplog):
    unknown = "01UNKNOWNMESSAGE0000000000"
    from chalicelib.messages import status_updates
    from chalicelib.providers.base import StatusEvent

    # Applied directly: nothing to apply it to, so nothing is answered and nothing is written.
    assert status_updates.apply(StatusEvent(unknown, "TEXT_DELIVERED", "2026-11-27T01:00:00.000Z")) is None
    with pytest.raises(Message.DoesNotExist):
        Message.get(unknown)
    # Through the SNS handler, with no kirim id and with a body that is not JSON: no exception
    # reaches Lambda (which would retry the event for ever), and each is logged.
    caplog.clear()
    with caplog.at_level("WARNING"):
        for body in (json.dumps(_eum(unknown, "TEXT_DELIVERED", 1_796_000_000_000)),
                     json.dumps({"eventType": "TEXT_DELIVERED"}), "not json"):
            client.lambda_.invoke("provider_events", client.events.generate_sns_event(message=body))
    messages = [record.getMessage() for record in caplog.records]
    assert "status event for an unknown message" in messages and "provider event is not JSON; dropped" in messages
    with pytest.raises(Message.DoesNotExist):
        Message.get(unknown)
