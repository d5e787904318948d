"""template_preview: what the phone shows, for every category and for unfinished drafts."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.errors import ApiError
from chalicelib.templates.preview import preview
from tests.templates.test_rules import marketing as marketing_template


def marketing() -> dict[str, Any]:
    """The same full MARKETING template the rules tests use."""
    return marketing_template()


def auth(language: str = "en", **settings: Any) -> dict[str, Any]:
    return {"name": "otp", "language": language, "category": "AUTHENTICATION", "authentication": settings}


def test_marketing_preview() -> None:
    assert preview(marketing(), "Toko Budi") == {
        "masking_name": "Toko Budi",
        "header": {"format": "TEXT", "text": "Pesanan INV-7"},
        "body": "Halo Budi, pesanan INV-7 dikirim.",
        "footer": "Kirim",
        "buttons": [{"type": "QUICK_REPLY", "text": "Stop"}, {"type": "URL", "text": "Lacak"},
                    {"type": "PHONE_NUMBER", "text": "Telepon"}],
        "more_buttons": 1,
    }


def test_utility_preview_with_media_header() -> None:
    t = {"name": "receipt", "language": "en", "category": "UTILITY",
         "header": {"format": "DOCUMENT", "media_url": "https://cdn.x.id/r.pdf"},
         "body": {"text": "Your receipt for {{1}} is attached.", "examples": ["INV-7"]}}
    assert preview(t, "Kirim") == {
        "masking_name": "Kirim", "header": {"format": "DOCUMENT", "media_url": "https://cdn.x.id/r.pdf"},
        "body": "Your receipt for INV-7 is attached.", "footer": None, "buttons": [], "more_buttons": 0}
    t["header"] = {"format": "LOCATION"}
    assert preview(t, "Kirim")["header"] == {"format": "LOCATION"}


def test_ten_buttons_show_three_and_seven_more() -> None:
    t = {"name": "menu", "language": "en", "category": "MARKETING", "body": {"text": "Pick one"},
         "buttons": [{"type": "QUICK_REPLY", "text": f"Option {i}"} for i in range(10)]}
    shown = preview(t, "Kirim")
    assert shown["buttons"] == [{"type": "QUICK_REPLY", "text": f"Option {i}"} for i in range(3)]
    assert shown["more_buttons"] == 7


def test_copy_code_button_shows_whatsapps_label() -> None:
    t = {"name": "promo", "language": "id", "category": "MARKETING", "body": {"text": "Diskon"},
         "buttons": [{"type": "copy_code", "example": "KIRIM10"}]}
    assert preview(t, "Kirim")["buttons"] == [{"type": "COPY_CODE", "text": "Copy offer code"}]


def test_authentication_plain() -> None:
    assert preview(auth(), "Kirim") == {
        "masking_name": "Kirim", "header": None, "body": "123456 is your verification code.", "footer": None,
        "buttons": [{"type": "COPY_CODE", "text": "Copy code"}], "more_buttons": 0}


def test_authentication_with_security_line_and_expiry() -> None:
    shown = preview(auth(add_security_recommendation=True, code_expiration_minutes=10), "Kirim")
    assert shown["body"] == "123456 is your verification code.\nFor your security, do not share this code."
    assert shown["footer"] == "This code expires in 10 minutes."


def test_authentication_in_indonesian() -> None:
    shown = preview(auth("id", add_security_recommendation=True, code_expiration_minutes=5), "Kirim")
    assert shown["body"] == "123456 adalah kode verifikasi Anda.\nDemi keamanan Anda, jangan bagikan kode ini."
    assert shown["footer"] == "Kode ini kedaluwarsa dalam 5 menit."
    assert shown["buttons"] == [{"type": "COPY_CODE", "text": "Salin kode"}]


def test_authentication_security_only_and_expiry_only() -> None:
    assert preview(auth(add_security_recommendation=True), "K")["footer"] is None
    shown = preview(auth(add_security_recommendation=False, code_expiration_minutes=1), "K")
    assert shown["body"] == "123456 is your verification code."
    assert shown["footer"] == "This code expires in 1 minute."


def test_authentication_buttons() -> None:
    assert preview(auth(otp_type="ONE_TAP"), "K")["buttons"] == [{"type": "ONE_TAP", "text": "Copy code"}]
    assert preview(auth(button_text="Salin OTP"), "K")["buttons"] == [{"type": "COPY_CODE", "text": "Salin OTP"}]


def test_authentication_ignores_leftover_content() -> None:
    t = {**auth(), "header": {"format": "TEXT", "text": "Hi"}, "footer": {"text": "x"}, "buttons": [{}, {}, {}, {}]}
    shown = preview(t, "K")
    assert shown["header"] is None and shown["footer"] is None and shown["more_buttons"] == 0
    assert preview({"name": "otp", "language": "en", "category": "authentication"}, "K")["body"] == \
        "123456 is your verification code."


def test_incomplete_drafts() -> None:
    assert preview({"name": "x", "language": "en"}, "Kirim") == {
        "masking_name": "Kirim", "header": None, "body": None, "footer": None, "buttons": [], "more_buttons": 0}
    t = {"name": "x", "language": "en", "category": "MARKETING",
         "header": {"format": "TEXT", "text": "Order {{1}}"},
         "body": {"text": "Hi {{1}}, order {{2}} and {{3}} ok", "examples": ["Budi", ""]},
         "buttons": [{"type": "URL"}, {"text": "Untyped"}]}
    shown = preview(t, "Kirim")
    assert shown["header"] == {"format": "TEXT", "text": "Order {{1}}"}
    assert shown["body"] == "Hi Budi, order {{2}} and {{3}} ok"
    assert shown["buttons"] == [{"type": "URL", "text": None}, {"type": None, "text": "Untyped"}]
    assert preview({"name": "x", "header": {"format": "IMAGE"}, "body": {}}, "K")["header"] == {"format": "IMAGE"}
    assert preview({"name": "x", "header": {}}, "K")["header"] is None


def test_wrong_shapes_do_not_crash() -> None:
    t = {"category": 5, "header": "TEXT", "body": "hello", "footer": ["x"], "buttons": "many"}
    assert preview(t, "K") == {"masking_name": "K", "header": None, "body": None, "footer": None, "buttons": [],
                               "more_buttons": 0}
    assert preview({"body": {"text": "Hi {{1}}", "examples": "Budi"}}, "K")["body"] == "Hi {{1}}"
    assert preview({"category": "AUTHENTICATION", "authentication": "x"}, "K")["body"] == \
        "123456 is your verification code."


def test_words_and_texts_of_the_wrong_kind_show_as_none() -> None:
    # The preview answers only documented words (the Preview schema's enums) and text, whatever is typed.
    t = {"header": {"format": "gif", "text": "Hi"}, "body": {"text": "Hello"},
         "buttons": [{"type": "call", "text": "x"}, {"type": "url", "text": 7}, {"type": ["URL"], "text": ["y"]}]}
    shown = preview(t, "K")
    assert shown["header"] == {"format": None, "text": "Hi"}
    assert shown["buttons"] == [{"type": None, "text": "x"}, {"type": "URL", "text": None},
                                {"type": None, "text": None}]


def test_masking_name_limits() -> None:
    assert preview({}, "m" * 50)["masking_name"] == "m" * 50
    assert preview({}, "  Kirim ")["masking_name"] == "Kirim"
    for bad in ["", "   ", "m" * 51, None, 7]:
        with pytest.raises(ApiError) as info:
            preview({}, bad)  # type: ignore[arg-type]
        assert (info.value.code, info.value.status, info.value.field) == (39, 406, "masking_name")


def test_huge_variable_numbers_keep_their_placeholder() -> None:
    text = "Hi {{%s}} ok" % ("9" * 5000)
    assert preview({"body": {"text": text, "examples": ["x"]}}, "K")["body"] == text
