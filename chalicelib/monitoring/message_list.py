"""Monitoring: the overview (from the daily counters) and the message list (from the indexes).

Cost is designed, not discovered:
- The overview reads counter items only: one Query per channel over the days of the range,
  one item per day, so it grows with the days, never with the messages.
- The message list reads one index partition per (channel, status) asked for, each from a key
  range on the time-ordered message id, at most limit+1 items per partition per page; a page
  resumes right after the last id returned, so page 1000 costs what page 1 costs.
"""
from __future__ import annotations

import hashlib
import heapq
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from chalicelib.core import cursors
from chalicelib.core.channels import CHANNELS
from chalicelib.core.errors import bad_parameter, not_found
from chalicelib.messages.status_rules import RULES
from chalicelib.core.db import Counter, Message

MAX_DAYS = 366
MAX_LIMIT = 200
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Range:
    start: datetime      # inclusive, UTC
    end: datetime        # exclusive, UTC
    first_day: date      # local days, inclusive
    last_day: date

    def days(self) -> list[str]:
        count = (self.last_day - self.first_day).days + 1
        return [(self.first_day + timedelta(days=i)).isoformat() for i in range(count)]


def _parse_moment(value: str, field: str, zone: ZoneInfo, end: bool) -> datetime:
    """A plain date means that whole local day; a timestamp without a zone is local time."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), zone)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
    except ValueError:
        raise bad_parameter(field, f"{field} must be a date (2026-11-27) or an ISO 8601 time") from None
    return moment.astimezone(timezone.utc)


def parse_range(query: dict[str, str], timezone_name: str, *, default_days: int = 7) -> Range:
    zone = ZoneInfo(timezone_name)
    now = datetime.now(timezone.utc)
    raw_from, raw_to = query.get("from"), query.get("to")
    end = _parse_moment(raw_to, "to", zone, end=True) if raw_to else now
    start = (_parse_moment(raw_from, "from", zone, end=False) if raw_from
             else datetime.combine(end.astimezone(zone).date() - timedelta(days=default_days - 1), time(), zone
                                   ).astimezone(timezone.utc))
    if start >= end:
        raise bad_parameter("from", "from must be before to")
    first_day = start.astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise bad_parameter("to", f"The range is at most {MAX_DAYS} days")
    return Range(start, end, first_day, last_day)


def channels_from(query: dict[str, str]) -> list[str]:
    channel = query.get("channel")
    if channel is None or channel == "":
        return list(CHANNELS)
    if channel not in CHANNELS:
        raise bad_parameter("channel", f"channel must be one of: {', '.join(CHANNELS)}")
    return [channel]


# ------------------------------------------------------------------ overview

def _rate(part: int, total: int) -> float:
    return round(part / total, 2) if total else 0


def overview(application_id: str, app_channels: list[str], query: dict[str, str], timezone_name: str
             ) -> dict[str, Any]:
    span = parse_range(query, timezone_name)
    wanted = [c for c in channels_from(query) if c in app_channels]
    days = span.days()
    result = []
    for channel in wanted:
        rules = RULES[channel]
        by_day: dict[str, dict[str, int]] = {day: {} for day in days}
        for item in Counter.query(f"{application_id}#{channel}", Counter.sk.between(days[0], days[-1])):
            if item.sk in by_day:
                by_day[item.sk] = item.counts()
        by_status = {word: sum(d.get(word, 0) for d in by_day.values()) for word in rules.words}
        total = sum(by_status.values())
        success = sum(by_status[w] for w in rules.success)
        failed = sum(by_status[w] for w in rules.failure)
        series = [{"date": day, "total": sum(counts.values()),
                   "success": sum(counts.get(w, 0) for w in rules.success),
                   "failed": sum(counts.get(w, 0) for w in rules.failure)} for day, counts in by_day.items()]
        result.append({"channel": channel, "total": total, "success": success, "failed": failed,
                       "pending": total - success - failed, "success_rate": _rate(success, total),
                       "failed_rate": _rate(failed, total), "by_status": by_status, "series": series})
    latest = list_messages(application_id, app_channels, {**query, "order": "desc", "limit": "5"}, timezone_name,
                           span=span)["items"]
    return {"from": _iso(span.start), "to": _iso(span.end), "channels": result, "latest": latest}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ------------------------------------------------------------------ message list

def _ulid_bound(moment: datetime, high: bool) -> str:
    """The smallest (or largest) ULID of a millisecond: time ranges become key ranges."""
    millis = int(moment.timestamp() * 1000)
    chars = []
    for _ in range(10):
        chars.append(_ULID_ALPHABET[millis % 32])
        millis //= 32
    return "".join(reversed(chars)) + ("Z" if high else "0") * 16


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


def _partitions(application_id: str, channels: list[str], statuses: list[str] | None, all_channels: bool
                ) -> list[tuple[Any, str, str]]:
    """(index, hash key attribute, hash key value) of every partition the filter reads."""
    if statuses:
        return [(Message.by_status, "app_channel_status", f"{application_id}#{c}#{s}")
                for c in channels for s in statuses if s in RULES[c].words]
    if all_channels:
        return [(Message.by_app, "application_id", application_id)]
    return [(Message.by_app_channel, "app_channel", f"{application_id}#{c}") for c in channels]


def _read(index: Any, attribute: str, value: str, low: str, high: str, descending: bool, after: str | None,
          limit: int) -> Iterator[Message]:
    start = {attribute: {"S": value}, "message_id": {"S": after}} if after else None
    return iter(index.query(value, Message.message_id.between(low, high), scan_index_forward=not descending,
                            limit=limit, last_evaluated_key=start, page_size=limit))


def list_messages(application_id: str, app_channels: list[str], query: dict[str, str], timezone_name: str,
                  span: Range | None = None) -> dict[str, Any]:
    requested = channels_from(query)
    channels = [c for c in requested if c in app_channels]
    span = span or parse_range(query, timezone_name)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad_parameter("order", "order must be asc or desc")
    raw_limit = query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise bad_parameter("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    limit = int(raw_limit)
    statuses = _statuses(query, channels or list(CHANNELS))
    # The cursor is bound to the filter as the client wrote it (an open-ended `to` means "now"
    # on page 1), and carries the range page 1 resolved, so later pages read the same window.
    filter_key = {"app": application_id, "channels": channels, "statuses": statuses, "from": query.get("from"),
                  "to": query.get("to"), "order": order}
    scope = "messages:" + hashlib.sha256(json.dumps(filter_key, sort_keys=True).encode()).hexdigest()[:32]
    start = cursors.decode(query.get("cursor"), scope)
    after = start["after"] if start else None
    if start:
        span = Range(datetime.fromisoformat(start["start"]), datetime.fromisoformat(start["end"]),
                     span.first_day, span.last_day)
    descending = order == "desc"
    low, high = _ulid_bound(span.start, False), _ulid_bound(span.end - timedelta(milliseconds=1), True)
    partitions = _partitions(application_id, channels, statuses, set(requested) == set(CHANNELS)
                             and len(channels) == len(app_channels))
    # Each partition is already in id order: merge them, and stop at limit + 1 to know if more exist.
    streams = [_read(index, attribute, value, low, high, descending, after, limit + 1)
               for index, attribute, value in partitions]
    merged = heapq.merge(*streams, key=lambda m: m.message_id, reverse=descending)
    page = []
    for message in merged:
        page.append(message)
        if len(page) > limit:
            break
    more = len(page) > limit
    page = page[:limit]
    next_cursor = cursors.encode({"after": page[-1].message_id, "start": span.start.isoformat(),
                                  "end": span.end.isoformat()}, scope) if more else None
    return {"items": [list_item(m) for m in page], "next_cursor": next_cursor}


def list_item(message: Message) -> dict[str, Any]:
    return {"message_id": message.message_id, "channel": message.channel, "target": message.target,
            "status": message.status, "created_at": message.created_at, "updated_at": message.updated_at}


def message_detail(application_id: str, message_id: str) -> dict[str, Any]:
    if not message_id or len(message_id) > 64:
        raise not_found("Message not found")
    try:
        message = Message.get(message_id)
    except Message.DoesNotExist:
        raise not_found("Message not found") from None
    if message.application_id != application_id:
        raise not_found("Message not found")
    return {**list_item(message),
            "history": [{"status": h.get("status"), "at": h.get("at"), "provider_status": h.get("provider_status")}
                        for h in message.history_entries()]}


def iter_messages(application_id: str, channel: str, statuses: list[str], start: datetime, end: datetime,
                  page_size: int = 2000) -> Iterator[Message]:
    """Every message of the channel in these statuses and [start, end), oldest first, read page by
    page from the status index (never Scan); memory holds one page per status."""
    low, high = _ulid_bound(start, False), _ulid_bound(end - timedelta(milliseconds=1), True)
    streams = [iter(Message.by_status.query(f"{application_id}#{channel}#{status}",
                                            Message.message_id.between(low, high), page_size=page_size))
               for status in statuses]
    for message in heapq.merge(*streams, key=lambda m: m.message_id):
        if start <= datetime.fromisoformat(message.created_at.replace("Z", "+00:00")) < end:
            yield message
