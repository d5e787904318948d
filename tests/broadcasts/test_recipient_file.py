"""Reading recipient files: formats, encodings, delimiters, line numbers, and every file refused whole."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.broadcasts import csv_rows, plan, recipient_file
from chalicelib.broadcasts.recipient_file import FileProblem, Rows, head, open_rows
from chalicelib.broadcasts.s3_ranges import S3RangeReader
from chalicelib.broadcasts.xlsx_rows import XlsxRows
from tests.broadcasts.conftest import APP, BUCKET, upload
from tests.broadcasts.xlsx import cell, workbook


def shape(s3, data: bytes, filename: str = "pelanggan.csv"):
    return head(s3, BUCKET, plan.upload_key(APP, upload(s3, data)), filename)


def problem(s3, data: bytes, filename: str = "pelanggan.csv") -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        rows = open_rows(s3, BUCKET, plan.upload_key(APP, upload(s3, data)), filename)
        try:
            list(rows)
        finally:
            rows.close()
    assert caught.value.code in recipient_file.PROBLEMS and caught.value.message
    return caught.value


def csv_lines(data: bytes) -> list[tuple[int, list[str]]]:
    rows = Rows(csv_rows.CsvRows(io.BytesIO(data)), "csv")
    return list(rows)


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_found(s3, delimiter):
    text = delimiter.join(["phone", "name", "kota"]) + "\r\n" + delimiter.join(["081234567890", "Budi", "Bandung"]) + "\r\n"
    found = shape(s3, text.encode())
    assert (found.format, found.delimiter, found.columns) == ("csv", delimiter, ["phone", "name", "kota"])
    assert found.preview == [["081234567890", "Budi", "Bandung"]]


def test_indonesian_excel_semicolons_with_commas_in_cells(s3):
    found = shape(s3, b"phone;name;total\n0812 3456 7890;Siti, S.E.;10,5\n081234567891;Agus;7,25\n")
    assert found.delimiter == ";" and found.preview[0] == ["0812 3456 7890", "Siti, S.E.", "10,5"]


def test_excels_sep_hint_names_the_delimiter_and_is_no_row():
    assert csv_lines(b"sep=;\r\nphone;name,kota\r\n0812;Budi,Bandung\r\n") == [(3, ["0812", "Budi,Bandung"])]
    assert csv_lines("\ufeffSEP=,\nphone,name\n0812,Budi\n".encode()) == [(3, ["0812", "Budi"])]


def test_a_single_column_file(s3):
    found = shape(s3, b"phone\n081234567890\n081234567891\n")
    assert found.columns == ["phone"] and found.preview == [["081234567890"], ["081234567891"]]


def test_utf8_with_bom_utf8_and_windows_1252(s3):
    bom = shape(s3, "\ufeffphone;name\n0812;Andr\u00e9\n".encode("utf-8"))
    assert (bom.encoding, bom.columns, bom.preview) == ("utf-8-sig", ["phone", "name"], [["0812", "Andr\u00e9"]])
    utf8 = shape(s3, "phone;name\n0812;Andr\u00e9 \U0001F600\n".encode("utf-8"))
    assert (utf8.encoding, utf8.preview) == ("utf-8", [["0812", "Andr\u00e9 \U0001F600"]])
    ansi = shape(s3, b"phone;name\n0812;Andr\xe9 \x80\n")
    assert (ansi.encoding, ansi.preview) == ("cp1252", [["0812", "Andr\u00e9 \u20ac"]])


def test_an_ascii_start_leaves_the_encoding_to_the_first_other_byte():
    start = b"phone;name\n" + b"".join(b"0812%08d;Budi\n" % i for i in range(6000))
    assert len(start) > csv_rows.FIRST_BLOCK
    rows = csv_lines(start + b"081299999999;Andr\xe9\n")
    assert rows[-1] == (6002, ["081299999999", "Andr\u00e9"])
    rows = csv_lines(start + "081299999999;Andr\u00e9\n".encode())
    assert rows[-1][1][1] == "Andr\u00e9"


def test_headers_are_trimmed_and_empty_trailing_columns_dropped(s3):
    found = shape(s3, b" phone ; Nama Lengkap ;;\n0812;Budi;;\n0813;Siti\n")
    assert found.columns == ["phone", "Nama Lengkap"]
    assert found.preview == [["0812", "Budi"], ["0813", "Siti"]]


def test_the_preview_holds_five_rows_and_skips_blank_ones(s3):
    body = b"\n\nphone,name\n" + b"".join(b"081%d,N%d\n\n,\n" % (i, i) for i in range(8))
    found = shape(s3, body)
    assert found.preview == [[f"081{i}", f"N{i}"] for i in range(5)]


def test_line_numbers_count_the_header_blank_lines_and_quoted_line_breaks():
    data = b'phone;note\r\n0811;"one\r\ntwo\r\nthree"\r\n\r\n0812;plain\n0813;"a ""quoted"" word"\r0814;x\n'
    assert csv_lines(data) == [(2, ["0811", "one\r\ntwo\r\nthree"]), (6, ["0812", "plain"]),
                               (7, ["0813", 'a "quoted" word']), (8, ["0814", "x"])]


def test_short_rows_are_padded_and_long_ones_cut():
    assert csv_lines(b"a,b,c\n1\n1,2,3,4\n") == [(2, ["1", "", ""]), (3, ["1", "2", "3"])]


@pytest.mark.parametrize("data, code", [
    (b"", "empty_file"),
    (b" \r\n\r\n\t", "empty_file"),
    (b"\xef\xbb\xbf", "empty_file"),
    (b"phone;name\r\n", "empty_file"),
    (b"phone;name\r\n;\r\n\r\n", "empty_file"),
    (b"phone,name\n0812\x00,Budi\n", "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("phone;name\n0812;Budi\n".encode("utf-16"), "encoding"),
    (b"phone;name\n0812;Bu\x81di\n", "encoding"),
    (b"phone;;name\n0812;;Budi\n", "no_header"),
    (b"phone;Phone\n0812;0813\n", "no_header"),
    (b"081234567890;Budi\n081234567891;Siti\n", "no_header"),
    (b"budi@toko.id;Budi\n", "no_header"),
    (b'phone;name\n0812;"an open quote\n' + b"0813;x\n" * 20000, "too_large"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "binary"),
    (b"PK\x03\x04 not really a zip", "binary"),
])
def test_files_refused_whole(s3, data, code):
    assert problem(s3, data).code == code


def test_a_name_that_says_xlsx_must_be_a_workbook(s3):
    assert problem(s3, b"phone\n0812\n", "pelanggan.xlsx").code == "binary"


def test_a_missing_upload(s3):
    with pytest.raises(FileProblem) as caught:
        head(s3, BUCKET, plan.upload_key(APP, "bc_never"), "x.csv")
    assert caught.value.code == "empty_file"


def test_binary_or_wrong_text_after_the_first_block(s3):
    start = "phone;name\n".encode() + "0812;Andr\u00e9\n".encode() * 8000
    assert len(start) > csv_rows.FIRST_BLOCK
    assert problem(s3, start + b"0813;\x00\n").code == "binary"
    wrong = problem(s3, start + b"0813;Andr\xe9\n" + b"0814;x\n" * 10)
    assert wrong.code == "encoding" and "line" in wrong.message


def test_too_many_rows_and_too_large(s3, monkeypatch):
    monkeypatch.setattr(recipient_file, "MAX_ROWS", 3)
    assert problem(s3, b"phone\n0811\n0812\n0813\n\n0814\n").code == "too_many_rows"
    assert len(csv_lines(b"phone\n0811\n0812\n0813\n\n")) == 3  # the limit itself is allowed
    monkeypatch.setattr(recipient_file, "MAX_BYTES", 10)
    assert problem(s3, b"phone\n081234567890\n").code == "too_large"


def test_streaming_past_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(csv_rows, "MAX_BYTES", csv_rows.FIRST_BLOCK + 100)
    with pytest.raises(FileProblem) as caught:
        csv_lines(b"phone\n" + b"081234567890\n" * 20000)
    assert caught.value.code == "too_large"


def test_xlsx_values_never_formulas_and_numbers_as_digits(s3):
    data = workbook({
        2: [cell("A2", "Telepon"), cell("B2", "Nama"), cell("C2", "Kode")],
        3: [cell("A3", number="6281234567890"), cell("B3", "Budi", formula='CONCAT("Bu","di")'),
            cell("C3", None, formula="HEX2DEC(\"FF\")")],
        5: [cell("A5", number="6.281234567891E12"), cell("B5", "=1+2"), cell("C5", number="12.5")],
        6: [cell("A6", "0812-3456-7892"), cell("B6", "Siti", formula='WEBSERVICE("http://evil.example")'),
            cell("C6", number="1E+20")],
    })
    found = shape(s3, data, "pelanggan.xlsx")
    assert (found.format, found.encoding, found.delimiter) == ("xlsx", None, None)
    assert found.columns == ["Telepon", "Nama", "Kode"]
    assert found.preview == [["6281234567890", "Budi", ""], ["6281234567891", "=1+2", "12.5"],
                             ["0812-3456-7892", "Siti", "100000000000000000000"]]
    rows = open_rows(s3, BUCKET, plan.upload_key(APP, upload(s3, data)), "p.xlsx")
    assert [line for line, _ in rows] == [3, 5, 6]  # the sheet's own row numbers
    rows.close()


def test_an_xlsx_is_read_to_its_end_whatever_its_dimension_says(s3):
    data = workbook({1: [cell("A1", "phone")], **{n: [cell(f"A{n}", f"08{n:010d}")] for n in range(2, 8)}},
                    dimension="A1:A2")
    rows = open_rows(s3, BUCKET, plan.upload_key(APP, upload(s3, data)), "p.xlsx")
    assert [line for line, _ in rows] == [2, 3, 4, 5, 6, 7]
    rows.close()


def test_an_xlsx_with_only_a_header_or_nothing(s3):
    assert problem(s3, workbook({1: [cell("A1", "phone")]}), "p.xlsx").code == "empty_file"
    assert problem(s3, workbook({}), "p.xlsx").code == "empty_file"


def test_the_range_reader_reads_any_span_through_a_few_blocks(s3):
    data = bytes(range(256)) * 4000
    key = plan.upload_key(APP, upload(s3, data))
    reader = S3RangeReader(s3, BUCKET, key, block=4096, blocks=2)
    assert reader.size == len(data)
    reader.seek(-10, io.SEEK_END)
    assert reader.read() == data[-10:] and reader.read(5) == b""
    reader.seek(4000)
    assert reader.read(10_000) == data[4000:14_000]
    gets = reader.gets
    reader.seek(13_000)
    assert reader.read(100) == data[13_000:13_100] and reader.gets == gets  # cached
    assert reader.tell() == 13_100
    with pytest.raises(ValueError):
        reader.seek(-1)


_BOOK = workbook({1: [cell("A1", "phone"), cell("B1", "name")],
                  2: [cell("A2", number="6281234567890"), cell("B2", "Budi", formula='"Bu"&"di"')],
                  3: [cell("A3", "081234567891"), cell("B3", "Siti")]})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_BOOK) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzz_a_damaged_workbook_gives_rows_or_a_file_problem(damage):
    data = bytearray(_BOOK)
    for at, value in damage:
        data[at] = value
    try:
        rows = Rows(XlsxRows(io.BytesIO(bytes(data))), "xlsx")
        assert all(len(cells) == len(rows.columns) for _, cells in rows)
    except FileProblem as problem:
        assert problem.code in recipient_file.PROBLEMS
