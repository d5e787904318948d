"""The limits table: short-lived counters (login throttling, rate-limit windows) that DynamoDB's
TTL removes. Each user of the table names its keys with its own prefix."""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import table


class Limit(Model):
    """A short-lived counter: `events` holds epoch seconds of recent events, `hits` a count."""

    Meta = table("limits_table")

    pk = UnicodeAttribute(hash_key=True)
    events = ListAttribute(of=NumberAttribute, null=True)
    hits = NumberAttribute(null=True)
    expires_ttl = NumberAttribute(null=True)

    @staticmethod
    def key(kind: str, *parts: str | int) -> str:
        return "#".join([kind, *map(str, parts)])
