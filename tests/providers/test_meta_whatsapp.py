"""MetaWhatsAppProvider against the local fake Graph API, and the webhook helpers."""
from __future__ import annotations

import json
import logging

import pytest
import urllib3

from chalicelib.providers.base import Outbound, ProviderRejected, ProviderUnavailable, ProviderUnsure
from chalicelib.providers.meta_whatsapp import (
    MetaWhatsAppProvider, parse_webhook, subscription_challenge, verify_signature,
)
from tests.fakes.meta_server import (
    FakeMeta,
    merge_webhooks,
    meta_error,
    sign,
    signed_webhook,
    status_update,
    status_webhook,
    template_review_webhook,
)

TOKEN = "EAAG-secret-token"
PHONE_ID = "106540352242922"
KIRIM_ID = "01J9Z3K6W8QF2M4T7V0XYZABCD"
TEMPLATE = {
    "name": "order_confirmation", "language": {"code": "id"},
    "components": [
        {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.id/a.png"}}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Budi"}, {"type": "text", "text": "INV-1"}]},
    ],
}


@pytest.fixture
def meta():
    with FakeMeta(access_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def provider(meta) -> MetaWhatsAppProvider:
    return MetaWhatsAppProvider(PHONE_ID, TOKEN, base_url=meta.base_url)


def whatsapp(**overrides) -> Outbound:
    fields = {"message_id": KIRIM_ID, "channel": "whatsapp", "target": "+6281234567890", "template": TEMPLATE}
    return Outbound(**{**fields, **overrides})


# --- sending ---

def test_send_posts_metas_exact_body(meta, provider):
    wamid = provider.send(whatsapp())

    assert wamid == meta.wamids[-1] and wamid.startswith("wamid.")
    path, headers, body = meta.requests[-1]
    assert path == f"/v23.0/{PHONE_ID}/messages"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-type"] == "application/json"
    assert body == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
        "type": "template", "template": TEMPLATE, "biz_opaque_callback_data": KIRIM_ID,
    }


def test_non_ascii_template_text_arrives_intact(meta, provider):
    template = {**TEMPLATE, "components": [{"type": "body", "parameters": [{"type": "text", "text": "Śląsk ✓"}]}]}
    provider.send(whatsapp(template=template))
    assert meta.sent[-1]["template"]["components"][0]["parameters"][0]["text"] == "Śląsk ✓"


def test_wrong_token_is_unavailable_and_never_logged(meta, caplog):
    bad = MetaWhatsAppProvider(PHONE_ID, "wrong-token-value", base_url=meta.base_url)
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderUnavailable):
        bad.send(whatsapp())
    assert "wrong-token-value" not in caplog.text
    assert "wrong-token-value" not in repr(bad)
    for record in caplog.records:
        assert "wrong-token-value" not in json.dumps(record.__dict__, default=str)


@pytest.mark.parametrize("http_status, code, expected, provider_status", [
    (400, 131009, ProviderRejected, "meta:131009"),
    (400, 132001, ProviderRejected, "meta:132001"),
    (400, 100, ProviderRejected, "meta:100"),
    (429, 130429, ProviderUnavailable, None),
    (400, 130429, ProviderUnavailable, None),  # rate limits may come with a 400
    (400, 131056, ProviderUnavailable, None),
    (400, 80007, ProviderUnavailable, None),
    (400, 4, ProviderUnavailable, None),
    (400, 131048, ProviderUnavailable, None),
    (400, 133016, ProviderUnavailable, None),
    (503, 2, ProviderUnavailable, None),       # "service overloaded": not taken
    (500, 131000, ProviderUnsure, None),       # "something went wrong": may have been sent
    (502, None, ProviderUnsure, None),
    (401, 190, ProviderUnavailable, None),
])
def test_error_mapping(meta, provider, http_status, code, expected, provider_status):
    meta.fail_next(http_status, code, message=f"(#{code}) Some error", details="the details")
    with pytest.raises(expected) as caught:
        provider.send(whatsapp())
    assert type(caught.value) is expected
    if provider_status:
        assert caught.value.provider_status == provider_status
        assert caught.value.reason == f"(#{code}) Some error: the details"


def test_500_without_a_meta_body_is_unsure(meta, provider):
    meta.fail_next(500)
    with pytest.raises(ProviderUnsure):
        provider.send(whatsapp())


def test_4xx_without_a_meta_body_is_rejected_with_the_http_status(meta, provider):
    meta.respond_next(404, b"<html>not found</html>")
    with pytest.raises(ProviderRejected) as caught:
        provider.send(whatsapp())
    assert caught.value.provider_status == "meta:http404"


def test_success_without_a_message_id_is_unsure(meta, provider):
    meta.respond_next(200, {"messaging_product": "whatsapp", "messages": []})
    with pytest.raises(ProviderUnsure):
        provider.send(whatsapp())


def test_slow_server_is_unsure_after_the_read_timeout(meta):
    quick = MetaWhatsAppProvider(PHONE_ID, TOKEN, base_url=meta.base_url,
                                 timeout=urllib3.Timeout(connect=1.0, read=0.2))
    meta.delay_next(0.8)
    with pytest.raises(ProviderUnsure):
        quick.send(whatsapp())
    # Not retried by urllib3: a retried POST could send the message twice.
    assert len(meta.requests) == 1


def test_no_connection_is_unavailable_not_unsure():
    from local.ports import free_port

    closed = MetaWhatsAppProvider(PHONE_ID, TOKEN, base_url=f"http://127.0.0.1:{free_port()}/v23.0")
    with pytest.raises(ProviderUnavailable) as caught:
        closed.send(whatsapp())
    assert type(caught.value) is ProviderUnavailable   # never sent: safe to send again


def test_refused_connection_is_unavailable():
    with FakeMeta() as gone:
        base_url = gone.base_url
    dead = MetaWhatsAppProvider(PHONE_ID, TOKEN, base_url=base_url, timeout=urllib3.Timeout(connect=0.5, read=0.5))
    with pytest.raises(ProviderUnavailable):
        dead.send(whatsapp())


def test_missing_template_is_rejected_without_a_request(meta, provider):
    with pytest.raises(ProviderRejected):
        provider.send(whatsapp(template=None))
    assert meta.requests == []


# --- templates ---

def test_create_template(meta, provider):
    payload = {"name": "order_confirmation", "language": "id", "category": "UTILITY",
               "components": [{"type": "BODY", "text": "Halo {{1}}.", "example": {"body_text": [["Budi"]]}}]}
    answer = provider.create_template("102290129340398", payload)
    assert answer["status"] == "PENDING" and answer["category"] == "UTILITY"
    assert isinstance(answer["id"], str) and answer["id"].isdigit()
    path, headers, body = meta.requests[-1]
    assert path == "/v23.0/102290129340398/message_templates"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert body == payload and meta.templates[answer["id"]] == payload


def test_create_template_errors_use_the_same_mapping(meta, provider):
    meta.fail_next(400, 100, message="Invalid parameter", details="Template name already exists")
    with pytest.raises(ProviderRejected) as caught:
        provider.create_template("1", {"name": "x", "category": "UTILITY"})
    assert caught.value.provider_status == "meta:100"
    meta.fail_next(429, 80007, message="Rate limit")
    with pytest.raises(ProviderUnavailable):
        provider.create_template("1", {"name": "x", "category": "UTILITY"})


# --- signatures ---

SECRET = b"app-secret"


def test_verify_signature():
    raw, headers = signed_webhook(SECRET, status_webhook([status_update(KIRIM_ID)]))
    header = headers["X-Hub-Signature-256"]
    assert verify_signature(SECRET, raw, header)
    assert verify_signature(SECRET, raw, "sha256=" + header[7:].upper())  # hex case does not matter
    assert not verify_signature(SECRET, raw, None)
    assert not verify_signature(SECRET, raw, "")
    assert not verify_signature(SECRET, raw, header[7:])  # no sha256= prefix
    assert not verify_signature(SECRET, raw, "sha1=" + header[7:])
    assert not verify_signature(SECRET, raw, "sha256=zz" + header[9:])  # not hex
    assert not verify_signature(SECRET, raw, header[:-1])  # too short
    assert not verify_signature(SECRET, raw, "sha256=é" + header[8:])  # non-ASCII
    assert not verify_signature(b"other-secret", raw, header)
    assert not verify_signature(b"", raw, sign(b"", raw))  # an unset secret never verifies
    changed = bytearray(raw)
    changed[10] ^= 1
    assert not verify_signature(SECRET, bytes(changed), header)


def test_subscription_challenge():
    check = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    assert subscription_challenge(check, "verify-me") == "1158201444"
    assert subscription_challenge({k: v for k, v in check.items() if k != "hub.challenge"}, "verify-me") == ""
    assert subscription_challenge({**check, "hub.verify_token": "nope"}, "verify-me") is None
    assert subscription_challenge({**check, "hub.mode": "unsubscribe"}, "verify-me") is None
    assert subscription_challenge({**check, "hub.verify_token": ""}, "") is None  # an unset token never matches
    assert subscription_challenge({**check, "hub.verify_token": "é"}, "verify-me") is None


# --- webhook parsing ---

def test_parse_webhook_statuses_across_entries_and_changes():
    first = status_webhook([
        status_update("K1", "sent", wamid="wamid.1", timestamp=1750030073),
        status_update(None, "delivered", wamid="wamid.x", timestamp=1750030074),  # not Kirim's: skipped
        status_update("K1", "delivered", wamid="wamid.1", timestamp=1750030075),
    ])
    second = status_webhook([status_update("K2", "read", wamid="wamid.2", timestamp="1750030076")])
    failed = status_webhook([status_update("K3", "failed", wamid="wamid.3", timestamp=1750030077, errors=[
        meta_error(131026, "Message undeliverable", details="Message Undeliverable."),
    ])])
    payload = merge_webhooks(first, second)
    payload["entry"][0]["changes"].append(failed["entry"][0]["changes"][0])  # two changes in one entry

    events, reviews = parse_webhook(payload)

    assert reviews == []
    assert [(e.message_id, e.provider_status, e.provider_message_id) for e in events] == [
        ("K1", "sent", "wamid.1"), ("K1", "delivered", "wamid.1"),
        ("K3", "failed:131026", "wamid.3"), ("K2", "read", "wamid.2"),
    ]
    assert events[0].at == "2025-06-15T23:27:53.000Z"
    assert events[3].at == "2025-06-15T23:27:56.000Z"
    assert events[2].details["errors"] == [{
        "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
        "details": "Message Undeliverable.",
    }]
    assert events[0].details["recipient_id"] == "6281234567890"
    assert events[0].details["pricing"]["category"] == "utility"


def test_parse_webhook_failed_without_errors():
    events, _ = parse_webhook(status_webhook([status_update("K4", "failed", timestamp=0)]))
    assert events[0].provider_status == "failed"
    assert events[0].at == "1970-01-01T00:00:00.000Z"


def test_parse_webhook_template_review_update():
    payload = merge_webhooks(
        template_review_webhook(1689556908129832, "APPROVED"),
        template_review_webhook(1689556908129833, "REJECTED", reason="INVALID_FORMAT"),
        status_webhook([status_update("K5", "delivered", timestamp=1750030073)]),
    )
    payload["entry"][0]["time"], payload["entry"][1]["time"] = 1751247548, 1751247611
    events, reviews = parse_webhook(payload)
    assert [e.message_id for e in events] == ["K5"]
    assert reviews == [
        {"event": "APPROVED", "message_template_id": "1689556908129832",
         "message_template_name": "order_confirmation", "message_template_language": "id",
         "reason": "NONE", "message_template_category": "UTILITY", "time": 1751247548},
        {"event": "REJECTED", "message_template_id": "1689556908129833",
         "message_template_name": "order_confirmation", "message_template_language": "id",
         "reason": "INVALID_FORMAT", "message_template_category": "UTILITY", "time": 1751247611},
    ]
    # The payload itself is not modified.
    assert payload["entry"][0]["changes"][0]["value"]["message_template_id"] == 1689556908129832


@pytest.mark.parametrize("payload", [
    {}, {"entry": None}, {"entry": [None, {"changes": "x"}, {"changes": [{"field": "messages", "value": None}]}]},
    {"entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"status": "sent"}, "junk"]}}]}]},
])
def test_parse_webhook_tolerates_odd_shapes(payload):
    assert parse_webhook(payload) == ([], [])
