"""The fast path for Indonesian mobile numbers answers exactly what normalise_phone answers."""
from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.broadcasts import targets
from chalicelib.core.errors import ApiError
from chalicelib.core.phone_numbers import INVALID_COUNTRY_CODE, normalise_phone


def reference(text: str) -> str:
    if not text.strip():
        return "missing_recipient"
    if re.fullmatch(r"\+?\d[.,]\d+[eE]\+?\d+", text.strip()):
        return "scientific"  # refused before normalise_phone, which says "letters"
    try:
        return normalise_phone(text, "phone")
    except ApiError as error:
        return "country_code" if error.message == INVALID_COUNTRY_CODE else "invalid_phone"


def ours(text: str) -> str:
    try:
        return targets.phone(text)
    except ValueError as error:
        return str(error)


_forms = st.tuples(st.sampled_from(["0", "62", "+62", "", "+", "620", "0062", "+620", "8"]),
                   st.text("0123456789", min_size=0, max_size=14),
                   st.sampled_from(["", " ", "\t", "\n"]))


@settings(max_examples=3000, deadline=None)
@given(_forms)
@example(("0", "81234567890", ""))
@example(("62", "81234567890", " "))
@example(("+62", "8123456", ""))
@example(("0", "8123456789012", ""))
def test_indonesian_forms_agree_with_normalise_phone(form):
    prefix, digits, blank = form
    text = blank + prefix + digits + blank
    assert ours(text) == reference(text)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(["0", "62", "+62"]), st.sampled_from("123456789"), st.text("0123456789", min_size=6, max_size=12))
def test_mobile_shapes_agree_with_normalise_phone(prefix, second, rest):
    text = prefix + "8" + second + rest
    assert ours(text) == reference(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_text_agrees_with_normalise_phone(text):
    assert ours(text) == reference(text)


def test_a_number_excel_turned_into_scientific_notation_says_so():
    for text in ("6,28123E+12", "6.28123E+12", "6.28123e12"):
        assert ours(text) == "scientific"
