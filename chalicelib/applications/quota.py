"""Quota: the units each application channel may still send, never below zero, never debited
twice, never lost.

A send debits its cost from the channel's Quota item with one conditional UpdateItem
(`balance >= cost`) outside any transaction: a transaction holding an item every send shares
would make a busy application's sends cancel each other on DynamoDB. The same write adds the
cost to the item's journal under the current minute. Then:

- the send writes its message carrying that minute (Message.debit_minute); the messages
  stream consumer adds the message's cost to the channel's ledger item under that minute,
  exactly once (messages.changes);
- a send whose message write failed gives its units back at once (`undo_debit`);
- a refund (a failure that is not billed) is credited to the ledger by the stream consumer,
  from the message's own refund mark;
- every minute the reconciler moves, for each minute older than GRACE, journal minus settled
  (the units of a send that died between its debit and its message write) and the ledger's
  credit into the balance, in one transaction, and forgets those minutes.

So balance + credit is what the channel has left, and the journal is the proof that nothing
was lost in between. The quota item stays a few hundred bytes: one write unit per debit.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.applications.models import DUE_PART, LEDGER, QUOTA, Quota, QuotaLedger, parse_quota_key, quota_key
from chalicelib.core import clock
from chalicelib.core.db import (
    CONFLICT,
    CONFLICT_ATTEMPTS,
    backoff,
    busy,
    cancellation_reasons,
    connection,
    contended,
    error_code,
)
from chalicelib.core.errors import QUOTA_LOW, ApiError, not_found

log = logging.getLogger(__name__)

# Long enough for every send in flight at a minute's end to have written its message and for
# the stream consumer to have settled it (it runs within seconds); a send dead for this long
# will not write any more.
GRACE = timedelta(minutes=15)
_MINUTE = "%Y%m%d%H%M"


def minute_of(moment: datetime) -> str:
    return clock.iso(moment)[:16].replace("-", "").replace("T", "").replace(":", "")


def _minute_time(minute: str) -> datetime:
    from datetime import timezone

    return datetime.strptime(minute, _MINUTE).replace(tzinfo=timezone.utc)


def create_items(transaction: TransactWrite, application_id: str, channels: list[str], units: int) -> None:
    """A new application's quota and ledger items, one of each per channel, in its transaction."""
    for channel in channels:
        transaction.save(Quota(quota_key(QUOTA, application_id, channel), balance=units, journal={}),
                         condition=Quota.key.does_not_exist())
        transaction.save(QuotaLedger(quota_key(LEDGER, application_id, channel), settled={}, credit=0, version=0),
                         condition=QuotaLedger.key.does_not_exist())


def debit(application_id: str, channel: str, cost: int) -> str:
    """Take `cost` units, or answer 402 code 55. Returns the journal minute the debit went under."""
    minute = minute_of(clock.now())
    item = Quota(quota_key(QUOTA, application_id, channel))
    actions = [Quota.balance.add(-cost), Quota.journal[minute].set((Quota.journal[minute] | 0) + cost),
               Quota.due_part.set(DUE_PART), Quota.due.set(Quota.due | minute)]
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            item.update(actions=actions, condition=Quota.balance >= cost)
            return minute
        except UpdateError as error:
            code = error_code(error)
            if code == "ConditionalCheckFailedException":
                raise ApiError(QUOTA_LOW, f"Quota not enough: this message needs {cost}") from None
            if code != CONFLICT:
                raise busy(error) or error from None
            backoff(attempt)  # the reconciler's transaction holds the item for a moment
    raise contended()


def undo_debit(application_id: str, channel: str, cost: int, minute: str) -> bool:
    """Give back a debit whose message was not written. Best effort: if this fails too, the
    journal still shows the units and the reconciler gives them back."""
    item = Quota(quota_key(QUOTA, application_id, channel))
    actions = [Quota.balance.add(cost), Quota.journal[minute].set((Quota.journal[minute] | 0) - cost)]
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            item.update(actions=actions)
            return True
        except UpdateError as error:
            if error_code(error) != CONFLICT:
                break
            backoff(attempt)
    log.warning("could not give a debit back; the reconciler will", extra={
        "application_id": application_id, "channel": channel, "units": cost, "minute": minute})
    return False


def add_to_ledger(transaction: TransactWrite, application_id: str, channel: str, settled: dict[str, int],
                  credit: int) -> None:
    """The stream consumer's part, inside its transaction: units of messages written per debit
    minute, and refunds. Marks the ledger due for the reconciler."""
    actions: list[Any] = [QuotaLedger.settled[minute].set((QuotaLedger.settled[minute] | 0) + units)
                          for minute, units in settled.items() if units]
    if credit:
        actions.append(QuotaLedger.credit.add(credit))
    if not actions:
        return
    # Refunds are due at once; settlements when their minute is older than GRACE.
    due = min(list(settled) + ([minute_of(clock.now() - GRACE)] if credit else []))
    actions += [QuotaLedger.version.add(1), QuotaLedger.due_part.set(DUE_PART), QuotaLedger.due.set(
        QuotaLedger.due | due)]
    transaction.update(QuotaLedger(quota_key(LEDGER, application_id, channel)), actions=actions)


def balances(application_id: str, channels: list[str]) -> dict[str, int]:
    """{channel: units left} (balance + refunds not yet moved in), with one BatchGetItem."""
    keys = [quota_key(kind, application_id, channel) for channel in channels for kind in (QUOTA, LEDGER)]
    left = dict.fromkeys(channels, 0)
    if not keys:
        return left
    table = Quota.Meta.table_name
    request: dict[str, Any] = {table: {"Keys": [{"application_id": {"S": key}} for key in keys], "ConsistentRead": True}}
    for attempt in range(CONFLICT_ATTEMPTS):
        answer = connection().client.batch_get_item(RequestItems=request)
        for item in answer.get("Responses", {}).get(table, []):
            kind, _, channel = parse_quota_key(item["application_id"]["S"])
            left[channel] += int(item.get("balance" if kind == QUOTA else "credit", {}).get("N", "0"))
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return left
        backoff(attempt)
    raise contended()


def top_up(application_id: str, channel: str, amount: int) -> None:
    """Add units (an ADD: safe beside concurrent sends)."""
    item = Quota(quota_key(QUOTA, application_id, channel))
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            item.update(actions=[Quota.balance.add(amount)], condition=Quota.key.exists())
            return
        except UpdateError as error:
            code = error_code(error)
            if code == "ConditionalCheckFailedException":
                raise not_found(f"Application {application_id} has no {channel} channel") from None
            if code != CONFLICT:
                raise
            backoff(attempt)
    raise contended()


# ---------------------------------------------------------------- the reconciler

def due_channels(now: datetime) -> list[tuple[str, str]]:
    """(application, channel) pairs whose quota or ledger item has a minute old enough to settle."""
    cutoff = minute_of(now - GRACE)
    pairs = []
    for item in Quota.by_due.query(DUE_PART, Quota.due <= cutoff):
        parsed = parse_quota_key(item.key)
        if parsed and (parsed[1], parsed[2]) not in pairs:
            pairs.append((parsed[1], parsed[2]))
    return pairs


def _due_actions(model: Any, rest: list[str]) -> list[Any]:
    return [model.due.set(rest[0])] if rest else [model.due_part.remove(), model.due.remove()]


def reconcile(application_id: str, channel: str, now: datetime | None = None) -> int:
    """Move what is owed back into the balance: for every minute older than GRACE, the units
    debited but matched by no written message, plus the ledger's refunds. One transaction over
    the quota item and the ledger item, conditioned on what was read. Returns the units moved."""
    now = now or clock.now()
    cutoff = minute_of(now - GRACE)
    q_key, l_key = quota_key(QUOTA, application_id, channel), quota_key(LEDGER, application_id, channel)
    for attempt in range(CONFLICT_ATTEMPTS):
        read_at = clock.now()
        try:
            quota = Quota.get(q_key, consistent_read=True)
            ledger = QuotaLedger.get(l_key, consistent_read=True)
        except (Quota.DoesNotExist, QuotaLedger.DoesNotExist):
            return 0
        journal = {m: int(v) for m, v in (quota.journal.as_dict() if quota.journal else {}).items()}
        settled = {m: int(v) for m, v in (ledger.settled.as_dict() if ledger.settled else {}).items()}
        minutes = sorted(m for m in set(journal) | set(settled) if m <= cutoff)
        credit = int(ledger.credit or 0)
        moved = sum(journal.get(m, 0) - settled.get(m, 0) for m in minutes) + credit

        q_actions: list[Any] = [Quota.journal[m].remove() for m in minutes if m in journal]
        q_condition = Quota.key.exists()
        for m in minutes:
            if m in journal:
                q_condition &= Quota.journal[m] == journal[m]
        q_rest = sorted(m for m in journal if m > cutoff)
        if not q_rest:
            # A debit after our read adds a minute near now: then keep `due`, read again.
            for m in _minutes_around(read_at):
                if m not in journal:
                    q_condition &= Quota.journal[m].does_not_exist()
        if moved:
            q_actions.append(Quota.balance.add(moved))
            if moved < 0:
                # A settlement came after its minute was reconciled (the stream lagged past
                # GRACE): take the units back, but never below zero.
                q_condition &= Quota.balance >= -moved
        q_actions += _due_actions(Quota, q_rest) if (quota.due or q_rest) else []

        l_rest = sorted(m for m in settled if m > cutoff)
        l_actions: list[Any] = [QuotaLedger.settled[m].remove() for m in minutes if m in settled]
        if credit:
            l_actions.append(QuotaLedger.credit.add(-credit))
        l_actions += [QuotaLedger.version.add(1)] + (_due_actions(QuotaLedger, l_rest)
                                                     if (ledger.due or l_rest) else [])
        l_condition = QuotaLedger.version == int(ledger.version or 0)
        if not q_actions and len(l_actions) == 1:
            return 0
        try:
            with TransactWrite(connection=connection()) as transaction:
                if q_actions:
                    transaction.update(Quota(q_key), actions=q_actions, condition=q_condition)
                transaction.update(QuotaLedger(l_key), actions=l_actions, condition=l_condition)
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            if not reasons:
                raise
            if moved < 0 and reasons[0] == "ConditionalCheckFailed" and attempt == CONFLICT_ATTEMPTS - 1:
                log.warning("quota cannot be taken back yet", extra={"application_id": application_id,
                                                                      "channel": channel, "units": -moved})
                return 0
            backoff(attempt)  # a send, the stream consumer or another reconciler moved: read again
            continue
        if moved:
            log.info("quota reconciled", extra={"application_id": application_id, "channel": channel,
                                                "units": moved, "minutes": minutes})
        return moved
    raise contended(f"the quota of {application_id} {channel}")


def _minutes_around(moment: datetime) -> list[str]:
    """The minutes a debit racing with a read at `moment` could write under (clocks differ a little)."""
    return [minute_of(moment + timedelta(minutes=offset)) for offset in (-2, -1, 0, 1, 2)]


def reconcile_due(now: datetime | None = None) -> dict[str, int]:
    """The scheduled run: reconcile every due channel. Returns {"channels": n, "units": moved}."""
    now = now or clock.now()
    moved, pairs = 0, due_channels(now)
    for application_id, channel in pairs:
        moved += reconcile(application_id, channel, now)
    return {"channels": len(pairs), "units": moved}
