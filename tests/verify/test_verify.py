"""The Verify API through the simulator and the test inbox: each channel's happy path, wrong
codes up to the limit, expiry and the rate caps on a fake clock, a restart canceling the old
verification, idempotency and quota; and the code in plaintext nowhere but the test inbox."""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from chalicelib.core import clock
from chalicelib.messages import queries
from chalicelib.messages.models import Message
from chalicelib.verify import service as verifications
from tests.conftest import Api, Shop, approved_template, assert_oca_error, drain, set_quota

AUTH_TEMPLATE = {"name": "verify_otp", "category": "AUTHENTICATION", "accept_terms": True,
                 "authentication": {"add_security_recommendation": True, "code_expiration_minutes": 10}}
TOKEN_OF = {"sms": "sms_otp", "whatsapp": "whatsapp", "ivr": "ivr", "email": "email"}
TARGET = {"sms": "081234561111", "whatsapp": "081234562222", "ivr": "081234563333", "email": "budi@example.com"}
E164 = {"sms": "+6281234561111", "whatsapp": "+6281234562222", "ivr": "+6281234563333", "email": "budi@example.com"}


@pytest.fixture(scope="module")
def vshop(client) -> Shop:
    shop = Shop(Api(client))
    for language in ("id", "en"):
        approved_template(shop.api, shop.session, shop.app_id, {**AUTH_TEMPLATE, "language": language})
    return shop


def start(shop: Shop, channel: str, to: str | None = None, headers: dict | None = None, **extra):
    body = {"to": to or TARGET[channel], "channel": channel, **extra}
    return shop.api.call("POST", "/verify/v2/start", body, {**shop.v2(TOKEN_OF[channel]), **(headers or {})})


def check(shop: Shop, channel: str, verification_id: str, code: str):
    return shop.api.call("POST", "/verify/v2/check", {"verification_id": verification_id, "code": code},
                         shop.v2(TOKEN_OF[channel]))


def inbox(shop: Shop, channel: str, to: str) -> list[dict]:
    query = f"/simulator/messages?channel={TOKEN_OF[channel]}&to={to.replace('+', '%2B')}"
    answer = shop.api.call("GET", query, headers=shop.session)
    assert answer.status_code == 200, answer.json_body
    return answer.json_body["items"]


def code_in(item: dict) -> str:
    """The code as the recipient got it: SMS text, the WhatsApp template's parameter, the spoken
    digits, the email's HTML."""
    body = item["body"]
    if "template" in body:
        return body["template"]["components"][0]["parameters"][0]["text"]
    text = body.get("text") or body.get("ssml") or body.get("html")
    return re.search(r"\d{4,10}", text).group(0)


def received_code(shop: Shop, worker, channel: str, to: str | None = None) -> str:
    drain(worker)
    return code_in(inbox(shop, channel, E164[channel] if to is None else to)[0])


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "ivr", "email"])
def test_each_channel_sends_a_code_that_checks_once(vshop, worker, channel):
    started = start(vshop, channel, locale="en" if channel == "email" else None)
    assert started.status_code == 201, started.json_body
    body = started.json_body
    assert set(body) == {"verification_id", "to", "channel", "status", "expires_at"}
    assert (body["to"], body["channel"], body["status"]) == (E164[channel], channel, "pending")
    assert clock.parse_iso(body["expires_at"]) - clock.now() <= timedelta(minutes=10)
    code = received_code(vshop, worker, channel)
    assert len(code) == 6 and code.isdigit()
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    assert check(vshop, channel, body["verification_id"], wrong).json_body["status"] == "pending"
    approved = check(vshop, channel, body["verification_id"], code)
    assert approved.status_code == 200 and approved.json_body["status"] == "approved"
    # Approved is final: a second check is 404.
    assert_oca_error(check(vshop, channel, body["verification_id"], code), 404, 33)


def test_the_message_uses_the_built_in_text_in_the_asked_language(vshop, worker):
    start(vshop, "sms", locale="en", code_length=8)
    drain(worker)
    english = inbox(vshop, "sms", E164["sms"])
    assert english[0]["body"]["text"].startswith("Your verification code is ") and len(code_in(english[0])) == 8
    start(vshop, "sms", to="081234564444")
    drain(worker)
    indonesian = inbox(vshop, "sms", "+6281234564444")[0]["body"]["text"]
    assert indonesian.startswith("Kode verifikasi Anda: ") and "Berlaku 10 menit" in indonesian
    # WhatsApp picks the AUTHENTICATION template in the locale's language.
    start(vshop, "whatsapp", to="081234565555", locale="en")
    drain(worker)
    assert inbox(vshop, "whatsapp", "+6281234565555")[0]["body"]["template"]["language"] == {"code": "en"}


def test_five_wrong_codes_answer_429_and_cancel(vshop, worker, production_limits):
    verification_id = start(vshop, "sms", to="081234566666").json_body["verification_id"]
    code = received_code(vshop, worker, "sms", "+6281234566666")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(production_limits.verify_max_attempts - 1):
        assert check(vshop, "sms", verification_id, wrong).json_body["status"] == "pending"
    assert_oca_error(check(vshop, "sms", verification_id, wrong), 429, 9)
    assert_oca_error(check(vshop, "sms", verification_id, code), 429, 9)  # even the right code now


def test_a_code_expires_after_ten_minutes(vshop, worker, frozen_clock):
    verification_id = start(vshop, "sms", to="081234567777").json_body["verification_id"]
    code = received_code(vshop, worker, "sms", "+6281234567777")
    frozen_clock.advance(10 * 60)
    answer = check(vshop, "sms", verification_id, code)
    assert_oca_error(answer, 404, 33)
    assert "expired" in answer.json_body["errors"][0]["message"]


def test_a_new_start_cancels_the_pending_one(vshop, worker):
    first = start(vshop, "email", to="restart@example.com").json_body["verification_id"]
    first_code = received_code(vshop, worker, "email", "restart@example.com")
    second = start(vshop, "email", to="restart@example.com").json_body["verification_id"]
    second_code = received_code(vshop, worker, "email", "restart@example.com")
    assert_oca_error(check(vshop, "email", first, first_code), 404, 33)
    assert check(vshop, "email", second, second_code).json_body["status"] == "approved"


def test_starts_are_capped_per_recipient_per_hour_and_day(vshop, worker, frozen_clock, production_limits):
    to = "081234568888"
    for _ in range(production_limits.verify_starts_per_hour):
        assert start(vshop, "sms", to=to).status_code == 201
    capped = start(vshop, "sms", to=to)
    assert_oca_error(capped, 429, 9)
    assert 0 < int(capped.headers["Retry-After"]) <= 3600
    # Another number, and the same number in another application, are not capped.
    assert start(vshop, "sms", to="081234568889").status_code == 201
    frozen_clock.advance(3600)
    for _ in range(production_limits.verify_starts_per_day - production_limits.verify_starts_per_hour):
        assert start(vshop, "sms", to=to).status_code == 201
    frozen_clock.advance(3600)
    day = start(vshop, "sms", to=to)
    assert_oca_error(day, 429, 9)
    assert "per day" in day.json_body["errors"][0]["message"]
    frozen_clock.advance(22 * 3600 + 1)
    assert start(vshop, "sms", to=to).status_code == 201


def _sent_to(shop: Shop, to: str) -> list[Message]:
    return [m for m in queries.channel_messages(shop.app_id, "sms_otp") if m.target == to]


def _starts_of(shop: Shop, to: str) -> tuple[int, str]:
    from chalicelib.verify.models import Recipient, recipient_key

    recipient = Recipient.get(recipient_key(shop.app_id, to), consistent_read=True)
    return len(recipient.starts), recipient.pending


def test_an_idempotent_retry_sends_once_and_keeps_the_first_verification(vshop, worker):
    """The retry is answered from the key's record before anything is prepared: no second
    verification cancels the first (whose id the client holds), no second message, one debit."""
    key = {"Idempotency-Key": "verify-order-7"}
    before = vshop.quota("sms_otp")
    first = start(vshop, "sms", to="081234569991", headers=key)
    again = start(vshop, "sms", to="081234569991", headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json_body == first.json_body and again.headers["Idempotent-Replayed"] == "true"
    verification_id = first.json_body["verification_id"]
    assert verifications.find(verification_id).status == "pending"
    assert _starts_of(vshop, "+6281234569991") == (1, verification_id)
    assert vshop.quota("sms_otp") == before - 1
    code = received_code(vshop, worker, "sms", "+6281234569991")
    assert len(inbox(vshop, "sms", "+6281234569991")) == 1 and len(_sent_to(vshop, "+6281234569991")) == 1
    assert check(vshop, "sms", verification_id, code).json_body["status"] == "approved"
    # The same key with another body is 422, and still changes nothing.
    assert_oca_error(start(vshop, "sms", to="081234569990", headers=key), 422, 422)


def test_a_retry_that_raced_its_first_copy_is_undone(vshop, worker, monkeypatch):
    """Both copies of a start with one key passed the key's lookup before either was recorded
    (injected: the retry's lookup finds nothing). The retry prepared a verification, which canceled
    the first; the send's write then met the first's record. The retry answers the first's body,
    its own verification is canceled, and the first is pending again and checks."""
    from chalicelib.sending import idempotency

    key = {"Idempotency-Key": "verify-order-8"}
    before = vshop.quota("sms_otp")
    first = start(vshop, "sms", to="081234569993", headers=key)
    monkeypatch.setattr(idempotency, "recorded", lambda claim: None)   # the record was not there yet
    again = start(vshop, "sms", to="081234569993", headers=key)
    monkeypatch.undo()
    assert again.status_code == 201 and again.json_body == first.json_body
    assert again.headers["Idempotent-Replayed"] == "true"
    verification_id = first.json_body["verification_id"]
    starts, pending = _starts_of(vshop, "+6281234569993")
    assert starts == 2 and pending == verification_id   # the lost start counts against the cap, no more
    assert verifications.find(verification_id).status == "pending"
    assert vshop.quota("sms_otp") == before - 1
    code = received_code(vshop, worker, "sms", "+6281234569993")
    assert len(inbox(vshop, "sms", "+6281234569993")) == 1 and len(_sent_to(vshop, "+6281234569993")) == 1
    assert check(vshop, "sms", verification_id, code).json_body["status"] == "approved"


def test_a_key_lookup_that_fails_is_503_and_starts_nothing(vshop):
    """Preparing without knowing whether the key was recorded could cancel the verification the
    client holds: a lookup throttled on both of botocore's attempts answers 503 (code 57,
    Retry-After) before anything is written."""
    from local import faults

    with faults.injected("dynamodb", "GetItem", code="ProvisionedThroughputExceededException", times=2,
                         when=lambda params: params["TableName"].endswith("-idempotency")) as fault:
        answer = start(vshop, "sms", to="081234569994", headers={"Idempotency-Key": "verify-order-9"})
    assert fault.hits == 2
    assert_oca_error(answer, 503, 57)
    assert answer.headers["Retry-After"] == "1"
    from chalicelib.verify.models import Recipient, recipient_key
    with pytest.raises(Recipient.DoesNotExist):
        Recipient.get(recipient_key(vshop.app_id, "+6281234569994"), consistent_read=True)


def test_refusals(vshop, client):
    assert_oca_error(vshop.api.call("POST", "/verify/v2/start", {"to": TARGET["sms"], "channel": "sms"}), 401, 43)
    # The token must be the one of the channel the verification sends through.
    wrong_token = vshop.api.call("POST", "/verify/v2/start", {"to": TARGET["sms"], "channel": "sms"}, vshop.v2("sms"))
    assert_oca_error(wrong_token, 401, 45)
    for body, field in (({"to": "12", "channel": "sms"}, "to"), ({"to": TARGET["sms"], "channel": "fax"}, "channel"),
                        ({"to": TARGET["sms"], "channel": "sms", "code_length": 3}, "code_length"),
                        ({"to": TARGET["sms"], "channel": "sms", "code_length": 11}, "code_length"),
                        ({"to": TARGET["sms"], "channel": "sms", "locale": "fr"}, "locale"),
                        ({"to": TARGET["sms"], "channel": "sms", "sender_id": "NOPE"}, "sender_id"),
                        ({"to": "not-an-email", "channel": "email"}, "to")):
        channel = body["channel"] if body["channel"] in TOKEN_OF else "sms"
        assert_oca_error(vshop.api.call("POST", "/verify/v2/start", body, vshop.v2(TOKEN_OF[channel])),
                         406, 39, field)
    assert_oca_error(check(vshop, "sms", "VE" + "0" * 32, "123456"), 404, 33)
    assert_oca_error(check(vshop, "sms", "nonsense", "123456"), 404, 33)
    # Another application's token cannot check (or learn about) this verification.
    verification_id = start(vshop, "sms", to="081234569992").json_body["verification_id"]
    other = Shop(Api(client))
    answer = other.api.call("POST", "/verify/v2/check", {"verification_id": verification_id, "code": "123456"},
                            other.v2("sms_otp"))
    assert_oca_error(answer, 404, 33)
    assert_oca_error(check(vshop, "sms", verification_id, "12a456"), 406, 39, "code")


def test_whatsapp_needs_an_approved_authentication_template(client):
    shop = Shop(Api(client))  # its only template is a UTILITY one
    assert_oca_error(start(shop, "whatsapp"), 406, 59)


def test_a_start_that_cannot_be_sent_is_canceled(client, worker):
    shop = Shop(Api(client))
    set_quota(shop.app_id, "sms_otp", 0)
    assert_oca_error(start(shop, "sms"), 401, 55)  # OCA's status for a short quota
    from chalicelib.verify.models import Recipient, recipient_key
    pending = Recipient.get(recipient_key(shop.app_id, E164["sms"])).pending
    assert verifications.find(pending).status == "canceled"


@pytest.mark.parametrize("channel, to", [("sms", "081234560000"),        # refused by the provider at once
                                         ("sms", "081234570001"),        # Sent, then Failed
                                         ("ivr", "081234580001"),        # rings, not answered (RNA)
                                         ("email", "bounce@example.com")])  # bounced by the mail server
def test_a_verification_whose_message_failed_is_canceled(vshop, worker, channel, to):
    verification_id = start(vshop, channel, to=to).json_body["verification_id"]
    drain(worker)
    assert verifications.find(verification_id).status == "canceled"
    assert_oca_error(check(vshop, channel, verification_id, "123456"), 404, 33)


def test_the_code_is_in_plaintext_nowhere_but_the_test_inbox(vshop, worker, caplog):
    from chalicelib.reports.worker import row
    from chalicelib.reports.writers import columns_for
    from chalicelib.verify.models import Verification

    caplog.set_level(logging.INFO)  # what the stages log (POWERTOOLS_LOG_LEVEL INFO)
    found = {}
    for channel in ("sms", "whatsapp", "ivr", "email"):
        to = {"sms": "+6281234560123", "whatsapp": "+6281234560124", "ivr": "+6281234560125",
              "email": "secret@example.com"}[channel]
        verification_id = start(vshop, channel, to=to).json_body["verification_id"]
        drain(worker)
        item = inbox(vshop, channel, to)[0]
        found[channel] = (verification_id, code_in(item), item["message_id"])
    dynamodb = boto3.client("dynamodb")
    for channel, (verification_id, code, message_id) in found.items():
        # The messages table, raw.
        raw = json.dumps(dynamodb.get_item(TableName="kirim-local-messages", Key={"message_id": {"S": message_id}}))
        assert code not in raw and "verification_id" in raw, channel
        # The monitoring API.
        detail = vshop.api.call("GET", f"/applications/{vshop.app_id}/messages/{message_id}", headers=vshop.session)
        assert detail.status_code == 200 and code not in detail.body.decode()
        # A report's row.
        message = Message.get(message_id)
        created = clock.parse_iso(message.created_at)
        (plain,) = [m for m in queries.iter_messages(vshop.app_id, message.channel, [message.status],
                                                     created - timedelta(seconds=1), created + timedelta(seconds=1))
                    if m["message_id"] == message_id]  # as the report worker reads it
        assert code not in json.dumps(row(plain, columns_for(message.channel), ZoneInfo("Asia/Jakarta")), default=str)
        # The verification item: only a keyed hash.
        stored = json.dumps(dynamodb.get_item(TableName="kirim-local-verifications",
                                              Key={"pk": {"S": verification_id}}))
        assert code not in stored and Verification.get(verification_id).code_hash
        # And the logs of all of it.
        assert code not in caplog.text
    sms_message = Message.get(found["sms"][2]).details_dict()["message_body"]
    assert "******" in sms_message and sms_message.startswith("Kode verifikasi Anda: ")
    # The checks still work from the hash.
    for channel, (verification_id, code, _) in found.items():
        assert check(vshop, channel, verification_id, code).json_body["status"] == "approved"
