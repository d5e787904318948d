"""Every change of a message, read from the messages table's stream (old and new image): the
one place, off the request path, that keeps the daily counters and the quota ledger, and where
"a message's status changed" is observed.

Lambda hands the consumer batches of one stream shard, in order, at least once: a batch whose
handler failed (or whose answer was lost) comes again from the failed record on. Each chunk of
a batch is applied in one transaction together with a mark, keyed by the chunk's first event
id, holding the chunk's last sequence number; a batch that comes again skips what its marks
cover. So every change counts exactly once.

Status-change hooks (`on_status_change`) run for each chunk before it is committed, so a
redelivered chunk runs them again: they see every status change at least once, in order per
message, and must be idempotent on (message_id, new status). Status callbacks hang here.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any, Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications import quota
from chalicelib.core import clock
from chalicelib.core.db import CONFLICT_ATTEMPTS, backoff, cancellation_reasons, connection
from chalicelib.core.limits import Limit
from chalicelib.messages.models import Counter, app_channel_key

log = logging.getLogger(__name__)

# A transaction holds at most 100 items: the mark, and at most this many counters and ledgers.
_MAX_ITEMS = 90
_MARK_SECONDS = 2 * 24 * 3600   # longer than a stream keeps its records (24 h)


@dataclass(frozen=True)
class StatusChange:
    """A message got a status: `old_status` is None when it was just written."""
    message_id: str
    application_id: str
    channel: str
    old_status: str | None
    new_status: str
    at: str
    message: dict[str, Any]   # the new image, as plain Python values


_hooks: list[Callable[[list[StatusChange]], None]] = []
# Parts of the chunk's own transaction, committed with its mark: each counts a change exactly once.
_parts: list[Callable[[list[StatusChange]], list[tuple[Any, list[Any]]]]] = []


def on_status_change(hook: Callable[[list[StatusChange]], None]) -> Callable[[list[StatusChange]], None]:
    """Register `hook(changes)`; it is called with the status changes of each chunk, in order."""
    _hooks.append(hook)
    return hook


def add_to_commit(part: Callable[[list[StatusChange]], list[tuple[Any, list[Any]]]]) -> None:
    """Register `part(changes)` -> [(PynamoDB item, update actions)], updates written in each chunk's
    transaction, so (unlike a hook) once per change. Each item must be one a message's details name
    (details.broadcast_id: _touches counts it against the transaction's size)."""
    if part not in _parts:
        _parts.append(part)


@dataclass
class _Change:
    event_id: str
    sequence: int
    old: dict[str, Any] | None
    new: dict[str, Any] | None


@dataclass
class _Effects:
    counters: dict[tuple[str, str], dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    # Keyed by (application, channel, quota half).
    settled: dict[tuple[str, str, int], dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    credits: dict[tuple[str, str, int], int] = field(default_factory=lambda: defaultdict(int))
    # Units refunded, by counter key (app channel, day): the day's counter item keeps them.
    refunds: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    statuses: list[StatusChange] = field(default_factory=list)
    # Messages by UTC hour of creation, by counter key (app channel, day): the Overview's "Today by hour".
    hours: dict[tuple[str, str], dict[int, int]] = field(default_factory=lambda: defaultdict(dict))

    def items(self) -> int:
        return (len(set(self.counters) | set(self.refunds) | set(self.hours))
                + len(set(self.settled) | set(self.credits)))


def _plain(image: dict[str, Any] | None) -> dict[str, Any] | None:
    if not image:
        return None
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in image.items()}


def _parse(record: dict[str, Any]) -> _Change:
    data = record["dynamodb"]
    return _Change(record["eventID"], int(data["SequenceNumber"]), _plain(data.get("OldImage")),
                   _plain(data.get("NewImage")))


def _counted(image: dict[str, Any] | None) -> tuple[tuple[str, str], str] | None:
    """(counter key, status word) a message image counts under, or None."""
    if not image or not all(image.get(k) for k in ("application_id", "channel", "day", "status")):
        return None
    return (app_channel_key(image["application_id"], image["channel"]), image["day"]), image["status"]


def _hour_counted(image: dict[str, Any] | None) -> tuple[tuple[str, str], int] | None:
    """(counter key, UTC hour of created_at) a message image counts under, or None."""
    counted = _counted(image)
    if not counted or not image.get("created_at"):
        return None
    return counted[0], clock.parse_iso(image["created_at"]).astimezone(timezone.utc).hour


def _add_hours(effects: _Effects, change: _Change) -> None:
    """Moves a message's hourly count exactly as `_add` moves its status count (a new message, a day fixed)."""
    old, new = _hour_counted(change.old), _hour_counted(change.new)
    if old != new:
        for counted, delta in ((old, -1), (new, 1)):
            if counted:
                key, hour = counted
                effects.hours[key][hour] = effects.hours[key].get(hour, 0) + delta


def _hour_actions(effects: _Effects, key: tuple[str, str]) -> list[Any]:
    return [Counter.hour(hour).add(n) for hour, n in effects.hours.get(key, {}).items() if n]


def _paid(image: dict[str, Any]) -> dict[int, int]:
    """{quota half: units} the message's debit took from each half."""
    return {int(half): int(units) for half, units in (image.get("paid") or {}).items() if int(units)}


def _add(effects: _Effects, change: _Change) -> None:
    old, new = _counted(change.old), _counted(change.new)
    if old != new:
        for counted, delta in ((old, -1), (new, 1)):
            if counted:
                key, word = counted
                effects.counters[key][word] = effects.counters[key].get(word, 0) + delta
    image = change.new or {}
    paid = _paid(image)
    if change.old is None and image.get("debit_minute"):
        minute = image["debit_minute"]
        for half, units in paid.items():
            settled = effects.settled[(image["application_id"], image["channel"], half)]
            settled[minute] = settled.get(minute, 0) + units
    if image.get("refunded_at") and not (change.old or {}).get("refunded_at"):
        for half, units in paid.items():
            effects.credits[(image["application_id"], image["channel"], half)] += units
        if new and paid:
            effects.refunds[new[0]] += sum(paid.values())
    old_status = (change.old or {}).get("status")
    if image.get("status") and image.get("status") != old_status:
        effects.statuses.append(StatusChange(image["message_id"], image["application_id"], image["channel"],
                                             old_status, image["status"], image.get("updated_at", ""), image))


def _commit(changes: list[_Change], effects: _Effects) -> None:
    mark = Limit(Limit.key("stream", changes[0].event_id), mark=str(changes[-1].sequence),
                 expires_ttl=int(clock.epoch()) + _MARK_SECONDS)
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(mark, condition=Limit.pk.does_not_exist())
                for (pk, day) in {**effects.counters, **effects.refunds, **effects.hours}:
                    deltas = effects.counters.get((pk, day), {})
                    actions = [Counter.of(word).add(n) for word, n in deltas.items() if n]
                    actions += _hour_actions(effects, (pk, day))
                    if effects.refunds.get((pk, day)):
                        actions.append(Counter.refunded.add(effects.refunds[(pk, day)]))
                    if actions:
                        transaction.update(Counter(pk, day), actions=[*actions, Counter.version.add(1)])
                for part in _parts:
                    for item, actions in (part(effects.statuses) if effects.statuses else []):
                        transaction.update(item, actions=actions)
                for app_id, channel, half in set(effects.settled) | set(effects.credits):
                    key = (app_id, channel, half)
                    quota.add_to_ledger(transaction, app_id, channel, half, dict(effects.settled.get(key, {})),
                                        effects.credits.get(key, 0))
            return
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return  # our own earlier try committed (its answer was lost): already applied
            if "TransactionConflict" not in reasons:
                raise
            backoff(attempt)
    raise RuntimeError("stream chunk kept conflicting; Lambda will retry it")


def _skip_applied(changes: list[_Change]) -> list[_Change]:
    """Drop the leading changes that an earlier delivery already applied (its marks say so)."""
    while changes:
        try:
            mark = Limit.get(Limit.key("stream", changes[0].event_id), consistent_read=True)
        except Limit.DoesNotExist:
            return changes
        applied_to = int(mark.mark or 0)
        changes = [c for c in changes if c.sequence > applied_to]
    return changes


def _touches(change: _Change) -> set[tuple[str, ...]]:
    """The counter and ledger items a change writes to."""
    keys: set[tuple[str, ...]] = set()
    for image in (change.old, change.new):
        counted = _counted(image)
        if counted:
            keys.add(("counter", *counted[0]))
    image = change.new or {}
    for half in _paid(image):
        keys.add(("ledger", image["application_id"], image.get("channel", ""), str(half)))
    broadcast = (image.get("details") or {}).get("broadcast_id")
    if broadcast:
        keys.add(("broadcast", image["application_id"], str(broadcast)))
    return keys


def _chunks(changes: list[_Change]) -> list[tuple[list[_Change], _Effects]]:
    """Consecutive changes grouped so that each group's transaction stays within its item limit."""
    groups: list[list[_Change]] = []
    touched: set[tuple[str, ...]] = set()
    for change in changes:
        keys = _touches(change)
        if not groups or len(touched | keys) > _MAX_ITEMS:
            groups.append([])
            touched = set()
        groups[-1].append(change)
        touched |= keys
    chunks = []
    for group in groups:
        effects = _Effects()
        for change in group:
            _add(effects, change)
            _add_hours(effects, change)
        chunks.append((group, effects))
    return chunks


def apply(records: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Lambda's DynamoDB stream handler body. Answers the partial-batch response: the first
    record not applied, from which Lambda delivers again."""
    changes = _skip_applied([_parse(record) for record in records])
    for chunk, effects in _chunks(changes):
        try:
            for hook in _hooks:
                if effects.statuses:
                    hook(effects.statuses)
            _commit(chunk, effects)
        except Exception:  # noqa: BLE001 - report it; Lambda redelivers from this chunk on
            log.exception("message changes not applied; they will be redelivered",
                          extra={"from_sequence": chunk[0].sequence})
            return {"batchItemFailures": [{"itemIdentifier": str(chunk[0].sequence)}]}
    return {"batchItemFailures": []}
