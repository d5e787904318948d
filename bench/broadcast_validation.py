"""Validating a broadcast's recipient file: 1,000,000 rows, streaming.

The file is a CSV as Indonesian Excel writes it (`;`, UTF-8 with a BOM): phone numbers in the
usual forms (0812..., 62812..., "+62 812-...", "0812 ...."), a name and a city, for an SMS
"Halo {{name}}, ..." (the heaviest channel: each text is rendered and its segments counted).
1 row in 200 is bad, 1 in 200 repeats an earlier number, 1 in 500 numbers is on the suppression
list. The rows are generated as they are read (never on disk, never whole in memory); the chunks
and the bad rows file go to an in-memory stand-in for S3 that keeps only byte counts.

Each case runs in a fresh process and reports its CPU time and peak RSS (VmHWM, the kernel's
high-water mark of the process's resident memory, so everything counts: interpreter, phonenumbers'
metadata, the duplicate table). The time to generate and read the rows without validating them
("feed") is measured too and taken off. Goals: <= 60 CPU-s for 1,000,000 rows, peak RSS at
1,000,000 rows <= 1.2x that at 100,000, one chunk per 500 valid recipients.
`--quick` validates 200,000 rows (memory: 20,000 vs 200,000) and scales the CPU time by 5.

For the record (full run only, no goal): the same rows as an XLSX workbook (written by openpyxl, so
every text is in its shared strings table, as Excel saves it), XLSX_ROWS of them read and validated.
"""
from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402

BIG, SMALL = 1_000_000, 100_000
QUICK_BIG, QUICK_SMALL = 200_000, 20_000
XLSX_ROWS = 100_000
_NAMES = ["Budi Santoso", "Siti Rahayu", "Agus Setiawan", "Dewi Lestari", "Rina Wijaya", "Joko Susilo",
          "Putri Ayu", "I Wayan Sudarsana", "Andr\u00e9 Tan", "Nur Aisyah"]
_CITIES = ["Jakarta Selatan", "Bandung", "Surabaya", "Denpasar", "Medan", "Makassar", "Yogyakarta"]


def _phone(i: int) -> str:
    nsn = f"812{i:08d}"
    form = i % 10
    if form < 6:
        return "0" + nsn
    if form < 8:
        return "62" + nsn
    if form == 8:
        return f"+62 {nsn[:3]}-{nsn[3:7]}-{nsn[7:]}"
    return f"0{nsn[:3]} {nsn[3:7]} {nsn[7:]}"


def _line(i: int) -> str:
    if i % 200 == 0:
        phone = f"0812abc{i}"
    elif i % 200 == 3:
        phone = _phone(i - 2)
    else:
        phone = _phone(i)
    return f"{phone};{_NAMES[i % len(_NAMES)]};{_CITIES[i % len(_CITIES)]}\r\n"


class Generated(io.RawIOBase):
    """The CSV's bytes, made as they are read."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows, self.next = rows, 0
        self.buffer = "\ufeffphone;name;city\r\n".encode("utf-8")

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while len(self.buffer) < len(out) and self.next < self.rows:
            end = min(self.next + 2000, self.rows)
            self.buffer += "".join(_line(i) for i in range(self.next, end)).encode("utf-8")
            self.next = end
        size = min(len(out), len(self.buffer))
        out[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size


class _S3:
    """Byte counts of what would go to S3."""

    def __init__(self) -> None:
        self.bytes, self.objects = 0, 0

    def put_object(self, Body: bytes, **_) -> None:  # noqa: N803 - boto3's names
        self.bytes, self.objects = self.bytes + len(Body), self.objects + 1

    def create_multipart_upload(self, **_) -> dict:
        return {"UploadId": "u"}

    def upload_part(self, Body: bytes, **_) -> dict:  # noqa: N803
        self.bytes += len(Body)
        return {"ETag": '"0"'}

    def complete_multipart_upload(self, **_) -> None:
        self.objects += 1

    def delete_object(self, **_) -> None:
        pass


def _suppressed(targets: list[str]) -> set[str]:
    return {t for t in targets if int(t[-8:]) % 500 == 7}


def _workbook(rows: int) -> io.BytesIO:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["phone", "name", "city"])
    for i in range(rows):
        sheet.append(_line(i).rstrip("\r\n").split(";"))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def _child(case: str, rows: int) -> None:
    from chalicelib.broadcasts import csv_rows, row_words, targets, validation
    from chalicelib.broadcasts.recipient_file import Rows

    targets.phone("081234567890")  # phonenumbers' metadata loaded before the clock starts
    workbook = _workbook(rows) if case == "xlsx" else None
    cpu = time.process_time()
    s3 = _S3()
    if case == "feed":
        stream, read = Generated(rows), 0
        while block := stream.read(1 << 16):
            read += len(block)
        result: dict = {"bytes_in": read}
    else:
        if workbook is not None:
            from chalicelib.broadcasts.xlsx_rows import XlsxRows

            source = Rows(XlsxRows(workbook), "xlsx")
        else:
            source = Rows(csv_rows.CsvRows(Generated(rows)), "csv")
        spec = validation.Spec("sms", "phone", {"name": {"column": "name"}},
                               {"sender_id": "KIRIM", "text": "Halo {{name}}, diskon Lebaran 20% untuk semua produk "
                                                              "sampai 10 April. Kode: LEBARAN20"})
        # One bad rows file per language, as validation.validate writes them.
        files = [validation.ErrorsFile(s3, "bucket", f"errors-{lang}.csv", source.columns, lang)
                 for lang in row_words.LANGUAGES]
        summary = validation.run(source, source.columns, spec, suppressed=_suppressed,
                                 bad_row=lambda line, problem, cells: [f.add(line, problem, cells) for f in files],
                                 write_chunk=lambda number, data: s3.put_object(Body=data))
        for file in files:
            file.finish()
        result = summary._asdict()
    cpu = time.process_time() - cpu
    print(json.dumps({**result, "case": case, "rows_asked": rows, "cpu": cpu, "peak_mb": goals.peak_rss_mb(),
                      "bytes_out": s3.bytes, "objects": s3.objects}))


def measure(case: str, rows: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", case, str(rows)], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(quick: bool = False) -> dict:
    big_rows, small_rows = (QUICK_BIG, QUICK_SMALL) if quick else (BIG, SMALL)
    scale = BIG / big_rows
    feed = measure("feed", big_rows)
    big, small = measure("validate", big_rows), measure("validate", small_rows)
    cpu = (big["cpu"] - feed["cpu"]) * scale
    ratio = big["peak_mb"] / small["peak_mb"]
    expected_chunks = math.ceil(big["valid"] / 500)
    label = f"{BIG:,} rows" + (f" (from {big_rows:,}, x{scale:g})" if quick else "")
    print(f"Broadcast validation, {big_rows:,} rows: {big['cpu'] - feed['cpu']:.1f} CPU-s validating "
          f"(+{feed['cpu']:.1f} s making the rows); {big['valid']:,} valid, {big['invalid']:,} invalid, "
          f"{big['duplicates']:,} duplicates, {big['suppressed']:,} suppressed, {big['units']:,} SMS segments; "
          f"{big['chunks']:,} chunks, {big['bytes_out'] / 2**20:.1f} MiB out")
    print(f"Peak RSS {big['peak_mb']:.1f} MB at {big_rows:,} rows vs {small['peak_mb']:.1f} MB at {small_rows:,} "
          f"({ratio:.2f}x)")
    goals.check(f"Broadcast validation CPU, {label}", f"{cpu:.1f} s", "<= 60 s", cpu <= 60)
    goals.check(f"Broadcast validation peak RSS, {big_rows:,} vs {small_rows:,} rows", f"{ratio:.2f}x", "<= 1.2x",
                ratio <= 1.2)
    goals.check(f"Broadcast validation chunks, {big_rows:,} rows ({big['valid']:,} valid)", f"{big['chunks']:,}",
                f"{expected_chunks:,} (one per 500)", big["chunks"] == expected_chunks)
    results = {"feed": feed, "big": big, "small": small}
    if not quick:
        xlsx = results["xlsx"] = measure("xlsx", XLSX_ROWS)
        print(f"XLSX (for the record), {XLSX_ROWS:,} rows: {xlsx['cpu']:.1f} CPU-s reading (openpyxl) and validating, "
              f"about {xlsx['cpu'] * BIG / XLSX_ROWS:.0f} s at {BIG:,}; {xlsx['chunks']:,} chunks")
    return results


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        run("--quick" in sys.argv[1:])
        raise SystemExit(1 if goals.report() else 0)
