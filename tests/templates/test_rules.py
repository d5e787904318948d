"""template_rules: Meta's template rules, each accepted at its limit and refused just past it."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core.errors import ApiError
from chalicelib.templates import rules as rules
from chalicelib.templates.rules import check_draft, check_submit, to_meta


def refused(field: str, call: Callable[..., Any], *args: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        call(*args)
    error = info.value
    assert (error.code, error.status, error.field) == (39, 406, field), error.message
    return error


def marketing(**changes: Any) -> dict[str, Any]:
    t = {
        "name": "order_update", "language": "id", "category": "MARKETING", "accept_terms": True,
        "header": {"format": "TEXT", "text": "Pesanan {{1}}", "example": "INV-7"},
        "body": {"text": "Halo {{1}}, pesanan {{2}} dikirim.", "examples": ["Budi", "INV-7"]},
        "footer": {"text": "Kirim"},
        "buttons": [
            {"type": "QUICK_REPLY", "text": "Stop"},
            {"type": "URL", "text": "Lacak", "url": "https://x.id/{{1}}", "example": "https://x.id/INV-7"},
            {"type": "PHONE_NUMBER", "text": "Telepon", "phone_number": "+6281234567890"},
            {"type": "COPY_CODE", "example": "KIRIM10"},
        ],
    }
    t.update(changes)
    return t


def simple(**changes: Any) -> dict[str, Any]:
    t = {"name": "simple", "language": "en", "category": "UTILITY", "accept_terms": True,
         "body": {"text": "Your order is on its way."}}
    t.update(changes)
    return t


def auth(**settings: Any) -> dict[str, Any]:
    return {"name": "otp", "language": "id", "category": "AUTHENTICATION", "accept_terms": True,
            "authentication": settings}


def with_body(text: str, examples: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text}
    if examples is not None:
        body["examples"] = examples
    return simple(body=body)


def with_buttons(*buttons: dict[str, Any], category: str = "MARKETING") -> dict[str, Any]:
    return simple(category=category, buttons=list(buttons))


def quick(text: str = "Ok") -> dict[str, Any]:
    return {"type": "QUICK_REPLY", "text": text}


def url_button(url: str = "https://x.id/a", example: str | None = None, text: str = "Open") -> dict[str, Any]:
    b = {"type": "URL", "text": text, "url": url}
    if example is not None:
        b["example"] = example
    return b


def phone(number: str = "+6281234567890") -> dict[str, Any]:
    return {"type": "PHONE_NUMBER", "text": "Call", "phone_number": number}


def copy_code(example: str = "KIRIM10") -> dict[str, Any]:
    return {"type": "COPY_CODE", "example": example}


# --- the language list ----------------------------------------------------------------------------------------

def test_languages_are_metas_list_from_the_one_data_file() -> None:
    data = json.loads((Path(rules.__file__).parent / "data" / "whatsapp_languages.json").read_text("utf-8"))
    assert dict(rules.LANGUAGES) == data
    assert len(data) == 71
    for code in ["af", "id", "en", "en_US", "en_GB", "zh_CN", "zh_HK", "zh_TW", "pt_BR", "es_MX", "rw_RW", "ky_KG",
                 "fil", "ka", "zu"]:
        assert code in rules.LANGUAGES
    assert rules.LANGUAGES["id"] == "Indonesian"
    assert all(isinstance(name, str) and name for name in data.values())


@pytest.mark.parametrize("language", ["xx", "en-US", "EN", "id_ID", "in", ""])
def test_unknown_language_refused(language: str) -> None:
    refused("language", check_draft, {"name": "a", "language": language})


def test_missing_language_refused() -> None:
    refused("language", check_draft, {"name": "a"})


# --- name -----------------------------------------------------------------------------------------------------

ALLOWED_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def test_name_limit_512_and_513() -> None:
    assert check_draft({"name": "a" * 512, "language": "id"})["name"] == "a" * 512
    check_submit(simple(name="a" * 512))
    refused("name", check_draft, {"name": "a" * 513, "language": "id"})
    refused("name", check_submit, simple(name="a" * 513))


@pytest.mark.parametrize("name", ["", "Order", "order-update", "order update", "pesan_ké", "order\n",
                                  "ｏｒｄｅｒ"])
def test_bad_names_refused(name: str) -> None:
    refused("name", check_draft, {"name": name, "language": "id"})


def test_missing_or_non_string_name_refused() -> None:
    refused("name", check_draft, {"language": "id"})
    refused("name", check_draft, {"name": 7, "language": "id"})


@given(st.text(alphabet=ALLOWED_NAME_CHARS, min_size=1, max_size=512))
def test_any_allowed_name_accepted(name: str) -> None:
    assert check_draft({"name": name, "language": "en"})["name"] == name


@given(st.text(alphabet=ALLOWED_NAME_CHARS, max_size=20),
       st.characters().filter(lambda c: c not in ALLOWED_NAME_CHARS),
       st.text(max_size=20))
def test_any_name_with_a_disallowed_char_refused(before: str, bad: str, after: str) -> None:
    refused("name", check_draft, {"name": before + bad + after, "language": "en"})


# --- drafts ---------------------------------------------------------------------------------------------------

def test_draft_needs_only_name_and_language_and_keeps_known_keys() -> None:
    original = {"name": "promo", "language": "en", "category": "marketing", "surprise": 1,
                "header": {"format": "image", "junk": True}, "body": {"text": "{{3}} unfinished"},
                "buttons": [{"type": "url", "text": "Go"}], "authentication": {"otp_type": "one_tap"},
                "footer": None}
    before = copy.deepcopy(original)
    draft = check_draft(original)
    assert draft == {"name": "promo", "language": "en", "category": "MARKETING", "header": {"format": "IMAGE"},
                     "body": {"text": "{{3}} unfinished"}, "buttons": [{"type": "URL", "text": "Go"}],
                     "authentication": {"otp_type": "ONE_TAP"}}
    assert original == before  # a copy, not an edit
    assert check_draft({"name": "a", "language": "en"}) == {"name": "a", "language": "en"}


@pytest.mark.parametrize("changes, field", [
    ({"category": 3}, "category"),
    ({"accept_terms": "yes"}, "accept_terms"),
    ({"header": "TEXT"}, "header"),
    ({"header": {"format": 1}}, "header.format"),
    ({"header": {"text": ["x"]}}, "header.text"),
    ({"body": "hello"}, "body"),
    ({"body": {"text": 5}}, "body.text"),
    ({"body": {"examples": "Budi"}}, "body.examples"),
    ({"body": {"examples": ["Budi", 2]}}, "body.examples[1]"),
    ({"footer": {"text": False}}, "footer.text"),
    ({"buttons": {"type": "URL"}}, "buttons"),
    ({"buttons": [{"type": "URL"}, "Stop"]}, "buttons[1]"),
    ({"buttons": [{}, {}, {"url": 9}]}, "buttons[2].url"),
    ({"authentication": []}, "authentication"),
    ({"authentication": {"add_security_recommendation": 1}}, "authentication.add_security_recommendation"),
    ({"authentication": {"code_expiration_minutes": "10"}}, "authentication.code_expiration_minutes"),
    ({"authentication": {"code_expiration_minutes": True}}, "authentication.code_expiration_minutes"),
    ({"authentication": {"code_expiration_minutes": 10.0}}, "authentication.code_expiration_minutes"),
])
def test_draft_refuses_wrong_types(changes: dict[str, Any], field: str) -> None:
    refused(field, check_draft, {"name": "a", "language": "en", **changes})
    refused(field, check_submit, {"name": "a", "language": "en", **changes})


@pytest.mark.parametrize("changes, field", [
    ({"category": "PROMOTION"}, "category"),
    ({"header": {"format": "GIF"}}, "header.format"),
    ({"buttons": [{"type": "QUICK_REPLY"}, {"type": "CALL"}]}, "buttons[1].type"),
    ({"authentication": {"otp_type": "ZERO_TAP"}}, "authentication.otp_type"),
])
def test_draft_refuses_a_word_not_in_its_list(changes: dict[str, Any], field: str) -> None:
    # A draft may leave a word out, but a word it gives is one the API documents (the OpenAPI enums).
    error = refused(field, check_draft, {"name": "a", "language": "en", **changes})
    assert "must be one of" in error.message
    assert check_draft({"name": "a", "language": "en", "header": {}, "buttons": [{"text": "Stop"}],
                        "authentication": {"button_text": "Copy"}}) == {
        "name": "a", "language": "en", "header": {}, "buttons": [{"text": "Stop"}],
        "authentication": {"button_text": "Copy"}}


def test_template_must_be_an_object() -> None:
    refused("template", check_draft, ["name"])
    refused("template", check_submit, None)


# --- category and terms ---------------------------------------------------------------------------------------

def test_category_required_and_from_the_list() -> None:
    t = simple()
    del t["category"]
    refused("category", check_submit, t)
    refused("category", check_submit, simple(category="PROMOTION"))
    check_submit(simple(category="utility"))  # upper-cased like a draft


@pytest.mark.parametrize("value", [None, False])
def test_terms_must_be_accepted(value: Any) -> None:
    error = refused("accept_terms", check_submit, simple(accept_terms=value))
    assert error.message == "Terms of Use must be accepted"
    t = simple()
    del t["accept_terms"]
    refused("accept_terms", check_submit, t)


@pytest.mark.parametrize("value", ["true", 1])
def test_terms_must_be_a_boolean(value: Any) -> None:
    refused("accept_terms", check_submit, simple(accept_terms=value))


def test_full_marketing_template_accepted() -> None:
    check_submit(marketing())


# --- body -----------------------------------------------------------------------------------------------------

def test_body_required_for_marketing_and_utility() -> None:
    for category in ("MARKETING", "UTILITY"):
        t = simple(category=category)
        del t["body"]
        refused("body", check_submit, t)
        refused("body.text", check_submit, simple(category=category, body={"examples": []}))
        refused("body.text", check_submit, simple(category=category, body={"text": "   "}))


def test_body_limit_1024_and_1025() -> None:
    check_submit(with_body("a" * 1024))
    refused("body.text", check_submit, with_body("a" * 1025))
    text = "Hi {{1}} " + "a" * (1024 - 9)
    assert len(text) == 1024
    check_submit(with_body(text, ["Budi"]))
    refused("body.text", check_submit, with_body(text + "a", ["Budi"]))


@pytest.mark.parametrize("text", ["Hi {{name}} there", "Hi {{}} there", "Hi {{01}} there", "Hi {{1} there",
                                  "Hi {1}} there", "Hi {{1.5}} there", "Hi {{-1}} there", "Hi {{ }} there",
                                  "Hi {{١}} there", "Hi {{0}} there"])
def test_malformed_variables_refused(text: str) -> None:
    error = refused("body.text", check_submit, with_body(text, ["x"]))
    assert "{{1}}, {{2}}" in error.message


@pytest.mark.parametrize("text, examples", [
    ("Hi {{2}} and {{1}} ok", ["a", "b"]),              # swapped
    ("Hi {{1}} and {{3}} ok", ["a", "b"]),              # gap
    ("Hi {{2}} ok", ["a"]),                             # does not start at 1
    ("Hi {{0}} ok", ["a"]),
    ("Hi {{1}} and {{1}} ok", ["a"]),                   # reused: each number once
    ("Hi {{1}} and {{2}} and {{1}} ok", ["a", "b"]),
])
def test_variables_in_order_each_once(text: str, examples: list[str]) -> None:
    refused("body.text", check_submit, with_body(text, examples))


@pytest.mark.parametrize("text", ["{{1}} is here", "  {{1}} is here", "Hi {{1}}", "Hi {{1}}  ", "Hi {{1}}.",
                                  "Hi {{1}}!", "Hi {{1}}?!", "Hi {{1}} .", "{{1}}"])
def test_body_cannot_begin_or_end_with_a_variable(text: str) -> None:
    refused("body.text", check_submit, with_body(text, ["x"]))


@pytest.mark.parametrize("text", ["Hi {{1}}{{2}} there", "Hi {{1}} {{2}} there", "Hi {{1}}\n{{2}} there"])
def test_adjacent_variables_refused(text: str) -> None:
    refused("body.text", check_submit, with_body(text, ["a", "b"]))


@pytest.mark.parametrize("text", ["Hi {{1}} ya", "Hi {{1}}, ok", "Hi {{1}}, {{2}} ok", "Hi {{ 1 }} ya",
                                  "Total {{1}} (IDR)", "Hi\n{{1}}\nthanks"])
def test_bodies_with_variables_accepted(text: str) -> None:
    check_submit(with_body(text, ["a", "b"][:len(rules.body_variables(text))]))


def test_body_examples_exactly_one_per_variable() -> None:
    refused("body.examples", check_submit, with_body("Hi {{1}} and {{2}} ok"))
    refused("body.examples", check_submit, with_body("Hi {{1}} and {{2}} ok", ["a"]))
    refused("body.examples", check_submit, with_body("Hi {{1}} and {{2}} ok", ["a", "b", "c"]))
    refused("body.examples", check_submit, with_body("No variables here", ["a"]))
    check_submit(with_body("No variables here", []))
    refused("body.examples[1]", check_submit, with_body("Hi {{1}} and {{2}} ok", ["a", ""]))
    refused("body.examples[0]", check_submit, with_body("Hi {{1}} and {{2}} ok", [" ", "b"]))


def test_body_example_limit_1024_and_1025() -> None:
    check_submit(with_body("Hi {{1}} ok", ["e" * 1024]))
    refused("body.examples[0]", check_submit, with_body("Hi {{1}} ok", ["e" * 1025]))


# Words around variables: never empty, never braces, and (so the ends are not variables) a letter each.
WORDS = st.text(alphabet="abcdefghij ,.-!?:XYZ", min_size=1, max_size=20).filter(
    lambda s: any(c.isalpha() for c in s))


def join(words: list[str], numbers: list[int]) -> str:
    return words[0] + "".join("{{%d}}%s" % (n, w) for n, w in zip(numbers, words[1:]))


@given(st.lists(WORDS, min_size=1, max_size=8))
def test_generated_bodies_in_order_accepted(words: list[str]) -> None:
    k = len(words) - 1
    check_submit(with_body(join(words, list(range(1, k + 1))), [f"ex{i}" for i in range(k)]))


@given(st.lists(WORDS, min_size=3, max_size=8), st.data())
def test_generated_bodies_with_swapped_variables_refused(words: list[str], data: st.DataObject) -> None:
    k = len(words) - 1
    numbers = list(range(1, k + 1))
    i = data.draw(st.integers(0, k - 2))
    j = data.draw(st.integers(i + 1, k - 1))
    numbers[i], numbers[j] = numbers[j], numbers[i]
    refused("body.text", check_submit, with_body(join(words, numbers), ["x"] * k))


@given(st.lists(WORDS, min_size=2, max_size=8), st.data())
def test_generated_bodies_with_a_gap_refused(words: list[str], data: st.DataObject) -> None:
    k = len(words) - 1
    gap = data.draw(st.integers(0, k - 1))
    numbers = [n if i < gap else n + 1 for i, n in enumerate(range(1, k + 1))]
    refused("body.text", check_submit, with_body(join(words, numbers), ["x"] * k))


@given(st.lists(WORDS, min_size=2, max_size=8), st.sampled_from(["", " ", ".", "!", "?", " . "]))
def test_generated_bodies_starting_or_ending_with_a_variable_refused(words: list[str], end: str) -> None:
    k = len(words) - 1
    numbers = list(range(1, k + 1))
    examples = ["x"] * k
    refused("body.text", check_submit, with_body(join(["", *words[1:]], numbers), examples))      # starts
    refused("body.text", check_submit, with_body(join([*words[:-1], end], numbers), examples))   # ends


# --- header ---------------------------------------------------------------------------------------------------

def with_header(**header: Any) -> dict[str, Any]:
    return simple(header=header)


def test_header_text_limit_60_and_61() -> None:
    check_submit(with_header(format="TEXT", text="h" * 60))
    refused("header.text", check_submit, with_header(format="TEXT", text="h" * 61))
    check_submit(with_header(format="TEXT", text="h" * 55 + "{{1}}", example="x"))
    refused("header.text", check_submit, with_header(format="TEXT", text="h" * 56 + "{{1}}", example="x"))


def test_header_text_one_variable_which_is_1() -> None:
    check_submit(with_header(format="TEXT", text="{{1}}", example="INV-7"))  # may begin or end with it
    refused("header.text", check_submit, with_header(format="TEXT", text="Order {{2}}", example="x"))
    refused("header.text", check_submit, with_header(format="TEXT", text="{{1}} {{2}}", example="x"))
    refused("header.text", check_submit, with_header(format="TEXT", text="{{1}} {{1}}", example="x"))
    refused("header.text", check_submit, with_header(format="TEXT", text="Order {{id}}", example="x"))
    refused("header.text", check_submit, with_header(format="TEXT"))


def test_header_example_needed_only_with_the_variable() -> None:
    refused("header.example", check_submit, with_header(format="TEXT", text="Order {{1}}"))
    refused("header.example", check_submit, with_header(format="TEXT", text="Order {{1}}", example=" "))
    refused("header.example", check_submit, with_header(format="TEXT", text="Order", example="x"))
    check_submit(with_header(format="TEXT", text="Order {{1}}", example="e" * 60))
    refused("header.example", check_submit, with_header(format="TEXT", text="Order {{1}}", example="e" * 61))


@pytest.mark.parametrize("fmt", ["IMAGE", "VIDEO", "DOCUMENT"])
def test_media_header_needs_an_https_url(fmt: str) -> None:
    check_submit(with_header(format=fmt, media_url="https://cdn.x.id/a.jpg"))
    refused("header.media_url", check_submit, with_header(format=fmt))
    refused("header.media_url", check_submit, with_header(format=fmt, media_url="http://cdn.x.id/a.jpg"))
    refused("header.media_url", check_submit, with_header(format=fmt, media_url="https:///a.jpg"))
    refused("header.media_url", check_submit, with_header(format=fmt, media_url="https://cdn.x.id/a b.jpg"))
    refused("header.text", check_submit, with_header(format=fmt, media_url="https://cdn.x.id/a.jpg", text="Hi"))


def test_media_url_limit_2000_and_2001() -> None:
    base = "https://cdn.x.id/"
    check_submit(with_header(format="IMAGE", media_url=base + "a" * (2000 - len(base))))
    refused("header.media_url", check_submit, with_header(format="IMAGE", media_url=base + "a" * (2001 - len(base))))


def test_location_header_takes_nothing_else() -> None:
    check_submit(with_header(format="LOCATION"))
    refused("header.text", check_submit, with_header(format="LOCATION", text="Here"))
    refused("header.media_url", check_submit, with_header(format="LOCATION", media_url="https://x.id/a"))


def test_header_format_required_and_known() -> None:
    refused("header.format", check_submit, with_header(text="Hi"))
    refused("header.format", check_submit, with_header(format="AUDIO"))
    refused("header.media_url", check_submit, with_header(format="TEXT", text="Hi", media_url="https://x.id/a"))
    check_submit(simple(header={}))  # an empty header is no header


# --- footer ---------------------------------------------------------------------------------------------------

def test_footer_limit_60_and_61_and_no_variables() -> None:
    check_submit(simple(footer={"text": "f" * 60}))
    refused("footer.text", check_submit, simple(footer={"text": "f" * 61}))
    refused("footer.text", check_submit, simple(footer={"text": "Reply {{1}}"}))
    refused("footer.text", check_submit, simple(footer={"text": "Reply {{x}}"}))
    refused("footer.text", check_submit, simple(footer={"text": ""}))


# --- buttons --------------------------------------------------------------------------------------------------

def test_ten_buttons_accepted_eleven_refused() -> None:
    check_submit(with_buttons(*[quick(f"Q{i}") for i in range(10)]))
    refused("buttons", check_submit, with_buttons(*[quick(f"Q{i}") for i in range(11)]))
    mixed = [quick(f"Q{i}") for i in range(6)] + [url_button(), url_button(), phone(), copy_code()]
    check_submit(with_buttons(*mixed))
    refused("buttons", check_submit, with_buttons(*mixed, quick()))


def test_button_text_limit_25_and_26() -> None:
    for make in (quick, lambda text: url_button(text=text), lambda text: {**phone(), "text": text}):
        check_submit(with_buttons(quick(), quick(), quick(), make("b" * 25)))
        refused("buttons[3].text", check_submit, with_buttons(quick(), quick(), quick(), make("b" * 26)))
        refused("buttons[3].text", check_submit, with_buttons(quick(), quick(), quick(), make("")))
    refused("buttons[0].text", check_submit, with_buttons({"type": "QUICK_REPLY"}))


def test_two_url_buttons_accepted_three_refused() -> None:
    check_submit(with_buttons(url_button(), url_button()))
    refused("buttons", check_submit, with_buttons(url_button(), url_button(), url_button()))


def test_one_phone_button_accepted_two_refused() -> None:
    check_submit(with_buttons(phone()))
    refused("buttons", check_submit, with_buttons(phone(), phone()))


def test_one_copy_code_button_accepted_two_refused() -> None:
    check_submit(with_buttons(copy_code()))
    refused("buttons", check_submit, with_buttons(copy_code(), copy_code()))


def test_quick_replies_grouped() -> None:
    check_submit(with_buttons(quick(), quick(), url_button(), phone()))
    check_submit(with_buttons(url_button(), phone(), quick(), quick()))
    refused("buttons", check_submit, with_buttons(quick(), url_button(), quick()))
    refused("buttons", check_submit, with_buttons(url_button(), quick(), phone()))


def test_button_type_required_and_known() -> None:
    refused("buttons[0].type", check_submit, with_buttons({"text": "Go"}))
    refused("buttons[1].type", check_submit, with_buttons(quick(), {"type": "OTP", "text": "Go"}))
    refused("buttons[0].phone_number", check_submit, with_buttons({**quick(), "phone_number": "+6281234567890"}))
    check_submit(simple(buttons=[]))


def test_url_button_url() -> None:
    refused("buttons[0].url", check_submit, with_buttons({"type": "URL", "text": "Go"}))
    refused("buttons[0].url", check_submit, with_buttons(url_button("http://x.id/a")))
    refused("buttons[0].url", check_submit, with_buttons(url_button("x.id/a")))
    refused("buttons[0].url", check_submit, with_buttons(url_button("https://x.id/a b")))
    base = "https://x.id/"
    check_submit(with_buttons(url_button(base + "a" * (2000 - len(base)))))
    refused("buttons[0].url", check_submit, with_buttons(url_button(base + "a" * (2001 - len(base)))))
    prefix = base + "a" * (2000 - len(base) - 5)
    check_submit(with_buttons(url_button(prefix + "{{1}}", prefix + "7")))
    refused("buttons[0].url", check_submit, with_buttons(url_button(prefix + "a{{1}}", prefix + "a7")))


@pytest.mark.parametrize("url", ["https://x.id/{{1}}/track", "https://x.id/{{2}}", "https://x.id/{{1}}{{1}}",
                                 "https://x.id/{{1}}?a={{2}}", "https://x.id/{{ 1 }}", "https://x.id/{{id}}",
                                 "https://{{1}}", "https://x.id{{1}}", "https://x.id:{{1}}"])
def test_url_variable_only_1_at_the_very_end(url: str) -> None:
    refused("buttons[0].url", check_submit, with_buttons(url_button(url, "https://x.id/INV-7")))


def test_url_example_required_with_the_variable_only() -> None:
    check_submit(with_buttons(url_button("https://x.id/track?id={{1}}", "https://x.id/track?id=7")))
    check_submit(with_buttons(url_button("https://x.id?{{1}}", "https://x.id?7")))
    refused("buttons[1].example", check_submit, with_buttons(quick(), url_button("https://x.id/{{1}}")))
    refused("buttons[0].example", check_submit, with_buttons(url_button("https://x.id/{{1}}", "INV-7")))
    refused("buttons[0].example", check_submit, with_buttons(url_button("https://x.id/{{1}}", "http://x.id/INV-7")))
    refused("buttons[0].example", check_submit, with_buttons(url_button("https://x.id/{{1}}", "https://y.id/INV-7")))
    refused("buttons[0].example", check_submit, with_buttons(url_button("https://x.id/{{1}}", "https://x.id/")))
    refused("buttons[0].example", check_submit, with_buttons(url_button("https://x.id/a", "https://x.id/a")))


@pytest.mark.parametrize("number, ok", [("+6281234567890", True), ("+12345678", True), ("+1234567", False),
                                        ("+123456789012345", True), ("+1234567890123456", False),
                                        ("6281234567890", False), ("+0281234567", False), ("+62 812 3456", False),
                                        ("+62-812-3456-7890", False), ("", False)])
def test_phone_number_e164(number: str, ok: bool) -> None:
    t = with_buttons(quick(), phone(number))
    if ok:
        check_submit(t)
    else:
        refused("buttons[1].phone_number", check_submit, t)


def test_copy_code_example_limit_15_and_16() -> None:
    check_submit(with_buttons(quick(), copy_code("C" * 15)))
    refused("buttons[1].example", check_submit, with_buttons(quick(), copy_code("C" * 16)))
    refused("buttons[1].example", check_submit, with_buttons(quick(), {"type": "COPY_CODE"}))


def test_copy_code_text_is_whatsapps_and_marketing_only() -> None:
    refused("buttons[0].text", check_submit, with_buttons({**copy_code(), "text": "Copy"}))
    refused("buttons[0].type", check_submit, with_buttons(copy_code(), category="UTILITY"))


# --- authentication -------------------------------------------------------------------------------------------

def test_minimal_authentication_accepted() -> None:
    check_submit(auth())
    check_submit(auth(add_security_recommendation=True, code_expiration_minutes=10, otp_type="COPY_CODE",
                      button_text="Salin kode"))


@pytest.mark.parametrize("key, value", [("header", {"format": "TEXT", "text": "Hi"}), ("body", {"text": "Code"}),
                                        ("footer", {"text": "Bye"}), ("buttons", [quick()])])
def test_authentication_refuses_own_content(key: str, value: Any) -> None:
    error = refused(key, check_submit, {**auth(), key: value})
    assert "authentication templates use Meta's preset text" in error.message


def test_authentication_settings_required_and_only_there() -> None:
    t = auth()
    del t["authentication"]
    refused("authentication", check_submit, t)
    refused("authentication", check_submit, simple(authentication={"otp_type": "COPY_CODE"}))


@pytest.mark.parametrize("minutes, ok", [(1, True), (90, True), (0, False), (91, False), (-5, False)])
def test_code_expiration_1_to_90(minutes: int, ok: bool) -> None:
    if ok:
        check_submit(auth(code_expiration_minutes=minutes))
    else:
        refused("authentication.code_expiration_minutes", check_submit, auth(code_expiration_minutes=minutes))


def test_otp_type() -> None:
    refused("authentication.otp_type", check_submit, auth(otp_type="ZERO_TAP"))
    check_submit(auth(otp_type="copy_code"))


def test_one_tap_needs_package_and_11_char_hash() -> None:
    good = {"otp_type": "ONE_TAP", "package_name": "com.example.app", "signature_hash": "K8a/AINcGX7"}
    check_submit(auth(**good))
    refused("authentication.package_name", check_submit, auth(otp_type="ONE_TAP", signature_hash="K8a/AINcGX7"))
    for package in ["example", "com.", "1com.example", "com..example", "com.example-app", "com.example.app "]:
        refused("authentication.package_name", check_submit, auth(**{**good, "package_name": package}))
    refused("authentication.signature_hash", check_submit, auth(otp_type="ONE_TAP", package_name="com.example.app"))
    for signature in ["K8a/AINcGX", "K8a/AINcGX7a", "K8a/AINc X7", "K8a%2FAINcGX"]:
        refused("authentication.signature_hash", check_submit, auth(**{**good, "signature_hash": signature}))


def test_package_and_hash_only_for_one_tap() -> None:
    refused("authentication.package_name", check_submit, auth(package_name="com.example.app"))
    refused("authentication.signature_hash", check_submit, auth(signature_hash="K8a/AINcGX7"))


def test_auth_button_text_limit_25_and_26() -> None:
    check_submit(auth(button_text="b" * 25))
    refused("authentication.button_text", check_submit, auth(button_text="b" * 26))
    refused("authentication.button_text", check_submit, auth(button_text=""))


# --- helpers and presets --------------------------------------------------------------------------------------

def test_helpers() -> None:
    assert rules.body_variables("{{2}} a {{ 1 }} b {{2}}") == [2, 1, 2]
    assert rules.body_variables(None) == []
    assert rules.header_has_variable(marketing())
    assert not rules.header_has_variable(simple(header={"format": "TEXT", "text": "Plain"}))
    assert not rules.header_has_variable(simple(header={"format": "IMAGE", "media_url": "https://x.id/{{1}}"}))
    assert not rules.header_has_variable(simple())
    assert rules.url_buttons_with_variable(marketing()) == [1]
    two = with_buttons(url_button("https://x.id/a"), quick(), url_button("https://x.id/{{1}}"))
    assert rules.url_buttons_with_variable(two) == [2]
    assert rules.url_buttons_with_variable(simple()) == []


def test_presets() -> None:
    assert rules.preset_body("en_US") == "{{1}} is your verification code."
    assert rules.preset_body("id") == "{{1}} adalah kode verifikasi Anda."
    assert rules.preset_body("fr") == rules.preset_body(None) == rules.preset_body("en")
    assert rules.security_line("en") == rules.SECURITY_LINE["en"] == "For your security, do not share this code."
    assert rules.security_line("id") == rules.SECURITY_LINE["id"]
    assert rules.expiry_line(10, "en") == "This code expires in 10 minutes."
    assert rules.expiry_line(1, "en_GB") == "This code expires in 1 minute."
    assert rules.expiry_line(10, "id") == "Kode ini kedaluwarsa dalam 10 menit."
    assert rules.copy_code_text("en") == "Copy code"
    assert rules.copy_code_text("id") == "Salin kode"


# --- to_meta --------------------------------------------------------------------------------------------------

def test_to_meta_full_marketing_template() -> None:
    assert to_meta(marketing()) == {
        "name": "order_update", "language": "id", "category": "MARKETING", "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Pesanan {{1}}", "example": {"header_text": ["INV-7"]}},
            {"type": "BODY", "text": "Halo {{1}}, pesanan {{2}} dikirim.",
             "example": {"body_text": [["Budi", "INV-7"]]}},
            {"type": "FOOTER", "text": "Kirim"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Stop"},
                {"type": "URL", "text": "Lacak", "url": "https://x.id/{{1}}", "example": ["https://x.id/INV-7"]},
                {"type": "PHONE_NUMBER", "text": "Telepon", "phone_number": "+6281234567890"},
                {"type": "COPY_CODE", "example": "KIRIM10"},
            ]},
        ]}


def test_to_meta_plain_parts_and_media() -> None:
    t = simple(header={"format": "IMAGE", "media_url": "https://cdn.x.id/a.jpg"},
               body={"text": "Hi {{ 1 }} ya", "examples": ["Budi"]},
               buttons=[url_button("https://x.id/a")])
    assert to_meta(t)["components"] == [
        {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://cdn.x.id/a.jpg"]}},
        {"type": "BODY", "text": "Hi {{1}} ya", "example": {"body_text": [["Budi"]]}},
        {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Open", "url": "https://x.id/a"}]},
    ]
    assert to_meta(simple(header={"format": "LOCATION"}))["components"] == [
        {"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "Your order is on its way."}]
    assert to_meta(simple(header={"format": "TEXT", "text": "Plain"}))["components"][0] == {
        "type": "HEADER", "format": "TEXT", "text": "Plain"}


def test_to_meta_authentication() -> None:
    assert to_meta(auth()) == {"name": "otp", "language": "id", "category": "AUTHENTICATION", "components": [
        {"type": "BODY", "add_security_recommendation": False},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]}
    full = auth(add_security_recommendation=True, code_expiration_minutes=10, button_text="Salin kode")
    assert to_meta(full)["components"] == [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 10},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Salin kode"}]}]
    one_tap = auth(otp_type="one_tap", package_name="com.example.app", signature_hash="K8a/AINcGX7")
    assert to_meta(one_tap)["components"][-1] == {"type": "BUTTONS", "buttons": [
        {"type": "OTP", "otp_type": "ONE_TAP",
         "supported_apps": [{"package_name": "com.example.app", "signature_hash": "K8a/AINcGX7"}]}]}


def test_to_meta_does_not_crash_on_unfinished_templates() -> None:
    unfinished = {"name": "wip", "language": "en", "category": "MARKETING", "header": {"text": "Hi {{1}}"},
                  "body": {"examples": ["a"]}, "footer": {}, "buttons": [{"type": "URL"}, {"type": "COPY_CODE"}, {}]}
    assert to_meta(unfinished) == {"name": "wip", "language": "en", "category": "MARKETING", "components": [
        {"type": "HEADER"}, {"type": "BUTTONS", "buttons": [{"type": "URL"}, {"type": "COPY_CODE"}, {}]}]}
    assert to_meta({"name": "wip", "language": "en"})["components"] == []
    assert to_meta({"name": "wip", "language": "en", "category": "AUTHENTICATION"})["components"][0] == {
        "type": "BODY", "add_security_recommendation": False}
    one_tap = to_meta({"name": "wip", "language": "en", "category": "AUTHENTICATION",
                       "authentication": {"otp_type": "ONE_TAP"}})
    assert one_tap["components"][-1]["buttons"][0]["supported_apps"] == [{}]


def test_huge_variable_numbers_do_not_crash() -> None:
    digits = "9" * 5000
    assert rules.body_variables("a {{%s}} b" % digits) == [10**9]
    draft = check_draft({"name": "a", "language": "en", "body": {"text": "a {{%s}} b" % digits},
                         "buttons": [{"type": "URL", "text": "Go", "url": "https://x.id/{{%s}}" % digits}]})
    refused("body.text", check_submit, {**draft, "category": "UTILITY", "accept_terms": True})
    refused("buttons[0].url", check_submit, {**draft, "category": "MARKETING", "accept_terms": True,
                                             "body": {"text": "Hi"}})
    assert to_meta(draft)["components"][0]["text"] == "a {{%s}} b" % digits
