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


INVALID_COUNTRY_CODE = "Invalid country code"  # OCA's own words for a number without one


def normalise_phone(value: object, field: str, default_region: str = "ID") -> str:
    """Return `value` as E.164, or raise bad_parameter(field, ...).

    OCA's rule: a number is "country code + phone number", with or without '+'; Indonesia's
    local form (0812...) is read in `default_region`. So:
    - "+..." and "62..." are international (62812... -> +62812...);
    - "0..." is national (0812... -> +62812...);
    - other digits are a country code and a number (60123456789 -> +60123456789); when they are
      instead a national number of `default_region` missing its 0 (812..., OCA's example
      89694353628), they are refused with OCA's "Invalid country code" rather than sent to
      whichever country their first digits name (+81 is Japan).
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
    if text.startswith("+") or digits.startswith(country_code):
        number = _valid("+" + digits, None)
    elif digits.startswith("0"):
        number = _valid(digits, default_region)
    else:
        if _valid(digits, default_region) is not None:
            raise bad_parameter(field, INVALID_COUNTRY_CODE)
        number = _valid("+" + digits, None)
        if number is None:
            raise bad_parameter(field, INVALID_COUNTRY_CODE)
    if number is None:
        raise bad_parameter(field, f"{field} is not a valid phone number")
    return number


def _valid(number: str, region: str | None) -> str | None:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def country_of(e164: str) -> str | None:
    """ISO country code of a normalised number (OCA's `country` field), e.g. "ID"."""
    import phonenumbers

    return phonenumbers.region_code_for_number(phonenumbers.parse(e164))


# Indonesia's mobile operators by the national prefix they were issued (Kominfo's numbering plan, the
# same data libphonenumber's carrier module holds; Kirim installs phonenumberslite, which leaves it out).
_ID_OPERATORS = {
    **dict.fromkeys(("811", "812", "813", "821", "822", "823", "851", "852", "853"), "TELKOMSEL"),
    **dict.fromkeys(("814", "815", "816", "855", "856", "857", "858"), "INDOSAT OOREDOO"),
    **dict.fromkeys(("817", "818", "819", "859", "877", "878"), "XL"),
    **dict.fromkeys(("831", "832", "833", "838"), "AXIS"),
    **dict.fromkeys(("895", "896", "897", "898", "899"), "TRI"),
    **dict.fromkeys(("881", "882", "883", "884", "885", "886", "887", "888", "889"), "SMARTFREN"),
}


def operator_of(e164: str) -> str | None:
    """The mobile operator an Indonesian number was issued to (OCA's `operator_cell`, e.g. "TELKOMSEL"),
    from its prefix; None for landlines and other countries. Ported numbers keep their first operator's
    prefix, so this is a hint, and a provider's own report (End User Messaging's carrierName) wins
    where there is one (messages.views)."""
    if not e164.startswith("+62"):
        return None
    return _ID_OPERATORS.get(e164[3:6])
