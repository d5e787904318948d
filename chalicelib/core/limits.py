"""The limits table: short-lived items that DynamoDB's TTL removes: counters (login throttling,
rate-limit windows, registrations per address, dashboard requests per account) and marks (stream
batches already applied). Each user of the table names its keys with its own prefix."""
from __future__ import annotations

from pynamodb.attributes import NumberSetAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.expressions.condition import size
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
    events = NumberSetAttribute(null=True)  # take_once: the ids of the events a window holds

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


def take_once(key: str, event: int, limit: int, expires_at: int) -> bool:
    """One event into a window of at most `limit` events, counted exactly once: the window holds its
    events' ids, and an id already there counts nothing more. botocore sends an UpdateItem again when
    its answer was lost, and a count kept with ADD would count that event twice; this one holds. One
    conditional UpdateItem; False (and nothing written) when the window is full."""
    return update_if(Limit(key), [Limit.events.add({event}), Limit.expires_ttl.set(expires_at)],
                     Limit.events.does_not_exist() | (size(Limit.events) < limit) | Limit.events.contains(event),
                     what="this account")
