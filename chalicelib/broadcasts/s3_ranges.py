"""A read-only, seekable file object over one S3 object, read with ranged GETs.

An XLSX file is a zip, and a zip's directory is at its end, so openpyxl needs to seek; S3's
StreamingBody cannot. Reads go through a few cached blocks, so zipfile's small reads (a local
header, then the member's data) cost one GET per block, not one per read.
"""
from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any

BLOCK = 1 << 20
BLOCKS = 4  # at most BLOCKS * BLOCK bytes held


class S3RangeReader(io.RawIOBase):
    def __init__(self, s3: Any, bucket: str, key: str, *, size: int | None = None, block: int = BLOCK,
                 blocks: int = BLOCKS) -> None:
        super().__init__()
        self.s3, self.bucket, self.key = s3, bucket, key
        self.size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"] if size is None else size
        self.block, self.blocks = block, blocks
        self.position = 0
        self.gets = 0  # ranged GETs made (tests and the benchmark look)
        self._cache: OrderedDict[int, bytes] = OrderedDict()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def _block(self, number: int) -> bytes:
        data = self._cache.get(number)
        if data is None:
            start = number * self.block
            end = min(start + self.block, self.size) - 1
            data = self.s3.get_object(Bucket=self.bucket, Key=self.key, Range=f"bytes={start}-{end}")["Body"].read()
            self.gets += 1
            self._cache[number] = data
            if len(self._cache) > self.blocks:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(number)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self.position < self.size:
            number, offset = divmod(self.position, self.block)
            piece = self._block(number)[offset:offset + len(view) - done]
            if not piece:
                break
            view[done:done + len(piece)] = piece
            done += len(piece)
            self.position += len(piece)
        return done

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = max(self.size - self.position, 0)
        buffer = bytearray(min(size, max(self.size - self.position, 0)))
        return bytes(buffer[:self.readinto(buffer)])

    def readall(self) -> bytes:
        return self.read(-1)
