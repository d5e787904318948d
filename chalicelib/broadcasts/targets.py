"""A row's recipient as the normalised target the send pipeline takes, or the reason it is not one.

Phones go through chalicelib.core.phone_numbers.normalise_phone (08..., 628..., +628... all become
+628...). That costs ~25 microseconds a number (phonenumbers' parse and type checks), most of a
million-row file's budget, so the common case takes a fast path first: plain digits in one of
Indonesia's three forms whose national part is a mobile number by phonenumbers' own metadata
(its mobile pattern and the general pattern, read at first use, so an upgrade of the metadata moves
the fast path with it). Such a number is valid for phonenumbers whatever other type it might also
match, so the answer is exactly normalise_phone's (tests/broadcasts/test_targets.py checks it with
Hypothesis); everything else goes to normalise_phone itself.
"""
from __future__ import annotations

import re
from typing import Callable

from chalicelib.core.errors import ApiError
from chalicelib.core.phone_numbers import INVALID_COUNTRY_CODE, normalise_phone
from chalicelib.core.validation import email_address

# The reason codes a target raises; their words, in each language, are in row_words.
REASONS = ("missing_recipient", "invalid_phone", "country_code", "invalid_email", "scientific")
# What Excel writes into a CSV for a long number in a General cell: the digits past the 6th are gone.
_SCIENTIFIC = re.compile(r"\+?\d[.,]\d+[eE]\+?\d+")

_fast: re.Pattern[str] | None = None
_general: re.Pattern[str] | None = None


def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    global _fast, _general
    if _fast is None or _general is None:
        import phonenumbers

        metadata = phonenumbers.PhoneMetadata.metadata_for_region("ID")
        assert metadata is not None and metadata.mobile is not None and metadata.general_desc is not None
        _fast = re.compile(rf"(?:\+62|62|0)((?:{metadata.mobile.national_number_pattern}))")
        _general = re.compile(rf"(?:{metadata.general_desc.national_number_pattern})")
    return _fast, _general


def phone(value: str) -> str:
    """E.164, or raises ValueError(reason code)."""
    text = value.strip()
    fast, general = _patterns()
    match = fast.fullmatch(text)
    if match is not None and general.fullmatch(match.group(1)):
        return "+62" + match.group(1)
    if not text:
        raise ValueError("missing_recipient")
    if _SCIENTIFIC.fullmatch(text):
        raise ValueError("scientific")
    try:
        return normalise_phone(text, "phone")
    except ApiError as error:
        raise ValueError("country_code" if error.message == INVALID_COUNTRY_CODE else "invalid_phone") from None


def email(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("missing_recipient")
    try:
        return email_address(text, "email")
    except ApiError:
        raise ValueError("invalid_email") from None


def for_channel(channel: str) -> Callable[[str], str]:
    return email if channel == "email" else phone
