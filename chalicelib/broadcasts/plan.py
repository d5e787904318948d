"""What validation leaves behind for the run to send: the recipients in chunk files on S3.

A chunk is CHUNK_SIZE valid recipients (the last may hold fewer), gzip-compressed JSON lines of
{"row": the recipient's line in the uploaded file (1 = the header), "to": the normalised target,
"values": {placeholder: text}}. One SQS message carries one chunk's number, never its recipients.
Rows are the file's own line numbers, so validating the same file again yields the same rows and the
same idempotency keys: a recipient is sent at most once whatever is redone."""
from __future__ import annotations

import gzip
import json
from typing import Any, Iterable, Iterator, NamedTuple

CHUNK_SIZE = 500
PREFIX = "broadcasts"


class Recipient(NamedTuple):
    row: int
    to: str
    values: dict[str, str]


def broadcast_prefix(application_id: str, broadcast_id: str) -> str:
    """Every S3 object of one broadcast starts with this (deleting the broadcast deletes them)."""
    return f"{PREFIX}/{application_id}/{broadcast_id}/"


def upload_key(application_id: str, broadcast_id: str) -> str:
    return broadcast_prefix(application_id, broadcast_id) + "upload"


def chunk_key(application_id: str, broadcast_id: str, number: int) -> str:
    return f"{PREFIX}/{application_id}/{broadcast_id}/chunks/{number:05d}.jsonl.gz"


def errors_key(application_id: str, broadcast_id: str, lang: str = "en") -> str:
    """The bad rows file in one language (broadcasts.row_words)."""
    return f"{PREFIX}/{application_id}/{broadcast_id}/errors{'' if lang == 'en' else '-' + lang}.csv"


def idempotency_scope(application_id: str, broadcast_id: str) -> str:
    """With str(row) as the key: the send's record in sending.idempotency."""
    return f"{application_id}:broadcast:{broadcast_id}"


def encode_chunk(recipients: Iterable[Recipient]) -> bytes:
    lines = (json.dumps({"row": r.row, "to": r.to, "values": r.values}, separators=(",", ":"),
                        ensure_ascii=False) for r in recipients)
    return gzip.compress("\n".join(lines).encode("utf-8"), compresslevel=6, mtime=0)


def decode_chunk(data: bytes) -> Iterator[Recipient]:
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        if line:
            item: dict[str, Any] = json.loads(line)
            yield Recipient(int(item["row"]), str(item["to"]), dict(item.get("values") or {}))
