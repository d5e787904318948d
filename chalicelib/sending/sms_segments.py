"""How many SMS segments a text costs, the way operators bill it (GSM 03.38 / 3GPP TS 23.038).

A text made only of GSM-7 characters is sent in 7-bit septets: 160 in one SMS, 153 per part
once it needs several (the user data header takes 7). Extension-table characters cost 2
septets (escape + char) and an escape pair is never split across parts. Any other character
switches the whole text to UCS-2: 70 UTF-16 code units in one SMS, 67 per part, and a
surrogate pair (emoji outside the BMP) is never split across parts either.
"""
from __future__ import annotations

from typing import NamedTuple

from chalicelib.core.errors import bad_parameter

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# The default alphabet, in table order. 0x1B (escape) is left out: it is not a character
# a text can contain, only the prefix of the extension table.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through the escape, so each costs 2 septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


class SegmentInfo(NamedTuple):
    encoding: str    # "GSM-7" | "UCS-2"
    characters: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def count_segments(text: str) -> SegmentInfo:
    """Segments `text` costs. "" gives 1 segment of 0 characters (an empty SMS is still one SMS);
    callers refuse empty bodies before billing, see check_sms_text."""
    if is_gsm7(text):
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        encoding, single, part = GSM7, GSM7_SINGLE, GSM7_PART
    else:
        # A code point above the BMP is a surrogate pair in UTF-16: 2 units, kept together.
        costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
        encoding, single, part = UCS2, UCS2_SINGLE, UCS2_PART
    total = sum(costs)
    if total <= single:
        return SegmentInfo(encoding, total, 1)
    return SegmentInfo(encoding, total, _pack(costs, part))


def _pack(costs: list[int], capacity: int) -> int:
    """Parts needed when each character (cost 1 or 2) must sit whole in one part."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts, used = parts + 1, 0
        used += cost
    return parts


def check_sms_text(value: object, field: str, max_segments: int = 10) -> tuple[str, SegmentInfo]:
    """The text unchanged (not stripped: the sender's spacing is theirs to pay for) and its
    segment count, or a 406 naming `field`: not a string, empty or only whitespace, a lone
    surrogate (cannot be encoded for sending), or more than `max_segments` segments."""
    if not isinstance(value, str):
        raise bad_parameter(field, f"{field} must be a string")
    if not value.strip():
        raise bad_parameter(field, f"{field} is required")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise bad_parameter(field, f"{field} contains an invalid character (a lone UTF-16 surrogate)")
    info = count_segments(value)
    if info.segments > max_segments:
        raise bad_parameter(
            field,
            f"{field} is {info.segments} SMS segments ({info.characters} {info.encoding} characters); "
            f"at most {max_segments} are allowed",
        )
    return value, info
