"""The message list: pages of a key range on the time-ordered message id, each page resuming right
after the last id returned, so page 1000 costs what page 1 costs.

- With a status filter: the (channel, status) partitions of `by_status`, read by
  messages.queries.status_page, which lists a message in the statuses exactly once however its
  status moves while the page is read: statuses x SHARDS Queries of at most about 2 x limit/SHARDS + 1
  items, usually one round of them (at most limit+1 items each, for a limit up to 9).
- Without: one partition per shard of `by_app` (every channel) or `by_app_channel` (some), whose
  partitions no status change moves, read lazily and merged in id order, at most limit+1 items each.
- With a recipient (whatever the other filters but a broadcast): the recipient's SHARDS partitions of
  `by_recipient` (a status change never moves them), merged the same way, channel and status as a
  filter on the Query.
- With a broadcast (a recipient then filters): the broadcast's SHARDS partitions of the sparse
  `by_broadcast` (only its messages are there), merged the same way, channel and status as a filter.

`total`: the messages of the filter, from the daily counters (one Query per channel over the day items),
when the range is whole local days; null for a recipient search, a broadcast filter or a range cut inside
a day (counting those would mean reading every message).
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, time
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.callbacks import service as callbacks
from chalicelib.core import cursors, validation
from chalicelib.core.channels import CHANNELS, SMS_OTP
from chalicelib.core.errors import bad_parameter
from chalicelib.core.phone_numbers import normalise_phone
from chalicelib.messages.models import (
    Message, app_partitions, broadcast_of, broadcast_partitions, id_range, recipient_partitions,
)
from chalicelib.messages.queries import channel_partitions, daily_counts, find, merged, status_page
from chalicelib.messages.status_rules import RULES
from chalicelib.monitoring.ranges import Range, parse_range

MAX_LIMIT = 200
RECIPIENT_FIELD = "recipient"
BROADCAST_FIELD = "broadcast_id"
_BROADCAST_ID = re.compile(r"bc_[0-9A-Z]{26}")
_OTP_DIGITS = re.compile(r"\d{4,8}")


def recipient_from(query: dict[str, str]) -> str | None:
    """The `recipient` filter as the send path stores targets: an address (with "@") normalised as
    email sends are, anything else a phone number in any Indonesian form (0812..., 62812..., +62 812-...)."""
    raw = query.get(RECIPIENT_FIELD, "").strip()
    if not raw:
        return None
    if "@" in raw:
        return validation.email_address(raw, RECIPIENT_FIELD)
    return normalise_phone(raw, RECIPIENT_FIELD)


def broadcast_from(query: dict[str, str]) -> str | None:
    """The `broadcast_id` filter: a broadcast's id as the broadcasts API gives it."""
    raw = query.get(BROADCAST_FIELD, "").strip()
    if not raw:
        return None
    if not _BROADCAST_ID.fullmatch(raw):
        raise bad_parameter(BROADCAST_FIELD, "broadcast_id is a broadcast's id, as bc_01...")
    return raw


def channels_from(query: dict[str, str]) -> list[str]:
    channel = query.get("channel")
    if channel is None or channel == "":
        return list(CHANNELS)
    if channel not in CHANNELS:
        raise bad_parameter("channel", f"channel must be one of: {', '.join(CHANNELS)}")
    return [channel]


def _statuses(query: dict[str, str], channels: list[str]) -> list[str] | None:
    raw = query.get("status")
    if not raw:
        return None
    statuses = [s.strip() for s in raw.split(",") if s.strip()]
    allowed = set().union(*(RULES[c].words for c in channels))
    unknown = [s for s in statuses if s not in allowed]
    if unknown or len(statuses) > 10:
        raise bad_parameter("status", f"Unknown status {unknown[0]!r} for these channels" if unknown
                            else "At most 10 statuses")
    return sorted(set(statuses))


def _partitions(application_id: str, channels: list[str], all_channels: bool) -> list[tuple[Any, str, str]]:
    """(index, hash key attribute, hash key value) of every partition a list without a status filter reads."""
    if all_channels:
        return [(Message.by_app, "app_shard", p) for p in app_partitions(application_id)]
    return [p for c in channels for p in channel_partitions(application_id, c)]


def _resume(position: dict[str, Any] | None) -> tuple[str | None, tuple[datetime, datetime] | None]:
    """(the last id listed, page 1's range) from a cursor; one of another shape (signed by another
    version of Kirim) is refused like a forged one."""
    if position is None:
        return None, None
    try:
        after, start, end = position["after"], position["start"], position["end"]
        if not isinstance(after, str) or len(after) != 26:
            raise ValueError
        return after, (datetime.fromisoformat(start), datetime.fromisoformat(end))
    except (KeyError, TypeError, ValueError):
        raise bad_parameter("cursor", "cursor is not valid; use next_cursor from the previous page") from None


def list_messages(application_id: str, app_channels: list[str], query: dict[str, str], timezone_name: str,
                  span: Range | None = None, *, with_total: bool = True) -> dict[str, Any]:
    requested = channels_from(query)
    channels = [c for c in requested if c in app_channels]
    span = span or parse_range(query, timezone_name)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad_parameter("order", "order must be asc or desc")
    limit = validation.whole_number(query.get("limit", "50"), "limit", 1, MAX_LIMIT)
    statuses = _statuses(query, channels or list(CHANNELS))
    recipient = recipient_from(query)
    broadcast = broadcast_from(query)
    # The cursor is bound to the filter as the client wrote it (an open-ended `to` means "now"
    # on page 1), and carries the range page 1 resolved, so later pages read the same window.
    filter_key = {"app": application_id, "channels": channels, "statuses": statuses, "from": query.get("from"),
                  "to": query.get("to"), "order": order, "recipient": recipient}
    if broadcast is not None:  # only when given, so that cursors signed before the filter existed still work
        filter_key["broadcast"] = broadcast
    scope = "messages:" + hashlib.sha256(json.dumps(filter_key, sort_keys=True).encode()).hexdigest()[:32]
    after, resumed = _resume(cursors.decode(query.get("cursor"), scope))
    if resumed:
        span = Range(*resumed, span.first_day, span.last_day)
    descending = order == "desc"
    low, high = id_range(span.start, span.end)
    # limit + 1 messages, to know if more exist.
    if recipient is not None or broadcast is not None:
        where = Message.channel.is_in(*channels) if channels else Message.channel == ""
        if statuses:
            where &= Message.status.is_in(*statuses)
        if broadcast is not None:  # the broadcast's own partitions, the recipient (if any) as a filter
            partitions = [(Message.by_broadcast, "app_broadcast", p)
                          for p in broadcast_partitions(application_id, broadcast)]
            if recipient is not None:
                where &= Message.target == recipient
        else:
            partitions = [(Message.by_recipient, "app_recipient", p)
                          for p in recipient_partitions(application_id, recipient)]
        page = list(islice(merged(partitions, low, high, descending=descending, after=after, limit=limit + 1,
                                  where=where), limit + 1))
    elif statuses:
        wanted = {c: [s for s in statuses if s in RULES[c].words] for c in channels}
        page = status_page(application_id, {c: s for c, s in wanted.items() if s}, low, high,
                           descending=descending, after=after, limit=limit + 1)
    else:
        partitions = _partitions(application_id, channels, set(requested) == set(CHANNELS)
                                 and len(channels) == len(app_channels))
        page = list(islice(merged(partitions, low, high, descending=descending, after=after, limit=limit + 1),
                           limit + 1))
    more = len(page) > limit
    page = page[:limit]
    next_cursor = cursors.encode({"after": page[-1].message_id, "start": span.start.isoformat(),
                                  "end": span.end.isoformat()}, scope) if more else None
    searched = recipient is not None or broadcast is not None
    total = None if searched or not with_total else _total(application_id, channels, statuses, span, timezone_name,
                                                           open_end=not query.get("to"))
    return {"items": [list_item(m) for m in page], "next_cursor": next_cursor, "total": total}


def _total(application_id: str, channels: list[str], statuses: list[str] | None, span: Range, timezone_name: str,
           *, open_end: bool) -> int | None:
    """The filter's messages by the daily counters, or None when the range is not whole local days."""
    zone = ZoneInfo(timezone_name)
    midnight = time()
    if span.start.astimezone(zone).time() != midnight or (not open_end and span.end.astimezone(zone).time() != midnight):
        return None
    days = span.days()
    total = 0
    for channel in channels:
        words = [w for w in RULES[channel].words if statuses is None or w in statuses]
        if words:
            total += sum(counts.get(w, 0) for counts in daily_counts(application_id, channel, days).values()
                         for w in words)
    return total


def list_item(message: Message) -> dict[str, Any]:
    return {"message_id": message.message_id, "channel": message.channel, "target": message.target,
            "status": message.status, "created_at": message.created_at, "updated_at": message.updated_at,
            "broadcast_id": broadcast_of(message)}


def message_detail(application_id: str, message_id: str) -> dict[str, Any]:
    """The message, its history, and its status callbacks with every attempt (one more Query)."""
    message = find(application_id, message_id)
    details = message.details_dict()
    body = details.get("message_body")
    masked = message.channel == SMS_OTP and isinstance(body, str) and bool(_OTP_DIGITS.search(body))
    if masked:  # the owner's staff read Monitoring: a code still valid must not be readable there
        body = _OTP_DIGITS.sub(lambda m: "•" * len(m.group()), body)
    return {**list_item(message), "body": body if isinstance(body, str) else None, "body_masked": masked,
            "subject": details.get("subject"),
            "history": [{"status": h.get("status"), "at": h.get("at"), "provider_status": h.get("provider_status")}
                        for h in message.history_entries()],
            "callbacks": callbacks.deliveries_of(application_id, message_id)}
