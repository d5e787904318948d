"""Report writers: message rows in, CSV, gzipped CSV or XLSX bytes out, with flat memory and no
temporary files, resumable at any checkpoint (a report is written across several invocations).

A report worker turns each message into a list of values in `columns_for(channel)` order and calls
`write_row`; the writer hands bytes to `sink.write` (or to a callable). `checkpoint()` pushes every
byte so far out and returns a small JSON-able state; `resume_writer(format, state, sink, columns)`
carries on from it in another process. `close()` writes the file's end; `abort()` drops the rest.

    with writer_for("csv", sink, columns_for("sms")) as writer:
        for message in messages:
            writer.write_row([...])

Decisions:
- Header labels are the column names themselves, snake_case ("message_id", "total_sms"), the
  same words as the API's JSON fields: a report is read back by scripts as often as by people.
- Formula injection: cells.py (both formats). Numbers (int, float, Decimal, bool) stay numbers.
- CSV: csv_writer.py (every field quoted, UTF-8 with a BOM, CRLF); `csv.gz` is the same bytes as one
  gzip member at level 1 (a fifth of the size for little CPU).
- XLSX: xlsx_writer.py (inline strings, quotePrefix, sheets of 1,048,575 rows, one zip stream).
"""
from __future__ import annotations

from typing import Any

from chalicelib.reports.cells import neutralise
from chalicelib.reports.csv_writer import CSV_CHUNK, SAFE_COLUMNS, CsvWriter
from chalicelib.reports.formats import FORMATS
from chalicelib.reports.xlsx_writer import MAX_XLSX_ROWS_PER_SHEET, MAX_XLSX_TEXT, XlsxWriter

__all__ = ["COLUMNS_COMMON", "CSV_CHUNK", "CsvWriter", "DETAIL_COLUMNS", "MAX_XLSX_ROWS_PER_SHEET", "MAX_XLSX_TEXT",
           "SAFE_COLUMNS", "XlsxWriter", "canonical_format", "columns_for", "neutralise", "resume_writer",
           "stream_options", "writer_for"]

COLUMNS_COMMON = ["message_id", "channel", "target", "status", "created_at", "updated_at"]
DETAIL_COLUMNS = {
    "sms": ["total_sms", "message_body"],
    "sms_otp": ["total_sms", "sender_id", "message_body"],
    "email": ["subject", "sender_email", "attachment"],
    "ivr": ["ivr_id", "duration", "talk_duration", "hangup_cause"],
    "whatsapp": ["template_name"],
}


def columns_for(channel: str) -> list[str]:
    """The report columns for one channel: the common ones, then the channel's own."""
    try:
        return COLUMNS_COMMON + DETAIL_COLUMNS[channel]
    except KeyError:
        raise ValueError(f"unknown channel {channel!r}") from None


def canonical_format(fmt: str) -> str:
    """"csv", "csv.gz" or "xlsx", from a name as a user may give it ("CSV", "xls")."""
    try:
        return FORMATS[str(fmt).strip().lower()]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}") from None


def writer_for(fmt: str, sink: Any, columns: list[str], **kw: Any) -> CsvWriter | XlsxWriter:
    """The writer of a format; `kw` goes to it (max_rows_per_sheet for XLSX)."""
    fmt = canonical_format(fmt)
    if fmt == "xlsx":
        return XlsxWriter(sink, columns, **kw)
    return CsvWriter(sink, columns, gzip=fmt == "csv.gz", **kw)


def resume_writer(fmt: str, state: dict, sink: Any, columns: list[str], **kw: Any) -> CsvWriter | XlsxWriter:
    """The writer of a format, carrying on from its `checkpoint()` state (`kw` as writer_for's)."""
    if canonical_format(fmt) == "xlsx":
        return XlsxWriter.resume(state, sink, columns)
    return CsvWriter.resume(state, sink, columns, **kw)


def stream_options(fmt: str, part_bytes: int) -> dict[str, Any]:
    """Options for a writer feeding parts of `part_bytes`: CSV hands its bytes over in chunks of
    at most an eighth of a part, so parts are cut near their size."""
    return {} if canonical_format(fmt) == "xlsx" else {"chunk_size": max(1, min(CSV_CHUNK, part_bytes // 8))}
