"""WhatsApp templates end to end: drafts, Meta's rules on submit, review through the simulator
and through a fake Meta (with signed and forged webhooks), preview, and sending by template."""
from __future__ import annotations

import re

import pytest

from chalicelib.core.errors import BAD_PARAMETER, CONFLICT, NOT_FOUND, TEMPLATE_NOT_FOUND
from tests.conftest import ORDER_TEMPLATE, Shop, assert_oca_error, drain
from tests.fakes.meta_server import FakeMeta, signed_webhook, template_review_webhook

BASE = "/applications/{}/whatsapp/templates"


def _templates(shop: Shop, suffix: str = "") -> str:
    return BASE.format(shop.app_id) + suffix


def _send(shop: Shop, code: str, payload=None):
    body = {"phone_number": "081234567890", "message": {"type": "template", "template": {
        "template_code_id": code,
        "payload": payload if payload is not None else [
            {"position": "body", "parameters": [{"type": "text", "text": "Budi"}]}]}}}
    return shop.api.call("POST", "/api/v2/push/message", body, shop.v2("whatsapp"))


def test_life_cycle_through_the_simulator(shop, worker):
    api, session = shop.api, shop.session
    draft = api.call("POST", _templates(shop), {"name": "promo_november", "language": "id"}, session)
    assert draft.status_code == 201
    body = draft.json_body
    assert body["status"] == "DRAFT" and body["body"] is None
    assert re.fullmatch(r"[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}:promo_november",
                        body["template_code_id"])
    assert body["template_code_id"].split(":")[0].replace("_", "-") == body["template_id"]
    template_id = body["template_id"]
    # An incomplete draft cannot be submitted; each missing piece is named.
    assert_oca_error(api.call("POST", _templates(shop, f"/{template_id}/submit"), {"accept_terms": True}, session),
                     406, BAD_PARAMETER, "category")
    patched = api.call("PATCH", _templates(shop, f"/{template_id}"),
                       {"category": "MARKETING", "body": {"text": "Diskon {{1}} untuk Anda!", "examples": ["50%"]}},
                       session)
    assert patched.status_code == 200 and patched.json_body["status"] == "DRAFT"
    assert_oca_error(api.call("POST", _templates(shop, f"/{template_id}/submit"), None, session), 406,
                     BAD_PARAMETER, "accept_terms")
    # A draft cannot be sent.
    assert_oca_error(_send(shop, body["template_code_id"], [
        {"position": "body", "parameters": [{"type": "text", "text": "50%"}]}]), 406, TEMPLATE_NOT_FOUND)
    submitted = api.call("POST", _templates(shop, f"/{template_id}/submit"), {"accept_terms": True}, session)
    assert submitted.status_code == 200 and submitted.json_body["status"] == "SUBMITTED"
    assert submitted.json_body["components"][0] == {"type": "BODY", "text": "Diskon {{1}} untuk Anda!",
                                                    "example": {"body_text": [["50%"]]}}
    assert_oca_error(api.call("PATCH", _templates(shop, f"/{template_id}"), {"footer": {"text": "x"}}, session),
                     409, CONFLICT)
    drain(worker)
    got = api.call("GET", _templates(shop, f"/{template_id}"), headers=session).json_body
    assert got["status"] == "APPROVED" and "rejection_reason" not in got
    sent = _send(shop, got["template_code_id"], [{"position": "body", "parameters": [{"type": "text", "text": "50%"}]}])
    assert sent.status_code == 200 and sent.json_body["success"] is True
    assert_oca_error(api.call("POST", _templates(shop, f"/{template_id}/submit"), {"accept_terms": True}, session),
                     409, CONFLICT)


def test_rejection_edit_and_resubmit(shop, worker):
    api, session = shop.api, shop.session
    created = api.call("POST", _templates(shop), {**ORDER_TEMPLATE, "name": "reject_me_first", "submit": True},
                       session)
    assert created.status_code == 201 and created.json_body["status"] == "SUBMITTED"
    template_id = created.json_body["template_id"]
    drain(worker)
    rejected = api.call("GET", _templates(shop, f"/{template_id}"), headers=session).json_body
    assert rejected["status"] == "REJECTED" and rejected["rejection_reason"] == "INVALID_FORMAT"
    assert_oca_error(_send(shop, rejected["template_code_id"]), 406, TEMPLATE_NOT_FOUND)
    edited = api.call("PATCH", _templates(shop, f"/{template_id}"), {"name": "approve_me_now"}, session)
    assert edited.status_code == 200 and edited.json_body["status"] == "REJECTED"
    assert edited.json_body["template_code_id"].endswith(":approve_me_now")
    resubmitted = api.call("POST", _templates(shop, f"/{template_id}/submit"), None, session)
    assert resubmitted.json_body["status"] == "SUBMITTED" and "rejection_reason" not in resubmitted.json_body
    drain(worker)
    assert api.call("GET", _templates(shop, f"/{template_id}"), headers=session).json_body["status"] == "APPROVED"
    # The old name is free again; the new one is taken.
    assert api.call("POST", _templates(shop), {"name": "reject_me_first", "language": "id"}, session).status_code == 201
    assert_oca_error(api.call("POST", _templates(shop), {"name": "approve_me_now", "language": "id"}, session), 409,
                     CONFLICT, "name")


def test_names_are_unique_per_application_and_language(shop, api):
    first = api.call("POST", _templates(shop), {"name": "hello_world", "language": "id"}, shop.session)
    assert first.status_code == 201
    assert_oca_error(api.call("POST", _templates(shop), {"name": "hello_world", "language": "id"}, shop.session),
                     409, CONFLICT, "name")
    assert api.call("POST", _templates(shop), {"name": "hello_world", "language": "en"}, shop.session).status_code == 201
    other = Shop(api)
    assert api.call("POST", _templates(other), {"name": "hello_world", "language": "id"},
                    other.session).status_code == 201
    # Deleting frees the name.
    assert api.call("DELETE", _templates(shop, f"/{first.json_body['template_id']}"),
                    headers=shop.session).status_code == 204
    assert api.call("POST", _templates(shop), {"name": "hello_world", "language": "id"}, shop.session).status_code == 201


def test_list_and_filter_by_status(shop):
    listed = shop.api.call("GET", _templates(shop, "?status=APPROVED"), headers=shop.session).json_body["items"]
    assert shop.template["template_id"] in [t["template_id"] for t in listed]
    assert all(t["status"] == "APPROVED" for t in listed)
    assert_oca_error(shop.api.call("GET", _templates(shop, "?status=NOPE"), headers=shop.session), 406,
                     BAD_PARAMETER, "status")


@pytest.mark.parametrize("body,field", [
    ({"language": "id"}, "name"),
    ({"name": "Bad Name", "language": "id"}, "name"),
    ({"name": "ok_name", "language": "xx"}, "language"),
    ({"name": "ok_name", "language": "id", "buttons": "x"}, "buttons"),
])
def test_drafts_need_a_valid_name_and_language(shop, body, field):
    assert_oca_error(shop.api.call("POST", _templates(shop), body, shop.session), 406, BAD_PARAMETER, field)


def test_submit_checks_metas_rules(shop):
    bad = {**ORDER_TEMPLATE, "name": "too_long_body", "body": {"text": "Halo {{1}} " + "x" * 1020, "examples": ["a"]},
           "submit": True}
    assert_oca_error(shop.api.call("POST", _templates(shop), bad, shop.session), 406, BAD_PARAMETER, "body.text")
    no_terms = {**ORDER_TEMPLATE, "name": "no_terms", "accept_terms": False, "submit": True}
    assert_oca_error(shop.api.call("POST", _templates(shop), no_terms, shop.session), 406, BAD_PARAMETER,
                     "accept_terms")
    # Nothing was stored by a refused create.
    names = [t["name"] for t in shop.api.call("GET", _templates(shop), headers=shop.session).json_body["items"]]
    assert "too_long_body" not in names and "no_terms" not in names


def _ten_buttons() -> list[dict]:
    return ([{"type": "QUICK_REPLY", "text": f"Pilihan {i}"} for i in range(7)]
            + [{"type": "URL", "text": "Lacak", "url": "https://kirim.dev/lacak/{{1}}",
                "example": "https://kirim.dev/lacak/INV-7"},
               {"type": "URL", "text": "Toko", "url": "https://kirim.dev"},
               {"type": "PHONE_NUMBER", "text": "Telepon", "phone_number": "+6281234567890"}])


def test_preview_of_each_category(shop):
    api, session = shop.api, shop.session
    marketing = api.call("POST", _templates(shop), {
        "name": "big_sale", "language": "id", "category": "MARKETING",
        "header": {"format": "IMAGE", "media_url": "https://kirim.dev/sale.png"},
        "body": {"text": "Halo {{1}}, diskon {{2}} hari ini.", "examples": ["Budi", "50%"]},
        "footer": {"text": "Balas STOP untuk berhenti"}, "buttons": _ten_buttons()}, session).json_body
    preview = api.call("GET", _templates(shop, f"/{marketing['template_id']}/preview?masking_name=Toko%20Kirim"),
                       headers=session).json_body
    assert preview["masking_name"] == "Toko Kirim"
    assert preview["header"]["format"] == "IMAGE" and preview["header"]["media_url"] == "https://kirim.dev/sale.png"
    assert preview["body"] == "Halo Budi, diskon 50% hari ini."
    assert preview["footer"] == "Balas STOP untuk berhenti"
    assert [b["text"] for b in preview["buttons"]] == ["Pilihan 0", "Pilihan 1", "Pilihan 2"]
    assert preview["more_buttons"] == 7
    utility = api.call("GET", _templates(shop, f"/{shop.template['template_id']}/preview?masking_name=Kirim"),
                       headers=session).json_body
    assert utility["body"] == "Halo Budi, pesanan Anda sudah dikirim." and utility["more_buttons"] == 0
    auth = api.call("POST", _templates(shop), {
        "name": "login_code", "language": "en", "category": "AUTHENTICATION",
        "authentication": {"add_security_recommendation": True, "code_expiration_minutes": 10,
                           "otp_type": "COPY_CODE"}}, session).json_body
    auth_preview = api.call("GET", _templates(shop, f"/{auth['template_id']}/preview?masking_name=Kirim"),
                            headers=session).json_body
    assert auth_preview["body"].startswith("123456 is your verification code.")
    assert "do not share this code" in auth_preview["body"]
    assert auth_preview["footer"] == "This code expires in 10 minutes."
    assert [b["type"] for b in auth_preview["buttons"]] == ["COPY_CODE"]
    assert_oca_error(api.call("GET", _templates(shop, f"/{auth['template_id']}/preview"), headers=session), 406,
                     BAD_PARAMETER, "masking_name")


def test_sending_is_refused_unless_the_template_is_approved_and_matches(shop, api):
    code = shop.whatsapp_code
    assert _send(shop, code).status_code == 200
    # Wrong name after the id, unknown id, garbage.
    assert_oca_error(_send(shop, code.split(":")[0] + ":other_name"), 406, TEMPLATE_NOT_FOUND)
    assert_oca_error(_send(shop, "00000000_0000_4000_8000_000000000000:order_update"), 406, TEMPLATE_NOT_FOUND)
    assert_oca_error(_send(shop, "nonsense"), 406, BAD_PARAMETER, "message.template.template_code_id")
    # Another application's approved template.
    other = Shop(api)
    assert_oca_error(_send(shop, other.whatsapp_code), 406, TEMPLATE_NOT_FOUND)
    # Parameters must match the template's variables by position and count.
    for payload in ([], [{"position": "body", "parameters": [{"type": "text", "text": "a"},
                                                             {"type": "text", "text": "b"}]}],
                    [{"position": "header", "parameters": [{"type": "text", "text": "a"}]}]):
        response = _send(shop, code, payload)
        assert_oca_error(response, 406, BAD_PARAMETER)
        assert response.json_body["errors"][0]["message"][0]["param"].startswith("message.template.payload")


def test_a_template_is_found_by_oca_category_form(shop, api):
    # OCA's category form names a template by its category and name, inside the token's application.
    assert _send(shop, "utility:order_update").status_code == 200
    assert _send(shop, "UTILITY:order_update").status_code == 200
    assert_oca_error(_send(shop, "marketing:order_update"), 406, TEMPLATE_NOT_FOUND)   # another category
    assert_oca_error(_send(shop, "utility:no_such_template"), 406, TEMPLATE_NOT_FOUND)
    other = Shop(api)  # its own order_update, approved: never reachable from shop's token
    assert other.whatsapp_code != shop.whatsapp_code
    from chalicelib.messages.models import Message
    sent = _send(shop, "utility:order_update").json_body["msgid"]
    assert Message.get(sent).application_id == shop.app_id


def test_another_users_templates_are_404(shop, api):
    mallory = Shop(api)
    template_id = shop.template["template_id"]
    for method, suffix, body in (("GET", "", None), ("POST", "", {"name": "x_y", "language": "id"}),
                                 ("GET", f"/{template_id}", None), ("PATCH", f"/{template_id}", {"name": "z_z"}),
                                 ("DELETE", f"/{template_id}", None), ("POST", f"/{template_id}/submit", None),
                                 ("GET", f"/{template_id}/preview?masking_name=x", None)):
        assert_oca_error(api.call(method, _templates(shop, suffix), body, mallory.session), 404, NOT_FOUND)
        # Mallory's own application does not have Shop's template either.
        if suffix:
            assert_oca_error(api.call(method, _templates(mallory, suffix), body, mallory.session), 404, NOT_FOUND)
    assert api.call("GET", _templates(shop, f"/{template_id}"), headers=shop.session).status_code == 200


@pytest.fixture
def meta(monkeypatch):
    from chalicelib.core import config
    from chalicelib.providers import registry

    with FakeMeta() as fake:
        monkeypatch.setenv("PROVIDER_WHATSAPP", "meta")
        monkeypatch.setenv("META_BASE_URL", fake.base_url)
        monkeypatch.setenv("META_ACCESS_TOKEN", fake.access_token)
        monkeypatch.setenv("META_PHONE_NUMBER_ID", "1234567890")
        monkeypatch.setenv("META_WABA_ID", "102290129340398")
        monkeypatch.setenv("META_APP_SECRET", "app-secret")
        config.get_settings.cache_clear()
        registry.reset()
        yield fake
    config.get_settings.cache_clear()
    registry.reset()


def test_life_cycle_through_meta_with_signed_reviews(shop, meta, monkeypatch):
    api, session = shop.api, shop.session
    created = api.call("POST", _templates(shop), {**ORDER_TEMPLATE, "name": "meta_reviewed", "submit": True},
                       session).json_body
    assert created["status"] == "SUBMITTED"
    [(meta_id, request)] = meta.templates.items()
    assert any(r.path.endswith("/102290129340398/message_templates") for r in meta.requests)
    assert request["name"] == "meta_reviewed" and request["category"] == "UTILITY"
    # A forged review changes nothing.
    raw, headers = signed_webhook(b"not-the-secret", template_review_webhook(meta_id, "APPROVED",
                                                                             name="meta_reviewed"))
    assert api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers).status_code == 401
    assert api.call("GET", _templates(shop, f"/{created['template_id']}"), headers=session).json_body[
        "status"] == "SUBMITTED"
    raw, headers = signed_webhook(b"app-secret", template_review_webhook(meta_id, "REJECTED", name="meta_reviewed",
                                                                         reason="PROMOTIONAL"))
    assert api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers).json_body["applied"] == 1
    rejected = api.call("GET", _templates(shop, f"/{created['template_id']}"), headers=session).json_body
    assert rejected["status"] == "REJECTED" and rejected["rejection_reason"] == "PROMOTIONAL"
    api.call("POST", _templates(shop, f"/{created['template_id']}/submit"), None, session)
    resubmitted_id = list(meta.templates)[-1]
    raw, headers = signed_webhook(b"app-secret", template_review_webhook(resubmitted_id, "APPROVED",
                                                                         name="meta_reviewed"))
    assert api.call("POST", "/webhooks/whatsapp", raw=raw, headers=headers).status_code == 200
    approved = api.call("GET", _templates(shop, f"/{created['template_id']}"), headers=session).json_body
    assert approved["status"] == "APPROVED"
    # And Meta receives the real template message built from it.
    sent = _send(shop, approved["template_code_id"])
    assert sent.status_code == 200
    assert meta.sent[-1]["template"] == {"name": "meta_reviewed", "language": {"code": "id"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "Budi"}]}]}


def test_unsaved_form_preview_uses_the_same_renderer_and_saves_nothing(api):
    from chalicelib.templates.preview import preview
    from tests.templates.test_rules import marketing

    _, session = api.user()
    app_id = api.application(session, channels=("whatsapp",))["application_id"]
    base = f"/applications/{app_id}/whatsapp/templates"
    form = marketing()
    response = api.call("POST", base + "/preview", {**form, "masking_name": "Toko Budi"}, session)
    assert response.status_code == 200 and response.json_body == preview(form, "Toko Budi")
    half_typed = api.call("POST", base + "/preview", {"category": "MARKETING", "body": {"text": "Halo {{1}"}}, session)
    assert half_typed.status_code == 200 and half_typed.json_body["masking_name"] == "Shop"
    assert half_typed.json_body["body"] == "Halo {{1}"
    assert api.call("GET", base, headers=session).json_body["items"] == []
    other_session = api.user()[1]
    assert api.call("POST", base + "/preview", form, other_session).status_code == 404
