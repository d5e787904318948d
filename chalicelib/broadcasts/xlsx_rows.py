"""An XLSX recipient file as rows: the first sheet, streaming, values only.

openpyxl with read_only=True (rows are parsed as they are read, never the whole sheet) and
data_only=True: a formula cell gives the value Excel saved with it and is never evaluated; a formula
saved without a value (written by a program, never opened in Excel) is an empty cell. Numbers are
text the way a person typed them: 6281234567890.0 (a phone number in a number cell) is
"6281234567890", never "6.28123456789e+12".

Memory: Excel stores each distinct text of a workbook once, in its shared strings table, and openpyxl
holds that table whole (~18 MiB for 200,000 rows of a text phone number and a distinct name), so an
XLSX's memory grows with its distinct texts, unlike a CSV's; the table is capped below. Reading costs
~50 microseconds a row (openpyxl parses in Python): a CSV is the lighter choice for the largest lists.
"""
from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.broadcasts.limits import FileProblem

# Shared strings are held in memory by openpyxl: a zip bomb of them is refused before it is opened.
MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024
NOT_A_WORKBOOK = "This file could not be read as an Excel workbook (.xlsx). Save it again from Excel or upload a CSV."


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text or "E" in text else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


class XlsxRows:
    """Iterate for (line, cells) of every row of the first sheet; `line` is the sheet's row number."""

    def __init__(self, reader: Any) -> None:
        import openpyxl  # lazy: only XLSX uploads need it

        self.encoding = self.delimiter = None
        try:
            with zipfile.ZipFile(reader) as archive:
                if sum(i.file_size for i in archive.infolist() if i.filename.endswith("sharedStrings.xml")) \
                        > MAX_SHARED_STRINGS_BYTES:
                    raise FileProblem("too_large", "The workbook's text is too large to read. Upload a CSV instead.")
            reader.seek(0)
            self.book = openpyxl.load_workbook(reader, read_only=True, data_only=True, keep_links=False)
            if not self.book.worksheets:
                raise FileProblem("empty_file", "The workbook has no sheets.")
            self.sheet = self.book.worksheets[0]
            # Read-only mode trusts the sheet's <dimension>, which programs often leave stale: it would
            # stop at the row it names and drop the rest. Rows are read to the sheet's real end.
            self.sheet.reset_dimensions()
        except (FileProblem, ClientError, BotoCoreError):
            raise
        except Exception:  # noqa: BLE001 - openpyxl and zipfile raise many types for a broken file
            raise FileProblem("binary", NOT_A_WORKBOOK) from None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        try:
            rows = self.sheet.iter_rows(min_row=1, values_only=True)
            for line, values in enumerate(rows, start=1):
                yield line, [cell_text(v) for v in values]
        except (FileProblem, ClientError, BotoCoreError):
            raise
        except Exception:  # noqa: BLE001
            raise FileProblem("binary", NOT_A_WORKBOOK) from None

    def close(self) -> None:
        try:
            self.book.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken workbook has nothing left to say
            pass
