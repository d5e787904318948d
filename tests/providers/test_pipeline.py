"""The send pipeline with the real adapters: SES on moto, End User Messaging through botocore's
Stubber (checked against the real service model), and Meta's Cloud API as a local fake server."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.messages.models import Message
from chalicelib.providers.end_user_messaging import EumSmsProvider
from chalicelib.providers.meta_whatsapp import MetaWhatsAppProvider
from chalicelib.providers.ses_email import SesEmailProvider
from chalicelib.sending import dispatch, outbox, pipeline
from tests.conftest import drain, recount
from tests.fakes.meta_server import FakeMeta, signed_webhook, status_update, status_webhook
from tests.sends import HTML, call_body, otp_body, sms_body, whatsapp_body


def _use(monkeypatch, provider) -> None:
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: provider)


def test_email_through_ses_on_moto_and_its_events_back(shop, client, monkeypatch):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    ses = boto3.client("sesv2")
    ses.create_email_identity(EmailIdentity=shop.sender_domain)
    ses.create_configuration_set(ConfigurationSetName="kirim-local-email")
    wire: list[dict] = []
    ses.meta.events.register("before-call.sesv2.SendEmail", lambda params, **_: wire.append(json.loads(params["body"])))
    _use(monkeypatch, SesEmailProvider(ses, configuration_set="kirim-local-email"))
    sent_before = len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)

    response = shop.api.call("POST", "/email/v2/send-single",
                             {"email": "budi@example.com", "message": HTML, "sender_email": shop.sender_email,
                              "sender_name": "Toko", "subject": "Pesanan"}, shop.v2("email"))
    msg_id = response.json_body["msg_id"]
    [mail] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages[sent_before:]
    assert mail.subject == "Pesanan" and "Halo" in mail.body
    [body] = wire
    assert body["EmailTags"] == [{"Name": "kirim_id", "Value": msg_id}]
    assert body["ConfigurationSetName"] == "kirim-local-email"
    # SES's Delivery event, through the SNS handler, finds the message by the tag.
    event = {"eventType": "Delivery", "mail": {"timestamp": "2026-11-27T01:00:00.000Z", "messageId": mail.id,
                                               "source": shop.sender_email, "destination": ["budi@example.com"],
                                               "tags": {"kirim_id": [msg_id]}},
             "delivery": {"timestamp": "2026-11-27T01:00:01.000Z", "recipients": ["budi@example.com"]}}
    client.lambda_.invoke("provider_events", client.events.generate_sns_event(message=json.dumps(event)))
    message = Message.get(msg_id)
    assert message.status == "Delivered" and message.provider_message_id == mail.id


def _stubbed_eum(**options):
    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    return client, Stubber(client), EumSmsProvider(client, configuration_set="kirim-local-sms", **options)


def test_sms_and_otp_through_end_user_messaging(shop, monkeypatch):
    client, stubber, provider = _stubbed_eum(sender_identities={"KIRIM": "arn:aws:sms-voice:sender-id/KIRIM"})
    _use(monkeypatch, provider)
    contexts: list[dict] = []
    client.meta.events.register("provide-client-params.pinpoint-sms-voice-v2.*",
                                lambda params, **_: contexts.append(params.get("Context")))
    stubber.add_response("send_text_message", {"MessageId": "eum-1"}, {
        "DestinationPhoneNumber": "+6281234567890", "MessageBody": "Halo dari Kirim", "MessageType": "TRANSACTIONAL",
        "ConfigurationSetName": "kirim-local-sms", "Context": ANY})
    stubber.add_response("send_text_message", {"MessageId": "eum-2"}, {
        "DestinationPhoneNumber": "+6281234567890", "MessageBody": "Kode OTP Anda 123456",
        "MessageType": "TRANSACTIONAL", "OriginationIdentity": "arn:aws:sms-voice:sender-id/KIRIM",
        "ConfigurationSetName": "kirim-local-sms", "Context": ANY})
    with stubber:
        sms_id = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).json_body["msg_uid"]
        otp_id = shop.api.call("POST", "/sms/v2/send-otp", otp_body(), shop.v2("sms_otp")).json_body["msg_id"]
    stubber.assert_no_pending_responses()
    assert contexts == [{"kirim_id": sms_id}, {"kirim_id": otp_id}]


def test_ivr_through_end_user_messaging_speaks_the_filled_script(shop, monkeypatch):
    client, stubber, provider = _stubbed_eum()
    _use(monkeypatch, provider)
    stubber.add_response("send_voice_message", {"MessageId": "eum-v"}, {
        "DestinationPhoneNumber": "+6281234567890", "OriginationIdentity": "+622150001234",
        "MessageBody": "<speak>Halo Budi, pesanan INV-7 sudah dikirim.</speak>", "MessageBodyTextType": "SSML",
        "ConfigurationSetName": "kirim-local-sms", "Context": ANY})
    with stubber:
        response = shop.api.call("POST", "/call/v2/call", call_body(shop), shop.v2("ivr"))
    assert response.status_code == 200
    stubber.assert_no_pending_responses()


def test_a_rejection_from_end_user_messaging_fails_and_refunds(shop, monkeypatch):
    client, stubber, provider = _stubbed_eum()
    _use(monkeypatch, provider)
    stubber.add_client_error("send_text_message", "ValidationException", "Destination is not valid",
                             http_status_code=400)
    before = shop.quota("sms")
    with stubber:
        msg_id = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).json_body["msg_uid"]
    message = Message.get(msg_id)
    assert message.status == "Failed" and message.history[-1]["provider_status"] == "ValidationException"
    assert shop.quota("sms") == before
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual


@pytest.fixture
def meta():
    with FakeMeta() as fake:
        yield fake


def test_whatsapp_through_the_cloud_api_and_its_webhook(shop, monkeypatch, meta):
    _use(monkeypatch, MetaWhatsAppProvider("1234567890", meta.access_token, base_url=meta.base_url))
    monkeypatch.setenv("META_APP_SECRET", "s3cret")
    msg_id = shop.api.call("POST", "/api/v2/push/message", shop.fill(whatsapp_body()), shop.v2("whatsapp")).json_body["msgid"]
    [request] = meta.sent
    assert request == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
                       "type": "template", "biz_opaque_callback_data": msg_id,
                       "template": {"name": "order_update", "language": {"code": "id"},
                                    "components": [{"type": "body",
                                                    "parameters": [{"type": "text", "text": "Budi"}]}]}}
    wamid = meta.wamids[-1]
    raw, headers = signed_webhook(b"s3cret", status_webhook([status_update(msg_id, "delivered", wamid=wamid)]))
    assert shop.api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers).status_code == 200
    message = Message.get(msg_id)
    assert message.status == "Delivered" and message.provider_message_id == wamid


def test_a_cloud_api_timeout_is_never_sent_again_and_meta_s_event_settles_it(shop, worker, monkeypatch, meta):
    """Issue 20, item 3: Meta's answer never came, so Meta may have the message, and the Cloud
    API can neither be asked about it by Kirim's id nor take an idempotency key. It used to be
    queued and sent again (Meta got it twice). Now it is not sent again: it waits for Meta's
    first event, which settles it (with none by its deadline it would fail, not billed)."""
    provider = MetaWhatsAppProvider("1234567890", meta.access_token, base_url=meta.base_url)
    import urllib3
    provider.timeout = urllib3.Timeout(connect=1, read=0.3)
    _use(monkeypatch, provider)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    monkeypatch.setattr(dispatch, "RETRY_DELAYS", (0,) * 6)   # the queue's delay, not the test's business
    monkeypatch.setenv("META_APP_SECRET", "s3cret")
    meta.delay_next(1.0)
    before = shop.quota("whatsapp")
    msg_id = shop.api.call("POST", "/api/v2/push/message", shop.fill(whatsapp_body()), shop.v2("whatsapp")).json_body["msgid"]
    message = Message.get(msg_id)
    assert (message.status, message.dispatch, message.attempts) == ("Submitted", "request", 1)
    assert outbox.load(msg_id) is None and shop.quota("whatsapp") == before - 1
    drain(worker)
    assert [r["biz_opaque_callback_data"] for r in meta.sent].count(msg_id) == 1   # the timed-out request only
    raw, headers = signed_webhook(b"s3cret", status_webhook([status_update(msg_id, "delivered", wamid="wamid.late")]))
    assert shop.api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers).status_code == 200
    message = Message.get(msg_id)
    assert (message.status, message.dispatch, message.sweep) == ("Delivered", "done", None)
    assert shop.quota("whatsapp") == before - 1


def test_a_cloud_api_rejection_fails_and_refunds(shop, monkeypatch, meta):
    _use(monkeypatch, MetaWhatsAppProvider("1234567890", meta.access_token, base_url=meta.base_url))
    meta.fail_next(400, 131009, "Parameter value is not valid")
    before = shop.quota("whatsapp")
    msg_id = shop.api.call("POST", "/api/v2/push/message", shop.fill(whatsapp_body()), shop.v2("whatsapp")).json_body["msgid"]
    message = Message.get(msg_id)
    assert message.status == "Failed" and message.history[-1]["provider_status"] == "meta:131009"
    assert shop.quota("whatsapp") == before
