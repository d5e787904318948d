"""Messages' tables.
- messages: GetItem by id (status routes, provider callbacks); Query `by_app_channel` (history),
            `by_app` (all channels) and `by_status` (one channel and status) for monitoring.
            Those three are written in SHARDS partitions each (`...#<n>`, n from the id), so that
            one busy application's writes spread; a reader merges its SHARDS partitions by id.
            Query `by_recipient` (one recipient's messages: the console's search), also in SHARDS
            partitions, projecting only what the message list shows.
            Query `by_broadcast` (sparse: only a broadcast's messages carry its key) for one
            broadcast's messages (Monitoring's broadcast filter), in SHARDS partitions too.
            Query `by_sweep` (sparse) for messages whose dispatch is not settled yet.
            Query `by_wamid` (sparse: WhatsApp messages once Meta named them) for the message a
            customer's reply answers.
            Message ids are ULIDs, so ids sort by time and a time range is a key range.
            Its stream (old and new images) feeds messages.changes.
- counters: one item per application+channel and local day, with one number per status word;
            Query by pk and a day range for overviews. Written only by messages.changes.
"""
from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.core.db import index, numbers, plain, strings, table
from chalicelib.messages.status_rules import ALL_WORDS

_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def app_channel_key(application_id: str, channel: str) -> str:
    """The counters' and the quota's key of a channel (the message indexes add a shard)."""
    return f"{application_id}#{channel}"


# Each message index partition of an application is written in this many shards: at 1,000 sends/s
# with 3-5 writes of each message, 375-625 WCU/s per shard against DynamoDB's 1,000 per partition.
SHARDS = 8


def shard_of(message_id: str) -> int:
    """A message's shard: its ULID's last character (random, 32 values) mod SHARDS."""
    return _ULID_ALPHABET.index(message_id[-1].upper()) % SHARDS


def app_shard_key(application_id: str, shard: int) -> str:
    """`by_app`'s partition key."""
    return f"{application_id}#{shard}"


def app_channel_shard_key(application_id: str, channel: str, shard: int) -> str:
    """`by_app_channel`'s partition key."""
    return f"{application_id}#{channel}#{shard}"


def status_key(application_id: str, channel: str, status: str, shard: int) -> str:
    """`by_status`'s partition key."""
    return f"{application_id}#{channel}#{status}#{shard}"


def recipient_key(application_id: str, target: str, shard: int) -> str:
    """`by_recipient`'s partition key: the target as the send path normalised it (E.164, or the
    address with its domain lowercased). The application id has a fixed length and the shard is
    one digit, so a '#' inside an address cannot make two keys meet."""
    return f"{application_id}#{target}#{shard}"


def broadcast_key(application_id: str, broadcast_id: str, shard: int) -> str:
    """`by_broadcast`'s partition key (a broadcast sends at up to 1,000/s: sharded like the others)."""
    return f"{application_id}#{broadcast_id}#{shard}"


def broadcast_of(message: Message) -> str | None:
    """The broadcast a message was sent by, from its `by_broadcast` key (read by every index that
    projects all attributes), else from its details; None for a message of no broadcast."""
    if message.app_broadcast:
        return message.app_broadcast.split("#")[1]
    details = message.details_dict() if message.details is not None else {}
    found = details.get("broadcast_id")
    return found if isinstance(found, str) else None


def index_keys(application_id: str, channel: str, status: str, message_id: str,
               target: str | None = None, broadcast_id: str | None = None) -> dict[str, str]:
    """The attributes that place a new message in its index partitions (`by_recipient` with a target,
    `by_broadcast` with a broadcast)."""
    shard = shard_of(message_id)
    keys = {"app_shard": app_shard_key(application_id, shard),
            "app_channel": app_channel_shard_key(application_id, channel, shard),
            "app_channel_status": status_key(application_id, channel, status, shard)}
    if target is not None:
        keys["app_recipient"] = recipient_key(application_id, target, shard)
    if broadcast_id:
        keys["app_broadcast"] = broadcast_key(application_id, broadcast_id, shard)
    return keys


def app_partitions(application_id: str) -> list[str]:
    return [app_shard_key(application_id, n) for n in range(SHARDS)]


def app_channel_partitions(application_id: str, channel: str) -> list[str]:
    return [app_channel_shard_key(application_id, channel, n) for n in range(SHARDS)]


def recipient_partitions(application_id: str, target: str) -> list[str]:
    return [recipient_key(application_id, target, n) for n in range(SHARDS)]


def broadcast_partitions(application_id: str, broadcast_id: str) -> list[str]:
    return [broadcast_key(application_id, broadcast_id, n) for n in range(SHARDS)]


def status_partitions(application_id: str, channel: str, status: str) -> list[str]:
    return [status_key(application_id, channel, status, n) for n in range(SHARDS)]


# The sweep index spreads unsettled messages over this many partitions, so that its writes (two
# per message: on the send, and when its dispatch settles) stay far below one partition's limit.
SWEEP_PARTITIONS = 16


def sweep_partition(message_id: str) -> str:
    return f"sweep#{zlib.crc32(message_id.encode()) % SWEEP_PARTITIONS}"


def sweep_partitions() -> list[str]:
    return [f"sweep#{n}" for n in range(SWEEP_PARTITIONS)]


def sweep_time(moment: datetime) -> str:
    """The index's sort key: when the sweeper should look (fixed-width UTC, so it sorts as text)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ulid_bound(moment: datetime, high: bool) -> str:
    """The smallest (or largest) ULID of a millisecond."""
    millis = int(moment.timestamp() * 1000)
    chars = []
    for _ in range(10):
        chars.append(_ULID_ALPHABET[millis % 32])
        millis //= 32
    return "".join(reversed(chars)) + ("Z" if high else "0") * 16


def id_range(start: datetime, end: datetime) -> tuple[str, str]:
    """The message ids of [start, end), as an inclusive key range."""
    return _ulid_bound(start, False), _ulid_bound(end - timedelta(milliseconds=1), True)


class Message(Model):
    """One message of any channel. `message_id` is a ULID, so a callback carrying the id finds
    the message with one GetItem, without an index. `details` holds the channel's own fields;
    `history` holds {status, at, provider_status}."""

    Meta = table("messages_table")

    message_id = UnicodeAttribute(hash_key=True)
    application_id, channel, target, status, created_at, updated_at = strings(6)
    app_shard = UnicodeAttribute()                     # app_shard_key()
    app_channel = UnicodeAttribute()                   # app_channel_shard_key()
    app_channel_status = UnicodeAttribute(null=True)   # status_key(), kept with status
    app_recipient = UnicodeAttribute(null=True)        # recipient_key(); absent on messages sent before it
    app_broadcast = UnicodeAttribute(null=True)        # broadcast_key(); only on a broadcast's messages
    day = UnicodeAttribute()                # local day of created_at: the counter it counts in
    cost = NumberAttribute(default=1)       # quota units debited (SMS segments), refunded on rejection
    provider = UnicodeAttribute(null=True)
    provider_message_id = UnicodeAttribute(null=True)
    wamid = UnicodeAttribute(null=True)     # WhatsApp only: provider_message_id again, keyed by `by_wamid`
    details = MapAttribute(null=True)
    history = ListAttribute(of=MapAttribute, null=True)
    # The quota journal minute its debit was written under (applications.quota), so that its
    # write settles that debit (messages.changes).
    debit_minute = UnicodeAttribute(null=True)
    # {half: units} each half of the channel's quota paid (applications.quota): its settlement
    # and its refund go back to those halves.
    paid = MapAttribute(null=True)
    # Set once, by the write that moves it to a failure that is not billed; messages.changes
    # credits the quota from it, so a refund happens at most once per message.
    refunded_at = UnicodeAttribute(null=True)
    # Dispatch (sending.dispatch): "request" (the send request's own provider call), "queued"
    # (waiting on the dispatch queue), "sending" (claimed by a dispatch worker until lease_until),
    # "unsure" (the provider may have it: asked before any resend), "done". While not settled
    # the message sits in the sweep index under sweep/sweep_at.
    dispatch, sweep, sweep_at = strings(3, null=True)
    lease_until, attempts = numbers(2, null=True)
    write_id = UnicodeAttribute(null=True)  # core.db.update_if's mark (dispatch's claims and settlements)
    by_app_channel = index("by_app_channel", "app_channel", "message_id")
    by_app = index("by_app", "app_shard", "message_id")
    by_status = index("by_status", "app_channel_status", "message_id")
    # Only the message list's fields: an index item of ~200 bytes, rewritten only when one of them changes.
    by_recipient = index("by_recipient", "app_recipient", "message_id", projection=IncludeProjection(
        ["application_id", "channel", "target", "status", "created_at", "updated_at"]))
    by_broadcast = index("by_broadcast", "app_broadcast", "message_id", projection=IncludeProjection(
        ["application_id", "channel", "target", "status", "created_at", "updated_at"]))
    by_sweep = index("by_sweep", "sweep", "sweep_at", projection=KeysOnlyProjection())
    # Sparse: a customer's WhatsApp reply names the wamid it answers (whatsapp_webhook).
    by_wamid = index("by_wamid", "wamid", projection=KeysOnlyProjection())

    def history_entries(self) -> list[dict[str, Any]]:
        return [plain(entry) for entry in (self.history or [])]

    def details_dict(self) -> dict[str, Any]:
        return plain(self.details) if self.details else {}


class _CounterItem(Model):
    """One item per application channel and local day: pk app_channel_key(), sk "<YYYY-MM-DD>",
    and one number per status word (stored under the word itself, declared below), so an
    overview reads one item per day, whatever the traffic. `version` grows with every update,
    so a repair (messages.recount) can write on condition nothing moved since it read."""

    Meta = table("counters_table")

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute(null=True)
    # Quota units given back that day for the day's messages (failures not billed): the Usage page's.
    refunded = NumberAttribute(attr_name="refunded_units", null=True)

    @classmethod
    def of(cls, word: str) -> NumberAttribute:
        """The attribute that counts a status word."""
        return _COUNTS[word]

    def set_count(self, word: str, n: int) -> None:
        setattr(self, _python_name(word), n)

    def counts(self) -> dict[str, int]:
        """{status word: messages}, without zeros."""
        return {word: int(getattr(self, _python_name(word))) for word in _COUNTS
                if getattr(self, _python_name(word))}

    @classmethod
    def hour(cls, utc_hour: int) -> NumberAttribute:
        """The attribute that counts the day's messages created in a UTC hour (0-23)."""
        return _HOURS[utc_hour]

    def set_hour(self, utc_hour: int, n: int) -> None:
        setattr(self, f"h{utc_hour:02d}", n)

    def hours(self) -> dict[int, int]:
        """{UTC hour: messages created in it}, without zeros."""
        return {h: int(getattr(self, f"h{h:02d}")) for h in range(24) if getattr(self, f"h{h:02d}")}


def _python_name(word: str) -> str:
    return word.lower().replace(" ", "_")


_COUNTS = {word: NumberAttribute(attr_name=word, null=True) for word in ALL_WORDS}
# The day's messages by the UTC hour of created_at ("h00".."h23"): a local day of a whole-hour zone
# spans 24 distinct UTC hours, so the Overview regroups them into local hours without another item.
_HOURS = [NumberAttribute(attr_name=f"h{h:02d}", null=True) for h in range(24)]
# Every status word of every channel gets its own number attribute, and every UTC hour too.
Counter = type("Counter", (_CounterItem,), {**{_python_name(w): a for w, a in _COUNTS.items()},
                                            **{f"h{h:02d}": a for h, a in enumerate(_HOURS)}})
