"""Reading an uploaded recipient file (CSV or XLSX) as rows, streaming.

The run's routes and worker call:
- `head(s3, bucket, key, filename) -> FileShape` for `POST .../file`: the columns and the first
  PREVIEW_ROWS data rows; raises FileProblem.
- `open_rows(s3, bucket, key, filename) -> Rows` (validation uses it): iterate a Rows for
  (line, cells) of every data row, `cells` padded or cut to `Rows.columns`; `close()` when done.

The format comes from the bytes, not the name: a zip (PK\\x03\\x04) is XLSX (xlsx_rows: read through
ranged GETs, s3_ranges), an old Excel file (.xls) is refused, anything else is read as CSV
(csv_rows: encoding, delimiter). Common to both:
- the header is the first row that is not blank; its names are trimmed; empty names at its end (the
  ";;" Excel leaves after the last column) are dropped, an empty name before them or two columns of
  one name refuse the file ("no_header"), and so does a header that holds a phone number or an email
  address (the first row is data: there is no header);
- a blank row (no cells, or only blank cells) is skipped and not counted;
- more than MAX_ROWS data rows is "too_many_rows", a file with a header and no rows "empty_file",
  more than MAX_BYTES "too_large".
"""
from __future__ import annotations

import re
from typing import Any, Iterator, NamedTuple

from botocore.exceptions import ClientError

from chalicelib.broadcasts.limits import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROW_CHARS,
    MAX_ROWS,
    PREVIEW_ROWS,
    PROBLEMS,
    FileProblem,
)

__all__ = ["PROBLEMS", "FileProblem", "FileShape", "Rows", "head", "open_rows"]

_DATA_LIKE = re.compile(r"\+?[0-9][0-9 ().\-]{6,}|[^@\s]+@[^@\s]+\.[^@\s]+")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileShape(NamedTuple):
    format: str                 # "csv" | "xlsx"
    encoding: str | None        # "utf-8" | "utf-8-sig" | "cp1252"; None for xlsx
    delimiter: str | None       # ";" | "," | "\t"; None for xlsx
    columns: list[str]
    preview: list[list[str]]    # the first rows (at most 5), as text


def _header(cells: list[str]) -> list[str]:
    names = [c.strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    if len(names) > MAX_COLUMNS:
        raise FileProblem("too_large", f"The file has more than {MAX_COLUMNS:,} columns.")
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        if not name:
            raise FileProblem("no_header", f"Column {number} of the first row has no name. The first row must "
                                           f"name every column, for example: phone, name.")
        if _DATA_LIKE.fullmatch(name):
            raise FileProblem("no_header", f"The first row holds \"{name[:40]}\", which looks like a recipient, "
                                           f"not a column name. Add a first row naming the columns, for example: "
                                           f"phone, name.")
        if name.casefold() in seen:
            raise FileProblem("no_header", f"Two columns are named \"{name[:40]}\". Give each column its own name.")
        seen.add(name.casefold())
    return names


class Rows:
    def __init__(self, source: Any, format: str) -> None:
        self.source, self.format = source, format
        self.encoding, self.delimiter = source.encoding, source.delimiter
        self._rows = iter(source)
        self.header_line = 0
        for line, cells in self._rows:
            if any(c.strip() for c in cells):
                self.columns, self.header_line = _header(cells), line
                break
        else:
            raise FileProblem("empty_file", "The file is empty.")
        self.data_rows = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        width, xlsx = len(self.columns), self.format == "xlsx"
        for line, cells in self._rows:
            if not cells or not any(c.strip() for c in cells):
                continue
            if xlsx and sum(map(len, cells)) > MAX_ROW_CHARS:
                raise FileProblem("too_large", f"Row {line} is longer than {MAX_ROW_CHARS:,} characters.")
            self.data_rows += 1
            if self.data_rows > MAX_ROWS:
                raise FileProblem("too_many_rows", f"The file has more than {MAX_ROWS:,} rows. Split it into "
                                                   f"files of at most {MAX_ROWS:,} rows.")
            if len(cells) != width:
                cells = (cells + [""] * width)[:width]
            yield line, cells
        if not self.data_rows:
            raise FileProblem("empty_file", "The file has a header row but no recipients.")

    def close(self) -> None:
        self.source.close()


def open_rows(s3: Any, bucket: str, key: str, filename: str) -> Rows:
    """The file's rows; raises FileProblem (here for its header, later while iterating)."""
    from chalicelib.broadcasts.csv_rows import FIRST_BLOCK, CsvRows, read_block

    try:
        size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise FileProblem("empty_file", "No file has been uploaded yet.") from None
        raise
    if size == 0:
        raise FileProblem("empty_file", "The file is empty.")
    if size > MAX_BYTES:
        raise FileProblem("too_large", f"The file is larger than {MAX_BYTES // (1 << 20)} MB.")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    first = read_block(body, FIRST_BLOCK)
    if first.startswith(b"PK\x03\x04"):
        body.close()
        from chalicelib.broadcasts.s3_ranges import S3RangeReader
        from chalicelib.broadcasts.xlsx_rows import XlsxRows

        return Rows(XlsxRows(S3RangeReader(s3, bucket, key, size=size)), "xlsx")
    if first.startswith(_OLE):
        body.close()
        raise FileProblem("binary", "This is an old Excel file (.xls). In Excel choose Save As, then "
                                    "'Excel Workbook (.xlsx)' or 'CSV UTF-8', and upload it again.")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        body.close()
        raise FileProblem("binary", "This file is named .xlsx but is not an Excel workbook.")
    try:
        return Rows(CsvRows(body, first), "csv")
    except BaseException:
        body.close()
        raise


def head(s3: Any, bucket: str, key: str, filename: str) -> FileShape:
    """The shape of the uploaded object at `key` from its first rows; raises FileProblem."""
    rows = open_rows(s3, bucket, key, filename)
    try:
        preview: list[list[str]] = []
        iterator = iter(rows)
        for _, cells in iterator:
            preview.append(cells)
            if len(preview) == PREVIEW_ROWS:
                break
        return FileShape(rows.format, rows.encoding, rows.delimiter, rows.columns, preview)
    finally:
        rows.close()
