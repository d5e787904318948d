"""PynamoDB models: the only code that knows table layouts.

Each table serves named access patterns; none is ever scanned:
- users:        GetItem by email (login, Basic auth); Query `by_kind` to list accounts (admin).
- sessions:     GetItem by sha256(session token); TTL removes expired ones.
- applications: GetItem by id; Query `by_owner` for "my applications". Quota and the
                current token hash of each channel live here, so a token change is one
                transaction over this item and two token items.
- tokens:       GetItem (strongly consistent) by sha256(channel token): the whole V2 auth.
- limits:       short-lived counters (login throttling, rate-limit windows), removed by TTL.
- messages:     GetItem by id (status routes, provider callbacks); Query `by_app_channel` (history),
                `by_app` (all channels) and `by_status` (one channel and status) for monitoring.
- counters:     one item per application+channel and local day+status, moved by ADD inside the
                transaction that changes the message; Query by pk and a day range for overviews.
- ivr:          GetItem by application and ivr id; Query to list an application's scripts.
- templates:    GetItem by application and "tpl#<id>"; Query "tpl#" to list; "name#<name>#<language>"
                items keep names unique; Query `by_provider_template` for Meta's review webhook.
"""
from __future__ import annotations

import os
from functools import lru_cache

from pynamodb.attributes import (BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.config import get_settings

_settings = get_settings()


# Lambda answers within seconds, so DynamoDB calls fail fast; a test that floods a local moto
# server with 200 threads can allow more (DYNAMODB_READ_TIMEOUT).
_READ_TIMEOUT = float(os.environ.get("DYNAMODB_READ_TIMEOUT", "5"))


class _Meta:
    region = _settings.region
    connect_timeout_seconds = 2
    read_timeout_seconds = _READ_TIMEOUT
    max_retry_attempts = 3


@lru_cache(maxsize=1)
def connection() -> Connection:
    """The connection for transactions, configured like the models' and made once: a new
    Connection would build a new botocore session and client, tens of milliseconds each."""
    return Connection(region=_settings.region, connect_timeout_seconds=2, read_timeout_seconds=_READ_TIMEOUT)


class UsersByKind(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_kind"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class User(Model):
    class Meta(_Meta):
        table_name = _settings.users_table

    email = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    kind = UnicodeAttribute(default="user")
    created_at = UnicodeAttribute()
    by_kind = UsersByKind()


class Session(Model):
    class Meta(_Meta):
        table_name = _settings.sessions_table

    token_hash = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    email = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    expires_ttl = NumberAttribute()


class ApplicationsByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Application(Model):
    """`channels` maps a channel word to
    {quota: int, token_hash: str|None, token_prefix: str|None, token_issued_at: str|None}."""

    class Meta(_Meta):
        table_name = _settings.applications_table

    application_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    channels = MapAttribute()
    sender_ids = UnicodeSetAttribute(null=True)
    timezone = UnicodeAttribute(default="Asia/Jakarta")
    rate_limit = NumberAttribute(null=True)
    callback_url = UnicodeAttribute(null=True)
    by_owner = ApplicationsByOwner()


class Token(Model):
    class Meta(_Meta):
        table_name = _settings.tokens_table

    token_hash = UnicodeAttribute(hash_key=True)
    application_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    # A copy of the application's sending settings (rate_limit, timezone, sender_ids), kept in
    # step by the settings transaction, so a V2 send needs no read of the application.
    settings = MapAttribute(null=True)


class Limit(Model):
    """A short-lived counter; `events` holds epoch seconds of recent events."""

    class Meta(_Meta):
        table_name = _settings.limits_table

    pk = UnicodeAttribute(hash_key=True)
    events = ListAttribute(of=NumberAttribute, null=True)
    hits = NumberAttribute(null=True)
    expires_ttl = NumberAttribute(null=True)


class MessagesByAppChannel(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_app_channel"
        projection = AllProjection()

    app_channel = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)


class MessagesByApp(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_app"
        projection = AllProjection()

    application_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)


class MessagesByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    app_channel_status = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)


class Message(Model):
    """One message of any channel. `message_id` is a ULID, so ids sort by time and a
    callback carrying the id finds the message with one GetItem, without an index.
    `details` holds the channel's own fields; `history` holds {status, at, provider_status}."""

    class Meta(_Meta):
        table_name = _settings.messages_table

    message_id = UnicodeAttribute(hash_key=True)
    application_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    app_channel = UnicodeAttribute()
    app_channel_status = UnicodeAttribute(null=True)   # "<app>#<channel>#<status>", kept with status
    target = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    day = UnicodeAttribute()                # local day of created_at: the counter it counts in
    cost = NumberAttribute(default=1)       # quota units debited (SMS segments), refunded on rejection
    provider = UnicodeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    details = MapAttribute(null=True)
    history = ListAttribute(of=MapAttribute, null=True)
    by_app_channel = MessagesByAppChannel()
    by_app = MessagesByApp()
    by_status = MessagesByStatus()

    def history_entries(self) -> list[dict]:
        """The history as plain dicts (PynamoDB gives MapAttributes or dicts, depending on origin)."""
        return [h.as_dict() if hasattr(h, "as_dict") else dict(h) for h in (self.history or [])]


class Counter(Model):
    """One item per application channel and local day: pk "<application_id>#<channel>",
    sk "<YYYY-MM-DD>", and one number per status word (stored under the word itself), so an
    overview reads one item per day, whatever the traffic, and a status change is one update."""

    class Meta(_Meta):
        table_name = _settings.counters_table

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # Every status word of every channel (status_rules.RULES; a test keeps the two in step).
    submitted = NumberAttribute(attr_name="Submitted", null=True)
    sent = NumberAttribute(attr_name="Sent", null=True)
    delivered = NumberAttribute(attr_name="Delivered", null=True)
    read = NumberAttribute(attr_name="Read", null=True)
    rejected = NumberAttribute(attr_name="Rejected", null=True)
    failed = NumberAttribute(attr_name="Failed", null=True)
    undelivered = NumberAttribute(attr_name="Undelivered", null=True)
    in_call = NumberAttribute(attr_name="In Call", null=True)
    answered = NumberAttribute(attr_name="Answered", null=True)
    rna = NumberAttribute(attr_name="RNA", null=True)
    accepted = NumberAttribute(attr_name="Accepted", null=True)
    opened = NumberAttribute(attr_name="Opened", null=True)
    clicked = NumberAttribute(attr_name="Clicked", null=True)
    failed_by_mail_server = NumberAttribute(attr_name="Failed by mail server", null=True)

    @classmethod
    def of(cls, word: str) -> NumberAttribute:
        """The attribute that counts a status word."""
        return _COUNTER_WORDS[word]

    def set_count(self, word: str, n: int) -> None:
        setattr(self, _COUNTER_NAMES[word][0], n)

    def counts(self) -> dict[str, int]:
        """{status word: messages}, without zeros."""
        return {word: int(getattr(self, name)) for word, (name, _) in _COUNTER_NAMES.items() if getattr(self, name)}


_COUNTER_NAMES = {attribute.attr_name: (name, attribute) for name, attribute in Counter.get_attributes().items()
                  if isinstance(attribute, NumberAttribute)}
_COUNTER_WORDS = {word: attribute for word, (_, attribute) in _COUNTER_NAMES.items()}


class IvrScript(Model):
    class Meta(_Meta):
        table_name = _settings.ivr_table

    application_id = UnicodeAttribute(hash_key=True)
    ivr_id = UnicodeAttribute(range_key=True)
    ivr_name = UnicodeAttribute()
    script = UnicodeAttribute()
    required_variable = ListAttribute(of=UnicodeAttribute)
    created_at = UnicodeAttribute()


class TemplatesByProviderId(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_provider_template"
        projection = KeysOnlyProjection()

    provider_template_id = UnicodeAttribute(hash_key=True)


class Template(Model):
    """A WhatsApp template (sk "tpl#<template_id>") or a name lock (sk "name#<name>#<language>").
    `content` holds header, body, footer, buttons and authentication (docs/whatsapp-templates.md)."""

    class Meta(_Meta):
        table_name = _settings.templates_table

    application_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    template_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    content = MapAttribute(null=True)
    accept_terms = BooleanAttribute(null=True)
    rejection_reason = UnicodeAttribute(null=True)
    provider_template_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    by_provider_template = TemplatesByProviderId()


class Report(Model):
    """A report job: Processing -> Preparing -> Done | Failed; the file is reports/<app>/<id>.<ext>."""

    class Meta(_Meta):
        table_name = _settings.reports_table

    application_id = UnicodeAttribute(hash_key=True)
    report_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    channel = UnicodeAttribute()
    statuses = ListAttribute(of=UnicodeAttribute)
    format = UnicodeAttribute()
    start = UnicodeAttribute()          # the range, resolved in the application's zone (UTC ISO)
    end = UnicodeAttribute()
    from_text = UnicodeAttribute()      # the range as the owner gave it
    to_text = UnicodeAttribute()
    timezone = UnicodeAttribute()
    status = UnicodeAttribute()
    rows = NumberAttribute(default=0)
    expected_rows = NumberAttribute(default=0)
    size = NumberAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
