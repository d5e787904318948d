"""Report writers, measured side by side in one run:
- throughput: Kirim's CsvWriter vs raw `csv.writer` on the same 200,000 message rows, and Kirim's
  XlsxWriter vs raw openpyxl write-only on the same 50,000 rows, both into an in-memory sink,
  alternated over 3 rounds, best of each (goal: Kirim >= 0.8x the raw rows/s);
- memory: peak RSS of a fresh process writing 1,000,000 rows vs 100,000 rows (XLSX: 500,000 vs
  50,000, for time) into a sink that counts bytes and keeps none (goal: < 30 MB more).

Memory is the peak RSS (VmHWM, else ru_maxrss) of a fresh subprocess per case: the whole process (interpreter, imports,
zlib's and the XML writer's C buffers), which tracemalloc would miss, and no state left over from
another case. The difference between the two sizes is the figure that matters."""
from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.report_writers import CsvWriter, XlsxWriter, columns_for  # noqa: E402

CSV_ROUNDS, XLSX_ROUNDS = 5, 3  # CSV rounds are short, and a shared machine is noisy
CSV_ROWS = 200_000
XLSX_ROWS = 50_000
# openpyxl writes ~5,000-10,000 rows/s on these machines (pure-Python XML without lxml), so 1,000,000
# XLSX rows would take 2-3 minutes alone: XLSX is measured at 500,000 vs 50,000, the same 10x step.
MEMORY_ROWS = {"csv": (100_000, 1_000_000), "xlsx": (50_000, 500_000)}
COLUMNS = columns_for("sms")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_STATUSES = ["Delivered"] * 7 + ["Sent", "Submitted", "Failed"]
_BODIES = [
    "Kode OTP Anda 482913. Jangan berikan kode ini kepada siapa pun.",
    "Halo Budi, pesanan #INV-2291 sudah dikirim dan tiba besok.",
    "Terima kasih telah berbelanja! Dapatkan diskon 20% dengan kode HEMAT20.",
    "Tagihan Anda Rp 250.000 jatuh tempo 25/10. Abaikan jika sudah membayar.",
]


def rows(count: int, seed: int = 7):
    """Typical SMS report rows: ULID-like id, channel, +62 number, status, two ISO times, 2 details."""
    rng = random.Random(seed)
    start_ms = 1_790_000_000_000
    for i in range(count):
        ms = start_ms + i * 37
        stamp = "".join(_CROCKFORD[(ms >> shift) & 31] for shift in range(45, -1, -5))
        ulid = stamp + "".join(rng.choices(_CROCKFORD, k=16))
        created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
        updated = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000 + 4)) + f".{ms % 1000:03d}Z"
        yield [ulid, "sms", f"+628{rng.randrange(10**9, 10**10)}", rng.choice(_STATUSES), created, updated,
               rng.choice((1, 1, 1, 2)), rng.choice(_BODIES)]


def _kirim_csv(data: list[list]) -> int:
    sink = io.BytesIO()
    writer = CsvWriter(sink, COLUMNS)
    for row in data:
        writer.write_row(row)
    writer.close()
    return sink.tell()


def _raw_csv(data: list[list]) -> int:
    sink = io.BytesIO()
    stream = io.TextIOWrapper(sink, encoding="utf-8", newline="")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in data:
        writer.writerow(row)
    stream.flush()
    return sink.tell()


def _kirim_xlsx(data: list[list]) -> int:
    sink = io.BytesIO()
    writer = XlsxWriter(sink, COLUMNS)
    for row in data:
        writer.write_row(row)
    writer.close()
    return sink.tell()


def _raw_xlsx(data: list[list]) -> int:
    from openpyxl import Workbook

    sink = io.BytesIO()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Messages")
    sheet.append(COLUMNS)
    for row in data:
        sheet.append(row)
    workbook.save(sink)
    return sink.tell()


def _best_rates(kirim, raw, data: list[list], rounds: int) -> tuple[float, float]:
    best_kirim = best_raw = float("inf")
    for _ in range(rounds):
        for fn, is_kirim in ((kirim, True), (raw, False)):
            start = time.perf_counter()
            fn(data)
            elapsed = time.perf_counter() - start
            if is_kirim:
                best_kirim = min(best_kirim, elapsed)
            else:
                best_raw = min(best_raw, elapsed)
    return len(data) / best_kirim, len(data) / best_raw


class CountingSink:
    """Keeps no bytes: counts them, and the biggest single write."""

    def __init__(self) -> None:
        self.bytes = 0
        self.writes = 0
        self.largest = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        self.writes += 1
        self.largest = max(self.largest, len(data))
        return len(data)


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM first: ru_maxrss carries over the parent's peak through
    fork and exec, so a child of a big parent would report the parent's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child(fmt: str, count: int) -> None:
    """One memory case, in its own process: print peak RSS and what was written, as JSON."""
    sink = CountingSink()
    writer = CsvWriter(sink, COLUMNS) if fmt == "csv" else XlsxWriter(sink, COLUMNS)
    start = time.perf_counter()
    for row in rows(count):
        writer.write_row(row)
    sheet_xml = 0
    if fmt == "xlsx":  # what /tmp holds before the zip is made (openpyxl internals: best effort)
        for sheet in writer._workbook.worksheets:
            try:
                sheet_xml += os.path.getsize(sheet._writer.out)
            except (AttributeError, OSError):
                pass
    writer.close()
    print(json.dumps({"peak_mb": _peak_rss_mb(), "bytes": sink.bytes, "writes": sink.writes,
                      "largest_write": sink.largest, "sheet_xml": sheet_xml,
                      "seconds": time.perf_counter() - start, "rows": writer.rows}))


def _memory_cases() -> dict[tuple[str, int], dict]:
    """Every memory case in its own fresh process, all at once: each measures only itself, and the
    slow XLSX one sets the wall time."""
    procs = {(fmt, count): subprocess.Popen([sys.executable, __file__, "--memory", fmt, str(count)], cwd=ROOT,
                                            stdout=subprocess.PIPE, text=True)
             for fmt, sizes in MEMORY_ROWS.items() for count in sizes}
    results = {}
    for case, proc in procs.items():
        out, _ = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"memory case {case} failed with exit code {proc.returncode}")
        results[case] = json.loads(out.strip().splitlines()[-1])
    return results


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    data = list(rows(CSV_ROWS))
    kirim, raw = _best_rates(_kirim_csv, _raw_csv, data, CSV_ROUNDS)
    results["csv_writer_ratio"] = kirim / raw
    print(f"CSV writer: {kirim:,.0f} rows/s vs raw csv {raw:,.0f} rows/s -> {kirim / raw:.2f}x "
          f"({CSV_ROWS:,} rows, best of {CSV_ROUNDS} alternated; goal >= 0.8x)")
    data = data[:XLSX_ROWS]
    kirim, raw = _best_rates(_kirim_xlsx, _raw_xlsx, data, XLSX_ROUNDS)
    results["xlsx_writer_ratio"] = kirim / raw
    print(f"XLSX writer: {kirim:,.0f} rows/s vs raw openpyxl write-only {raw:,.0f} rows/s -> {kirim / raw:.2f}x "
          f"({XLSX_ROWS:,} rows, best of {XLSX_ROUNDS} alternated; goal >= 0.8x)")
    del data

    memory = _memory_cases()
    for fmt in ("csv", "xlsx"):
        small, large = MEMORY_ROWS[fmt]
        low, high = memory[fmt, small], memory[fmt, large]
        extra = high["peak_mb"] - low["peak_mb"]
        results[f"{fmt}_memory_extra_mb"] = extra
        detail = (f"{high['bytes'] / 2**20:,.0f} MiB written in {high['writes']} writes of at most "
                  f"{high['largest_write'] / 2**20:.1f} MiB, {high['seconds']:.0f} s")
        if fmt == "xlsx":
            detail += f"; sheet XML in the temp dir before zipping: {high['sheet_xml'] / 2**20:,.0f} MiB"
        print(f"{fmt.upper()}: peak {high['peak_mb']:.1f} MB at {large:,} rows vs {low['peak_mb']:.1f} MB at "
              f"{small:,} rows -> {extra:+.1f} MB (goal < 30 MB more) [{detail}]")
    return results


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--memory":
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        run()
