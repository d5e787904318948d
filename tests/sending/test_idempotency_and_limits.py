"""Idempotency-Key and the per-application rate limit."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BAD_PARAMETER, BALANCE_LOW, TOO_MANY_REQUESTS, UNPROCESSABLE
from tests.conftest import assert_oca_error, recount

SMS = {"phone": "081234567890", "message": "Halo"}


def _messages(app_id: str) -> int:
    return sum(recount(app_id, "sms")[1].values())


def test_twenty_retries_with_one_key_send_once_and_debit_once(shop):
    before_quota, before_count = shop.quota("sms"), _messages(shop.app_id)
    headers = {**shop.v2("sms"), "Idempotency-Key": "order-7781"}
    answers = [shop.api.call("POST", "/sms/v2/sms", SMS, headers) for _ in range(20)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.json_body["msg_uid"] for a in answers}) == 1
    assert "Idempotent-Replayed" not in answers[0].headers
    assert all(a.headers["Idempotent-Replayed"] == "true" for a in answers[1:])
    assert shop.quota("sms") == before_quota - 1 and _messages(shop.app_id) == before_count + 1
    # V1 and V2 share nothing, and another key is another send.
    other = shop.api.call("POST", "/sms/v2/sms", SMS, {**shop.v2("sms"), "Idempotency-Key": "order-7782"})
    assert other.json_body["msg_uid"] != answers[0].json_body["msg_uid"]


def test_same_key_with_another_body_is_422(shop):
    headers = {**shop.v2("sms"), "Idempotency-Key": "key-body-check"}
    assert shop.api.call("POST", "/sms/v2/sms", SMS, headers).status_code == 200
    changed = shop.api.call("POST", "/sms/v2/sms", {**SMS, "message": "Lain"}, headers)
    assert_oca_error(changed, 422, UNPROCESSABLE, "Idempotency-Key")


def test_an_error_is_not_remembered(shop):
    headers = {**shop.v2("sms"), "Idempotency-Key": "fix-and-retry"}
    assert shop.api.call("POST", "/sms/v2/sms", {**SMS, "phone": "12"}, headers).status_code == 406
    # The fixed request with the same key sends (a new body is fine after a failure).
    assert shop.api.call("POST", "/sms/v2/sms", SMS, headers).status_code == 200


def test_bad_keys_are_406(shop):
    for key in ("x" * 256, " ", "tab\there"):
        response = shop.api.call("POST", "/sms/v2/sms", SMS, {**shop.v2("sms"), "Idempotency-Key": key})
        assert_oca_error(response, 406, BAD_PARAMETER, "Idempotency-Key")


def test_two_copies_racing_with_one_key_send_once(shop, monkeypatch):
    """The second copy writes between the first copy's debit and its transaction: the first finds
    the record, gives its debit back and answers the second's answer."""
    from chalicelib.sending import ledger

    before_quota, before_count = shop.quota("sms"), _messages(shop.app_id)
    headers = {**shop.v2("sms"), "Idempotency-Key": "racing-copies"}
    real_write, answers = ledger._write, {}

    def write_after_the_other_copy(message, claim, body):
        monkeypatch.setattr(ledger, "_write", real_write)
        answers["second"] = shop.api.call("POST", "/sms/v2/sms", SMS, headers)
        return real_write(message, claim, body)

    monkeypatch.setattr(ledger, "_write", write_after_the_other_copy)
    answers["first"] = shop.api.call("POST", "/sms/v2/sms", SMS, headers)
    first, second = answers["first"], answers["second"]
    assert first.status_code == second.status_code == 200
    assert first.json_body == second.json_body
    assert first.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in second.headers
    assert shop.quota("sms") == before_quota - 1 and _messages(shop.app_id) == before_count + 1


def test_a_repeat_gets_its_answer_even_when_the_request_would_now_be_refused(shop):
    """Quota ran out since the first send: the repeat still gets the first answer, not a refusal."""
    from tests.conftest import set_quota

    headers = {**shop.v2("sms"), "Idempotency-Key": "before-quota-ran-out"}
    first = shop.api.call("POST", "/sms/v2/sms", SMS, headers)
    left = shop.quota("sms")
    set_quota(shop.app_id, "sms", 0)
    try:
        again = shop.api.call("POST", "/sms/v2/sms", SMS, headers)
        assert again.status_code == 200 and again.json_body == first.json_body
        assert again.headers["Idempotent-Replayed"] == "true"
        assert_oca_error(shop.api.call("POST", "/sms/v2/sms", SMS, {**headers, "Idempotency-Key": "new"}), 401,
                         BALANCE_LOW)   # V2's "low-balance"
    finally:
        set_quota(shop.app_id, "sms", left)


@pytest.fixture
def frozen_second(frozen_clock):
    """Pin the clock inside one second, an hour ahead, so the window cannot roll over mid-test."""
    frozen_clock.advance(3600.25)
    return frozen_clock().timestamp()


def test_rate_limit_headers_and_429(shop, frozen_second):
    response = shop.api.call("PUT", f"/applications/{shop.app_id}/settings", {"rate_limit": 3}, shop.session)
    assert response.status_code == 200 and response.json_body["rate_limit"] == 3
    try:
        remaining = []
        for _ in range(3):
            answer = shop.api.call("GET", "/sms/v2/number", headers=shop.v2("sms_otp"))
            assert answer.status_code == 200
            assert answer.headers["X-RateLimit-Limit"] == "3"
            assert answer.headers["X-RateLimit-Reset"] == str(int(frozen_second) + 1)
            remaining.append(answer.headers["X-RateLimit-Remaining"])
        assert remaining == ["2", "1", "0"]
        # Past the limit: 429 code 9, still with the headers, and nothing is sent.
        refused = shop.api.call("POST", "/sms/v2/sms", SMS, shop.v2("sms"))
        assert_oca_error(refused, 429, TOO_MANY_REQUESTS)
        assert refused.headers["X-RateLimit-Remaining"] == "0" and refused.headers["Retry-After"] == "1"
        # V1 counts against the same application.
        assert_oca_error(shop.api.call("GET", "/sms/api/v1/number", headers=shop.v1()), 429, TOO_MANY_REQUESTS)
        # Errors after authentication carry the headers too.
    finally:
        shop.api.call("PUT", f"/applications/{shop.app_id}/settings", {"rate_limit": 1000}, shop.session)


def test_errors_after_authentication_carry_rate_limit_headers(shop):
    response = shop.api.call("POST", "/sms/v2/sms", {"phone": "1"}, shop.v2("sms"))
    assert response.status_code == 406 and response.headers["X-RateLimit-Limit"] == "1000"


# --- what "the same body" is (sending.idempotency's docstring) --------------------------------------

def _multipart(fields: dict, boundary: str, files: dict | None = None, reverse: bool = False) -> tuple[bytes, str]:
    """A form as curl, browsers and PHP write it: a fresh boundary on every request."""
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
              f"Content-Type: {kind}\r\n\r\n".encode() + data + b"\r\n" for k, (name, kind, data) in (files or {}).items()]
    if reverse:
        parts.reverse()
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _send(shop, key: str, raw: bytes, content_type: str, path: str = "/sms/v2/sms", channel: str = "sms"):
    return shop.api.call("POST", path, raw=raw, headers={**shop.v2(channel), "Idempotency-Key": key,
                                                         "Content-Type": content_type})


def test_a_multipart_retry_with_a_new_boundary_is_a_replay(shop):
    before = _messages(shop.app_id)
    first = _send(shop, "multipart-retry", *_multipart(SMS, "------------------------d74496d66958873e"))
    again = _send(shop, "multipart-retry", *_multipart(SMS, "------------------------0b1c9a3f55e2d4a1", reverse=True))
    assert first.status_code == again.status_code == 200, again.body
    assert again.json_body == first.json_body and again.headers["Idempotent-Replayed"] == "true"
    assert _messages(shop.app_id) == before + 1
    changed = _send(shop, "multipart-retry", *_multipart({**SMS, "message": "Lain"}, "boundary-3"))
    assert_oca_error(changed, 422, UNPROCESSABLE, "Idempotency-Key")


def test_a_multipart_email_with_a_file_is_the_same_body_only_with_the_same_file(shop):
    from tests.sends import email_body

    pdf = ("faktur.pdf", "application/pdf", b"%PDF-1.4 \x00\xff binary")
    first = _send(shop, "email-file", *_multipart(shop.fill(email_body()), "one", {"attachment": pdf}),
                  path="/email/v2/send-single", channel="email")
    again = _send(shop, "email-file", *_multipart(shop.fill(email_body()), "two", {"attachment": pdf}, reverse=True),
                  path="/email/v2/send-single", channel="email")
    assert first.status_code == again.status_code == 200, again.body
    assert again.json_body == first.json_body and again.headers["Idempotent-Replayed"] == "true"
    for other in (("faktur.pdf", "application/pdf", b"%PDF-1.4 another file"), ("lain.pdf", *pdf[1:])):
        changed = _send(shop, "email-file", *_multipart(shop.fill(email_body()), "three", {"attachment": other}),
                        path="/email/v2/send-single", channel="email")
        assert_oca_error(changed, 422, UNPROCESSABLE, "Idempotency-Key")


def test_json_with_its_keys_in_another_order_or_other_whitespace_is_the_same_body(shop):
    first = _send(shop, "json-order", b'{"phone":"081234567890","message":"Halo"}', "application/json")
    again = _send(shop, "json-order", b'{\n  "message": "Halo",\n  "phone": "081234567890"\n}\n', "application/json")
    assert again.status_code == 200 and again.json_body == first.json_body, again.body
    assert again.headers["Idempotent-Replayed"] == "true"
    # A value of another type is another body: the route reads it differently.
    number = _send(shop, "json-order", b'{"phone":81234567890,"message":"Halo"}', "application/json")
    assert_oca_error(number, 422, UNPROCESSABLE, "Idempotency-Key")


def test_the_same_fields_urlencoded_in_any_order_or_spelling_or_as_another_encoding_are_the_same_body(shop):
    form = "application/x-www-form-urlencoded"
    first = _send(shop, "form-fields", b"phone=081234567890&message=Halo+dari+Kirim", form)
    for raw, kind in ((b"message=Halo%20dari%20Kirim&phone=081234567890", form),
                      (b'{"message": "Halo dari Kirim", "phone": "081234567890"}', "application/json"),
                      _multipart({"phone": "081234567890", "message": "Halo dari Kirim"}, "xyz")):
        again = _send(shop, "form-fields", raw, kind)
        assert again.status_code == 200 and again.json_body == first.json_body, again.body
        assert again.headers["Idempotent-Replayed"] == "true"
    changed = _send(shop, "form-fields", b"phone=081234567890&message=Halo+dari+Kirim%21", form)
    assert_oca_error(changed, 422, UNPROCESSABLE, "Idempotency-Key")


def test_a_record_written_with_the_raw_body_hash_still_replays_its_send(shop):
    """Records written before the canonical hash hold the raw body's SHA-256 for their 24 hours."""
    import hashlib
    import json

    from chalicelib.sending.models import IdempotencyRecord, idempotency_id

    raw = json.dumps(SMS).encode()
    first = _send(shop, "written-before", raw, "application/json")
    scope = f"{shop.app_id}:sms:POST:/sms/v2/sms"
    record = IdempotencyRecord.get(idempotency_id(scope, "written-before"), consistent_read=True)
    assert record.body_hash.startswith("c1:")
    record.update(actions=[IdempotencyRecord.body_hash.set(hashlib.sha256(raw).hexdigest())])
    again = _send(shop, "written-before", raw, "application/json")
    assert again.status_code == 200 and again.json_body == first.json_body
    assert again.headers["Idempotent-Replayed"] == "true"
