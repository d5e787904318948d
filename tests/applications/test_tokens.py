"""Per-channel tokens: issue, regenerate, revoke, and what V2 and V1 accept."""
from __future__ import annotations

import base64
import hashlib

import boto3

from chalicelib.accounts import passwords
from chalicelib.accounts import service as accounts
from chalicelib.core.errors import (
    AUTH_HEADER_MISSING,
    BAD_PARAMETER,
    INVALID_CREDENTIALS,
    NOT_FOUND,
    TOKEN_INVALID,
    TOKEN_MISSING,
)
from chalicelib.messages.models import Message, index_keys
from tests.conftest import PASSWORD, assert_oca_error, basic

SMS_STATUS = "/sms/v2/sms/status/{}"
EMAIL_STATUS = "/email/v2/email/status/{}"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _accepted(response) -> bool:
    """A route answered past authentication: an unknown message is 404 code 33."""
    return response.status_code == 404 and response.json_body["errors"][0]["code"] == NOT_FOUND


def test_token_names_its_channel_and_has_256_random_bits(api):
    _, session = api.user()
    app_id = api.application(session)["application_id"]
    prefixes = {"sms": "kirim_sms_", "sms_otp": "kirim_otp_", "email": "kirim_email_", "ivr": "kirim_ivr_",
                "whatsapp": "kirim_wa_"}
    for channel, prefix in prefixes.items():
        response = api.call("POST", f"/applications/{app_id}/channels/{channel}/token", headers=session)
        assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
        body = response.json_body
        assert body["channel"] == channel and body["issued_at"].endswith("Z")
        secret = body["token"][len(prefix):]
        assert body["token"].startswith(prefix)
        assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) == 32
    shown = api.call("GET", f"/applications/{app_id}", headers=session).json_body["channels"]
    assert all(c["status"] == "Active" and c["token"]["prefix"].startswith(prefixes[c["channel"]]) for c in shown)


def test_token_works_at_once_and_dies_at_once_when_regenerated_or_revoked(api):
    _, session = api.user()
    app_id = api.application(session)["application_id"]
    first = api.token(session, app_id, "sms")
    assert _accepted(api.call("GET", SMS_STATUS.format("m1"), headers=_auth(first)))
    assert _accepted(api.call("GET", SMS_STATUS.format("m1"), headers={"Authorization": first}))  # bare
    second = api.token(session, app_id, "sms")
    assert_oca_error(api.call("GET", SMS_STATUS.format("m1"), headers=_auth(first)), 401, TOKEN_INVALID)
    assert _accepted(api.call("GET", SMS_STATUS.format("m1"), headers=_auth(second)))
    assert api.call("DELETE", f"/applications/{app_id}/channels/sms/token", headers=session).status_code == 204
    assert_oca_error(api.call("GET", SMS_STATUS.format("m1"), headers=_auth(second)), 401, TOKEN_INVALID)
    channel = [c for c in api.call("GET", f"/applications/{app_id}", headers=session).json_body["channels"]
               if c["channel"] == "sms"][0]
    assert channel["status"] == "Inactive" and channel["token"] is None
    # Revoking twice is harmless.
    assert api.call("DELETE", f"/applications/{app_id}/channels/sms/token", headers=session).status_code == 204


def test_a_token_for_sms_is_refused_on_an_email_route(api):
    _, session = api.user()
    app_id = api.application(session)["application_id"]
    sms = api.token(session, app_id, "sms")
    email = api.token(session, app_id, "email")
    assert_oca_error(api.call("GET", EMAIL_STATUS.format("m1"), headers=_auth(sms)), 401, TOKEN_INVALID)
    assert _accepted(api.call("GET", EMAIL_STATUS.format("m1"), headers=_auth(email)))


def test_missing_and_garbage_tokens(api):
    assert_oca_error(api.call("GET", SMS_STATUS.format("m1")), 401, TOKEN_MISSING)
    assert_oca_error(api.call("GET", SMS_STATUS.format("m1"), headers={"Authorization": "Bearer "}), 401,
                     TOKEN_MISSING)
    for value in ("Bearer a b", "kirim_sms_" + "x" * 300, "kirim_sms_guess"):
        assert_oca_error(api.call("GET", SMS_STATUS.format("m1"), headers={"Authorization": value}), 401,
                         TOKEN_INVALID)


def test_after_100_generations_no_plaintext_token_is_stored(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    issued = [api.token(session, app_id, "sms") for _ in range(100)]
    items = boto3.resource("dynamodb").Table("kirim-local-tokens").scan()["Items"]
    apps = boto3.resource("dynamodb").Table("kirim-local-applications").scan()["Items"]
    stored = str(items) + str(apps)
    assert not any(token in stored or token[10:] in stored for token in issued)
    mine = [item for item in items if item["application_id"] == app_id]
    assert [item["token_hash"] for item in mine] == [hashlib.sha256(issued[-1].encode()).hexdigest()]


def test_channel_the_application_lacks_and_unknown_channel(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    assert_oca_error(api.call("POST", f"/applications/{app_id}/channels/email/token", headers=session), 404,
                     NOT_FOUND)
    assert_oca_error(api.call("POST", f"/applications/{app_id}/channels/fax/token", headers=session), 406,
                     BAD_PARAMETER, "channel")


def _store_message(app_id: str, channel: str, message_id: str) -> None:
    Message(message_id, application_id=app_id, channel=channel, **index_keys(app_id, channel, "Delivered", message_id),
            target="+6281234567890", status="Delivered", created_at="2026-11-27T01:00:00.000Z", day="2026-11-27",
            updated_at="2026-11-27T01:00:05.000Z",
            details={"message_body": "Halo", "total_sms": 1},
            history=[{"status": "Sent", "at": "2026-11-27T01:00:00.000Z", "provider_status": "TEXT_SENT"},
                     {"status": "Delivered", "at": "2026-11-27T01:00:05.000Z",
                      "provider_status": "TEXT_DELIVERED"}]).save()


def test_v1_and_v2_read_the_same_message_in_ocas_shape(api):
    email, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    _store_message(app_id, "sms", "01KIRIMTESTV1V2")
    v2 = api.call("GET", SMS_STATUS.format("01KIRIMTESTV1V2"), headers=_auth(api.token(session, app_id, "sms")))
    v1 = api.call("GET", "/api/v1/sms/status/01KIRIMTESTV1V2", headers=basic(email))
    assert v1.status_code == v2.status_code == 200
    v1_body, v2_body = v1.json_body, v2.json_body
    assert v1_body["data"].pop("msg_uid") == v2_body["data"].pop("msgid") == "01KIRIMTESTV1V2"
    assert v1_body == v2_body
    data = v2_body["data"]
    assert v2_body["status"] is True
    assert data["application"] == app_id and data["status"] == "delivered" and data["total_sms"] == 1
    assert [h["status"] for h in data["history_status"]] == ["sent", "delivered"]


def test_a_message_of_another_application_is_404(api):
    _, alice = api.user()
    _, bob = api.user()
    alice_app = api.application(alice, ["sms"])["application_id"]
    bob_token = api.token(bob, api.application(bob, ["sms"])["application_id"], "sms")
    _store_message(alice_app, "sms", "01KIRIMALICEONLY")
    assert _accepted(api.call("GET", SMS_STATUS.format("01KIRIMALICEONLY"), headers=_auth(bob_token)))


def test_v1_basic_auth_errors(api):
    email = api.register()
    # OCA's V1 table: 19 "Missing Authorization Header" is HTTP 406 (401 on V2); 17 is 401.
    assert_oca_error(api.call("GET", "/api/v1/sms/status/x"), 406, AUTH_HEADER_MISSING)
    assert_oca_error(api.call("GET", "/api/v1/sms/status/x", headers={"Authorization": "Bearer abc"}), 406,
                     AUTH_HEADER_MISSING)
    assert_oca_error(api.call("GET", "/api/v1/sms/status/x", headers=basic(email, "wrong password!")), 401,
                     INVALID_CREDENTIALS)
    for header in ("Basic %%%", "Basic " + base64.b64encode(b"no-colon").decode()):
        assert_oca_error(api.call("GET", "/api/v1/sms/status/x", headers={"Authorization": header}), 401,
                         INVALID_CREDENTIALS)
    # Right credentials, but the account has no application with the channel.
    assert_oca_error(api.call("GET", "/api/v1/sms/status/x", headers=basic(email)), 404, NOT_FOUND)


def test_v1_with_several_applications_needs_no_header_and_takes_an_override(api):
    email, session = api.user()
    first = api.application(session, ["sms"])["application_id"]
    assert _accepted(api.call("GET", "/api/v1/sms/status/x", headers=basic(email)))
    second = api.application(session, ["sms"])["application_id"]
    assert _accepted(api.call("GET", "/api/v1/sms/status/x", headers=basic(email)))  # the oldest answers
    for app_id in (first, second):
        assert _accepted(api.call("GET", "/api/v1/sms/status/x",
                                  headers={**basic(email), "X-Application-Id": app_id}))
    _, other = api.user()
    stranger = api.application(other, ["sms"])["application_id"]
    assert_oca_error(api.call("GET", "/api/v1/sms/status/x", headers={**basic(email), "X-Application-Id": stranger}),
                     404, NOT_FOUND)


def test_v1_pays_the_kdf_once_then_uses_the_cache(api, monkeypatch, frozen_clock):
    email, session = api.user()
    api.application(session, ["sms"])
    accounts.forget_cached_credentials()
    calls = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda *a: calls.append(1) or real_verify(*a))
    for _ in range(5):
        assert _accepted(api.call("GET", "/api/v1/sms/status/x", headers=basic(email)))
    assert len(calls) == 1
    # A wrong password is never served from the cache.
    assert api.call("GET", "/api/v1/sms/status/x", headers=basic(email, PASSWORD + "x")).status_code == 401
    assert len(calls) == 2
    # Within its 60 s lifetime the entry is used; past it, the password is verified again.
    frozen_clock.advance(59)
    assert _accepted(api.call("GET", "/api/v1/sms/status/x", headers=basic(email)))
    assert len(calls) == 2
    frozen_clock.advance(2)
    assert _accepted(api.call("GET", "/api/v1/sms/status/x", headers=basic(email)))
    assert len(calls) == 3


def test_otp_sender_ids_v1_and_v2(api):
    email, session = api.user()
    app_id = api.application(session, ["sms_otp"])["application_id"]
    from chalicelib.applications.models import Application
    Application(app_id).update(actions=[Application.sender_ids.set({"KIRIM", "TOKO"})])
    token = api.token(session, app_id, "sms_otp")
    v2 = api.call("GET", "/sms/v2/number", headers={"Authorization": token})
    v1 = api.call("GET", "/sms/api/v1/number", headers=basic(email))
    assert v2.json_body == v1.json_body == {"sender_id": ["KIRIM", "TOKO"]}
