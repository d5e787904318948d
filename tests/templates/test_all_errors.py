"""Dashboard errors for people: every fault of a template in one answer, each with its field and a
machine-readable reason (and params) the console turns into words; OCA's channel routes keep OCA's bodies."""
from __future__ import annotations

import pytest

from chalicelib.core.errors import BAD_PARAMETER, ApiError
from chalicelib.templates import rules
from tests.conftest import Shop, assert_dashboard_error

BASE = "/applications/{}/whatsapp/templates"

# A template with a fault in nearly every part: what the owner's first try looked like.
MANY_FAULTS = {
    "name": "promo_lebaran_2026", "language": "id", "category": "MARKETING",
    "header": {"format": "IMAGE", "media_url": "http://shop.example/banner.png"},
    "body": {"text": "{{1}} diskon", "examples": ["Budi"]},
    "footer": {"text": "x" * 61},
    "buttons": [{"type": "QUICK_REPLY", "text": "Ya"},
                {"type": "URL", "text": "Buka", "url": "http://shop.example"},
                {"type": "PHONE_NUMBER", "text": "Telepon", "phone_number": "0812"}],
}


def _faults(error: ApiError) -> list[tuple[str | None, str]]:
    return [(item["field"], item["reason"]) for item in error.body()["errors"]]


def test_check_submit_answers_every_fault_at_once():
    with pytest.raises(ApiError) as raised:
        rules.check_submit(MANY_FAULTS)
    assert _faults(raised.value) == [
        ("header.media_url", "https_required"),
        ("body.text", "variable_at_start"),
        ("footer.text", "too_long"),
        ("buttons[1].url", "https_required"),
        ("buttons[2].phone_number", "phone_format"),
        ("accept_terms", "terms_required"),
    ]
    footer = raised.value.body()["errors"][2]
    assert footer["params"] == {"max": rules.FOOTER_MAX} and footer["code"] == BAD_PARAMETER


def test_a_draft_names_every_fault_too_and_one_field_once():
    with pytest.raises(ApiError) as raised:
        rules.check_draft({"name": "Promo Lebaran", "language": "xx", "category": "ads",
                           "buttons": [{"type": "LINK"}]})
    assert _faults(raised.value) == [("name", "name_format"), ("language", "not_allowed"),
                                     ("category", "not_allowed"), ("buttons[0].type", "not_allowed")]
    # A field given twice (the draft's word list, then the submit's button rules) is answered once.
    with pytest.raises(ApiError) as raised:
        rules.check_submit({"name": "x", "language": "id", "category": "MARKETING", "body": {"text": "Halo kak"},
                            "buttons": [{"type": "LINK", "text": "x"}], "accept_terms": True})
    assert _faults(raised.value) == [("buttons[0].type", "not_allowed")]


def test_authentication_faults_come_together_with_their_ranges():
    with pytest.raises(ApiError) as raised:
        rules.check_submit({"name": "otp", "language": "id", "category": "AUTHENTICATION",
                            "body": {"text": "no"}, "accept_terms": True,
                            "authentication": {"code_expiration_minutes": 91, "otp_type": "ONE_TAP",
                                               "package_name": "nope", "signature_hash": "short"}})
    items = raised.value.body()["errors"]
    assert [(i["field"], i["reason"]) for i in items] == [
        ("body", "auth_preset"), ("authentication.code_expiration_minutes", "out_of_range"),
        ("authentication.package_name", "package_name"), ("authentication.signature_hash", "signature_hash")]
    assert items[1]["params"] == {"min": 1, "max": 90}


def test_the_api_answers_all_faults_with_reasons(shop: Shop):
    response = shop.api.call("POST", BASE.format(shop.app_id), {**MANY_FAULTS, "submit": True}, shop.session)
    assert_dashboard_error(response, 406, BAD_PARAMETER, "buttons[1].url")
    errors = response.json_body["errors"]
    assert len(errors) == 6 and all(e["message"] and e["reason"] and e["field"] for e in errors)
    # Nothing was saved: the owner fixes everything, then submits once.
    listed = shop.api.call("GET", BASE.format(shop.app_id), headers=shop.session).json_body["items"]
    assert [t for t in listed if t["name"] == MANY_FAULTS["name"]] == []


def test_every_dashboard_error_has_a_reason(shop: Shop):
    api = shop.api
    short = api.call("POST", "/auth/register", {"email": "toko@batik.id", "password": "short", "name": "Toko"})
    assert_dashboard_error(short, 406, BAD_PARAMETER, "password")
    assert short.json_body["errors"][0]["reason"] == "password_length"
    assert short.json_body["errors"][0]["params"] == {"min": 10, "max": 256}
    missing = api.call("GET", "/applications/nope", headers=shop.session)
    assert missing.status_code == 404 and missing.json_body["errors"][0]["reason"] == "not_found"
    wrong = api.call("POST", "/auth/login", {"email": "nobody@batik.id", "password": "a wrong password"})
    assert wrong.status_code == 401 and wrong.json_body["errors"][0]["reason"] == "invalid_credentials"
    taken = api.call("POST", BASE.format(shop.app_id), {"name": "dup", "language": "id"}, shop.session)
    assert taken.status_code == 201
    again = api.call("POST", BASE.format(shop.app_id), {"name": "dup", "language": "id"}, shop.session)
    assert_dashboard_error(again, 409, 409, "name")
    assert again.json_body["errors"][0]["reason"] == "name_taken"


def test_ocas_channel_routes_keep_ocas_bodies(shop: Shop):
    response = shop.api.call("POST", "/sms/v2/sms", {"phone": "89694353628", "message": "Halo"}, shop.v2("sms"))
    assert response.status_code == 406
    (error,) = response.json_body["errors"]
    assert set(error) == {"message", "code"} and error["code"] == "39"
    assert all(set(detail) <= {"value", "msg", "param", "location"} for detail in error["message"])


def test_settings_errors_carry_reasons_with_their_ranges(shop: Shop):
    path = f"/applications/{shop.app_id}/settings"
    rate = shop.api.call("PUT", path, {"rate_limit": 0}, shop.session)
    assert_dashboard_error(rate, 406, BAD_PARAMETER, "rate_limit")
    assert rate.json_body["errors"][0]["reason"] == "out_of_range"
    assert rate.json_body["errors"][0]["params"]["min"] == 1
    zone = shop.api.call("PUT", path, {"timezone": "Mars/Olympus"}, shop.session)
    assert zone.json_body["errors"][0]["reason"] == "timezone_invalid"
    url = shop.api.call("PUT", path, {"callback_url": "ftp://toko.example/cb"}, shop.session)
    assert url.json_body["errors"][0]["reason"] == "https_required"
