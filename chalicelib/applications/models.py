"""Applications' tables.
- applications: GetItem by id; Query `by_owner` for "my applications". Quota and the current
                token hash of each channel live here, so a token change is one transaction over
                this item and two token items.
- tokens:       GetItem (strongly consistent) by sha256(channel token): the whole V2 auth.
"""
from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.expressions.operand import Path
from pynamodb.models import Model

from chalicelib.core.clock import DEFAULT_TIMEZONE
from chalicelib.core.db import index, strings, table


class Application(Model):
    """`channels` maps a channel word to
    {quota: int, token_hash: str|None, token_prefix: str|None, token_issued_at: str|None}."""

    Meta = table("applications_table")

    application_id = UnicodeAttribute(hash_key=True)
    owner_id, name, created_at = strings(3)
    channels = MapAttribute()
    sender_ids = UnicodeSetAttribute(null=True)
    caller_ids = UnicodeSetAttribute(null=True)   # E.164 numbers IVR calls may come from
    # {channel: when the owner picked this application for that channel's V1 calls}
    v1_default_for = MapAttribute(null=True)
    timezone = UnicodeAttribute(default=DEFAULT_TIMEZONE)
    rate_limit = NumberAttribute(null=True)
    callback_url = UnicodeAttribute(null=True)
    by_owner = index("by_owner", "owner_id", "created_at")

    @staticmethod
    def quota(channel: str) -> Path:
        """The path of a channel's remaining quota, for conditions and ADD."""
        return Application.channels[channel]["quota"]

    def zone(self) -> str:
        return self.timezone or DEFAULT_TIMEZONE

    def v1_picks(self) -> dict[str, str]:
        return self.v1_default_for.as_dict() if self.v1_default_for else {}


class Token(Model):
    Meta = table("tokens_table")

    token_hash = UnicodeAttribute(hash_key=True)
    application_id, channel, owner_id, issued_at = strings(4)
    # A copy of the application's sending settings (rate_limit, timezone, sender_ids), kept in
    # step by the settings transaction, so a V2 send needs no read of the application.
    settings = MapAttribute(null=True)
