"""Validating a whole recipient file: targets, duplicates, suppression, row errors with their lines,
chunks (identical when run again), the bad rows file, and the summary's arithmetic."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.broadcasts import csv_rows, plan, validation
from chalicelib.broadcasts.dedupe import Seen
from chalicelib.broadcasts.recipient_file import FileProblem, Rows
from chalicelib.broadcasts.validation import Spec, Summary, validate
from chalicelib.sending.sms_segments import count_segments
from tests.broadcasts.conftest import APP, BUCKET, chunks, upload
from tests.broadcasts.xlsx import cell, workbook

WHATSAPP = Spec("whatsapp", "phone", {"1": {"column": "name"}, "2": {"value": "LEBARAN20"}}, {"template_id": "t"})


def nobody(targets: list[str]) -> set[str]:
    return set()


def run(s3, data: bytes, spec: Spec = WHATSAPP, suppressed=nobody, filename: str = "p.csv"):
    broadcast_id = upload(s3, data)
    summary = validate(s3, BUCKET, APP, broadcast_id, filename, spec, suppressed=suppressed)
    recipients = [r for c in chunks(s3, broadcast_id, summary.chunks) for r in plan.decode_chunk(c)]
    return broadcast_id, summary, recipients


def errors(s3, broadcast_id: str, lang: str = "en") -> list[list[str]]:
    text = s3.get_object(Bucket=BUCKET, Key=plan.errors_key(APP, broadcast_id, lang))["Body"].read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_indonesian_number_forms_are_one_number_and_the_first_row_wins(s3):
    data = (b"phone;name\n0812-3456-7890;Budi\n6281234567890;Budi 2\n+62 812 3456 7890;Budi 3\n"
            b"(0812) 3456.7890;Budi 4\n081298765432;Siti\n")
    _, summary, recipients = run(s3, data)
    assert summary == Summary(rows=5, valid=2, invalid=0, duplicates=3, suppressed=0, units=2, chunks=1)
    assert recipients == [plan.Recipient(2, "+6281234567890", {"1": "Budi", "2": "LEBARAN20"}),
                          plan.Recipient(6, "+6281298765432", {"1": "Siti", "2": "LEBARAN20"})]


def test_suppressed_targets_are_left_out_and_asked_for_per_chunk(s3):
    lines = [f"0812{i:08d};N{i}" for i in range(1203)]
    asked: list[int] = []

    def suppressed(targets):
        asked.append(len(targets))
        return {t for t in targets if t.endswith("7")}

    _, summary, recipients = run(s3, ("phone;name\n" + "\n".join(lines)).encode(), suppressed=suppressed)
    assert asked == [500, 500, 203]
    assert (summary.rows, summary.suppressed, summary.valid, summary.chunks) == (1203, 120, 1083, 3)
    assert [len(list(plan.decode_chunk(c))) for c in chunks(s3, _, 3)] == [500, 500, 83]
    assert not any(r.to.endswith("7") for r in recipients)
    assert [r.row for r in recipients] == sorted(r.row for r in recipients)


def test_row_errors_name_their_line_and_reason(s3):
    data = (b'phone;name\n'
            b'0812-3456-7890;"Budi\nSantoso"\n'       # lines 2-3: a line break in a WhatsApp value
            b'81234567890;Siti\n'                       # line 4: no 0, no 62
            b'0812abc;Agus\n'                           # line 5
            b';Dewi\n'                                  # line 6
            b'081234567891;\n'                          # line 7: the name is missing
            b'081234567892;' + b"x" * 1025 + b'\n'      # line 8: longer than Meta allows
            b'081234567893;too     many\n'              # line 9: five spaces
            b'081234567894;=HYPERLINK("http://evil")\n'  # line 10: fine to send, a formula in a spreadsheet
            b'081234567894;Rina\n')                     # line 11: a duplicate, not an error
    broadcast_id, summary, recipients = run(s3, data)
    assert (summary.rows, summary.invalid, summary.valid, summary.duplicates) == (9, 7, 1, 1)
    assert [r.row for r in recipients] == [10]
    table = errors(s3, broadcast_id)
    assert table[0] == ["line", "code", "reason", "phone", "name"]
    assert [row[0] for row in table[1:]] == ["2", "4", "5", "6", "7", "8", "9"]
    assert [row[1] for row in table[1:]] == ["value_spacing", "country_code", "invalid_phone", "missing_recipient",
                                             "missing_value", "value_too_long", "value_spacing"]
    reasons = dict((row[0], row[2]) for row in table[1:])
    assert "line break" in reasons["2"] and "country code" in reasons["4"] and "not a valid phone" in reasons["5"]
    assert "empty" in reasons["6"] and "{{1}}: the value is empty" in reasons["7"]
    assert "1,024" in reasons["8"] and "spaces" in reasons["9"]
    assert table[2][3] == "81234567890" and table[1][4] == "Budi\nSantoso"
    # The same rows and codes in Indonesian: the header and the reasons in its words, its numbers' dots.
    indonesian = errors(s3, broadcast_id, "id")
    assert indonesian[0] == ["baris", "kode", "alasan", "phone", "name"]
    assert [row[:2] for row in indonesian][1:] == [row[:2] for row in table[1:]]
    assert [row[3:] for row in indonesian] == [row[3:] for row in table]
    words = dict((row[0], row[2]) for row in indonesian[1:])
    assert words["5"] == "Ini bukan nomor telepon yang valid." and "kode negara" in words["4"]
    assert words["7"] == "{{1}}: nilainya kosong." and "1.024 karakter" in words["8"]


def test_cells_in_the_errors_file_are_formula_safe(s3):
    broadcast_id, summary, _ = run(s3, b'phone;name\n=cmd|"/C calc"!A0;x\n081234567890;Budi\n')
    assert summary.invalid == 1
    assert errors(s3, broadcast_id)[1][3] == "'=cmd|\"/C calc\"!A0"


def test_no_bad_rows_removes_an_earlier_errors_file(s3):
    broadcast_id = upload(s3, b"phone;name\nnope;Budi\n081234567890;Siti\n")
    validate(s3, BUCKET, APP, broadcast_id, "p.csv", WHATSAPP, suppressed=nobody)
    assert errors(s3, broadcast_id)
    s3.put_object(Bucket=BUCKET, Key=plan.upload_key(APP, broadcast_id), Body=b"phone;name\n081234567890;Siti\n")
    validate(s3, BUCKET, APP, broadcast_id, "p.csv", WHATSAPP, suppressed=nobody)
    for lang in ("en", "id"):
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=plan.errors_key(APP, broadcast_id, lang)).get("KeyCount")
        assert listed == 0


def test_a_big_errors_file_goes_up_in_parts(s3, monkeypatch):
    monkeypatch.setattr(validation, "PART_BYTES", 5 << 20)
    bad = "".join(f"bad{i};{'x' * 200}\n" for i in range(30_000))
    broadcast_id, summary, _ = run(s3, ("phone;name\n" + bad + "081234567890;Budi\n").encode())
    assert (summary.invalid, summary.valid) == (30_000, 1)
    table = errors(s3, broadcast_id)
    assert len(table) == 30_001 and table[-1][0] == "30001"
    assert len(errors(s3, broadcast_id, "id")) == 30_001


def test_run_again_the_same_chunks_byte_for_byte(s3):
    lines = "".join(f"0812{i % 1400:08d};Pelanggan {i}\n" for i in range(1600)) + "bad;x\n"
    broadcast_id = upload(s3, ("phone;name\n" + lines).encode())
    first = validate(s3, BUCKET, APP, broadcast_id, "p.csv", WHATSAPP, suppressed=lambda t: {t[0]})
    before = chunks(s3, broadcast_id, first.chunks)
    again = validate(s3, BUCKET, APP, broadcast_id, "p.csv", WHATSAPP, suppressed=lambda t: {t[0]})
    assert again == first and chunks(s3, broadcast_id, again.chunks) == before
    assert (first.rows, first.duplicates, first.invalid, first.suppressed, first.chunks) == (1601, 200, 1, 3, 3)


def test_a_mapped_column_that_does_not_exist(s3):
    for spec in (WHATSAPP._replace(recipient="nomor"), WHATSAPP._replace(values={"1": {"column": "nama"}})):
        with pytest.raises(FileProblem) as caught:
            run(s3, b"phone;name\n081234567890;Budi\n", spec)
        assert caught.value.code == "missing_column" and "phone, name" in caught.value.message


def test_column_names_match_whatever_their_case(s3):
    _, summary, _ = run(s3, b"Phone;Name\n081234567890;Budi\n", WHATSAPP)
    assert summary.valid == 1


def test_sms_units_are_the_rendered_texts_segments(s3):
    spec = Spec("sms", "hp", {"name": {"column": "nama"}}, {"sender_id": "KIRIM", "text": "Halo {{ name }}, diskon 20%!"})
    long_name = "B" * 150
    data = f"hp;nama\n081234567890;Budi\n081234567891;{long_name}\n081234567892;{'Ж' * 700}\n".encode()
    broadcast_id, summary, recipients = run(s3, data, spec)
    assert (summary.valid, summary.invalid, summary.units) == (2, 1, 1 + 2)
    assert recipients[0].values == {"name": "Budi"}
    assert "SMS segments" in errors(s3, broadcast_id)[1][2] and "bagian SMS" in errors(s3, broadcast_id, "id")[1][2]


def test_email_targets_and_their_duplicates(s3):
    spec = Spec("email", "email", {"name": {"column": "name"}},
                {"sender_email": "promo@toko.id", "subject": "Halo {{name}}", "html": "<p>Hi</p>"})
    data = (b"email,name\nbudi@Toko.ID,Budi\n budi@toko.id ,Budi lagi\nnot-an-address,X\n"
            b"siti@toko.id,\"Siti\r\nBcc: all\"\n")
    broadcast_id, summary, recipients = run(s3, data, spec)
    assert (summary.valid, summary.duplicates, summary.invalid) == (1, 1, 2)
    assert recipients[0].to == "budi@toko.id"
    assert "email subject" in errors(s3, broadcast_id)[2][2]


def test_xlsx_numbers_validate_as_phone_numbers(s3):
    data = workbook({1: [cell("A1", "phone"), cell("B1", "name")],
                     2: [cell("A2", number="6.281234567891E12"), cell("B2", "Budi", formula='"Bu"&"di"')],
                     3: [cell("A3", number="81234567891"), cell("B3", "Siti")]})
    broadcast_id, summary, recipients = run(s3, data, filename="p.xlsx")
    assert recipients == [plan.Recipient(2, "+6281234567891", {"1": "Budi", "2": "LEBARAN20"})]
    assert (summary.invalid, errors(s3, broadcast_id)[1][0]) == (1, "3")


def test_the_seen_table_tells_every_distinct_number_apart():
    seen = Seen()
    numbers = [f"+62812{i:07d}" for i in range(0, 10_000_000, 997)]
    assert all(seen.add(n) for n in numbers) and not any(seen.add(n) for n in numbers)
    emails = Seen(exact_phones=False)
    assert emails.add("a@b.id") and not emails.add("a@b.id") and emails.add("b@b.id")


@given(st.text(max_size=400))
def test_sms_segments_fast_path_agrees(text):
    assert validation.sms_segments(text) == count_segments(text).segments


def _summary_of(data: bytes, spec: Spec, suppressed=nobody) -> Summary | None:
    try:
        rows = Rows(csv_rows.CsvRows(io.BytesIO(data)), "csv")
        spec = spec._replace(recipient=rows.columns[0])
        return validation.run(rows, rows.columns, spec, write_chunk=lambda n, d: None, suppressed=suppressed,
                              bad_row=lambda line, reason, cells: None)
    except FileProblem:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_fuzz_arbitrary_bytes_give_rows_or_a_file_problem(data):
    summary = _summary_of(data, Spec("sms", "", {}, {"text": "Halo"}))
    if summary is not None:
        assert summary.rows == summary.valid + summary.invalid + summary.duplicates + summary.suppressed


_cells = st.one_of(st.text(max_size=30), st.sampled_from(["0812-3456-7890", "6281234567890", "+6281234567890",
                                                           "081234567891", "", " ", "81234567890", "=1+2"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_cells, min_size=1, max_size=4), max_size=40), st.sampled_from([";", ",", "\t"]),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), st.sampled_from(["whatsapp", "sms", "email"]))
def test_fuzz_rows_always_add_up(rows, delimiter, encoding, channel):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["phone", "name", "c", "d"])
    writer.writerows(rows)
    data = out.getvalue().encode(encoding, "replace")
    spec = Spec(channel, "phone", {"1": {"column": "name"}}, {"text": "Halo {{1}}", "subject": "{{1}}"})
    summary = _summary_of(data, spec, suppressed=lambda targets: set(targets[::3]))
    if summary is not None:
        assert summary.rows == summary.valid + summary.invalid + summary.duplicates + summary.suppressed
        assert summary.rows <= len(rows)
