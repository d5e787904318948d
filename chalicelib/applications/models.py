"""Applications' tables.
- applications: GetItem by id; Query `by_owner` for "my applications". The current token hash
                of each channel lives on the application, so a token change is one transaction
                over this item and two token items. The same table holds each channel's quota
                items and quota ledger items, HALVES of each (keys below), and the sparse
                `by_due` index over them.
                The same table holds email sender identities (EmailIdentity), keyed by the identity,
                and team memberships (Member), keyed by member and application, with the sparse
                `by_member` index: "the applications shared with me" is one Query.
- tokens:       GetItem (strongly consistent) by sha256(channel token): the whole V2 auth.
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.clock import DEFAULT_TIMEZONE
from chalicelib.core.db import index, numbers, strings, table

QUOTA, LEDGER = "quota", "ledger"
# Each channel's quota is kept in this many halves, each a whole account (quota item, ledger item,
# journal), so that one busy channel's debits spread over two items: 500 WCU/s each at 1,000 sends/s.
HALVES = 2
# The one partition of `by_due`: at most a write per active channel per minute goes there.
DUE_PART = "due"


class Application(Model):
    """`channels` maps a channel word to {token_hash, token_prefix, token_issued_at} (all
    optional: a channel without a token is Inactive). `settings_version` grows with every
    settings change, so a token's copy of the settings can be conditioned on it."""

    Meta = table("applications_table")

    application_id = UnicodeAttribute(hash_key=True)
    owner_id, name, created_at = strings(3)
    channels = MapAttribute()
    sender_ids = UnicodeSetAttribute(null=True)
    caller_ids = UnicodeSetAttribute(null=True)   # E.164 numbers IVR calls may come from
    email_identities = UnicodeSetAttribute(null=True)  # its EmailIdentity claims, for listing them
    # {channel: when the owner picked this application for that channel's V1 calls}
    v1_default_for = MapAttribute(null=True)
    timezone = UnicodeAttribute(default=DEFAULT_TIMEZONE)
    rate_limit = NumberAttribute(null=True)
    callback_url = UnicodeAttribute(null=True)
    settings_version = NumberAttribute(null=True)
    # Status callbacks' signing keys, newest first: {seed, created_at, expires_at?}. Only a random
    # seed is stored; the whsec_ secret is derived from it with the stack's secret
    # (applications.callback_secrets), so this table alone never reveals a signing secret.
    callback_keys = ListAttribute(of=MapAttribute, null=True)
    write_id = UnicodeAttribute(null=True)  # core.db.update_if's mark
    # {channel: units}: warn the owner when that channel's quota left falls to it or below
    # (applications.usage); {channel: crossings so far, odd while below} makes each crossing's
    # quota.low callback once.
    quota_alerts = MapAttribute(null=True)
    # {channel: percent} for an alert set as a share of the last top-up (quota_alerts holds its units).
    quota_alert_percents = MapAttribute(null=True)
    quota_crossings = MapAttribute(null=True)
    # The team (applications.team): {user_id: {email, role, joined_at}} and pending invitations
    # {invitation_id: {email, role, secret_hash, created_at, expires_at}}, changed together under
    # `team_version`, so the access check reads the caller's role from this one GetItem.
    owner_email = UnicodeAttribute(null=True)
    members = MapAttribute(null=True)
    invitations = MapAttribute(null=True)
    team_version = NumberAttribute(null=True)
    by_owner = index("by_owner", "owner_id", "created_at")

    def zone(self) -> str:
        return self.timezone or DEFAULT_TIMEZONE

    def v1_picks(self) -> dict[str, str]:
        return self.v1_default_for.as_dict() if self.v1_default_for else {}


def quota_key(kind: str, application_id: str, channel: str, half: int) -> str:
    """The key of one half of a channel's quota item (QUOTA) or quota ledger item (LEDGER)."""
    return f"{kind}#{application_id}#{channel}#{half}"


def parse_quota_key(key: str) -> tuple[str, str, str, int] | None:
    """(kind, application id, channel, half) of a quota or ledger key; None for anything else."""
    parts = key.split("#")
    if len(parts) != 4 or parts[0] not in (QUOTA, LEDGER) or not parts[3].isdigit():
        return None
    return parts[0], parts[1], parts[2], int(parts[3])


class _QuotaBase(Model):
    Meta = table("applications_table")

    key = UnicodeAttribute(hash_key=True, attr_name="application_id")
    # Set while the item has journal minutes for the reconciler; `due` is the oldest of them.
    due_part, due = strings(2, null=True)
    by_due = index("by_due", "due_part", "due", projection=KeysOnlyProjection())


class Quota(_QuotaBase):
    """A channel's remaining units, debited by the send itself with one conditional UpdateItem.
    `journal` maps a minute (YYYYMMDDHHMM, UTC) to the units debited in it whose messages are
    not matched yet; it stays a few hundred bytes, so each debit costs one write unit."""

    balance = NumberAttribute(default=0)
    journal = MapAttribute(default=dict)


class QuotaLedger(_QuotaBase):
    """Written only by the messages stream consumer (in its transaction) and the reconciler:
    `settled` maps a debit minute to the units of the messages written for it, `credit` holds
    refunds not yet moved into the balance, `version` orders the writers."""

    settled = MapAttribute(default=dict)
    credit = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


TOP_UP = "topup"


def top_ups_partition(application_id: str) -> str:
    """The `by_owner` partition of an application's top-ups (no account id looks like it)."""
    return f"{TOP_UP}#{application_id}"


class TopUp(Model):
    """One operator top-up, written in the top-up's own transaction on condition its key is new: the
    same top-up id sent again adds nothing. Listed newest first with one Query of `by_owner`
    (owner_id = top_ups_partition(), created_at = when)."""

    Meta = table("applications_table")

    key = UnicodeAttribute(hash_key=True, attr_name="application_id")
    owner_id, created_at, channel, top_up_id = strings(4)
    amount = NumberAttribute()
    by_owner = index("by_owner", "owner_id", "created_at")


EMAIL_IDENTITY = "email-identity"


def email_identity_key(identity: str) -> str:
    return f"{EMAIL_IDENTITY}#{identity}"


class EmailIdentity(Model):
    """An email sender identity (an address or a domain, lowercased, ASCII) and the one application that
    claimed it. Keyed by the identity, so a claim is a put on condition the key does not exist: two
    applications can never hold one (applications.email_identities). `status` is what the provider
    `verifier` last said (pending, verified, failed), asked at `checked_at`; `requested_at` is when
    Kirim asked it to verify (None: not yet, or the provider's identity is not this claim's); a domain's
    `dkim_tokens` make its DNS records."""

    Meta = table("applications_table")

    key = UnicodeAttribute(hash_key=True, attr_name="application_id")
    identity, kind, claimed_by, status, created_at = strings(5)
    verifier, verified_at = strings(2, null=True)
    requested_at, checked_at = numbers(2, null=True)
    dkim_tokens = ListAttribute(of=UnicodeAttribute, null=True)
    assigned = BooleanAttribute(null=True)  # by the operator: what the provider has is taken as it is


class Token(Model):
    Meta = table("tokens_table")

    token_hash = UnicodeAttribute(hash_key=True)
    application_id, channel, owner_id, issued_at = strings(4)
    # A copy of the application's sending settings (rate_limit, timezone, sender_ids, version),
    # kept in step by the settings transaction, so a V2 send needs no read of the application.
    settings = MapAttribute(null=True)
    # When the token last authenticated, to the hour: written at most once an hour (tokens.note_use).
    last_used_at = UnicodeAttribute(null=True)


MEMBER = "member"


def member_key(user_id: str, application_id: str) -> str:
    return f"{MEMBER}#{user_id}#{application_id}"


class Member(Model):
    """That `member_id` has a role in `member_of` (the role itself lives on the application):
    written and deleted in the transaction that changes the application's `members`."""

    Meta = table("applications_table")

    key = UnicodeAttribute(hash_key=True, attr_name="application_id")
    member_id, member_of, created_at = strings(3)
    by_member = index("by_member", "member_id", "created_at")
