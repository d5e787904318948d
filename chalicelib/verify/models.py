"""The verifications table, two kinds of item under one string key `pk`:

- a verification (pk "VE" + 32 hex characters, random): its application, channel, recipient,
  status, the code's keyed hash and salt (never the code), wrong attempts and expiry;
- a recipient of an application (pk recipient_key(): the application and a SHA-256 of the
  number or address): the times of its recent starts (the hourly and daily caps) and its pending
  verification (which a new start cancels), with a version for conditional writes.
Both are GetItem by key; DynamoDB's TTL removes them a day after their last use.
"""
from __future__ import annotations

import hashlib
import secrets

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.db import strings, table

PENDING, APPROVED, CANCELED = "pending", "approved", "canceled"
REPLACED, TOO_MANY_ATTEMPTS, NOT_SENT = "replaced", "max_attempts", "not_sent"
_ID_PREFIX = "VE"


def new_verification_id() -> str:
    return _ID_PREFIX + secrets.token_hex(16)


def is_verification_id(value: object) -> bool:
    return (isinstance(value, str) and len(value) == 34 and value.startswith(_ID_PREFIX)
            and all(c in "0123456789abcdef" for c in value[2:]))


def recipient_key(application_id: str, to: str) -> str:
    return f"to#{application_id}#{hashlib.sha256(to.encode()).hexdigest()}"


class Verification(Model):
    Meta = table("verifications_table")

    pk = UnicodeAttribute(hash_key=True)
    application_id, channel, to, locale, status, created_at, expires_at = strings(7)
    code_hash, salt = strings(2)
    code_length = NumberAttribute()
    attempts = NumberAttribute(default=0)
    cancel_reason, approved_at = strings(2, null=True)
    expires_ttl = NumberAttribute(null=True)
    write_id = UnicodeAttribute(null=True)  # core.db.update_if's mark


class Recipient(Model):
    Meta = table("verifications_table")

    pk = UnicodeAttribute(hash_key=True)
    starts = ListAttribute(of=NumberAttribute, null=True)   # epoch seconds of starts in the last day
    pending = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    expires_ttl = NumberAttribute(null=True)
