"""One gzip member (RFC 1952) written front to back, that another process can carry on: the
`.csv.gz` variant of a report. As with ZipStream, `flush()` is a zlib full flush, after which
`state()` (CRC-32, length, level) is all a resumed stream needs."""
from __future__ import annotations

import struct
import zlib
from typing import Any, Callable

# Magic, deflate, no flags, no mtime (the same bytes on every run), no extra flags, OS unknown.
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


class GzipStream:
    def __init__(self, out: Callable[[bytes], Any], *, level: int = 1, _state: dict | None = None) -> None:
        self._out = out
        self.level = level if _state is None else _state["level"]
        self.crc = 0 if _state is None else _state["crc"]
        self.size = 0 if _state is None else _state["size"]
        self._deflate = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        if _state is None:
            out(HEADER)

    @classmethod
    def resume(cls, state: dict, out: Callable[[bytes], Any]) -> "GzipStream":
        return cls(out, _state=state)

    def state(self) -> dict:
        """JSON-able; valid right after flush()."""
        return {"crc": self.crc, "size": self.size, "level": self.level}

    def write(self, data: bytes) -> int:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        body = self._deflate.compress(data)
        if body:
            self._out(body)
        return len(data)

    def flush(self) -> None:
        self._out(self._deflate.flush(zlib.Z_FULL_FLUSH))

    def close(self) -> None:
        self._out(self._deflate.flush(zlib.Z_FINISH) + struct.pack("<II", self.crc, self.size & 0xFFFF_FFFF))
