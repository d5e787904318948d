"""The simulator's inbox table, which exists in the local stage only (infra/template.yaml):
pk application_id, sk message_id (a ULID, so newest first is a descending Query). Full bodies,
OTP codes included, live here and nowhere else; items expire after KEEP_DAYS."""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import strings, table

KEEP_DAYS = 7


class InboxEntry(Model):
    Meta = table("simulator_inbox_table")

    application_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)
    channel, to, at = strings(3)
    body = MapAttribute()
    expires_ttl = NumberAttribute(null=True)
