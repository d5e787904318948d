"""Report writers: message rows in, CSV or XLSX bytes out, in chunks, with flat memory.

A report worker reads pages with DynamoDB `Query`, turns each message into a list of values in
`columns_for(channel)` order and calls `write_row`; the writer hands bytes to `sink.write(bytes)`
(the worker's buffer, which uploads a multipart part every 8+ MiB). `close()` flushes the last
bytes; it never closes the sink, so the worker decides when to complete the upload. On an error,
`abort()` (or leaving a `with` block by an exception) drops the temporary files instead.

    with writer_for("csv", sink, columns_for("sms")) as writer:
        for message in messages:
            writer.write_row([...])

Decisions:
- Header labels are the column names themselves, snake_case ("message_id", "total_sms"), the
  same words as the API's JSON fields: a report is read back by scripts as often as by people,
  and one spelling everywhere beats prettier labels that need a mapping.
- CSV is UTF-8 *with* a byte order mark. Account owners open reports in Excel, which reads a
  CSV without a BOM in the machine's ANSI code page and garbles Indonesian names, emoji and any
  non-ASCII text; with the BOM it reads UTF-8. Scripts cope: Python's `encoding="utf-8-sig"`,
  pandas' `read_csv` and most CSV libraries drop it (plain `"utf-8"` leaves "\\ufeff" glued to the
  first header, "message_id"). Rows end in CRLF (RFC 4180), quoting is minimal, and the rare text
  Python cannot encode (a lone surrogate) becomes "?" instead of failing the report.
- Formula injection (OWASP "CSV injection"): every text cell starting with `=`, `+`, `-`, `@`,
  tab or carriage return gets a leading `'`, in both formats. Numbers (int, float, Decimal,
  bool) stay numbers, so `-5` is a number and `"-5"` is text that becomes `"'-5"`. Note that
  E.164 targets (`+628...`) are text and so come out as `'+628...`: in Excel's CSV import that
  also keeps the `+` and every digit, which it would otherwise turn into 6.28E+12.
  XLSX cells are always written as values, never formulas; openpyxl would read a string starting
  with "=" as one, which the quote prevents, and a text equal to an Excel error word ("#N/A") is
  forced to stay text.
- XLSX text may not hold characters XML 1.0 forbids: C0 controls other than tab, LF and CR
  (openpyxl's ILLEGAL_CHARACTERS_RE) plus lone surrogates, U+FFFE and U+FFFF, which openpyxl
  does not catch and Excel would call a corrupt file. They are removed (then the text is
  neutralised, so "\\x01=cmd" cannot turn into a live "=cmd"). A cell keeps at most 32,767
  characters, Excel's limit (openpyxl truncates). A bare CR in XLSX text reads back as LF (XML's
  line-end handling). CSV keeps the text as it is.
- Times (datetime) are written as ISO 8601 UTC text ending in "Z", as the API shows them; naive
  datetimes are taken as UTC.
- XLSX: openpyxl's write-only workbook (imported on first use, never at module import, for Lambda
  cold starts) streams each sheet's XML to a temporary file in the temp directory; `close()` zips
  them into one more temporary file and copies that to the sink in 8 MiB chunks. Memory stays flat
  (about 26 MB for the process plus one chunk), but the temp directory must hold the uncompressed
  sheet XML, about 560 bytes a row for SMS rows (a full sheet: ~590 MB), plus the finished file
  (about a tenth of that). Lambda's /tmp is 512 MB unless the report function's ephemeral storage
  is raised, which a report of a million rows needs.
  A sheet holds at most 1,048,575 data rows under its header (Excel's 1,048,576 rows); further
  rows go to "Messages 2", "Messages 3"..., each with the header again.
"""
from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Protocol

from chalicelib.reports.formats import FORMATS

COLUMNS_COMMON = ["message_id", "channel", "target", "status", "created_at", "updated_at"]
# Columns Kirim itself fills (ULIDs, channel and status words, ISO times, counts): they can never
# start with a formula character, so the CSV writer does not check them cell by cell.
SAFE_COLUMNS = frozenset({"message_id", "channel", "status", "created_at", "updated_at", "total_sms",
                          "duration", "talk_duration", "ivr_id"})
DETAIL_COLUMNS = {
    "sms": ["total_sms", "message_body"],
    "sms_otp": ["total_sms", "sender_id", "message_body"],
    "email": ["subject", "sender_email", "attachment"],
    "ivr": ["ivr_id", "duration", "talk_duration", "hangup_cause"],
    "whatsapp": ["template_name"],
}


MAX_XLSX_ROWS_PER_SHEET = 1_048_575  # Excel's 1,048,576 rows, less the header
SHEET_TITLE = "Messages"
CSV_CHUNK = 1 << 20  # bytes handed to the sink at a time by CsvWriter
COPY_CHUNK = 8 << 20  # bytes per sink.write when XlsxWriter copies the finished file
MAX_XLSX_TEXT = 32_767

_DANGER_FIRST = frozenset("=+-@\t\r")
_NUMBERS = (int, float, Decimal)  # bool is an int
# XML 1.0 forbids these; the first three ranges are exactly openpyxl's ILLEGAL_CHARACTERS_RE.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


class Sink(Protocol):
    def write(self, data: bytes, /) -> Any: ...


def columns_for(channel: str) -> list[str]:
    """The report columns for one channel: the common ones, then the channel's own."""
    try:
        return COLUMNS_COMMON + DETAIL_COLUMNS[channel]
    except KeyError:
        raise ValueError(f"unknown channel {channel!r}") from None


def canonical_format(fmt: str) -> str:
    """The canonical format, "csv" or "xlsx", from a name as a user may give it ("CSV", "xls")."""
    try:
        return FORMATS[str(fmt).strip().lower()]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}") from None


def _text(value: Any) -> str:
    """Any non-number as the text a report shows (before neutralising)."""
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


def neutralise(value: Any) -> str:
    """`value` as cell text that no spreadsheet evaluates as a formula.

    Text starting with =, +, -, @, tab or CR gets a leading single quote. None is "". A number is
    its plain digits ("-5"): it is not text and cannot be a formula.
    """
    if value.__class__ is not str:
        if value is None:
            return ""
        if isinstance(value, _NUMBERS):
            return str(value)
        value = _text(value)
    if value[:1] in _DANGER_FIRST:
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    """The slow path of CsvWriter.write_row: anything but text that is already safe."""
    if value is None or value.__class__ in (int, float):
        return value  # csv writes None as "" and numbers as digits
    if value.__class__ is bool:
        return "true" if value else "false"
    return neutralise(value)


class _SinkRaw(io.RawIOBase):
    """The bottom of CsvWriter's stream: every write goes straight to the sink as bytes."""

    def __init__(self, sink: Sink) -> None:
        super().__init__()
        self.sink: Sink | None = sink

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.sink is not None:  # None after abort: the rest is dropped
            self.sink.write(bytes(data))  # BufferedWriter reuses its buffer: the sink gets a copy
        return memoryview(data).nbytes


class _Writer:
    rows: int
    columns: list[str]

    def write_row(self, values: list) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def abort(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def write_rows(self, rows: list[list]) -> None:
        """Write many rows (a Query page) at once, as write_row does one."""
        for values in rows:
            self.write_row(values)

    def _check_row(self, values) -> None:
        if self._closed:
            raise ValueError("report writer is closed")
        if len(values) != len(self.columns):
            raise ValueError(f"row has {len(values)} values for {len(self.columns)} columns")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class CsvWriter(_Writer):
    """RFC 4180 CSV, UTF-8 with a BOM, header first; bytes reach the sink in ~`chunk_size` pieces.

    Text goes csv.writer -> TextIOWrapper (UTF-8 encoder) -> BufferedWriter -> sink: all of it C
    code, holding at most about `chunk_size` bytes at a time.
    """

    def __init__(self, sink: Sink, columns: list[str], *, chunk_size: int = CSV_CHUNK) -> None:
        self.columns = list(columns)
        self.rows = 0
        self._closed = False
        self._raw = _SinkRaw(sink)
        buffered = io.BufferedWriter(self._raw, buffer_size=chunk_size)
        self._stream = io.TextIOWrapper(buffered, encoding="utf-8", errors="replace", newline="")
        self._stream.write("\ufeff")
        writer = csv.writer(self._stream, lineterminator="\r\n")
        self._writerow = writer.writerow
        self._width = len(self.columns)
        # Only columns that can carry someone's text are checked, cell by cell: that check is
        # most of the writer's cost over a bare csv.writer.
        self._checked = [i for i, name in enumerate(self.columns) if name not in SAFE_COLUMNS]
        self._writerow([neutralise(name) for name in self.columns])

    def write_row(self, values: list, _danger=_DANGER_FIRST, _str=str, _int=int, _slow=_csv_value) -> None:
        """Write one row, `values` in column order. (The `_` parameters are local bindings, not API.)"""
        if self._closed or len(values) != self._width:
            self._check_row(values)
        # The hot loop, inlined: in the columns that can hold text from outside, dangerous text
        # gets its quote and anything but text, ints and None takes the slow path.
        row = list(values)
        for i in self._checked:
            v = row[i]
            if v.__class__ is _str:
                if v and v[0] in _danger:
                    row[i] = "'" + v
            elif v.__class__ is not _int and v is not None:
                row[i] = _slow(v)
        self._writerow(row)
        self.rows += 1

    def close(self) -> None:
        """Flush every byte left to the sink (the sink itself stays open). Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._stream.close()  # flushes down to the sink; closing _SinkRaw leaves the sink alone

    def abort(self) -> None:
        """Stop; what is still buffered is dropped (the sink may hold part of a file)."""
        if not self._closed:
            self._closed = True
            self._raw.sink = None
            self._stream.close()


class XlsxWriter(_Writer):
    """XLSX through openpyxl's write-only workbook; sheets "Messages", "Messages 2"... of at most
    `max_rows_per_sheet` data rows each, every one under the header row.

    Nothing reaches the sink before `close()`: a zip's directory comes last, so the file is
    finished in a temporary file under `tmp_dir` (default: the system temp dir, /tmp on Lambda) and
    then copied to the sink in `copy_chunk` pieces.
    """

    def __init__(self, sink: Sink, columns: list[str], max_rows_per_sheet: int = MAX_XLSX_ROWS_PER_SHEET, *,
                 tmp_dir: str | None = None, copy_chunk: int = COPY_CHUNK) -> None:
        if not 1 <= max_rows_per_sheet <= MAX_XLSX_ROWS_PER_SHEET:
            raise ValueError(f"max_rows_per_sheet must be 1..{MAX_XLSX_ROWS_PER_SHEET}")
        from openpyxl import Workbook  # here, not at module import: cold starts

        self.columns = list(columns)
        self.rows = 0
        self.max_rows_per_sheet = max_rows_per_sheet
        self._sink = sink
        self._tmp_dir = tmp_dir
        self._copy_chunk = copy_chunk
        self._closed = False
        self._workbook = Workbook(write_only=True)
        self._sheets = 0
        self._sheet_rows = 0
        self._new_sheet()

    @property
    def sheet_titles(self) -> list[str]:
        return [sheet.title for sheet in self._workbook.worksheets]

    def _new_sheet(self) -> None:
        self._sheets += 1
        title = SHEET_TITLE if self._sheets == 1 else f"{SHEET_TITLE} {self._sheets}"
        self._sheet = self._workbook.create_sheet(title)
        self._append = self._sheet.append
        self._append([self._value(name) for name in self.columns])
        self._sheet_rows = 0

    def _value(self, value: Any) -> Any:
        """A value as openpyxl should store it: a number, None (empty cell) or safe text."""
        cls = value.__class__
        if cls is str:
            if _XML_ILLEGAL.search(value):
                value = _XML_ILLEGAL.sub("", value)
            if len(value) > MAX_XLSX_TEXT:
                value = value[:MAX_XLSX_TEXT]
            if value[:1] in _DANGER_FIRST:
                return "'" + value[:MAX_XLSX_TEXT - 1]
            if value in _EXCEL_ERRORS:
                return self._text_cell(value)
            return value
        if value is None or cls is int or cls is bool or cls is Decimal:
            return value
        if cls is float:
            return value if math.isfinite(value) else str(value)  # Excel has no NaN or infinity
        if isinstance(value, _NUMBERS):
            return value
        return self._value(_text(value))

    def _text_cell(self, text: str):
        """A cell that stays text even where openpyxl would guess another type ("#N/A" -> error)."""
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self._sheet)
        cell._value = text
        cell.data_type = "s"
        return cell

    def write_row(self, values: list) -> None:
        """Write one row, `values` in column order; a full sheet moves on to the next one."""
        if self._closed or len(values) != len(self.columns):
            self._check_row(values)
        if self._sheet_rows >= self.max_rows_per_sheet:
            self._new_sheet()
        convert = self._value
        self._append([convert(v) for v in values])
        self._sheet_rows += 1
        self.rows += 1

    def close(self) -> None:
        """Finish the workbook in a temporary file and copy it to the sink. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            with tempfile.TemporaryFile(dir=self._tmp_dir, prefix="kirim-report-", suffix=".xlsx") as finished:
                self._workbook.save(finished)  # zips each sheet's temp file, then removes it
                finished.seek(0)
                while True:
                    chunk = finished.read(self._copy_chunk)
                    if not chunk:
                        break
                    self._sink.write(chunk)
                    del chunk  # so that two chunks never live at once
        finally:
            self._remove_sheet_files()

    def abort(self) -> None:
        """Stop and delete the sheets' temporary files; nothing more reaches the sink."""
        if not self._closed:
            self._closed = True
            self._remove_sheet_files()

    def _remove_sheet_files(self) -> None:
        """openpyxl removes its temp files only in a successful save; a warm Lambda keeps /tmp."""
        import os

        for sheet in self._workbook.worksheets:
            writer = getattr(sheet, "_writer", None)
            if writer is None:
                continue
            if not sheet.closed:
                try:
                    sheet.close()  # ends its row generator now, while its file is still open
                except Exception:  # noqa: BLE001 - best effort: removing the file is what matters
                    pass
            path = getattr(writer, "out", None)
            if isinstance(path, str) and os.path.exists(path):
                try:
                    writer.cleanup()
                except (OSError, ValueError):
                    os.remove(path)


def writer_for(fmt: str, sink: Sink, columns: list[str], **kw) -> CsvWriter | XlsxWriter:
    """CsvWriter for "csv", XlsxWriter for "xlsx" or "xls"; `kw` goes to the writer."""
    if canonical_format(fmt) == "csv":
        return CsvWriter(sink, columns, **kw)
    return XlsxWriter(sink, columns, **kw)
