"""Recipients who say stop join the suppression list (`unsubscribed`), once, in the right application:
a WhatsApp reply STOP / BERHENTI / UNSUBSCRIBE / STOP PROMO (typed or a quick-reply button) to a message
Kirim sent, through Meta's signed webhook; and an SMS End User Messaging refused because the number is
on its opt-out list."""
from __future__ import annotations

import secrets
import time

import pytest
from botocore.exceptions import ClientError

from chalicelib.broadcasts import suppression_events
from chalicelib.core.errors import INVALID_CREDENTIALS
from chalicelib.messages import status_updates
from chalicelib.messages.models import Message
from chalicelib.providers.base import StatusEvent
from chalicelib.providers.end_user_messaging import OPTED_OUT, EumSmsProvider
from chalicelib.providers.meta_whatsapp import Reply, parse_replies
from chalicelib.sending import pipeline
from tests.conftest import Shop, assert_oca_error, settle_changes
from tests.fakes.meta_server import signed_webhook, status_update, status_webhook
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import sms_body, whatsapp_body

SECRET = b"meta-app-secret-for-stop-tests"


@pytest.fixture(scope="module")
def shops(client) -> tuple[Shop, Shop]:
    from tests.conftest import Api

    return Shop(Api(client)), Shop(Api(client))


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    monkeypatch.setenv("META_APP_SECRET", SECRET.decode())


def _listed(shop: Shop) -> dict[str, dict]:
    page = shop.api.call("GET", f"/applications/{shop.app_id}/suppressions?limit=100", headers=shop.session)
    assert page.status_code == 200, page.json_body
    return {item["target"]: item for item in page.json_body["items"]}


def _webhook(shop: Shop, payload: dict, secret: bytes = SECRET):
    raw, headers = signed_webhook(secret, payload)
    return shop.api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers)


def _sent_whatsapp(shop: Shop, phone: str) -> tuple[str, str]:
    """A WhatsApp message to `phone` that Meta has named (its `sent` status came): (Kirim id, wamid)."""
    response = shop.api.call("POST", "/api/v2/push/message", shop.fill(whatsapp_body(phone)), shop.v2("whatsapp"))
    assert response.status_code == 200, response.json_body
    msg = next(v for k, v in response.json_body.items() if k in ("msg_uid", "msg_id", "msgid"))
    wamid = "wamid." + secrets.token_urlsafe(24)
    assert _webhook(shop, status_webhook([status_update(msg, "sent", wamid=wamid)])).status_code == 200
    assert Message.get(msg).wamid == wamid
    return msg, wamid


def _reply(sender: str, *, text: str | None = None, button: tuple[str, str] | None = None,
           context: str | None = None) -> dict:
    message: dict = {"from": sender, "id": "wamid." + secrets.token_urlsafe(24), "timestamp": str(int(time.time()))}
    if text is not None:
        message.update(type="text", text={"body": text})
    elif button is not None:
        message.update(type="button", button={"payload": button[0], "text": button[1]})
    else:
        message.update(type="image", image={"id": "1", "mime_type": "image/jpeg"})
    if context:
        message["context"] = {"from": "15550001234", "id": context}
    return message


def _inbound(*messages: dict) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001234", "phone_number_id": "1"},
        "contacts": [{"profile": {"name": "Budi"}, "wa_id": m["from"]} for m in messages],
        "messages": list(messages)}}]}]}


def test_a_stop_reply_suppresses_the_number_once_in_the_application_it_answered(shops):
    shop, other = shops
    _, wamid = _sent_whatsapp(other, "0812-6000-0001")
    _sent_whatsapp(shop, "0812-6000-0001")   # the same number is a customer of both
    payload = _inbound(_reply("6281260000001", text="  stop ", context=wamid))
    first = _webhook(shop, payload)
    assert first.status_code == 200 and first.json_body == {"received": 1, "applied": 1}
    entry = _listed(other)["+6281260000001"]
    assert entry["reason"] == "unsubscribed"
    assert "+6281260000001" not in _listed(shop)   # a reply to B's message suppresses in B only
    again = _webhook(shop, payload)   # Meta delivers the webhook again
    assert again.status_code == 200 and again.json_body == first.json_body
    assert _listed(other)["+6281260000001"] == entry


@pytest.mark.parametrize("reply", [
    {"text": "BERHENTI"}, {"text": "Unsubscribe"}, {"text": "stop  promo"}, {"text": "Stop\n"},
    {"button": ("STOP", "Stop")}, {"button": ("opt_out_1", "Berhenti")}, {"button": ("stop promo", "Hentikan")},
])
def test_each_stop_word_and_quick_reply_button_suppresses(shops, reply):
    shop, _ = shops
    phone = f"0812{secrets.randbelow(10**8):08d}"
    msg, wamid = _sent_whatsapp(shop, phone)
    answer = _webhook(shop, _inbound(_reply("62" + phone[1:], context=wamid, **reply)))
    assert answer.status_code == 200 and answer.json_body["applied"] == 1
    assert _listed(shop)[Message.get(msg).target]["reason"] == "unsubscribed"


def test_other_replies_and_a_stop_without_context_are_ignored_with_a_200(shops):
    shop, _ = shops
    msg, wamid = _sent_whatsapp(shop, "0812-6000-0099")
    payload = _inbound(_reply("6281260000099", text="stop please", context=wamid),
                       _reply("6281260000099", text="Terima kasih", context=wamid),
                       _reply("6281260000099", button=("YES", "Ya"), context=wamid),
                       _reply("6281260000099", context=wamid),                      # an image
                       _reply("6281260000099", text="STOP"),                        # no context: which app?
                       _reply("6281260000099", text="STOP", context="wamid.unknown"),
                       {"from": "6281260000099", "type": "text"})                   # malformed
    answer = _webhook(shop, payload)
    assert answer.status_code == 200 and answer.json_body["applied"] == 0
    assert Message.get(msg).target not in _listed(shop)


def test_a_forged_stop_reply_changes_nothing(shops):
    shop, _ = shops
    msg, wamid = _sent_whatsapp(shop, "0812-6000-0077")
    payload = _inbound(_reply("6281260000077", text="STOP", context=wamid))
    assert_oca_error(_webhook(shop, payload, secret=b"not-the-secret"), 401, INVALID_CREDENTIALS)
    raw, headers = signed_webhook(SECRET, payload)
    tampered = shop.api.call("POST", "/webhooks/whatsapp", raw=raw.replace(b"STOP", b"stop"), headers=headers)
    assert_oca_error(tampered, 401, INVALID_CREDENTIALS)
    assert Message.get(msg).target not in _listed(shop)


def test_only_whatsapp_messages_carry_a_wamid(shops):
    shop, _ = shops
    response = shop.api.call("POST", "/sms/v2/sms", sms_body("0812-6000-0055"), shop.v2("sms", bare=True))
    assert response.status_code == 200, response.json_body
    msg = response.json_body["msg_uid"]
    status_updates.apply(StatusEvent(msg, "TEXT_SENT", "2026-12-05T01:00:00.000Z", "sms-provider-id"))
    stored = Message.get(msg)
    assert stored.provider_message_id == "sms-provider-id" and stored.wamid is None


def test_replies_are_read_from_metas_shape():
    payload = _inbound(_reply("628111", text="STOP", context="wamid.X"), _reply("628222", button=("P", "T")))
    assert parse_replies(payload) == [Reply("628111", ("STOP",), "wamid.X"), Reply("628222", ("P", "T"), None)]
    assert parse_replies({"entry": "nope"}) == [] and parse_replies(status_webhook([])) == []


# --- SMS: End User Messaging's own opt-out list --------------------------------------------------------

def _opted_out_error(reason: str) -> ClientError:
    return ClientError({"Error": {"Code": "ConflictException", "Message": "opted out"}, "Reason": reason,
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendTextMessage")


def test_an_sms_refused_as_opted_out_suppresses_the_number_once(shops):
    shop, other = shops
    assert EumSmsProvider(client=object()).classify(
        _opted_out_error("DESTINATION_PHONE_NUMBER_OPTED_OUT")).provider_status == OPTED_OUT
    assert EumSmsProvider(client=object()).classify(
        _opted_out_error("DESTINATION_PHONE_NUMBER_NOT_VERIFIED")).provider_status == "ConflictException"

    def send(phone: str) -> Message:
        response = shop.api.call("POST", "/sms/v2/sms", sms_body(phone), shop.v2("sms", bare=True))
        assert response.status_code == 200, response.json_body
        return Message.get(response.json_body["msg_uid"])

    opted_out, conflict = send("0812-6000-0201"), send("0812-6000-0202")
    status_updates.reject(opted_out, OPTED_OUT, "opted out (DESTINATION_PHONE_NUMBER_OPTED_OUT)")
    status_updates.reject(conflict, "ConflictException", "not verified (DESTINATION_PHONE_NUMBER_NOT_VERIFIED)")
    settle_changes()
    listed = _listed(shop)
    assert listed["+6281260000201"]["reason"] == "unsubscribed"
    assert "+6281260000202" not in listed and "+6281260000201" not in _listed(other)
    # The stream hands the change over again: nothing new.
    from chalicelib.messages.changes import StatusChange

    change = StatusChange(opted_out.message_id, shop.app_id, "sms", "Submitted", "Failed", "2026-12-05T01:00:01.000Z",
                          {"target": "+6281260000201", "history": [{"provider_status": OPTED_OUT}]})
    assert suppression_events.on_status_changes([change, change]) == 0
    assert _listed(shop)["+6281260000201"] == listed["+6281260000201"]
