"""OCA's routes as public OCA clients call them, written the way each client writes its request:
PHP's http_build_query and curl, jQuery's $.ajax (urlencoded, bracket keys), a Laravel email client,
a Dart client's status path, bare and Bearer tokens, every way Indonesians write a number, OCA's
category template codes, Meta-style button entries and the client libraries' nested ones, empty parameter
lists and media captions."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from chalicelib.core.errors import BAD_PARAMETER
from chalicelib.messages.models import Message
from tests.conftest import approved_template, assert_oca_error, drain
from tests.sends import sms_body, whatsapp_body

FORM = "application/x-www-form-urlencoded"
JQUERY_FORM = "application/x-www-form-urlencoded; charset=UTF-8"

DOCUMENT_TEMPLATE = {
    "name": "invoice_doc", "language": "id", "category": "UTILITY", "accept_terms": True,
    "header": {"format": "DOCUMENT", "media_url": "https://kirim.dev/contoh.pdf"},
    "body": {"text": "Halo {{1}}, faktur Anda terlampir.", "examples": ["Budi"]},
    "buttons": [{"type": "URL", "text": "Lihat", "url": "https://kirim.dev/f/{{1}}",
                 "example": "https://kirim.dev/f/INV-7"},
                {"type": "QUICK_REPLY", "text": "Berhenti"}]}


def form_encode(data, style: str = "php") -> str:
    """Nested data as bracket keys. PHP's http_build_query indexes every list item (a[0]=x) and writes
    true/false as 1/0; jQuery's $.param (traditional=false) writes lists of scalars as a[]=x."""
    pairs: list[tuple[str, str]] = []

    def walk(value, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}[{k}]" if key else str(k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{key}[{'' if style == 'jquery' and not isinstance(v, (dict, list)) else i}]")
        elif style == "php" and isinstance(value, bool):
            pairs.append((key, "1" if value else "0"))
        else:
            pairs.append((key, str(value)))

    walk(data, "")
    return urlencode(pairs)


def php_http_build_query(data) -> str:
    return form_encode(data, "php")


def jquery_param(data) -> str:
    return form_encode(data, "jquery")


def _msg_id(answer) -> str:
    return next(v for k, v in answer.json_body.items() if k in ("msg_uid", "msg_id", "msgid", "call_id"))


def test_jquery_ajax_push_message_as_a_form_from_a_web_page(shop):
    """A hospital's page: $.ajax({type: "POST", data: {...}, headers: {Authorization: "Bearer " + token}}),
    no contentType, so jQuery sends the nested object urlencoded, from another origin."""
    body = jquery_param(shop.fill(whatsapp_body("081234567890")))
    assert "message%5Btemplate%5D%5Bpayload%5D%5B0%5D%5Bposition%5D=body" in body
    headers = {**shop.v2("whatsapp"), "Content-Type": JQUERY_FORM, "Origin": "https://rsud.example"}
    sent = shop.api.call("POST", "/api/v2/push/message", raw=body.encode(), headers=headers)
    assert sent.status_code == 200, sent.body
    assert sent.json_body == {"msgid": sent.json_body["msgid"], "success": True}
    assert sent.headers["Access-Control-Allow-Origin"] == "*"
    assert Message.get(sent.json_body["msgid"]).target == "+6281234567890"


def test_php_http_build_query_sms_and_push(shop):
    sent = shop.api.call("POST", "/sms/v2/sms", raw=php_http_build_query(sms_body("6281234567890")).encode(),
                         headers={**shop.v2("sms"), "Content-Type": FORM})
    assert sent.status_code == 200 and sent.json_body["status"] == "sent"
    push = php_http_build_query(shop.fill(whatsapp_body("+6281234567890")))
    assert "message%5Btemplate%5D%5Bpayload%5D%5B0%5D%5Bparameters%5D%5B0%5D%5Btext%5D=Budi" in push
    sent = shop.api.call("POST", "/api/v2/push/message", raw=push.encode(),
                         headers={**shop.v2("whatsapp"), "Content-Type": FORM})
    assert sent.status_code == 200, sent.body


def test_php_curl_json_string_without_a_content_type_header(shop):
    """curl_setopt($ch, CURLOPT_POSTFIELDS, '{"phone_number": ...}') with no Content-Type header: curl
    labels it urlencoded; the body is a JSON object, and is read as one."""
    raw = json.dumps(shop.fill(whatsapp_body("6281234567890"))).encode()
    sent = shop.api.call("POST", "/api/v2/push/message", raw=raw, headers={**shop.v2("whatsapp"), "Content-Type": FORM})
    assert sent.status_code == 200, sent.body


def test_php_curl_array_postfields_is_multipart(shop):
    """curl_setopt($ch, CURLOPT_POSTFIELDS, ['phone' => ..., 'message' => ...]) sends multipart."""
    boundary = "------------------------d74496d66958873e"
    parts = [("phone", "081234567890"), ("message", "Halo dari PHP")]
    raw = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                   for k, v in parts) + f"--{boundary}--\r\n".encode()
    sent = shop.api.call("POST", "/api/v1/sms", raw=raw,
                         headers={**shop.v1(), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert sent.status_code == 200, sent.body
    assert Message.get(sent.json_body["msg_uid"]).details.as_dict()["message_body"] == "Halo dari PHP"


def test_a_file_on_a_route_that_takes_none_is_named(shop):
    boundary = "b0undary"
    raw = (f'--{boundary}\r\nContent-Disposition: form-data; name="phone"\r\n\r\n081234567890\r\n'
           f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n\r\nJPEG\r\n'
           f"--{boundary}--\r\n").encode()
    response = shop.api.call("POST", "/sms/v2/sms", raw=raw,
                             headers={**shop.v2("sms"), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert_oca_error(response, 406, BAD_PARAMETER, "photo")


def test_laravel_email_client_sends_plain_text_as_message(shop):
    """Http::withHeaders(['Authorization' => 'Basic ...', 'Content-Type' => 'application/json'])
    ->post('.../api/v1/send-single', ['message' => Str::random(5), ...]): not base64, sent as written."""
    body = {"email": "budi@example.com", "message": "aB3xZ", "sender_email": shop.sender_email,
            "sender_name": "panderma-plus", "subject": "email verification"}
    sent = shop.api.call("POST", "/api/v1/send-single", body, shop.v1())
    assert sent.status_code == 200, sent.body
    assert Message.get(sent.json_body["msg_uid"]).details.as_dict()["message_body"] == "aB3xZ"
    html = '<a href="https://kirim.dev/verify/7">Klik untuk verifikasi</a>'
    sent = shop.api.call("POST", "/email/v2/send-single", {**body, "message": html}, shop.v2("email"))
    assert Message.get(sent.json_body["msg_id"]).details.as_dict()["message_body"] == html


@pytest.mark.parametrize("written", ["081234567890", "6281234567890", "+6281234567890", "0812-3456-7890"])
@pytest.mark.parametrize("bare", [True, False])
def test_every_indonesian_form_and_both_token_forms(shop, written, bare):
    sent = shop.api.call("POST", "/sms/v2/sms", sms_body(written), shop.v2("sms", bare=bare))
    assert sent.status_code == 200, sent.body
    assert Message.get(sent.json_body["msg_uid"]).target == "+6281234567890"


def test_ocas_own_invalid_country_code_example_answers_ocas_exact_body(shop):
    response = shop.api.call("POST", "/sms/v2/sms", sms_body("89694353628"), shop.v2("sms"))
    assert response.status_code == 406
    assert response.json_body == {"errors": [{"message": [{"value": "89694353628", "msg": "Invalid country code",
                                                            "param": "phone", "location": "body"}], "code": "39"}]}


def test_marketing_category_code_with_meta_buttons_empty_parameters_and_a_captioned_document(shop, api):
    approved_template(api, shop.session, shop.app_id, DOCUMENT_TEMPLATE)
    body = {"phone_number": "081234567890", "message": {"type": "template", "template": {
        "template_code_id": "utility:invoice_doc",
        "payload": [
            {"position": "header", "parameters": [{"type": "document", "document": {
                "url": "https://kirim.dev/f/INV-7.pdf", "caption": "Faktur INV-7", "filename": "INV-7.pdf"}}]},
            {"position": "body", "parameters": [{"type": "text", "text": "Budi"}]},
            {"position": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "INV-7"}]},
            {"position": "button", "sub_type": "quick_reply", "index": "1", "parameters": []}]}}}
    sent = shop.api.call("POST", "/api/v2/push/message", body, shop.v2("whatsapp"))
    assert sent.status_code == 200, sent.body
    # The same as PHP would write it.
    sent = shop.api.call("POST", "/api/v2/push/message", raw=php_http_build_query(body).encode(),
                         headers={**shop.v2("whatsapp"), "Content-Type": FORM})
    assert sent.status_code == 200, sent.body
    wrong = json.loads(json.dumps(body))
    wrong["message"]["template"]["payload"][2]["sub_type"] = "copy_code"
    assert_oca_error(shop.api.call("POST", "/api/v2/push/message", wrong, shop.v2("whatsapp")), 406, BAD_PARAMETER,
                     "message.template.payload[2].sub_type")


def _link_template(name: str) -> dict:
    return {"name": name, "language": "id", "category": "UTILITY", "accept_terms": True,
            "body": {"text": "Halo {{1}}, pesanan Anda siap.", "examples": ["Budi"]},
            "buttons": [{"type": "URL", "text": "Lacak", "url": "https://kirim.dev/o/{{1}}",
                         "example": "https://kirim.dev/o/abc123"}]}


def _delivered(shop, worker, phone: str) -> dict:
    """Meta's template as the simulator received it (the test inbox of the local stage)."""
    drain(worker)
    items = shop.api.call("GET", f"/simulator/messages?to={phone}", headers=shop.session).json_body["items"]
    return items[0]["body"]["template"]


@pytest.mark.parametrize("library, index, phone", [
    ("typescript", "0", "081277770001"),  # the TypeScript client's example: index "0"
    ("go", 0, "081277770002"),            # a client whose index is a number
])
def test_oca_client_libraries_nest_the_url_buttons_parameter(shop, api, worker, library, index, phone):
    """The public OCA client libraries (Go, TypeScript) put Meta's button object inside the button entry's
    parameters, its own parameters giving the URL's suffix. It sends exactly what the button entry Kirim took
    before sends: the provider gets the URL button with abc123."""
    approved_template(api, shop.session, shop.app_id, _link_template(f"order_link_{library}"))
    nested = {"phone_number": phone, "message": {"type": "template", "template": {
        "template_code_id": f"utility:order_link_{library}",
        "payload": [{"position": "body", "parameters": [{"type": "text", "text": "Budi"}]},
                    {"position": "button", "parameters": [
                        {"sub_type": "url", "index": index, "parameters": [{"type": "text", "text": "abc123"}]}]}]}}}
    sent = shop.api.call("POST", "/api/v2/push/message", nested, shop.v2("whatsapp"))
    assert sent.status_code == 200, sent.body
    assert sent.json_body == {"msgid": sent.json_body["msgid"], "success": True}
    template = _delivered(shop, worker, phone)
    assert template["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Budi"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "abc123"}]}]
    # The same as the form Kirim accepted before, and as PHP's http_build_query would write it.
    flat = json.loads(json.dumps(nested))
    flat["message"]["template"]["payload"][1] = {"position": "button", "sub_type": "url", "index": index,
                                                 "parameters": [{"type": "text", "text": "abc123"}]}
    flat["phone_number"] = phone[:-1] + "9"
    assert shop.api.call("POST", "/api/v2/push/message", flat, shop.v2("whatsapp")).status_code == 200
    assert _delivered(shop, worker, flat["phone_number"]) == template
    form = shop.api.call("POST", "/api/v2/push/message", raw=php_http_build_query(nested).encode(),
                         headers={**shop.v2("whatsapp"), "Content-Type": FORM})
    assert form.status_code == 200, form.body
    # Malformed inner lists are named, to the field.
    button = nested["message"]["template"]["payload"][1]["parameters"][0]
    at = "message.template.payload[1].parameters[0]"
    for change, field in (({"parameters": []}, f"{at}.parameters"),
                          ({"parameters": [{"type": "text", "text": "abc"}, {"type": "text", "text": "d"}]},
                           f"{at}.parameters"),
                          ({"parameters": [{"text": "abc123"}]}, f"{at}.parameters[0].type"),
                          ({"index": "3"}, f"{at}.index"), ({"index": 10}, f"{at}.index")):
        wrong = json.loads(json.dumps(nested))
        wrong["message"]["template"]["payload"][1]["parameters"][0] = {**button, **change}
        assert_oca_error(shop.api.call("POST", "/api/v2/push/message", wrong, shop.v2("whatsapp")), 406,
                         BAD_PARAMETER, field)


def test_the_dart_clients_status_path(shop, worker):
    sent = shop.api.call("POST", "/api/v2/push/message", shop.fill(whatsapp_body()), shop.v2("whatsapp"))
    status = shop.api.call("GET", f"/api/v2/message/{sent.json_body['msgid']}/status", headers=shop.v2("whatsapp"))
    assert status.status_code == 200 and status.json_body["status"] is True
    assert status.json_body["data"]["msgid"] == sent.json_body["msgid"]


def _preflight(shop, path: str, **headers: str) -> dict:
    """A browser's preflight, answered by the gateway (chalice's local one here; API Gateway's OPTIONS
    method on AWS) without calling the app. The test client cannot read its empty body: ask the gateway."""
    return shop.api.client.http._local_gateway.handle_request(method="OPTIONS", path=path, headers=headers, body=b"")


def test_browsers_get_cors_on_channel_routes_and_never_on_the_dashboard(shop):
    preflight = _preflight(shop, "/api/v2/push/message", origin="https://rsud.example",
                           **{"access-control-request-method": "POST",
                              "access-control-request-headers": "authorization,content-type"})
    assert preflight["statusCode"] == 200
    assert preflight["headers"]["Access-Control-Allow-Origin"] == "*"
    allowed = {h.strip().lower() for h in preflight["headers"]["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in preflight["headers"]["Access-Control-Allow-Methods"]
    # Errors carry it too, so a page can read OCA's error body.
    refused = shop.api.call("POST", "/sms/v2/sms", {"phone": "1"}, {**shop.v2("sms"), "Origin": "https://x.example"})
    assert refused.status_code == 406 and refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Remaining" in refused.headers["Access-Control-Expose-Headers"]
    unauthorised = shop.api.call("GET", "/sms/v2/number", headers={"Origin": "https://x.example"})
    assert unauthorised.status_code == 401 and unauthorised.headers["Access-Control-Allow-Origin"] == "*"
    dashboard = shop.api.call("GET", "/applications", headers={**shop.session, "Origin": "https://x.example"})
    assert not any(name.lower().startswith("access-control-") for name in dashboard.headers)
    dashboard_preflight = _preflight(shop, "/applications", origin="https://x.example",
                                     **{"access-control-request-method": "POST"})
    assert "Access-Control-Allow-Origin" not in dashboard_preflight["headers"]


def test_rate_limit_headers_carry_ocas_misspelt_name_too(shop):
    answer = shop.api.call("GET", "/sms/v2/number", headers=shop.v2("sms_otp"))
    assert answer.headers["X-RateLmit-Remaining"] == answer.headers["X-RateLimit-Remaining"]
