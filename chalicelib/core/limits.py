"""The limits table: short-lived items that DynamoDB's TTL removes: counters (login throttling,
rate-limit windows, registrations per address, dashboard requests per account) and marks (stream
batches already applied). Each user of the table names its keys with its own prefix."""
from __future__ import annotations

from pynamodb.attributes import NumberSetAttribute, UnicodeAttribute
from pynamodb.expressions.condition import size
from pynamodb.models import Model

from chalicelib.core.db import numbers, table, update_if


class Limit(Model):
    """A short-lived item: `hits` a count, `mark` a position (a stream sequence number, too long for
    a DynamoDB number); the login throttle keeps `window_until`, `next_at` and `backoff` (epoch
    seconds) beside `hits`; TTL removes it after `expires_ttl`."""

    Meta = table("limits_table")

    pk = UnicodeAttribute(hash_key=True)
    mark = UnicodeAttribute(null=True)
    hits, window_until, next_at, backoff, expires_ttl = numbers(5, null=True)
    events = NumberSetAttribute(null=True)  # take_once: the ids of the events a window holds

    @staticmethod
    def key(kind: str, *parts: str | int) -> str:
        return "#".join([kind, *map(str, parts)])


def count(key: str, expires_at: int) -> int:
    """One more event on a fixed-window counter (one UpdateItem, ADD); returns the new count."""
    item = Limit(key)
    item.update(actions=[Limit.hits.add(1), Limit.expires_ttl.set(expires_at)])
    return int(item.hits)


def take_once(key: str, event: int, limit: int, expires_at: int) -> bool:
    """One event into a window of at most `limit` events, counted exactly once: the window holds its
    events' ids, and an id already there counts nothing more. botocore sends an UpdateItem again when
    its answer was lost, and a count kept with ADD would count that event twice; this one holds. One
    conditional UpdateItem; False (and nothing written) when the window is full."""
    return update_if(Limit(key), [Limit.events.add({event}), Limit.expires_ttl.set(expires_at)],
                     Limit.events.does_not_exist() | (size(Limit.events) < limit) | Limit.events.contains(event),
                     what="this account")
