"""The limits table: short-lived items that DynamoDB's TTL removes: counters (login throttling,
rate-limit windows, registrations per address) and marks (stream batches already applied). Each
user of the table names its keys with its own prefix."""
from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from chalicelib.core.db import Unanswered, numbers, table, update_if


class Limit(Model):
    """A short-lived item: `hits` a count, `mark` a position (a stream sequence number, too long for
    a DynamoDB number); the login throttle keeps its attempts as ids (`attempts`, and those still being
    checked in `pending`, until `pending_until`) with `window_until`, `next_at` and `backoff` (epoch
    seconds); TTL removes it after `expires_ttl`."""

    Meta = table("limits_table")

    pk = UnicodeAttribute(hash_key=True)
    mark = UnicodeAttribute(null=True)
    hits, window_until, next_at, backoff, pending_until, expires_ttl = numbers(6, null=True)
    attempts = UnicodeSetAttribute(null=True)
    pending = UnicodeSetAttribute(null=True)

    @staticmethod
    def key(kind: str, *parts: str | int) -> str:
        return "#".join([kind, *map(str, parts)])


def count(key: str, expires_at: int) -> int:
    """One more event on a fixed-window counter (one UpdateItem, ADD); returns the new count.

    Each event is counted at most once: the ADD is sent once (botocore's resend would count it
    twice and could refuse a caller under its limit), and when its answer is lost the count is
    read instead (one strongly consistent GetItem), with or without this event."""
    item = Limit(key)
    try:
        update_if(item, [Limit.hits.add(1), Limit.expires_ttl.set(expires_at)], None, "this counter", once=True)
    except Unanswered:
        try:
            return int(Limit.get(key, consistent_read=True).hits or 0)
        except Limit.DoesNotExist:
            return 0
    return int(item.hits)
