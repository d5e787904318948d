"""A CSV recipient file as rows, streaming from a binary file-like (S3's StreamingBody).

- Encoding, decided on the first block (FIRST_BLOCK bytes): a UTF-8 BOM is "utf-8-sig"; text that
  decodes as UTF-8 is "utf-8"; otherwise Windows-1252 ("cp1252", what Excel's "CSV (comma
  delimited)" writes on an Indonesian or English Windows). A first block of plain ASCII decides
  nothing, so such a file is read as UTF-8 until its first non-ASCII byte, which decides: UTF-8 if it
  decodes as such, Windows-1252 if not (ASCII reads the same in both). A byte that the chosen
  encoding cannot decode later on refuses the whole file (FileProblem "encoding", naming the line
  near it): a file that changes encoding halfway has no trustworthy rows after that point.
- A NUL byte anywhere is a binary file ("binary"); a UTF-16 BOM is "encoding" (Excel's "Unicode
  text" export), with the words to save it again as CSV.
- Delimiter: the one Excel's hint line names (`sep=;` as the first line, then not a row), or else
  csv.Sniffer's on the first lines, limited to `;`, `,` and tab; when it cannot tell, the one the
  header row holds most of (`,` if none: a single column).
- Line numbers are the file's physical lines (1 = the first line), counted the way csv reads them,
  so a quoted cell spanning three lines makes the next row's line three higher.
- A row (all its lines) longer than MAX_ROW_CHARS characters refuses the file ("too_large"): an
  unclosed quote would otherwise swallow the rest of the file into one cell.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from typing import Any, Iterator

from chalicelib.broadcasts.limits import MAX_BYTES, MAX_ROW_CHARS, FileProblem

FIRST_BLOCK = 64 * 1024
SAMPLE_CHARS = 4096   # what Sniffer reads: its regular expressions are slow on long text
DELIMITERS = ";,\t"
GUESS = "kirim-ascii-then-utf8-or-cp1252"
_SEP_HINT = re.compile(r"sep=([;,\t])[ \t]*(?:\r\n|\r|\n)", re.IGNORECASE)


class _Source(io.RawIOBase):
    """The body's bytes (the first block, already read, first); refuses NUL bytes and more than
    MAX_BYTES on the way."""

    def __init__(self, body: Any, first: bytes) -> None:
        super().__init__()
        self.body, self.first, self.total = body, first, len(first)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.first:
            data, self.first = self.first[:len(buffer)], self.first[len(buffer):]
        else:
            data = self.body.read(len(buffer))
            if not data:
                return 0
            self.total += len(data)
            if b"\x00" in data:
                raise FileProblem("binary", "This file holds binary data, not text. Upload a CSV or XLSX file.")
            if self.total > MAX_BYTES:
                raise FileProblem("too_large", f"The file is larger than {MAX_BYTES // (1 << 20)} MB.")
        buffer[:len(data)] = data
        return len(data)


class _GuessDecoder(codecs.IncrementalDecoder):
    """ASCII until the first non-ASCII bytes, which choose UTF-8 or else Windows-1252."""

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self.inner: codecs.IncrementalDecoder | None = None

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.inner is None:
            if data.isascii():
                return data.decode("ascii")
            utf8 = codecs.getincrementaldecoder("utf-8")(self.errors)
            try:
                text = utf8.decode(data, final)
            except UnicodeDecodeError:
                self.inner = codecs.getincrementaldecoder("cp1252")(self.errors)
            else:
                self.inner = utf8
                return text
        return self.inner.decode(data, final)

    def reset(self) -> None:
        self.inner = None

    def getstate(self) -> tuple[bytes, int]:
        return self.inner.getstate() if self.inner is not None else (b"", 0)

    def setstate(self, state: tuple[bytes, int]) -> None:
        pass


def _search(name: str) -> codecs.CodecInfo | None:
    if name.replace("-", "_") != GUESS.replace("-", "_"):
        return None
    ascii_info = codecs.lookup("ascii")
    return codecs.CodecInfo(ascii_info.encode, ascii_info.decode, name=GUESS, incrementaldecoder=_GuessDecoder)


codecs.register(_search)


def read_block(body: Any, size: int) -> bytes:
    """Up to `size` bytes (fewer only at the end): a stream's read may answer short."""
    parts, have = [], 0
    while have < size:
        data = body.read(size - have)
        if not data:
            break
        parts.append(data)
        have += len(data)
    return b"".join(parts)


def choose_encoding(first: bytes, whole: bool) -> str:
    if first.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem("encoding", "This file is saved as Unicode text (UTF-16). In Excel choose "
                                      "Save As, then 'CSV UTF-8 (Comma delimited)', and upload it again.")
    if b"\x00" in first:
        raise FileProblem("binary", "This file holds binary data, not text. Upload a CSV or XLSX file.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(first, whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        first.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        raise FileProblem("encoding", "The file's text is neither UTF-8 nor Windows-1252. Save it from "
                                      "Excel as 'CSV UTF-8 (Comma delimited)' and upload it again.") from None


def choose_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        return ","
    header = lines[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    try:
        found = csv.Sniffer().sniff("\n".join(lines[:20])[:SAMPLE_CHARS], delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = None
    if found in counts and (counts[found] or not any(counts.values())):
        return found
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvRows:
    """Iterate for (line, cells) of every row, the header included; `line` is the row's first line."""

    def __init__(self, body: Any, first: bytes | None = None) -> None:
        """`first`: the body's first FIRST_BLOCK bytes when the caller has read them already."""
        if first is None:
            first = read_block(body, FIRST_BLOCK)
        if not first.strip(b" \t\r\n\xef\xbb\xbf"):
            raise FileProblem("empty_file", "The file is empty.")
        whole = len(first) < FIRST_BLOCK
        self.encoding = choose_encoding(first, whole)
        read_as = self.encoding
        if self.encoding == "utf-8" and first.isascii() and not whole:
            read_as = GUESS
        sample = first[:SAMPLE_CHARS * 4].decode(self.encoding if read_as != GUESS else "ascii", "ignore")
        # Excel's own hint, a first line "sep=;", names the delimiter and is no row of the file.
        hint = _SEP_HINT.match(sample.lstrip("\ufeff"))
        self.sep_line = hint is not None
        self.delimiter = hint.group(1) if hint else choose_delimiter(sample)
        self.text = io.TextIOWrapper(io.BufferedReader(_Source(body, first), FIRST_BLOCK), encoding=read_as,
                                     errors="strict", newline="")
        self.text._CHUNK_SIZE = FIRST_BLOCK  # type: ignore[attr-defined]  # fewer, larger decodes
        self.line = 0
        self.row_chars = 0
        self.row_start = 1

    def _lines(self) -> Iterator[str]:
        readline = self.text.readline
        while True:
            try:
                line = readline(MAX_ROW_CHARS + 1)
            except UnicodeDecodeError:
                raise FileProblem("encoding", f"The file's text changes encoding near line {self.line + 1}: "
                                              f"it is not all {self.encoding}. Save it from Excel as 'CSV UTF-8 "
                                              f"(Comma delimited)' and upload it again.") from None
            if not line:
                return
            self.line += 1
            self.row_chars += len(line)
            if self.row_chars > MAX_ROW_CHARS:
                raise FileProblem("too_large", f"The row at line {self.row_start} is longer than "
                                               f"{MAX_ROW_CHARS:,} characters (is a quote left open?).")
            yield line

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        lines = self._lines()
        if self.sep_line:
            next(lines, None)
        reader = csv.reader(lines, delimiter=self.delimiter, strict=False)
        while True:
            self.row_start, self.row_chars = self.line + 1, 0
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise FileProblem("binary", f"The file could not be read as CSV at line {self.row_start}.") from None
            yield self.row_start, row

    def close(self) -> None:
        try:
            self.text.detach()
        except ValueError:
            pass
