"""template_messages.build: OCA's send payload against an approved template, out as Meta's components."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.errors import ApiError
from chalicelib.templates.payloads import build

P = "message.template.payload"


def refused(field: str, t: dict[str, Any], payload: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        build(t, payload)
    error = info.value
    assert (error.code, error.status, error.field) == (39, 406, field), error.message
    return error


def full() -> dict[str, Any]:
    """Image header, a body with 2 variables, a URL button with {{1}} and a copy-code button."""
    return {
        "name": "promo_order", "language": "id", "category": "MARKETING",
        "header": {"format": "IMAGE", "media_url": "https://cdn.x.id/promo.jpg"},
        "body": {"text": "Halo {{1}}, pesanan {{2}} dikirim.", "examples": ["Budi", "INV-7"]},
        "footer": {"text": "Kirim"},
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Stop"},
            {"type": "URL", "text": "Situs", "url": "https://x.id/promo"},
            {"type": "URL", "text": "Lacak", "url": "https://x.id/t/{{1}}", "example": "https://x.id/t/INV-7"},
            {"type": "COPY_CODE", "example": "KIRIM10"},
        ],
    }


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def header(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"position": "header", "parameters": list(parameters)}


def body(*values: str) -> dict[str, Any]:
    return {"position": "body", "parameters": [text(v) for v in values]}


def button(*values: str) -> dict[str, Any]:
    return {"position": "button", "parameters": [text(v) for v in values]}


IMAGE = {"type": "image", "image": {"url": "https://cdn.x.id/budi.jpg"}}


def full_payload() -> list[dict[str, Any]]:
    return [header(IMAGE), body("Budi", "INV-9"), button("INV-9"), button("HEMAT15")]


def simple(body_text: str = "Your order is on its way.", **changes: Any) -> dict[str, Any]:
    return {"name": "simple", "language": "en", "category": "UTILITY", "body": {"text": body_text}, **changes}


def test_full_template_gives_metas_components() -> None:
    assert build(full(), full_payload()) == {
        "name": "promo_order", "language": {"code": "id"}, "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.x.id/budi.jpg"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Budi"}, {"type": "text", "text": "INV-9"}]},
            {"type": "button", "sub_type": "url", "index": "2", "parameters": [{"type": "text", "text": "INV-9"}]},
            {"type": "button", "sub_type": "copy_code", "index": "3",
             "parameters": [{"type": "coupon_code", "coupon_code": "HEMAT15"}]},
        ]}


def test_entry_order_and_position_case_do_not_matter() -> None:
    shuffled = [button("INV-9"), {**body("Budi", "INV-9"), "position": "BODY"}, header(IMAGE), button("HEMAT15")]
    assert build(full(), shuffled) == build(full(), full_payload())


def test_no_parameters() -> None:
    assert build(simple(), None) == {"name": "simple", "language": {"code": "en"}, "components": []}
    assert build(simple(), [])["components"] == []
    plain = simple(header={"format": "TEXT", "text": "Hello"},
                   buttons=[{"type": "QUICK_REPLY", "text": "Ok"},
                            {"type": "URL", "text": "Go", "url": "https://x.id"}])
    assert build(plain, None)["components"] == []


# --- the payload's own shape ----------------------------------------------------------------------------------

@pytest.mark.parametrize("payload, field", [
    ({"position": "body"}, P),
    ("body", P),
    (["body"], f"{P}[0]"),
    ([{"parameters": []}], f"{P}[0].position"),
    ([{"position": "footer", "parameters": []}], f"{P}[0].position"),
    ([{"position": 1, "parameters": []}], f"{P}[0].position"),
    ([{"position": "body"}], P),  # no parameters is none (PHP writes nothing for []): the missing header is named
    ([{"position": "body", "parameters": {"type": "text"}}], f"{P}[0].parameters"),
    ([{"position": "body", "parameters": ["Budi"]}], f"{P}[0].parameters[0]"),
    ([{"position": "body", "parameters": [text("a"), {"text": "b"}]}], f"{P}[0].parameters[1].type"),
    ([header(IMAGE), body("a", "b"), body("a", "b")], f"{P}[2].position"),
    ([header(IMAGE), {**header(IMAGE), "position": "Header"}], f"{P}[1].position"),
])
def test_malformed_payload_refused(payload: Any, field: str) -> None:
    refused(field, full(), payload)


# --- header ---------------------------------------------------------------------------------------------------

def test_media_header_needs_one_parameter_of_its_type() -> None:
    refused(P, full(), [body("a", "b"), button("x"), button("y")])
    refused(P, full(), [header(), *full_payload()[1:]])  # an empty entry is no entry
    refused(f"{P}[0].parameters", full(), [header(IMAGE, IMAGE), *full_payload()[1:]])
    refused(f"{P}[0].parameters[0].type", full(), [header(text("x")), *full_payload()[1:]])
    refused(f"{P}[0].parameters[0].type", full(),
            [header({"type": "video", "video": {"url": "https://x.id/a.mp4"}}), *full_payload()[1:]])


@pytest.mark.parametrize("parameter, field", [
    ({"type": "image"}, f"{P}[0].parameters[0].image"),
    ({"type": "image", "image": "https://x.id/a.jpg"}, f"{P}[0].parameters[0].image"),
    ({"type": "image", "image": {}}, f"{P}[0].parameters[0].image.url"),
    ({"type": "image", "image": {"url": "ftp://x.id/a.jpg"}}, f"{P}[0].parameters[0].image.url"),
    ({"type": "image", "image": {"link": "https://x.id/a.jpg"}}, f"{P}[0].parameters[0].image.url"),
    ({"type": "image", "image": {"url": "https://x.id/" + "a" * 1988}}, f"{P}[0].parameters[0].image.url"),
])
def test_media_url_must_be_http_or_https(parameter: dict[str, Any], field: str) -> None:
    refused(field, full(), [header(parameter), *full_payload()[1:]])


@pytest.mark.parametrize("fmt", ["VIDEO", "DOCUMENT"])
def test_video_and_document_headers(fmt: str) -> None:
    kind = fmt.lower()
    t = simple(header={"format": fmt, "media_url": "https://cdn.x.id/sample"})
    media = {"url": "https://cdn.x.id/file", "filename": "struk.pdf"}
    got = build(t, [header({"type": kind, kind: media})])["components"]
    expected = {"link": "https://cdn.x.id/file", **({"filename": "struk.pdf"} if kind == "document" else {})}
    assert got == [{"type": "header", "parameters": [{"type": kind, kind: expected}]}]


def test_text_header_with_variable() -> None:
    t = simple(header={"format": "TEXT", "text": "Pesanan {{1}}", "example": "INV-7"})
    assert build(t, [header(text("h" * 60))])["components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "h" * 60}]}]
    refused(f"{P}[0].parameters[0].text", t, [header(text("h" * 61))])
    refused(f"{P}[0].parameters[0].text", t, [header(text(""))])
    refused(f"{P}[0].parameters[0].text", t, [header(text("a\nb"))])
    refused(f"{P}[0].parameters[0].type", t, [header(IMAGE)])
    refused(P, t, None)


@pytest.mark.parametrize("t", [simple(), simple(header={"format": "TEXT", "text": "Hello"})])
def test_header_entry_refused_when_the_header_takes_nothing(t: dict[str, Any]) -> None:
    error = refused(f"{P}[0].position", t, [header(text("x"))])
    assert "header takes no parameters" in error.message


def test_location_header_takes_a_location() -> None:
    t = simple(header={"format": "LOCATION"})
    place = {"latitude": -6.2, "longitude": "106.8166", "name": "Kantor", "address": "Jl. Sudirman 1, Jakarta"}
    assert build(t, [header({"type": "location", "location": place})])["components"] == [
        {"type": "header", "parameters": [{"type": "location", "location": {
            "latitude": -6.2, "longitude": 106.8166, "name": "Kantor", "address": "Jl. Sudirman 1, Jakarta"}}]}]
    assert build(t, [header({"type": "location", "location": {"latitude": 90, "longitude": -180}})])[
        "components"][0]["parameters"][0]["location"] == {"latitude": 90.0, "longitude": -180.0}
    refused(P, t, None)
    refused(f"{P}[0].parameters[0].type", t, [header(text("Jakarta"))])
    refused(f"{P}[0].parameters[0].location", t, [header({"type": "location"})])
    for bad, key in [({"latitude": 91, "longitude": 0}, "latitude"),
                     ({"latitude": 0, "longitude": -180.5}, "longitude"),
                     ({"latitude": True, "longitude": 0}, "latitude"),
                     ({"latitude": "north", "longitude": 0}, "latitude"),
                     ({"latitude": "nan", "longitude": 0}, "latitude"),
                     ({"longitude": 0}, "latitude"),
                     ({"latitude": 0, "longitude": "inf"}, "longitude")]:
        refused(f"{P}[0].parameters[0].location.{key}", t, [header({"type": "location", "location": bad})])
    refused(f"{P}[0].parameters[0].location.name", t,
            [header({"type": "location", "location": {"latitude": 0, "longitude": 0, "name": 5}})])


# --- body -----------------------------------------------------------------------------------------------------

def test_body_needs_exactly_one_text_per_variable() -> None:
    error = refused(P, full(), [header(IMAGE), button("x"), button("y")])
    assert "2 text parameters" in error.message
    refused(f"{P}[1].parameters", full(), [header(IMAGE), body("Budi"), button("x"), button("y")])
    refused(f"{P}[1].parameters", full(), [header(IMAGE), body("a", "b", "c"), button("x"), button("y")])
    wrong = {"position": "body", "parameters": [text("Budi"), IMAGE]}
    refused(f"{P}[1].parameters[1].type", full(), [header(IMAGE), wrong, button("x"), button("y")])


@pytest.mark.parametrize("value, ok", [("b" * 1024, True), ("b" * 1025, False), ("", False), ("   ", False),
                                       ("a\nb", False), ("a\tb", False), ("a\rb", False), ("a    b", True),
                                       ("a     b", False), ("Rp 10.000 😀", True)])
def test_body_parameter_text_rules(value: str, ok: bool) -> None:
    t = simple("Hi {{1}} ya")
    payload = [{"position": "body", "parameters": [{"type": "text", "text": value}]}]
    if ok:
        assert build(t, payload)["components"] == [{"type": "body", "parameters": [{"type": "text", "text": value}]}]
    else:
        refused(f"{P}[0].parameters[0].text", t, payload)


def test_body_parameter_text_must_be_a_string() -> None:
    refused(f"{P}[0].parameters[0].text", simple("Hi {{1}} ya"),
            [{"position": "body", "parameters": [{"type": "text", "text": 5}]}])


def test_body_entry_refused_when_the_body_has_no_variables() -> None:
    refused(f"{P}[0].position", simple(), [body("x")])


# --- buttons --------------------------------------------------------------------------------------------------

def test_button_entries_count() -> None:
    base = [header(IMAGE), body("a", "b")]
    for buttons in ([], [button("x")], [button("x"), button("y"), button("z")]):
        error = refused(P, full(), base + buttons)
        assert "takes 2 button entries" in error.message
    only_url = {**full(), "buttons": full()["buttons"][:3]}
    assert build(only_url, base + [button("x")])["components"][-1]["sub_type"] == "url"
    error = refused(P, simple(), [button("x")])
    assert "takes 0 button entries" in error.message


def test_button_entry_shape() -> None:
    base = [header(IMAGE), body("a", "b")]
    refused(f"{P}[2].parameters", full(), base + [button("x", "y"), button("z")])
    refused(P, full(), base + [button("x"), button()])  # an empty entry is no entry
    refused(f"{P}[2].parameters[0].type", full(), base + [{"position": "button", "parameters": [IMAGE]}, button("z")])
    refused(f"{P}[2].parameters[0].text", full(), base + [button("a b"), button("z")])
    refused(f"{P}[2].parameters[0].text", full(), base + [button(""), button("z")])


def test_coupon_limit_15_and_16() -> None:
    base = [header(IMAGE), body("a", "b"), button("x")]
    assert build(full(), base + [button("C" * 15)])["components"][-1]["parameters"] == [
        {"type": "coupon_code", "coupon_code": "C" * 15}]
    refused(f"{P}[3].parameters[0].text", full(), base + [button("C" * 16)])


def test_two_url_buttons_with_variables_in_template_order() -> None:
    t = simple(buttons=[{"type": "URL", "text": "A", "url": "https://x.id/a/{{1}}", "example": "https://x.id/a/1"},
                        {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+6281234567890"},
                        {"type": "URL", "text": "B", "url": "https://x.id/b/{{1}}", "example": "https://x.id/b/1"}])
    components = build(t, [button("first"), button("second")])["components"]
    assert [(c["index"], c["parameters"][0]["text"]) for c in components] == [("0", "first"), ("2", "second")]


# --- authentication -------------------------------------------------------------------------------------------

AUTH = {"name": "otp", "language": "id", "category": "AUTHENTICATION",
        "authentication": {"add_security_recommendation": True, "code_expiration_minutes": 10}}


def test_authentication_sends_the_code_in_body_and_button() -> None:
    assert build(AUTH, [body("482913")]) == {"name": "otp", "language": {"code": "id"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]}]}
    assert build(AUTH, [body("A" * 15)])["components"][0]["parameters"][0]["text"] == "A" * 15


@pytest.mark.parametrize("code", ["A" * 16, "", "12 34", "12-34", "kode!", "١٢٣"])
def test_authentication_code_is_1_to_15_letters_or_digits(code: str) -> None:
    refused(f"{P}[0].parameters[0].text", AUTH, [body(code)])


def test_authentication_payload_mismatches() -> None:
    refused(P, AUTH, None)
    refused(P, AUTH, [])
    refused(f"{P}[0].parameters", AUTH, [body("1", "2")])
    refused(P, AUTH, [body()])
    refused(f"{P}[0].parameters[0].type", AUTH, [{"position": "body", "parameters": [IMAGE]}])
    refused(f"{P}[0].position", AUTH, [header(text("x")), body("123456")])
    refused(f"{P}[1].parameters[0].text", AUTH, [body("123456"), button("654321")])
    refused(f"{P}[1].position", AUTH, [body("123456"), body("123456")])


# --- what real clients send (OCA's examples, Meta's own form) -------------------------------------

def test_an_empty_parameters_list_is_no_entry() -> None:
    # OCA's media example: {"position": "body", "parameters": []} for a body without variables.
    t = simple(header={"format": "DOCUMENT", "media_url": "https://cdn.x.id/sample"},
               body={"text": "Struk Anda terlampir.", "examples": []})
    payload = [{"position": "header", "parameters": [{"type": "document", "document": {
        "url": "https://cdn.x.id/struk.pdf", "caption": "Struk Mei", "filename": "struk-mei.pdf"}}]},
        {"position": "body", "parameters": []}]
    assert build(t, payload)["components"] == [{"type": "header", "parameters": [
        {"type": "document", "document": {"link": "https://cdn.x.id/struk.pdf", "filename": "struk-mei.pdf"}}]}]


def test_media_over_plain_http_with_a_caption_as_the_jquery_client_sends_it() -> None:
    got = build(full(), [header({"type": "image", "image": {"url": "http://cdn.x.id/a.jpg", "caption": "Promo"}}),
                         *full_payload()[1:]])["components"][0]
    assert got == {"type": "header", "parameters": [{"type": "image", "image": {"link": "http://cdn.x.id/a.jpg"}}]}


def test_button_entries_in_metas_form_name_their_button() -> None:
    base = [header(IMAGE), body("a", "b")]
    # Given out of order, each names its button: the copy code (3) first, then the URL (2).
    payload = base + [{"position": "button", "sub_type": "copy_code", "index": "3",
                       "parameters": [{"type": "coupon_code", "coupon_code": "HEMAT15"}]},
                      {"position": "button", "sub_type": "url", "index": 2,
                       "parameters": [{"type": "text", "text": "INV-9"}]}]
    assert build(full(), payload)["components"][-2:] == [
        {"type": "button", "sub_type": "url", "index": "2", "parameters": [{"type": "text", "text": "INV-9"}]},
        {"type": "button", "sub_type": "copy_code", "index": "3",
         "parameters": [{"type": "coupon_code", "coupon_code": "HEMAT15"}]}]
    wrong_kind = base + [{"position": "button", "sub_type": "copy_code", "index": "2",
                          "parameters": [{"type": "text", "text": "x"}]}, button("y")]
    refused(f"{P}[2].sub_type", full(), wrong_kind)
    refused(f"{P}[2].index", full(), base + [{"position": "button", "index": "7", "parameters": [text("x")]},
                                             button("y")])
    refused(f"{P}[2].index", full(), base + [{"position": "button", "index": "x", "parameters": [text("x")]},
                                             button("y")])


def test_a_quick_reply_may_carry_its_payload() -> None:
    t = simple(buttons=[{"type": "QUICK_REPLY", "text": "Berhenti"}])
    entry = {"position": "button", "sub_type": "quick_reply", "index": "0",
             "parameters": [{"type": "payload", "payload": "STOP-7"}]}
    assert build(t, [entry])["components"] == [
        {"type": "button", "sub_type": "quick_reply", "index": "0",
         "parameters": [{"type": "payload", "payload": "STOP-7"}]}]
    assert build(t, [])["components"] == []


def test_authentication_accepts_the_code_repeated_in_metas_button_entry() -> None:
    payload = [body("482913"), {"position": "button", "sub_type": "url", "index": "0",
                                "parameters": [{"type": "text", "text": "482913"}]}]
    assert build(AUTH, payload)["components"][1]["parameters"] == [{"type": "text", "text": "482913"}]


# --- the nested button form of the OCA client libraries --------------------------------------------------------

def nested(*buttons: dict[str, Any]) -> dict[str, Any]:
    """{"position": "button", "parameters": [<button object>, ...]}, as the Go and TypeScript OCA clients nest it."""
    return {"position": "button", "parameters": list(buttons)}


def url_object(value: Any, index: Any = "0", **extra: Any) -> dict[str, Any]:
    return {"sub_type": "url", "index": index, "parameters": [text(value)], **extra}


@pytest.mark.parametrize("index", ["2", 2])
def test_nested_button_objects_are_metas_button_entries(index: Any) -> None:
    base = [header(IMAGE), body("a", "b")]
    coupon = {"sub_type": "copy_code", "index": 3, "parameters": [{"type": "coupon_code", "coupon_code": "HEMAT15"}]}
    flat = base + [{"position": "button", "sub_type": "url", "index": index, "parameters": [text("INV-9")]},
                   {"position": "button", **coupon}]
    # One entry per button object, or several objects in one entry, or with Meta's "type": "button": all the same.
    for payload in (base + [nested(url_object("INV-9", index)), nested(coupon)],
                    base + [nested(coupon, url_object("INV-9", index))],
                    base + [nested(url_object("INV-9", index, type="button"), {**coupon, "type": "BUTTON"})]):
        assert build(full(), payload) == build(full(), flat)
    # Without an index, objects fill the buttons in order, as entries do.
    assert build(full(), base + [nested({"sub_type": "url", "parameters": [text("INV-9")]},
                                        {"parameters": [text("HEMAT15")]})]) == build(
        full(), base + [button("INV-9"), button("HEMAT15")])


def test_nested_quick_reply_and_authentication() -> None:
    t = simple(buttons=[{"type": "QUICK_REPLY", "text": "Berhenti"}])
    reply = {"sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "STOP-7"}]}
    assert build(t, [nested(reply)]) == build(t, [{"position": "button", **reply}])
    assert build(AUTH, [body("482913"), nested(url_object("482913"))]) == build(AUTH, [body("482913")])
    refused(f"{P}[1].parameters[0].parameters[0].text", AUTH, [body("482913"), nested(url_object("111111"))])


URL_ONLY = {**simple("Halo {{1}}"), "buttons": [
    {"type": "URL", "text": "Lacak", "url": "https://x.id/t/{{1}}", "example": "https://x.id/t/INV-7"},
    {"type": "QUICK_REPLY", "text": "Stop"}]}
AT = f"{P}[1].parameters[0]"


@pytest.mark.parametrize("button_entry, field, words", [
    # the button object and its inner list: wrong types
    (nested(url_object("abc"), "abc"), f"{P}[1].parameters[1]", "must be a button object"),
    (nested(url_object("abc"), text("x")), f"{P}[1].parameters[1]", "must be a button object"),
    (nested({**url_object("abc"), "parameters": {"type": "text", "text": "abc"}}), f"{AT}.parameters", "list"),
    (nested({**url_object("abc"), "parameters": None}), f"{AT}.parameters", "list"),
    (nested({**url_object("abc"), "parameters": ["abc"]}), f"{AT}.parameters[0]", "must be an object"),
    (nested({**url_object("abc"), "parameters": [{"text": "abc"}]}), f"{AT}.parameters[0].type", "required"),
    (nested({**url_object("abc"), "parameters": [{"type": 1, "text": "abc"}]}), f"{AT}.parameters[0].type",
     "required"),
    (nested({**url_object("abc"), "parameters": [IMAGE]}), f"{AT}.parameters[0].type", "text parameter"),
    (nested(url_object(7)), f"{AT}.parameters[0].text", "required"),
    (nested(url_object("a b")), f"{AT}.parameters[0].text", "spaces"),
    (nested({**url_object("abc"), "parameters": [{**text("abc"), "parameters": [text("abc")]}]}),
     f"{AT}.parameters[0]", "not another button object"),
    (nested(url_object("abc", type="text")), f"{AT}.type", "must be button"),
    (nested(url_object("abc", sub_type="phone")), f"{AT}.sub_type", "url, copy_code or quick_reply"),
    (nested(url_object("abc", sub_type="copy_code")), f"{AT}.sub_type", "is a url button"),
    ({**nested(url_object("abc")), "index": "0"}, f"{P}[1].index", "inside each button object"),
    ({**nested(url_object("abc")), "sub_type": "url"}, f"{P}[1].sub_type", "inside each button object"),
    # empty
    (nested({**url_object("abc"), "parameters": []}), f"{AT}.parameters", "is empty"),
    # too many
    (nested({**url_object("abc"), "parameters": [text("abc"), text("def")]}), f"{AT}.parameters",
     "exactly 1 text parameter, got 2"),
    (nested(*[url_object("abc", i) for i in range(11)]), f"{P}[1].parameters", "at most 10 buttons, got 11"),
    (nested(url_object("abc", "0"), url_object("def", 0)), P, "takes 1 button entry"),
    # index out of range (or not an index)
    (nested(url_object("abc", "10")), f"{AT}.index", "0 to 9"),
    (nested(url_object("abc", -1)), f"{AT}.index", "0 to 9"),
    (nested(url_object("abc", 1.5)), f"{AT}.index", "0 to 9"),
    (nested(url_object("abc", True)), f"{AT}.index", "0 to 9"),
    (nested(url_object("abc", "x")), f"{AT}.index", "0 to 9"),
    (nested(url_object("abc", 5)), f"{AT}.index", "no button 5"),
])
def test_nested_button_objects_are_checked_strictly(button_entry: dict[str, Any], field: str, words: str) -> None:
    assert build(URL_ONLY, [body("Budi"), nested(url_object("abc"))])["components"][-1]["parameters"] == [text("abc")]
    error = refused(field, URL_ONLY, [body("Budi"), button_entry])
    assert words in error.message, error.message
