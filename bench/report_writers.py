"""Report writers side by side, on the report's real row shape (what reports.worker.row makes of
an SMS message: ULID, channel, +62 number, status word, two local ISO times, segments, a ~100-character
Indonesian body; 1 row in 500 carries text a spreadsheet could run as a formula).

Each case runs in a fresh process, with its own empty TMPDIR watched by a thread (the peak bytes in
it are the case's temporary disk), and reports wall time, CPU time, peak RSS (VmHWM) and bytes out.
Rows come from a pool of 50,000 pre-built rows; the time to walk the rows without writing them is
measured too and taken off, so "writing" is the writer's own time.

- CSV: Kirim's writer against a bare csv.writer (minimal quoting, no checks) on 1,000,000 rows: what
  quoting every field and the formula checks cost (goal: at least half its speed).
- XLSX candidates on the same 200,000 rows: Kirim's streaming writer, openpyxl write-only (without
  and with lxml), xlsxwriter in constant_memory mode (goal: Kirim >= 2x the fastest other, in CPU).
- Kirim's XLSX and CSV at 1,000,000 rows (goals: XLSX < 100 s, CSV < 10 s of writing, in CPU seconds:
  what it takes on a core of its own, which wall time on a shared machine is not; no temporary disk),
  and at 100,000 rows for memory (goal: <= 30 MB more at 1,000,000), plus csv.gz.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402

POOL = 50_000
CANDIDATE_ROWS = 200_000
BIG, SMALL = 1_000_000, 100_000
PART = 8 << 20  # Kirim's writers checkpoint (a full flush) at every part, as the worker does
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODIES = ["Kode OTP Anda {n:06d}. Jangan berikan kode ini kepada siapa pun, termasuk petugas kami.",
           "Halo {name}, pesanan #INV-{n} sudah dikirim hari ini dan tiba besok. Lacak di kirim.dev/l/{n}",
           "Tagihan Anda Rp {n}.000,- jatuh tempo 25/10. Abaikan pesan ini jika sudah membayar. Terima kasih",
           "Promo {name}! Diskon 20% untuk semua produk dengan kode HEMAT{n} sampai akhir bulan ini."]
_RISKY = ["=HYPERLINK(\"http://evil.example/?{n}\",\"Klik\")", "Halo;=1+2;@SUM(A1) {n}", "-2+3+cmd|' /C calc'!A0",
          "@{name} baris\r\nbaru {n}", "#N/A {n}", " spasi di depan {n} "]
_NAMES = ["Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Putri", "Wayan"]


def pool(count: int = POOL, seed: int = 15) -> list[list]:
    rng = random.Random(seed)
    start_ms = 1_790_000_000_000
    rows = []
    for i in range(count):
        ms = start_ms + i * 37
        ulid = "".join(_CROCKFORD[(ms >> s) & 31] for s in range(45, -1, -5)) + "".join(rng.choices(_CROCKFORD, k=16))
        created = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(ms // 1000 + 7 * 3600))
        updated = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(ms // 1000 + 7 * 3600 + 4))
        template = rng.choice(_RISKY) if rng.random() < 1 / 500 else rng.choice(_BODIES)
        body = template.format(n=rng.randrange(10**6), name=rng.choice(_NAMES))
        status = rng.choice(["Delivered"] * 7 + ["Sent", "Submitted", "Failed"])
        rows.append([ulid, "sms", f"+628{rng.randrange(10**9, 10**10)}", status, created, updated,
                     1 + len(body) // 160, body])
    return rows


def _rows(count: int):
    rows = pool()
    for i in range(count):
        yield rows[i % POOL]


class _Counting:
    """A sink that keeps nothing: counts bytes (file-like enough for zipfile, openpyxl, xlsxwriter)."""

    closed = False

    def __init__(self) -> None:
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.bytes += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def _kirim(fmt: str, count: int, sink: _Counting) -> None:
    from chalicelib.reports.writers import columns_for, writer_for

    writer = writer_for(fmt, sink, columns_for("sms"))
    mark = 0
    batch = []
    for row in _rows(count):
        batch.append(row)
        if len(batch) == 1000:
            writer.write_rows(batch)
            batch = []
            if sink.bytes - mark >= PART:
                writer.checkpoint()
                mark = sink.bytes
    writer.write_rows(batch)
    writer.close()


def _openpyxl(count: int, sink: _Counting) -> None:
    from openpyxl import Workbook

    from chalicelib.reports.writers import columns_for

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Messages")
    sheet.append(columns_for("sms"))
    for row in _rows(count):
        sheet.append(row)
    book.save(sink)


def _xlsxwriter(count: int, sink: _Counting) -> None:
    import xlsxwriter

    from chalicelib.reports.writers import columns_for

    book = xlsxwriter.Workbook(sink, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("Messages")
    sheet.write_row(0, 0, columns_for("sms"))
    for n, row in enumerate(_rows(count), start=1):
        sheet.write_row(n, 0, row)
    book.close()


def _raw_csv(count: int, sink: _Counting) -> None:
    """The floor: the standard library's csv.writer, minimal quoting, no checks."""
    import csv
    import io

    from chalicelib.reports.writers import columns_for

    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)
    stream.buffer.write = sink.write  # bytes counted and dropped, as the writers' sinks do
    write = csv.writer(stream, lineterminator="\r\n").writerow
    write(columns_for("sms"))
    for row in _rows(count):
        write(row)
    stream.flush()


CASES = {
    "kirim-xlsx": lambda n, s: _kirim("xlsx", n, s), "kirim-csv": lambda n, s: _kirim("csv", n, s),
    "kirim-csv.gz": lambda n, s: _kirim("csv.gz", n, s), "openpyxl": _openpyxl, "openpyxl+lxml": _openpyxl,
    "xlsxwriter": _xlsxwriter, "raw-csv": _raw_csv, "feed": lambda n, s: sum(1 for _ in _rows(n)),
}


def _dir_bytes(path: str) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(folder, name))
            except OSError:
                pass
    return total


def _child(case: str, count: int) -> None:
    pool()  # built before the clock starts (and in "feed" too)
    temp_dir = tempfile.gettempdir()
    peak = {"bytes": 0}
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            peak["bytes"] = max(peak["bytes"], _dir_bytes(temp_dir))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    sink = _Counting()
    wall, cpu = time.perf_counter(), time.process_time()
    CASES[case](count, sink)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stop.set()
    watcher.join()
    peak["bytes"] = max(peak["bytes"], _dir_bytes(temp_dir))
    print(json.dumps({"case": case, "rows": count, "seconds": wall, "cpu": cpu, "peak_mb": goals.peak_rss_mb(),
                      "temp_bytes": peak["bytes"], "bytes": sink.bytes}))


def measure(case: str, count: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"kirim-bench-{case}-") as temp_dir:
        env = {**os.environ, "TMPDIR": temp_dir, "OPENPYXL_LXML": "True" if case == "openpyxl+lxml" else "False"}
        out = subprocess.run([sys.executable, __file__, "--case", case, str(count)], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run() -> dict[str, dict]:
    results: dict[str, dict] = {}
    # The candidates, on the same rows; the feed's own time is measured beside them and taken off.
    feed = measure("feed", CANDIDATE_ROWS)
    for case in ("kirim-xlsx", "openpyxl", "openpyxl+lxml", "xlsxwriter"):
        r = results[f"{case}@{CANDIDATE_ROWS}"] = measure(case, CANDIDATE_ROWS)
        print(f"XLSX {case:14} {CANDIDATE_ROWS:,} rows: {r['seconds'] - feed['seconds']:6.1f} s writing "
              f"({r['cpu'] - feed['cpu']:.1f} CPU-s), peak RSS {r['peak_mb']:.0f} MB, temp disk "
              f"{r['temp_bytes'] / 2**20:,.0f} MiB, {r['bytes'] / 2**20:.1f} MiB out")
    kirim_cpu = results[f"kirim-xlsx@{CANDIDATE_ROWS}"]["cpu"] - feed["cpu"]
    other = min(results[f"{c}@{CANDIDATE_ROWS}"]["cpu"] - feed["cpu"] for c in ("openpyxl", "openpyxl+lxml",
                                                                               "xlsxwriter"))
    goals.check(f"XLSX writing CPU, {CANDIDATE_ROWS:,} rows: fastest other writer / Kirim's",
                f"{other / kirim_cpu:.1f}x ({other:.1f} vs {kirim_cpu:.1f} CPU-s)", ">= 2x", other / kirim_cpu >= 2)

    feed_big = measure("feed", BIG)
    for fmt, goal in (("xlsx", 100), ("csv", 10), ("csv.gz", None)):
        big, small = measure(f"kirim-{fmt}", BIG), measure(f"kirim-{fmt}", SMALL)
        results[f"kirim-{fmt}@{BIG}"], results[f"kirim-{fmt}@{SMALL}"] = big, small
        # The goal is on CPU time: the time writing takes with a core of its own. Wall time on this
        # shared 2-core machine swings with whatever else runs (printed beside it).
        writing = big["cpu"] - feed_big["cpu"]
        extra = big["peak_mb"] - small["peak_mb"]
        print(f"Kirim {fmt:6} {BIG:,} rows: {writing:.1f} CPU-s writing ({big['seconds'] - feed_big['seconds']:.1f} s wall), "
              f"{big['bytes'] / 2**20:,.0f} MiB out; peak RSS {big['peak_mb']:.1f} MB vs {small['peak_mb']:.1f} MB at "
              f"{SMALL:,} ({extra:+.1f} MB); temp disk {big['temp_bytes']:,} bytes")
        if goal:
            goals.check(f"{fmt.upper()} writing time, {BIG:,} rows (CPU)", f"{writing:.1f} s", f"< {goal} s",
                        writing < goal)
        goals.check(f"{fmt.upper()} peak memory, {BIG:,} vs {SMALL:,} rows", f"{extra:+.1f} MB", "<= +30 MB",
                    extra <= 30)
        goals.check(f"{fmt.upper()} temporary disk, {BIG:,} rows", f"{big['temp_bytes']:,} bytes", "0",
                    big["temp_bytes"] == 0)
    # What formula safety costs: every field quoted, text checked at its start and after separators.
    raw = results[f"raw-csv@{BIG}"] = measure("raw-csv", BIG)
    ratio = (raw["cpu"] - feed_big["cpu"]) / (results[f"kirim-csv@{BIG}"]["cpu"] - feed_big["cpu"])
    print(f"CSV: Kirim's writer at {ratio:.2f}x the speed of a bare csv.writer (minimal quoting, no checks)")
    goals.check("CSV writer vs a bare csv.writer, CPU", f"{ratio:.2f}x", ">= 0.5x", ratio >= 0.5)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        run()
        raise SystemExit(1 if goals.report() else 0)
