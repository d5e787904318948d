"""Every send, status and history route of every channel, V1 and V2, through the simulator."""
from __future__ import annotations

import base64

import pytest

from chalicelib.core.errors import BAD_PARAMETER, BALANCE_LOW, QUOTA_LOW, TOKEN_INVALID
from tests.conftest import assert_oca_error, drain, recount
from tests.sends import HTML, call_body, email_body, otp_body, sms_body, whatsapp_body


@pytest.mark.parametrize("bare", [False, True])
def test_sms_v2_send_status_history(shop, worker, bare):
    api = shop.api
    sent = api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms", bare))
    assert sent.status_code == 200 and sent.json_body["status"] == "sent"
    msg_id = sent.json_body["msg_uid"]
    drain(worker)
    status = api.call("GET", f"/sms/v2/sms/status/{msg_id}", headers=shop.v2("sms", bare)).json_body
    data = status["data"]
    assert status["status"] is True and data["msgid"] == msg_id and data["application"] == shop.app_id
    assert data["phone_number"] == "+6281234567890" and data["message_body"] == "Halo dari Kirim"
    assert data["status"] == "delivered" and data["total_sms"] == 1
    assert data["operator_cell"] == "TELKOMSEL" and data["country"] == "ID" and data["source"] == "api"
    assert data["status_description"] == ""
    assert [h["status"] for h in data["history_status"]] == ["submitted", "sent", "delivered"]
    assert [h["provider_status"] for h in data["history_status"]] == ["ACCEPTED", "TEXT_SENT", "TEXT_DELIVERED"]
    history = api.call("GET", "/sms/v2/sms/history", headers=shop.v2("sms", bare))
    # OCA's history routes answer a bare array; Kirim's paging rides in headers.
    assert isinstance(history.json_body, list) and "X-Next-Cursor" not in history.headers
    row = history.json_body[0]
    # Every key of OCA's V2 history example, with its spelling (aditional_data) and JSON types.
    assert set(row) >= {"phone_number", "message_body", "status", "operator_cell", "status_description",
                        "aditional_data", "country", "source", "uuid", "total_sms", "created_at", "updated_at",
                        "history_status", "msgid"}
    assert row["msgid"] == row["uuid"] == msg_id and row["aditional_data"] is None and row["country"] == "ID"
    assert row["status"] == "delivered" and isinstance(row["total_sms"], int)


def test_sms_v1_send_status_history(shop, worker):
    api = shop.api
    sent = api.call("POST", "/api/v1/sms", sms_body("+62 812-3456-7890"), shop.v1())
    assert sent.status_code == 200 and sent.json_body["status"] == "sent"
    drain(worker)
    msg_id = sent.json_body["msg_uid"]
    v1 = api.call("GET", f"/api/v1/sms/status/{msg_id}", headers=shop.v1()).json_body
    v2 = api.call("GET", f"/sms/v2/sms/status/{msg_id}", headers=shop.v2("sms")).json_body
    # V1's page names the id msg_uid, V2's msgid; everything else is the same record.
    assert v1["data"].pop("msg_uid") == v2["data"].pop("msgid") == msg_id
    assert v1 == v2 and v1["status"] is True and v1["data"]["status"] == "delivered"
    row = api.call("GET", "/api/v1/sms", headers=shop.v1()).json_body[0]
    assert row["msg_uid"] == msg_id and row["status"] == "delivered" and "msgid" not in row


def test_sms_segments_are_the_cost(shop):
    before = shop.quota("sms")
    long_text = "x" * 161  # GSM-7: two segments
    sent = shop.api.call("POST", "/sms/v2/sms", sms_body(message=long_text), shop.v2("sms"))
    msg_id = sent.json_body["msg_uid"]
    assert shop.quota("sms") == before - 2
    unicode_text = "Halo 👋 " * 10  # UCS-2: 80 units -> 2 segments
    shop.api.call("POST", "/sms/v2/sms", sms_body(message=unicode_text), shop.v2("sms"))
    assert shop.quota("sms") == before - 4
    status = shop.api.call("GET", f"/sms/v2/sms/status/{msg_id}", headers=shop.v2("sms")).json_body
    assert status["data"]["total_sms"] == 2


@pytest.mark.parametrize("route,headers", [("/sms/v2/send-otp", "v2"), ("/sms/api/v1/send-otp", "v1")])
def test_otp_send_and_status(shop, worker, route, headers):
    auth = shop.v2("sms_otp") if headers == "v2" else shop.v1()
    body = otp_body()
    if headers == "v1":  # OCA's V1 spelling
        body["receipent_number"] = body.pop("recipient_number")
    sent = shop.api.call("POST", route, body, auth)
    # V2: {"success": true, "msg_id"}; V1 carries its flag in sender_id, as OCA's V1 page shows.
    flag = "success" if headers == "v2" else "sender_id"
    assert sent.status_code == 200 and sent.json_body == {flag: True, "msg_id": sent.json_body["msg_id"]}
    drain(worker)
    msg_id = sent.json_body["msg_id"]
    path = f"/sms/v2/otp-status/{msg_id}" if headers == "v2" else f"/sms/api/v1/otpstatus/{msg_id}"
    status = shop.api.call("GET", path, headers=auth).json_body
    # Flat, with OCA's receipent_number spelling.
    assert {k: status[k] for k in ("total_sms", "sender_id", "receipent_number", "status", "country", "msg_id",
                                   "message_body")} == {
        "total_sms": 1, "sender_id": "KIRIM", "receipent_number": "+6281234567890", "status": "delivered",
        "country": "ID", "msg_id": msg_id, "message_body": "Kode OTP Anda 123456"}
    assert status["created_at"].endswith("Z") and status["updated_at"].endswith("Z")


def test_sender_ids_route(shop):
    assert shop.api.call("GET", "/sms/v2/number", headers=shop.v2("sms_otp")).json_body == {
        "sender_id": ["KIRIM", "TOKO"]}


@pytest.mark.parametrize("version", [1, 2])
def test_email_send_status_history(shop, worker, version):
    auth = shop.v2("email") if version == 2 else shop.v1()
    route = "/email/v2/send-single" if version == 2 else "/api/v1/send-single"
    sent = shop.api.call("POST", route, shop.fill(email_body("open@example.com")), auth)
    assert sent.status_code == 200
    msg_id = sent.json_body["msg_id"]
    if version == 2:
        assert sent.json_body == {"success": True, "msg_id": msg_id}
    else:  # the page's example ({status, msg_uid}) and its table ({success, msg_id}) side by side
        assert sent.json_body == {"status": True, "msg_uid": msg_id, "success": True, "msg_id": msg_id}
    drain(worker)
    path = f"/email/v2/email/status/{msg_id}" if version == 2 else f"/api/v1/email/status/{msg_id}"
    status = shop.api.call("GET", path, headers=auth).json_body
    data = status["data"]
    assert status["status"] is True and data["email"] == "open@example.com" and data["status"] == "opened"
    assert data["message_body"] == "<h1>Halo</h1><p>Pesanan Anda sudah dikirim.</p>"
    assert data["msgid" if version == 2 else "msg_id"] == msg_id
    if version == 2:
        assert data["attachment"] is False and data["source"] == "api"
        assert [h["status"] for h in data["history"]] == ["accepted", "accepted", "delivered", "opened"]
    history_path = "/email/v2/email/history" if version == 2 else "/api/v1/email/history"
    row = shop.api.call("GET", history_path, headers=auth).json_body[0]
    assert row["msgid" if version == 2 else "msg_id"] == msg_id and row["status"] == "opened"


def test_email_as_multipart_form_with_attachment(shop):
    boundary = "kirimboundary"
    parts = [("email", "budi@example.com"), ("message", HTML), ("sender_email", shop.sender_email),
             ("sender_name", "Toko"), ("subject", "Faktur")]
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in parts)
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="faktur.pdf"\r\n'
             f"Content-Type: application/pdf\r\n\r\n").encode() + b"%PDF-1.4 binary\x00\xff" + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    sent = shop.api.call("POST", "/email/v2/send-single", raw=body,
                         headers={**shop.v2("email"), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert sent.status_code == 200, sent.json_body
    from chalicelib.messages.models import Message
    message = Message.get(sent.json_body["msg_id"])
    assert message.details.as_dict()["attachment"] == "faktur.pdf"


@pytest.mark.parametrize("version", [1, 2])
def test_ivr_call_list_and_status(shop, worker, version):
    auth = shop.v2("ivr") if version == 2 else shop.v1()
    listed = shop.api.call("GET", "/call/v2/ivr-list" if version == 2 else "/api/v1/ivr-list", headers=auth)
    assert listed.json_body == [{"ivr_id": shop.ivr_id, "ivr_name": "Order", "required_variable": ["name", "order"],
                                 "created_at": listed.json_body[0]["created_at"], "deleted_at": None}]
    sent = shop.api.call("POST", "/call/v2/call" if version == 2 else "/api/v1/call", call_body(shop), auth)
    # OCA's table says call_id; its example puts the id under to_number: both are there.
    assert sent.status_code == 200 and sent.json_body == {"success": True, "call_id": sent.json_body["call_id"],
                                                         "to_number": sent.json_body["call_id"]}
    drain(worker)
    call_id = sent.json_body["call_id"]
    path = f"/call/v2/call-status/{call_id}" if version == 2 else f"/api/v1/call-status/{call_id}"
    status = shop.api.call("GET", path, headers=auth).json_body
    assert status["status"] == "answered" and status["call_id"] == call_id
    assert status["from_number"] == "+622150001234" and status["to_number"] == "+6281234567890"
    assert status["ivr_id"] == shop.ivr_id and status["application_id"] == shop.app_id
    assert set(status) >= {"call_start", "call_answer", "call_end", "duration", "talk_duration", "tta",
                           "hangup_cause", "result"}
    # The simulator runs on a stopped clock here: every time is the same instant, in whole seconds.
    assert status["tta"] == status["talk_duration"] == status["duration"] == 0 and status["result"] == []


def test_whatsapp_send_and_status(shop, worker):
    sent = shop.api.call("POST", "/api/v2/push/message", shop.fill(whatsapp_body()), shop.v2("whatsapp"))
    assert sent.status_code == 200 and sent.json_body["success"] is True
    drain(worker)
    status = shop.api.call("GET", f"/api/v2/message/status/{sent.json_body['msgid']}",
                           headers=shop.v2("whatsapp")).json_body
    # The path a public client calls answers the same.
    assert shop.api.call("GET", f"/api/v2/message/{sent.json_body['msgid']}/status",
                         headers=shop.v2("whatsapp")).json_body == status
    assert status["data"]["status"] == "read"
    assert [h["provider_status"] for h in status["data"]["history_status"]] == ["ACCEPTED", "sent", "delivered",
                                                                                  "read"]


def test_a_token_of_one_channel_cannot_send_on_another(shop):
    for route, body in (("/sms/v2/sms", sms_body()), ("/email/v2/send-single", email_body()),
                        ("/api/v2/push/message", shop.fill(whatsapp_body()))):
        assert_oca_error(shop.api.call("POST", route, body, shop.v2("ivr")), 401, TOKEN_INVALID)


# Magic targets of the simulator: each channel's outcomes (docs/channel-api.md lists them).
@pytest.mark.parametrize("channel,route,body,expected", [
    ("sms", "/sms/v2/sms", sms_body("081200000001"), "Failed"),
    ("sms", "/sms/v2/sms", sms_body("081200000002"), "Submitted"),
    ("sms", "/sms/v2/sms", sms_body("081200000003"), "Sent"),
    ("sms", "/sms/v2/sms", sms_body("081200000004"), "Failed"),
    ("sms", "/sms/v2/sms", sms_body("081200000006"), "Delivered"),
    ("sms_otp", "/sms/v2/send-otp", otp_body("081200000004"), "Undelivered"),
    ("sms_otp", "/sms/v2/send-otp", otp_body("081200000001"), "Failed"),
    ("email", "/email/v2/send-single", email_body("bounce@example.com"), "Failed by mail server"),
    ("email", "/email/v2/send-single", email_body("complaint@example.com"), "Failed by mail server"),
    ("email", "/email/v2/send-single", email_body("renderfail@example.com"), "Failed"),
    ("email", "/email/v2/send-single", email_body("delay@example.com"), "Accepted"),
    ("email", "/email/v2/send-single", email_body("click@example.com"), "Clicked"),
    ("email", "/email/v2/send-single", email_body("budi@example.com"), "Delivered"),
    ("whatsapp", "/api/v2/push/message", whatsapp_body("081200000001"), "Rejected"),
    ("whatsapp", "/api/v2/push/message", whatsapp_body("081200000002"), "Failed"),
    ("whatsapp", "/api/v2/push/message", whatsapp_body("081200000003"), "Submitted"),
    ("whatsapp", "/api/v2/push/message", whatsapp_body("081200000004"), "Delivered"),
    ("whatsapp", "/api/v2/push/message", whatsapp_body("081200000006"), "Read"),
])
def test_simulator_outcomes(shop, worker, channel, route, body, expected):
    sent = shop.api.call("POST", route, shop.fill(body), shop.v2(channel))
    assert sent.status_code == 200, sent.json_body
    msg_id = next(v for k, v in sent.json_body.items() if k in ("msg_uid", "msg_id", "msgid"))
    drain(worker)
    from chalicelib.messages.models import Message
    assert Message.get(msg_id).status == expected
    counted, actual = recount(shop.app_id, channel)
    assert counted == actual


@pytest.mark.parametrize("to,expected", [("+6281200000001", "RNA"), ("+6281200000002", "RNA"),
                                         ("+6281200000003", "Failed"), ("+6281200000004", "In Call")])
def test_simulator_ivr_outcomes(shop, worker, to, expected):
    sent = shop.api.call("POST", "/call/v2/call", call_body(shop, to), shop.v2("ivr"))
    drain(worker)
    status = shop.api.call("GET", f"/call/v2/call-status/{sent.json_body['call_id']}", headers=shop.v2("ivr"))
    assert status.json_body["status"] == {"RNA": "failed", "Failed": "failed", "In Call": "submitted"}[expected]
    from chalicelib.messages.models import Message
    assert Message.get(sent.json_body["call_id"]).status == expected


@pytest.mark.parametrize("channel,route,body", [
    ("sms", "/sms/v2/sms", sms_body("081200000000")),
    ("email", "/email/v2/send-single", email_body("reject@example.com")),
    ("whatsapp", "/api/v2/push/message", whatsapp_body("081200000000")),
])
def test_an_outright_provider_rejection_ends_failed_and_refunds(shop, channel, route, body):
    before = shop.quota(channel)
    sent = shop.api.call("POST", route, shop.fill(body), shop.v2(channel))
    assert sent.status_code == 200
    msg_id = next(v for k, v in sent.json_body.items() if k in ("msg_uid", "msg_id", "msgid"))
    from chalicelib.messages.models import Message
    message = Message.get(msg_id)
    assert message.status == "Failed" and message.history[-1]["provider_status"] == "SIMULATED_REJECT"
    assert shop.quota(channel) == before
    counted, actual = recount(shop.app_id, channel)
    assert counted == actual


def test_a_provider_timeout_keeps_the_message_pending_and_retries(shop, worker, monkeypatch):
    """The simulator's timeout: no clear answer, so the message is "unsure"; the dispatch worker
    asks the simulator first (it does not have it), then sends it, and its events follow."""
    from chalicelib.messages.models import Message
    from chalicelib.sending import dispatch
    monkeypatch.setattr(dispatch, "UNSURE_WAIT", 0)   # the queue's delay, not the test's business
    before = shop.quota("sms")
    sent = shop.api.call("POST", "/sms/v2/sms", sms_body("081200000005"), shop.v2("sms"))
    msg_id = sent.json_body["msg_uid"]
    assert (Message.get(msg_id).status, Message.get(msg_id).dispatch) == ("Submitted", "unsure")  # pending, not lost
    assert shop.quota("sms") == before - 1
    drain(worker)
    message = Message.get(msg_id)
    assert (message.status, message.dispatch, message.attempts) == ("Delivered", "done", 2)
    assert shop.quota("sms") == before - 1


def test_quota_short_is_v2_code_5_and_nothing_is_stored(api):
    from tests.conftest import Shop, set_quota
    shop = Shop(api)
    set_quota(shop.app_id, "sms", 1)
    two_segments = "x" * 200
    # V2 says "low-balance" (code 5); V1 says "Your Quota Is not Enough" (55); both 401 (OCA's tables).
    assert_oca_error(shop.api.call("POST", "/sms/v2/sms", sms_body(message=two_segments), shop.v2("sms")), 401,
                     BALANCE_LOW)
    assert_oca_error(shop.api.call("POST", "/api/v1/sms", sms_body(message=two_segments), shop.v1()), 401,
                     QUOTA_LOW)
    assert shop.quota("sms") == 1
    assert shop.api.call("GET", "/sms/v2/sms/history", headers=shop.v2("sms")).json_body == []


BAD_INPUTS = [
    ("sms", "/sms/v2/sms", {"phone": "0812", "message": "x"}, "phone"),
    ("sms", "/sms/v2/sms", {"phone": "not a number", "message": "x"}, "phone"),
    ("sms", "/sms/v2/sms", {"message": "x"}, "phone"),
    ("sms", "/sms/v2/sms", {"phone": "081234567890", "message": ""}, "message"),
    ("sms", "/sms/v2/sms", {"phone": "081234567890", "message": "x" * 1600}, "message"),
    ("sms", "/sms/v2/sms", {"phone": 81234567890, "message": "x"}, "phone"),
    ("sms_otp", "/sms/v2/send-otp", otp_body(sender_id="UNKNOWN"), "sender_id"),
    ("sms_otp", "/sms/v2/send-otp", {**otp_body(), "recipient_number": "12"}, "recipient_number"),
    ("sms_otp", "/sms/v2/send-otp", {**otp_body(), "message_body": None}, "message_body"),
    ("email", "/email/v2/send-single", {**email_body(), "email": "budi@"}, "email"),
    ("email", "/email/v2/send-single", {**email_body(), "message": ""}, "message"),
    ("email", "/email/v2/send-single", {**email_body(), "sender_email": "x"}, "sender_email"),
    ("email", "/email/v2/send-single", {**email_body(), "subject": "a\r\nBcc: x@y.z"}, "subject"),
    ("email", "/email/v2/send-single",
     {**email_body(), "message": base64.b64encode(b"x" * (1024 * 1024 + 1)).decode()}, "message"),
    ("email", "/email/v2/send-single",
     {**email_body(), "attachment": {"filename": "run.exe", "content": "eHg="}}, "attachment.filename"),
    ("whatsapp", "/api/v2/push/message", {**whatsapp_body(), "phone_number": "abc"}, "phone_number"),
    ("whatsapp", "/api/v2/push/message", {"phone_number": "081234567890", "message": {"type": "text"}},
     "message.type"),
]


@pytest.mark.parametrize("channel,route,body,field", BAD_INPUTS)
def test_bad_inputs_are_406_with_the_field_named(shop, channel, route, body, field):
    before = shop.quota(channel)
    assert_oca_error(shop.api.call("POST", route, shop.fill(body), shop.v2(channel)), 406, BAD_PARAMETER, field)
    assert shop.quota(channel) == before


def test_ivr_bad_inputs(shop):
    cases = [({**call_body(shop), "ivr_id": "01NOPE"}, "ivr_id"),
             ({**call_body(shop), "variable": {"name": "Budi"}}, "variable.order"),
             ({**call_body(shop), "variable": "x"}, "variable"),
             ({**call_body(shop), "to_number": "+1"}, "to_number"),
             ({**call_body(shop), "from_number": None}, "from_number")]
    for body, field in cases:
        assert_oca_error(shop.api.call("POST", "/call/v2/call", body, shop.v2("ivr")), 406, BAD_PARAMETER, field)


def test_oversized_send_body_is_413(shop, monkeypatch):
    from chalicelib.core import config
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    config.get_settings.cache_clear()
    try:
        big = {**email_body(), "message": base64.b64encode(b"x" * 4000).decode()}
        assert_oca_error(shop.api.call("POST", "/email/v2/send-single", big, shop.v2("email")), 413,
                         BAD_PARAMETER, "body")
    finally:
        monkeypatch.delenv("MAX_BODY_BYTES")
        config.get_settings.cache_clear()


def test_history_pages_newest_first_with_opaque_cursors_in_headers(api):
    from tests.conftest import Shop
    shop = Shop(api)
    sent = [shop.api.call("POST", "/sms/v2/sms", sms_body(message=f"m{i}"), shop.v2("sms")).json_body["msg_uid"]
            for i in range(5)]
    seen, cursor, links = [], None, []
    while True:
        path = "/sms/v2/sms/history?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = shop.api.call("GET", path, headers=shop.v2("sms"))
        assert isinstance(page.json_body, list) and len(page.json_body) <= 2
        seen += [row["msgid"] for row in page.json_body]
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            assert "Link" not in page.headers
            break
        links.append(page.headers["Link"])
        assert page.headers["Link"] == f'<?limit=2&cursor={cursor}>; rel="next"'
    assert seen == list(reversed(sent)) and links
    # V1 walks the same listing; a cursor is bound to it and cannot be forged.
    first = shop.api.call("GET", "/api/v1/sms?limit=2", headers=shop.v1())
    assert [row["msg_uid"] for row in first.json_body] == seen[:2]
    email_cursor_reuse = shop.api.call("GET", f"/email/v2/email/history?cursor={first.headers['X-Next-Cursor']}",
                                       headers=shop.v2("email"))
    assert_oca_error(email_cursor_reuse, 406, BAD_PARAMETER, "cursor")
    assert email_cursor_reuse.json_body["errors"][0]["message"][0]["location"] == "query"
    token = first.headers["X-Next-Cursor"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert_oca_error(shop.api.call("GET", f"/sms/v2/sms/history?cursor={tampered}", headers=shop.v2("sms")), 406,
                     BAD_PARAMETER, "cursor")
    for limit in ("0", "201", "x", "²"):
        refused = shop.api.call("GET", f"/sms/v2/sms/history?limit={limit}", headers=shop.v2("sms"))
        assert_oca_error(refused, 406, BAD_PARAMETER, "limit")
        assert refused.json_body["errors"][0]["message"][0] == {
            "value": limit, "msg": "limit must be a whole number from 1 to 200", "param": "limit", "location": "query"}
