"""A zip archive written front to back into a callable, that another process can carry on.

A report's XLSX is one zip stream uploaded as one S3 multipart upload, written across several
Lambda invocations. What makes that possible:

- A worksheet is a streamed entry: zero sizes in its local header, then a data descriptor
  (flag bit 3) once its CRC-32 and sizes are known.
- `flush()` ends the deflate data so far with zlib's Z_FULL_FLUSH: byte-aligned, and nothing after
  it refers back past it. So `state()` right after a flush (offset, finished entries, the open
  entry's CRC and sizes: a few hundred bytes of JSON) is all another process needs, and
  `ZipStream.resume(state, out)` continues with a fresh compressor. The bytes come out identical
  to an uninterrupted run, since a full flush leaves zlib as a fresh compressor would.
- No ZIP64: Excel is strict about ZIP64 in streamed entries, and 4 GiB is far past Kirim's largest
  report. Past it, `OverflowError`; the writer closes a sheet early before its entry could get there.

The DOS time and the deflate level are part of the state, so a resumed archive never changes them.
"""
from __future__ import annotations

import struct
import zlib
from datetime import datetime
from typing import Any, Callable

MAX_ARCHIVE_BYTES = 0xFFFF_FFFF               # offsets past this would need ZIP64
MAX_ENTRY_BYTES = 0xFFFF_FFFF - (256 << 20)   # an entry's uncompressed size, with room to spare

_LOCAL = struct.Struct("<IHHHHHIIIHH")          # local file header, before its name
_DESCRIPTOR = struct.Struct("<IIII")             # signature, CRC-32, compressed size, size
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")   # central directory header, before its name
_END = struct.Struct("<IHHHHIIH")                # end of central directory
_FLAG_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800
_DEFLATED = 8
_VERSION = 20                                    # 2.0: deflate and data descriptors


def dos_time(when: datetime) -> tuple[int, int]:
    """(time, date) as zip headers store them."""
    when = max(when.replace(tzinfo=None), datetime(1980, 1, 1))
    return ((when.hour << 11) | (when.minute << 5) | (when.second // 2),
            ((when.year - 1980) << 9) | (when.month << 5) | when.day)


def _compressor(level: int) -> Any:
    return zlib.compressobj(level, zlib.DEFLATED, -15)


class ZipStream:
    """Entries are [name, crc, compressed size, size, local header offset, flags]."""

    def __init__(self, out: Callable[[bytes], Any], *, level: int = 6, when: datetime | None = None) -> None:
        self._out = out
        self.level = level
        self.time, self.date = dos_time(when or datetime(2026, 1, 1))
        self.offset = 0
        self.entries: list[list] = []
        self.current: list | None = None
        self._deflate: Any = None

    def state(self) -> dict[str, Any]:
        """JSON-able; valid right after flush() (or with no entry open)."""
        return {"offset": self.offset, "level": self.level, "time": self.time, "date": self.date,
                "entries": [list(e) for e in self.entries], "current": list(self.current) if self.current else None}

    @classmethod
    def resume(cls, state: dict[str, Any], out: Callable[[bytes], Any]) -> "ZipStream":
        stream = cls(out, level=state["level"])
        stream.time, stream.date, stream.offset = state["time"], state["date"], state["offset"]
        stream.entries = [list(e) for e in state["entries"]]
        stream.current = list(state["current"]) if state["current"] else None
        if stream.current:
            stream._deflate = _compressor(stream.level)  # the stream was fully flushed: no history needed
        return stream

    def _emit(self, data: bytes) -> None:
        if data:
            if self.offset + len(data) > MAX_ARCHIVE_BYTES:
                raise OverflowError("the file would pass 4 GiB")
            self.offset += len(data)
            self._out(data)

    def _header(self, name: bytes, flags: int, crc: int, compressed: int, size: int) -> bytes:
        return _LOCAL.pack(0x04034B50, _VERSION, flags, _DEFLATED, self.time, self.date, crc, compressed, size,
                           len(name), 0) + name

    @staticmethod
    def _flags(name: str) -> int:
        return 0 if name.isascii() else _FLAG_UTF8

    def add(self, name: str, data: bytes) -> None:
        """A whole small entry, its sizes in its local header."""
        if self.current is not None:
            raise ValueError("end the streamed entry first")
        deflate = _compressor(self.level)
        body = deflate.compress(data) + deflate.flush()
        crc, flags = zlib.crc32(data), self._flags(name)
        self.entries.append([name, crc, len(body), len(data), self.offset, flags])
        self._emit(self._header(name.encode(), flags, crc, len(body), len(data)))
        self._emit(body)

    def start(self, name: str) -> None:
        """Open a streamed entry."""
        if self.current is not None:
            raise ValueError("one streamed entry at a time")
        flags = self._flags(name) | _FLAG_DESCRIPTOR
        self.current = [name, 0, 0, 0, self.offset, flags]
        self._emit(self._header(name.encode(), flags, 0, 0, 0))
        self._deflate = _compressor(self.level)

    @property
    def entry_size(self) -> int:
        """Uncompressed bytes written to the open entry."""
        return self.current[3] if self.current else 0

    def write(self, data: bytes) -> None:
        entry = self.current
        if entry[3] + len(data) > MAX_ENTRY_BYTES:
            raise OverflowError("a zip entry would pass 4 GiB")
        entry[1] = zlib.crc32(data, entry[1])
        entry[3] += len(data)
        body = self._deflate.compress(data)
        entry[2] += len(body)
        self._emit(body)

    def flush(self) -> None:
        """Everything written so far goes out, ending on a byte boundary with no back-references."""
        if self.current is not None:
            body = self._deflate.flush(zlib.Z_FULL_FLUSH)
            self.current[2] += len(body)
            self._emit(body)

    def end(self) -> None:
        """Close the streamed entry: its last deflate block, then its data descriptor."""
        entry = self.current
        body = self._deflate.flush(zlib.Z_FINISH)
        entry[2] += len(body)
        self._emit(body)
        self._emit(_DESCRIPTOR.pack(0x08074B50, entry[1], entry[2], entry[3]))
        self.entries.append(entry)
        self.current, self._deflate = None, None

    def close(self) -> None:
        """The central directory and its end record."""
        if self.current is not None:
            raise ValueError("end the streamed entry first")
        start = self.offset
        directory = bytearray()
        for name, crc, compressed, size, offset, flags in self.entries:
            encoded = name.encode()
            directory += _CENTRAL.pack(0x02014B50, _VERSION, _VERSION, flags, _DEFLATED, self.time, self.date,
                                       crc, compressed, size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
        count = len(self.entries)
        directory += _END.pack(0x06054B50, 0, 0, count, count, len(directory), start, 0)
        self._emit(bytes(directory))
