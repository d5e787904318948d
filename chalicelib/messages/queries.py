"""Reading messages and counters by key: one message, a page of a channel's history, a page of
messages in some statuses, the daily counters of a range, and every message of a report's filter.
Nothing scans.

Every message index partition is written in SHARDS shards (messages.models), each in id order, so
a reader queries one partition per shard and merges them by id (ids are ULIDs: time order).

A status change moves a message from one `by_status` partition to another, so a reader of several
statuses never merges their partitions lazily (a message moving from one it has not reached yet to
one it has read past would be missed, and one moving the other way read twice): `status_page` reads
them in rounds, and a report reads `by_app_channel`, whose partitions a status change never moves,
and filters (a broadcast's results read `by_broadcast`, whose partitions none moves either)."""
from __future__ import annotations

import heapq
import math
from datetime import datetime
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import Any, Iterator

from chalicelib.core import clock
from chalicelib.core.errors import not_found
from chalicelib.messages.models import (
    SHARDS, Counter, Message, app_channel_key, app_channel_partitions, broadcast_partitions, id_range,
    status_partitions,
)
from chalicelib.messages.status_rules import RULES

MESSAGE_NOT_FOUND = "Message not found"
MAX_ID_LENGTH = 64
# Items of one Query page of a merged read, at least (10 messages of ~1 KB cost 3 read units).
MIN_PAGE = 10


def by_wamid(wamid: str) -> Message | None:
    """The WhatsApp message Meta knows as `wamid` (what a customer's reply names), or None: one
    Query of the sparse `by_wamid` index, then one GetItem."""
    if not wamid or len(wamid) > 256:
        return None
    for key in Message.by_wamid.query(wamid, limit=1):
        try:
            return Message.get(key.message_id)
        except Message.DoesNotExist:
            return None
    return None


def find(application_id: str, message_id: str, channel: str | None = None) -> Message:
    """One GetItem by id; a message of another application (or channel) does not exist here."""
    if not message_id or len(message_id) > MAX_ID_LENGTH:
        raise not_found(MESSAGE_NOT_FOUND)
    try:
        message = Message.get(message_id)
    except Message.DoesNotExist:
        raise not_found(MESSAGE_NOT_FOUND) from None
    if message.application_id != application_id or (channel is not None and message.channel != channel):
        raise not_found(MESSAGE_NOT_FOUND)
    return message


def merged(partitions: list[tuple[Any, str, str]], low: str, high: str, *, descending: bool = False,
           after: str | None = None, limit: int | None = None, where: Any = None) -> Iterator[Message]:
    """The messages of several index partitions ((index, hash key attribute, value), as from
    `partitions`) with ids in [low, high], merged in id order, each once; `after`: only ids past it
    (in the order read); `where`: a filter condition (read items still count in a page). Each partition reads at most `limit` items, lazily, in pages of about twice
    its share of `limit` and at least MIN_PAGE (a small page is read whole: the same calls whatever
    the spread): a page of 50 over 8 shards is usually 8 Queries and about 100 items."""
    page_size = None if limit is None else min(limit, _page_size(limit))

    def read(index: Any, attribute: str, value: str) -> Iterator[Message]:
        start = {attribute: {"S": value}, "message_id": {"S": after}} if after else None
        return iter(index.query(value, Message.message_id.between(low, high), scan_index_forward=not descending,
                                limit=limit, last_evaluated_key=start, page_size=page_size,
                                filter_condition=where))

    streams = [read(*partition) for partition in partitions]
    return heapq.merge(*streams, key=lambda m: m.message_id, reverse=descending)


def _page_size(limit: int) -> int:
    """Items per Query of a merged page: about twice a shard's share of it, at least MIN_PAGE."""
    return max(MIN_PAGE, 2 * math.ceil(limit / SHARDS) + 1)


def status_page(application_id: str, statuses: dict[str, list[str]], low: str, high: str, *,
                descending: bool = False, after: str | None = None, limit: int) -> list[Message]:
    """Up to `limit` messages of {channel: statuses}, ids in [low, high] and past `after` (in the order
    read), in id order, each once however their statuses move meanwhile.

    Read in rounds. A round queries every `by_status` partition once, from the same position, at most
    `per` items each, in the order a message moves through its channel's words (RULES' word order:
    every allowed move goes to a later word). Up to the least advanced partition that had `per` items
    (its last id: the bound), the round has every message that stayed in the statuses: one that
    left a partition before its Query can only have moved to a later word, queried after. A message
    read in two partitions is kept once, as read in the later. The next round starts after the bound;
    each round yields at least `per` messages, so a page takes at most limit / per rounds, and
    usually one: statuses x SHARDS Queries of at most `per` items."""
    partitions = [value for channel, wanted in statuses.items() for word in RULES[channel].words if word in wanted
                  for value in status_partitions(application_id, channel, word)]
    per = min(limit, _page_size(limit))
    found: list[Message] = []
    while True:
        seen: dict[str, Message] = {}
        bound = None
        for value in partitions:
            start = {"app_channel_status": {"S": value}, "message_id": {"S": after}} if after else None
            items = list(Message.by_status.query(value, Message.message_id.between(low, high), limit=per,
                                                 scan_index_forward=not descending, last_evaluated_key=start,
                                                 page_size=per))
            seen.update((m.message_id, m) for m in items)
            if len(items) == per:
                last = items[-1].message_id
                bound = last if bound is None else max(bound, last) if descending else min(bound, last)
        ids = sorted((i for i in seen if bound is None or (i >= bound if descending else i <= bound)),
                     reverse=descending)
        found += [seen[i] for i in ids]
        if bound is None or len(found) >= limit:
            return found[:limit]
        after = bound


def channel_partitions(application_id: str, channel: str) -> list[tuple[Any, str, str]]:
    """`by_app_channel`'s partitions of a channel, one per shard."""
    return [(Message.by_app_channel, "app_channel", value) for value in app_channel_partitions(application_id, channel)]


_ALL_IDS = ("0" * 26, "Z" * 26)


def history(application_id: str, channel: str, limit: int, after: str | None) -> tuple[list[Message], str | None]:
    """One page of a channel's messages, newest first, resuming after the id `after`: (the page,
    the last id when more exist, else None)."""
    page = list(islice(merged(channel_partitions(application_id, channel), *_ALL_IDS, descending=True,
                              after=after, limit=limit + 1), limit + 1))
    return page[:limit], (page[limit - 1].message_id if len(page) > limit else None)


def channel_messages(application_id: str, channel: str) -> Iterator[Message]:
    """Every message of a channel, oldest first (checks and repairs; a report uses iter_messages)."""
    return merged(channel_partitions(application_id, channel), *_ALL_IDS)


def daily_counts(application_id: str, channel: str, days: list[str]) -> dict[str, dict[str, int]]:
    """{day: {status word: messages}} for the given local days (missing days are empty)."""
    by_day: dict[str, dict[str, int]] = {day: {} for day in days}
    for item in Counter.query(app_channel_key(application_id, channel), Counter.sk.between(days[0], days[-1])):
        if item.sk in by_day:
            by_day[item.sk] = item.counts()
    return by_day


def hourly_counts(application_id: str, channel: str, day: str) -> dict[int, int]:
    """{UTC hour: messages created in it} of one local day's counter: one GetItem."""
    try:
        return Counter.get(app_channel_key(application_id, channel), day).hours()
    except Counter.DoesNotExist:
        return {}


def daily_usage(application_id: str, channel: str, days: list[str]) -> dict[str, tuple[dict[str, int], int]]:
    """{day: ({status word: messages}, units refunded)} for the given local days: one Query."""
    by_day: dict[str, tuple[dict[str, int], int]] = {day: ({}, 0) for day in days}
    for item in Counter.query(app_channel_key(application_id, channel), Counter.sk.between(days[0], days[-1])):
        if item.sk in by_day:
            by_day[item.sk] = (item.counts(), int(item.refunded or 0))
    return by_day


def _plain(value: dict[str, Any]) -> Any:
    """One DynamoDB attribute value (its wire form) as Python: text, int or Decimal, dict, list..."""
    (kind, raw), = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return int(raw) if raw.lstrip("-").isdigit() else Decimal(raw)
    if kind == "M":
        return {name: _plain(v) for name, v in raw.items()}
    if kind == "L":
        return [_plain(v) for v in raw]
    return None if kind == "NULL" else raw


def _pages(index: Any, partition: str, low: str, high: str, page_size: int, condition: Any,
           attributes: list[str] | None) -> Iterator[dict[str, Any]]:
    """One index partition's messages in [low, high] that meet `condition`, page by page, as plain
    dicts. `page_size` counts the items read before the filter (DynamoDB's Limit)."""
    connection = Message._get_connection()
    start_key = None
    while True:
        page = connection.query(partition, Message.message_id.between(low, high), filter_condition=condition,
                                index_name=index.Meta.index_name, limit=page_size,
                                exclusive_start_key=start_key, attributes_to_get=attributes)
        for item in page.get("Items", []):
            yield {name: _plain(value) for name, value in item.items()}
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return


# BatchGetItem's most keys per call.
FETCH_KEYS = 100


def _fetch(message_ids: list[str], attributes: list[str] | None) -> dict[str, dict[str, Any]]:
    """{id: these attributes of its item} by BatchGetItem (eventually consistent: 0.5 read units an
    item); keys DynamoDB left unprocessed are asked again, and any not found once more, consistently
    (an index may show a message a lagging replica does not have yet)."""
    connection = Message._get_connection()
    table = Message.Meta.table_name
    found: dict[str, dict[str, Any]] = {}
    for consistent in (False, True):
        keys = [i for i in message_ids if i not in found]
        tries = 0
        while keys:
            answer = connection.batch_get_item([{"message_id": {"S": key}} for key in keys], consistent_read=consistent,
                                               attributes_to_get=attributes)
            for item in answer.get("Responses", {}).get(table, []):
                plain_item = {name: _plain(value) for name, value in item.items()}
                found[plain_item["message_id"]] = plain_item
            keys = [key["message_id"]["S"] for key in answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])]
            if keys:  # throttled: back off as DynamoDB asks, up to a second
                tries += 1
                clock.sleep(min(1.0, 0.05 * 2 ** tries))
    return found


def _completed(messages: Iterator[dict[str, Any]], attributes: list[str] | None) -> Iterator[dict[str, Any]]:
    """Messages read from an index, in the same order, each with `attributes` of its table item
    added (None: all of them); what the index read stays as read."""
    while batch := list(islice(messages, FETCH_KEYS)):
        items = _fetch([m["message_id"] for m in batch], attributes)
        for message in batch:
            yield {**items.get(message["message_id"], {}), **message}


def iter_messages(application_id: str, channel: str, statuses: list[str], start: datetime, end: datetime,
                  page_size: int = 2000, *, after: str | None = None,
                  attributes: list[str] | None = None,
                  broadcast_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Every message of the channel in these statuses and [start, end), oldest first, each once
    however statuses move meanwhile: read page by page from the channel's `by_app_channel` shards
    (a status change never moves a message out of them) with a filter on the status; memory holds
    one page per shard. Every message of the channel in the range is read, in whatever status: a
    report never reads more than the report of all statuses would. Messages come as plain dicts of
    their attributes: a report reads millions, and model objects would cost more than the rest of
    its row.

    `after`: only messages whose id sorts after it (a report resuming where it stopped). Ids are
    fixed-length ULIDs, so the key range starts at `after + " "`: no other id lies between the two.
    `attributes`: read only these (a smaller page, faster to parse); the id and created_at always.
    `broadcast_id`: only that broadcast's messages (its results), read the same way from its own
    `by_broadcast` shards (no other message is there, and a status change moves none out of them);
    what that index does not project (`details`, `history`) is fetched by BatchGetItem."""
    low, high = id_range(start, end)
    if after is not None:
        low = max(low, after + " ")
    if low > high:
        return
    wanted = None if attributes is None else sorted({*attributes, "message_id", "created_at"})
    shard_page = math.ceil(page_size / SHARDS)
    condition = Message.status.is_in(*statuses)
    if broadcast_id is None:
        index, partitions = Message.by_app_channel, app_channel_partitions(application_id, channel)
    else:
        index, partitions = Message.by_broadcast, broadcast_partitions(application_id, broadcast_id)
        condition = condition & (Message.channel == channel)
    projected = None if broadcast_id is None else {"message_id", *index.Meta.projection.non_key_attributes}
    indexed = wanted if projected is None else sorted(projected.intersection(wanted or projected))
    streams = [_pages(index, partition, low, high, shard_page, condition, indexed) for partition in partitions]
    messages: Iterator[dict[str, Any]] = heapq.merge(*streams, key=itemgetter("message_id"))
    if projected is not None and (wanted is None or not projected.issuperset(wanted)):
        # Fetched rather than projected: the index entry stays ~285 bytes, one write unit at each of a
        # message's status changes, where `details` (an email's body: 2,000 characters) would make it
        # up to three, for every broadcast message, exported or not. A million-row export pays 0.5
        # read units a row for the fetch instead: ~$0.07 (docs/broadcasts.md, "What the results read").
        messages = _completed(messages, None if wanted is None else ["message_id", *set(wanted) - projected])
    for message in messages:
        if start <= clock.parse_iso(message["created_at"]) < end:
            yield message
