"""The limits table: short-lived items that DynamoDB's TTL removes: counters (login throttling,
rate-limit windows, registrations per address) and marks (stream batches already applied). Each
user of the table names its keys with its own prefix."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import table


class Limit(Model):
    """A short-lived item: `events` holds epoch seconds of recent events, `hits` a count, `mark` a
    position (a stream sequence number, too long for a DynamoDB number); the throttles keep
    `window_until`, `next_at` and `backoff` (epoch seconds) beside `hits`."""

    Meta = table("limits_table")

    pk = UnicodeAttribute(hash_key=True)
    events = ListAttribute(of=NumberAttribute, null=True)
    hits = NumberAttribute(null=True)
    mark = UnicodeAttribute(null=True)
    window_until = NumberAttribute(null=True)
    next_at = NumberAttribute(null=True)
    backoff = NumberAttribute(null=True)
    expires_ttl = NumberAttribute(null=True)

    @staticmethod
    def key(kind: str, *parts: str | int) -> str:
        return "#".join([kind, *map(str, parts)])


def count(key: str, expires_at: int) -> int:
    """One more event on a fixed-window counter (one UpdateItem, ADD); returns the new count."""
    item = Limit(key)
    item.update(actions=[Limit.hits.add(1), Limit.expires_ttl.set(expires_at)])
    return int(item.hits)
