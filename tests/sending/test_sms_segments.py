"""count_segments / check_sms_text: what operators bill, at every boundary."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core.errors import ApiError
from chalicelib.sending.sms_segments import GSM7_BASIC, GSM7_EXTENSION, SegmentInfo, check_sms_text, count_segments

BASIC = "".join(sorted(GSM7_BASIC))
EXTENSION = "".join(sorted(GSM7_EXTENSION))
UCS2_CHAR = "ж"     # in the BMP, not in GSM-7
ASTRAL = "😀"       # outside the BMP: a surrogate pair, 2 UTF-16 units


def test_tables_match_gsm_03_38() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points minus the escape
    assert set("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r") <= GSM7_BASIC
    assert GSM7_EXTENSION == set("\f^{}\\[]~|€")
    # "\u2126" is the Ohm sign (Greek Omega is GSM-7); "’" and "…" are what phones autocorrect to.
    for not_gsm in ["ç", "á", "`", "\t", "\x1b", "\u2126", "’", "…", UCS2_CHAR, ASTRAL]:
        assert count_segments(not_gsm).encoding == "UCS-2", not_gsm


def test_empty_text_is_one_segment_of_nothing() -> None:
    assert count_segments("") == SegmentInfo("GSM-7", 0, 1)


@pytest.mark.parametrize("length, segments", [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_boundaries(length: int, segments: int) -> None:
    assert count_segments("a" * length) == SegmentInfo("GSM-7", length, segments)


@pytest.mark.parametrize("length, segments", [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_ucs2_boundaries(length: int, segments: int) -> None:
    assert count_segments(UCS2_CHAR * length) == SegmentInfo("UCS-2", length, segments)


def test_extension_characters_cost_two_septets() -> None:
    assert count_segments("€") == SegmentInfo("GSM-7", 2, 1)
    assert count_segments("{" * 80) == SegmentInfo("GSM-7", 160, 1)
    assert count_segments("{" * 80 + "a") == SegmentInfo("GSM-7", 161, 2)
    assert count_segments("\f") == SegmentInfo("GSM-7", 2, 1)


def test_escape_pair_is_not_split_across_segments() -> None:
    # 152 + 2 + 152 = 306 septets = 2 x 153, yet the '{' cannot straddle parts 1 and 2:
    # part 1 holds 152, part 2 holds '{' + 151, part 3 the last 'a'.
    text = "a" * 152 + "{" + "a" * 152
    assert count_segments(text) == SegmentInfo("GSM-7", 306, 3)
    # Moved one place earlier it fits whole in part 1, and 2 parts suffice.
    assert count_segments("a" * 151 + "{" + "a" * 153).segments == 2


def test_surrogate_pair_is_not_split_across_segments() -> None:
    assert count_segments(ASTRAL) == SegmentInfo("UCS-2", 2, 1)
    assert count_segments(ASTRAL * 35) == SegmentInfo("UCS-2", 70, 1)
    assert count_segments(ASTRAL * 36) == SegmentInfo("UCS-2", 72, 2)
    # 66 + 2 + 66 = 134 units = 2 x 67, but the pair cannot start at unit 67 of part 1.
    assert count_segments(UCS2_CHAR * 66 + ASTRAL + UCS2_CHAR * 66) == SegmentInfo("UCS-2", 134, 3)
    assert count_segments(UCS2_CHAR * 65 + ASTRAL + UCS2_CHAR * 67).segments == 2
    # Only pairs: 33 (66 units) per part.
    assert count_segments(ASTRAL * 67) == SegmentInfo("UCS-2", 134, 3)


def test_one_non_gsm_character_switches_the_whole_text() -> None:
    assert count_segments("a" * 100) == SegmentInfo("GSM-7", 100, 1)
    assert count_segments("a" * 100 + "ç") == SegmentInfo("UCS-2", 101, 2)
    # Extension characters are 1 unit in UCS-2.
    assert count_segments("€" * 10 + "ç") == SegmentInfo("UCS-2", 11, 1)


gsm_plain = st.text(alphabet=BASIC, max_size=700)
gsm_any = st.text(alphabet=BASIC + EXTENSION, max_size=700)
any_text = st.text(max_size=400)


@given(gsm_plain)
def test_gsm_without_extension_is_ceil_of_153(text: str) -> None:
    info = count_segments(text)
    assert info.encoding == "GSM-7" and info.characters == len(text)
    assert info.segments == (1 if len(text) <= 160 else math.ceil(len(text) / 153))


@given(gsm_any, st.characters(blacklist_characters=BASIC + EXTENSION), st.integers(min_value=0))
def test_adding_a_non_gsm_character_switches_to_ucs2(text: str, extra: str, where: int) -> None:
    where %= len(text) + 1
    info = count_segments(text[:where] + extra + text[where:])
    assert info.encoding == "UCS-2"
    assert info.characters == len((text + extra).encode("utf-16-le", "surrogatepass")) // 2


@given(st.one_of(gsm_any, any_text))
def test_segments_hold_the_text_and_are_not_wasted(text: str) -> None:
    info = count_segments(text)
    single, part = (160, 153) if info.encoding == "GSM-7" else (70, 67)
    if info.characters <= single:
        assert info.segments == 1
    else:
        # Enough room, and every part but the last is full up to one unit (an unsplittable pair).
        assert info.segments * part >= info.characters
        assert (info.segments - 1) * (part - 1) < info.characters
        assert info.segments >= math.ceil(info.characters / part)


# --- check_sms_text ----------------------------------------------------------------------------

def refused(value: object, field: str = "message", **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        check_sms_text(value, field, **kwargs)
    error = info.value
    assert (error.code, error.status, error.field) == (39, 406, field)
    return error


def test_check_returns_text_unchanged_and_its_count() -> None:
    assert check_sms_text(" Halo ", "message") == (" Halo ", SegmentInfo("GSM-7", 6, 1))


@pytest.mark.parametrize("value", [None, 5, b"halo", ["halo"]])
def test_check_refuses_non_strings(value: object) -> None:
    assert "string" in refused(value).message


@pytest.mark.parametrize("value", ["", " ", "\n\t "])
def test_check_refuses_empty(value: str) -> None:
    assert "required" in refused(value, field="message_body").message


def test_check_refuses_lone_surrogates() -> None:
    refused("halo \ud83d")


def test_check_segment_limit() -> None:
    assert check_sms_text("a" * 153 * 10, "message")[1].segments == 10
    error = refused("a" * (153 * 10 + 1))
    assert "11 SMS segments" in error.message and "at most 10" in error.message
    assert check_sms_text("a" * 160, "message", max_segments=1)[1].segments == 1
    assert "2 SMS segments" in refused("a" * 161, max_segments=1).message
    assert "UCS-2" in refused(UCS2_CHAR * 71, max_segments=1).message
