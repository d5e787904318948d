"""What a report cell may hold, for both formats: formula safety and text as a report shows it.

Formula injection (OWASP "CSV injection"): a spreadsheet runs text starting with `=`, `+`, `-`,
`@`, tab or CR as a formula, also behind blanks it skips (a space, a no-break space, any Unicode
space) and in the fullwidth signs `＝ ＋ － ＠` (Excel with an East Asian input method reads `＝` as
`=`). And a CSV opened where `;` is the list separator (Excel in id-ID and
most of Europe), or pasted as tab-separated text, is split into cells at `;`, `,`, tab or a line
break, so `Halo;=1+2;@SUM(A1)` would hand Excel the cells `=1+2` and `@SUM(A1)`. So:

- CSV: every field is quoted, text starting with one of those gets a leading `'` (before its blanks:
  `' =1`), and so does every place inside text where a separator is followed by one (`Halo;'=1+2;'@SUM(A1)`; and
  `Rp 10.000,- lunas` becomes `Rp 10.000,'- lunas`: the price of safety). Only a lone `+` or `-`
  before a separator or the end is left alone (`Rp 10.000,-`): alone in a cell it is text.
- XLSX: a text cell is an inline string, never a formula; text that could read as one anywhere
  also gets the `quotePrefix` style, so Excel shows it exactly as written (no apostrophe) and keeps
  it text if someone edits the cell.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

# The Unicode space separators (Zs): blanks a spreadsheet may skip before a formula.
_BLANKS = " \u00a0\u1680\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
SPACES = re.escape(_BLANKS)
# The first characters of text that may start a formula: looked at closely (`could_be_formula`).
FORMULA_FIRST = frozenset("=+-@\t\r＝＋－＠" + _BLANKS)
_STARTS_FORMULA = re.compile(f"[\t\r]|[{SPACES}]*[=+\\-@＝＋－＠]")
# A separator (of cells or rows) followed by a formula character: a cell of its own in a spreadsheet
# that splits there. A lone sign is no formula ("Rp 10.000,-" ends a price, not a cell of its own).
SEPARATED_FORMULA = re.compile(f"([,;\t\r\n])([{SPACES}]*(?:[=@＝＠]|[+\\-＋－](?![,;\t\r\n]|\\Z)))")
NUMBERS = (int, float, Decimal)  # bool is an int


def as_text(value: Any) -> str:
    """A non-number as the text a report shows: times as ISO 8601 UTC ("...Z", naive = UTC),
    bytes as UTF-8, anything else str()."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def could_be_formula(text: str) -> bool:
    """Whether a spreadsheet could read a formula in this text (at its start or after a separator)."""
    return _STARTS_FORMULA.match(text) is not None or SEPARATED_FORMULA.search(text) is not None


def neutralise_text(text: str) -> str:
    """Text with a `'` before every place a formula could start (its start, and after a separator)."""
    if SEPARATED_FORMULA.search(text):
        text = SEPARATED_FORMULA.sub("\\1'\\2", text)
    if _STARTS_FORMULA.match(text):
        text = "'" + text
    return text


def neutralise(value: Any) -> str:
    """`value` as CSV cell text that no spreadsheet evaluates. None is ""; a number is its digits
    ("-5" is a number, not a formula)."""
    if value.__class__ is not str:
        if value is None:
            return ""
        if isinstance(value, NUMBERS):
            return str(value)
        value = as_text(value)
    return neutralise_text(value)
