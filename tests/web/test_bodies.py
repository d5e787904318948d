"""Bodies Kirim refuses before any route reads them, on the dashboard and on OCA's routes alike:
too deep to parse safely, strings that are not Unicode text, and types no client means."""
from __future__ import annotations

import json

import pytest

from chalicelib.core.errors import BAD_PARAMETER
from tests.conftest import assert_dashboard_error, assert_oca_error
from tests.sends import email_body, sms_body


def _nested(depth: int) -> bytes:
    return ('{"a":' + "[" * depth + "1" + "]" * depth + "}").encode()


@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_406_naming_the_body(api, shop, depth):
    # 1,000 levels made json.loads raise RecursionError: a 500.
    assert_dashboard_error(api.call("POST", "/applications", raw=_nested(depth), headers=shop.session), 406,
                           BAD_PARAMETER, "body")
    response = api.call("POST", "/sms/v2/sms", raw=_nested(depth), headers=shop.v2("sms"))
    assert_oca_error(response, 406, BAD_PARAMETER, "body")


def test_nesting_within_the_bound_is_read(api, shop):
    body = {**sms_body(), "extra": json.loads(_nested(20))}
    assert api.call("POST", "/sms/v2/sms", body, shop.v2("sms")).status_code == 200


LONE = "\ud800"


@pytest.mark.parametrize("path,body,field", [
    ("/applications", {"name": f"Toko {LONE}", "channels": ["sms"]}, "name"),
    ("/auth/register", {"email": f"budi{LONE}@example.com", "password": "a long password", "name": "Budi"}, "email"),
    ("/auth/register", {"email": "budi@example.com", "password": "a long password", "name": LONE}, "name"),
])
def test_a_lone_surrogate_on_the_dashboard_is_406_naming_the_field(api, shop, path, body, field):
    raw = json.dumps(body).encode()  # json.dumps writes "\ud800" as the escape a client would send
    assert b"\\ud800" in raw
    assert_dashboard_error(api.call("POST", path, raw=raw, headers=shop.session), 406, BAD_PARAMETER, field)


def test_a_lone_surrogate_in_an_ivr_script_or_an_email_send_is_406_naming_the_field(api, shop):
    script = json.dumps({"name": "Order", "script": f"Halo {LONE} {{{{name}}}}"}).encode()
    assert_dashboard_error(api.call("POST", f"/applications/{shop.app_id}/ivr", raw=script, headers=shop.session),
                           406, BAD_PARAMETER, "script")
    for field in ("email", "subject", "sender_name", "sender_email"):
        raw = json.dumps({**email_body(), field: f"x{LONE}@example.com"}).encode()
        response = api.call("POST", "/email/v2/send-single", raw=raw, headers=shop.v2("email"))
        assert_oca_error(response, 406, BAD_PARAMETER, field)
    # Nested: the path names where it is.
    push = json.dumps({"phone_number": "081234567890", "message": {"type": "template", "template": {
        "template_code_id": "utility:order_update",
        "payload": [{"position": "body", "parameters": [{"type": "text", "text": LONE}]}]}}}).encode()
    response = api.call("POST", "/api/v2/push/message", raw=push, headers=shop.v2("whatsapp"))
    assert_oca_error(response, 406, BAD_PARAMETER, "message.template.payload[0].parameters[0].text")


def test_a_content_type_no_client_means_is_415_on_channel_routes(shop):
    response = shop.api.call("POST", "/sms/v2/sms", raw=b"<sms/>", headers={**shop.v2("sms"),
                                                                           "Content-Type": "application/xml"})
    assert_oca_error(response, 415, BAD_PARAMETER, "Content-Type")
    assert response.json_body["errors"][0]["message"][0]["location"] == "headers"


def test_json_labelled_text_plain_is_read(shop):
    # fetch() with a string body and no headers sends text/plain (no CORS preflight): still JSON.
    response = shop.api.call("POST", "/sms/v2/sms", raw=json.dumps(sms_body()).encode(),
                             headers={**shop.v2("sms"), "Content-Type": "text/plain;charset=UTF-8"})
    assert response.status_code == 200, response.body
