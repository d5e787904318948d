"""The callbacks table: one item per status event of a message that goes to a callback URL.

- pk message_id, sk sequence (the message's status sequence number): a message's deliveries
  are one Query (the message detail shows them), and one delivery is one GetItem.
- `by_due` (sparse, keys only): pending deliveries by when the next attempt is due, spread over
  DUE_PARTITIONS partitions; the scheduled sweeper Queries it, never Scans.
- `by_failed` (sparse, keys only): failed deliveries per application by when they failed, for
  "replay everything that failed in a time range".
The delivery id (the `webhook-id` header, stable across retries) is made from the key, so a
replay by id needs no index.
"""
from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.db import index, plain, strings, table

DUE_PARTITIONS = 4
PENDING, DELIVERED, FAILED, CANCELED = "pending", "delivered", "failed", "canceled"
_ID_PREFIX = "msg_"


def delivery_id(message_id: str, sequence: int) -> str:
    return f"{_ID_PREFIX}{message_id}_{sequence}"


def key_of(value: str) -> tuple[str, int] | None:
    """(message_id, sequence) of a delivery id, or None when it is not one."""
    if not isinstance(value, str) or not value.startswith(_ID_PREFIX) or len(value) > 100:
        return None
    message_id, _, sequence = value[len(_ID_PREFIX):].rpartition("_")
    if not message_id or not sequence.isascii() or not sequence.isdigit():
        return None
    return message_id, int(sequence)


def due_partition(message_id: str) -> str:
    return f"due#{zlib.crc32(message_id.encode()) % DUE_PARTITIONS}"


def due_partitions() -> list[str]:
    return [f"due#{n}" for n in range(DUE_PARTITIONS)]


class Delivery(Model):
    Meta = table("callbacks_table")

    message_id = UnicodeAttribute(hash_key=True)
    sequence = NumberAttribute(range_key=True)
    application_id, created_at = strings(2)
    payload = UnicodeAttribute()              # the JSON body, byte for byte what is signed and sent
    state = UnicodeAttribute(default=PENDING)
    attempt_count = NumberAttribute(default=0)
    max_attempts = NumberAttribute()
    attempts = ListAttribute(of=MapAttribute, null=True)   # {at, http_status, latency_ms, error}
    lease_until = NumberAttribute(null=True)  # epoch seconds: an attempt in flight holds it
    write_id = UnicodeAttribute(null=True)    # core.db.update_if's mark
    due_part, due_at = strings(2, null=True)  # while pending
    failed_app, failed_at = strings(2, null=True)  # while failed
    expires_ttl = NumberAttribute(null=True)
    by_due = index("by_due", "due_part", "due_at", projection=KeysOnlyProjection())
    by_failed = index("by_failed", "failed_app", "failed_at", projection=KeysOnlyProjection())

    @property
    def id(self) -> str:
        return delivery_id(self.message_id, int(self.sequence))

    def attempt_entries(self) -> list[dict[str, Any]]:
        return [plain(entry) for entry in (self.attempts or [])]
