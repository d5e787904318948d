"""CSV report rows -> bytes, optionally gzipped, resumable at any checkpoint.

RFC 4180 with every field quoted, UTF-8 with a BOM (Excel reads a CSV without one in the machine's
ANSI code page and garbles Indonesian names and emoji), CRLF line ends, header first. Text goes
csv.writer -> TextIOWrapper (UTF-8) -> BufferedWriter -> `out`: C code all the way, holding at most
`chunk_size` bytes. The rare text UTF-8 cannot encode (a lone surrogate) becomes "?".
"""
from __future__ import annotations

import csv
import io
from typing import Any, Callable

from chalicelib.reports.cells import FORMULA_FIRST, SEPARATED_FORMULA, neutralise, neutralise_text
from chalicelib.reports.gzip_stream import GzipStream

CSV_CHUNK = 1 << 20
# Columns Kirim itself fills (ULIDs, channel and status words, ISO times, counts): they can never
# hold a formula, so they are not checked cell by cell.
SAFE_COLUMNS = frozenset({"message_id", "channel", "status", "created_at", "updated_at", "total_sms",
                          "duration", "talk_duration", "ivr_id"})


class _Raw(io.RawIOBase):
    """The bottom of the stream: every write goes to `out` as bytes (None after abort: dropped)."""

    def __init__(self, out: Callable[[bytes], Any]) -> None:
        super().__init__()
        self.out: Callable[[bytes], Any] | None = out

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.out is not None:
            self.out(bytes(data))  # BufferedWriter reuses its buffer: hand over a copy
        return memoryview(data).nbytes


def _slow(value: Any) -> Any:
    """Anything in a checked column but plain text, ints and None."""
    if value.__class__ is bool:
        return "true" if value else "false"
    return neutralise(value)


class CsvWriter:
    def __init__(self, sink: Any, columns: list[str], *, gzip: bool = False, chunk_size: int = CSV_CHUNK,
                 _state: dict | None = None) -> None:
        out = getattr(sink, "write", sink)
        self.columns = list(columns)
        self.rows = 0 if _state is None else _state["rows"]
        self._closed = False
        self._gzip: GzipStream | None = None
        if gzip or (_state and _state.get("gzip")):
            self._gzip = GzipStream(out) if _state is None else GzipStream.resume(_state["gzip"], out)
            out = self._gzip.write
        self._raw = _Raw(out)
        # write_through: text goes on to the BufferedWriter at once, so `chunk_size` alone bounds
        # what is held back (parts are cut near their size).
        self._stream = io.TextIOWrapper(io.BufferedWriter(self._raw, buffer_size=chunk_size), encoding="utf-8",
                                        errors="replace", newline="", write_through=True)
        self._writerow = csv.writer(self._stream, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow
        self._width = len(self.columns)
        self._checked = [i for i, name in enumerate(self.columns) if name not in SAFE_COLUMNS]
        if _state is None:
            self._stream.write("\ufeff")
            self._writerow([neutralise(name) for name in self.columns])

    @classmethod
    def resume(cls, state: dict, sink: Any, columns: list[str], **kw: Any) -> "CsvWriter":
        """Carry on after `checkpoint()`: no BOM or header again."""
        return cls(sink, columns, _state=state, **kw)

    def write_row(self, values: list, _first=FORMULA_FIRST, _separated=SEPARATED_FORMULA.search, _str=str,
                  _int=int) -> None:
        """One row, in column order. (The `_` parameters are local bindings, not API.)"""
        if self._closed or len(values) != self._width:
            self._check_row(values)
        row = list(values)
        for i in self._checked:  # the hot loop: most cells are plain, safe text
            v = row[i]
            if v.__class__ is _str:
                if v and (v[0] in _first or _separated(v)):
                    row[i] = neutralise_text(v)
            elif v.__class__ is not _int and v is not None:
                row[i] = _slow(v)
        self._writerow(row)
        self.rows += 1

    def write_rows(self, rows: list[list]) -> None:
        for values in rows:
            self.write_row(values)

    def _check_row(self, values: list) -> None:
        if self._closed:
            raise ValueError("report writer is closed")
        if len(values) != self._width:
            raise ValueError(f"row has {len(values)} values for {self._width} columns")

    def checkpoint(self) -> dict:
        """Every byte so far goes out; the state `resume` carries on from (JSON-able)."""
        self._stream.flush()
        state: dict[str, Any] = {"rows": self.rows}
        if self._gzip is not None:
            self._gzip.flush()
            state["gzip"] = self._gzip.state()
        return state

    def close(self) -> None:
        """The last bytes (and the gzip trailer) go out. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._stream.flush()
            if self._gzip is not None:
                self._gzip.close()
            self._raw.out = None
            self._stream.close()

    def abort(self) -> None:
        """Stop; what is still buffered is dropped."""
        if not self._closed:
            self._closed = True
            self._raw.out = None
            self._stream.close()

    def __enter__(self) -> "CsvWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close() if exc_type is None else self.abort()
