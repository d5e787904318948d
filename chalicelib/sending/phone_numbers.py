"""Phone numbers from requests, normalised to E.164 (+628...), or a 406 naming the field.

Indonesian clients write the same mobile number as 0812..., 62812... or +62812..., often with
spaces, dashes, dots or parentheses; all of them mean +62812....
"""
from __future__ import annotations

import re

from chalicelib.core.errors import bad_parameter

MAX_INPUT_LEN = 32  # generous for "+62 (812) 3456-7890" and the like; E.164 itself is at most 15 digits

# What a written phone number may contain: ASCII digits and the usual separators, with '+' only first.
# Anything else (letters, extensions, Unicode digits) is refused rather than guessed at:
# phonenumbers would read "1-800-FLOWERS" letters as digits and "ext. 12" as an extension.
_ALLOWED = re.compile(r"\+?[0-9 ().\-]+")
_LETTER = re.compile(r"[^\W\d_]")


def normalise_phone(value: object, field: str, default_region: str = "ID") -> str:
    """Return `value` as E.164, or raise bad_parameter(field, ...).

    Without a leading '+', digits starting with the default region's country code (62 for ID)
    are read as international (62812... -> +62812...) and only that way: reading them as a
    national number would silently give another, sometimes valid, number (+6262812...).
    Other digits are read as national in `default_region` (0812... or 812... -> +62812...),
    then, if that is not a valid number, as international ('+' added: 6591234567 stays
    Indonesian if valid there, 60123456789 becomes +60123456789).
    """
    if not isinstance(value, str):
        raise bad_parameter(field, f"{field} must be a string")
    text = value.strip()
    if not text:
        raise bad_parameter(field, f"{field} is required")
    if len(text) > MAX_INPUT_LEN:
        raise bad_parameter(field, f"{field} must be at most {MAX_INPUT_LEN} characters")
    if _LETTER.search(text):
        raise bad_parameter(field, f"{field} must not contain letters")
    if not _ALLOWED.fullmatch(text):
        raise bad_parameter(field, f"{field} may contain only digits, spaces, '-', '.', '(', ')' and a leading '+'")
    digits = re.sub(r"[^0-9]", "", text)
    if not digits:
        raise bad_parameter(field, f"{field} must contain digits")

    # Lazy import: `import phonenumbers` measured ~25 ms (python -X importtime), plus per-region
    # metadata on first use; routes that never see a phone number should not pay it at cold start.
    import phonenumbers

    country_code = str(phonenumbers.country_code_for_region(default_region))
    if text.startswith("+"):
        candidates = [("+" + digits, None)]
    elif country_code != "0" and digits.startswith(country_code):
        candidates = [("+" + digits, None)]
    else:
        candidates = [(digits, default_region), ("+" + digits, None)]

    for number, region in candidates:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    raise bad_parameter(field, f"{field} is not a valid phone number")


def country_of(e164: str) -> str | None:
    """ISO country code of a normalised number (OCA's `country` field), e.g. "ID"."""
    import phonenumbers

    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
