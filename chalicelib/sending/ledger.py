"""Every write that changes a message, its counters and the quota, each in one transaction.

- record_send: debit the quota (on condition it covers the cost), put the message, and count
  it under its day and first status. Quota cannot go below zero, whatever the concurrency.
- move: change a message's status (on condition nobody moved it meanwhile), move one count
  from the old status to the new (one update of the day's counter item), and refund the
  quota when the failure is not billed.
- note: append a provider event that changes no status word to the history.

Counters count messages by the local day they were created on and their current status, so
at any moment they equal a recount of the messages.
"""
from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.core.errors import QUOTA_LOW, TOO_MANY_CONCURRENT, ApiError
from chalicelib.core.db import Application, Counter, Message, connection

# Concurrent transactions on one application item conflict; a short randomised retry
# resolves most of them. Past this, the caller gets 429 code 57.
_CONFLICT_ATTEMPTS = 8
HISTORY_LIMIT = 50


def local_day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def counter_key(message: Message) -> Counter:
    return Counter(f"{message.application_id}#{message.channel}", message.day)


def _reasons(error: TransactWriteError) -> list[str | None]:
    # PynamoDB sends a transaction's items grouped by kind: condition checks, deletes, puts,
    # then updates, each group in the order it was added. Reasons follow that order.
    return [reason.code if reason else None for reason in (error.cancellation_reasons or [])]


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.01 * 2**attempt))


def record_send(message: Message, cost: int) -> None:
    quota = Application.channels[message.channel]["quota"]
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(message, condition=Message.message_id.does_not_exist())
                transaction.update(Application(message.application_id), actions=[quota.add(-cost)],
                                   condition=quota >= cost)
                transaction.update(counter_key(message), actions=[Counter.of(message.status).add(1)])
            return
        except TransactWriteError as error:
            put_message, debit_quota = (_reasons(error) + [None, None])[:2]
            if put_message == "ConditionalCheckFailed":
                # The message exists: an earlier attempt of this very transaction committed and
                # its answer was lost (a timeout, then a retry). The send is done.
                return
            if debit_quota == "ConditionalCheckFailed":
                raise ApiError(QUOTA_LOW, f"Quota not enough: this message needs {cost}") from None
            reasons = _reasons(error)
            if "TransactionConflict" not in reasons:
                raise
            _backoff(attempt)
    raise ApiError(TOO_MANY_CONCURRENT, "Too many concurrent sends for this application; retry shortly")


def move(message: Message, new_status: str, entry: dict[str, Any], *, refund: bool = False,
         provider_message_id: str | None = None) -> bool:
    """Returns False when the message's status changed since it was read (read again, retry)."""
    actions = [Message.status.set(new_status),
               Message.app_channel_status.set(f"{message.application_id}#{message.channel}#{new_status}"),
               Message.updated_at.set(entry["at"]),
               Message.history.set((Message.history | []).append([entry]))]
    if provider_message_id:
        actions.append(Message.provider_message_id.set(provider_message_id))
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(Message(message.message_id), actions=actions,
                                   condition=Message.status == message.status)
                transaction.update(counter_key(message), actions=[Counter.of(message.status).add(-1),
                                                                  Counter.of(new_status).add(1)])
                if refund:
                    quota = Application.channels[message.channel]["quota"]
                    transaction.update(Application(message.application_id), actions=[quota.add(message.cost)])
            return True
        except TransactWriteError as error:
            reasons = _reasons(error)
            if "ConditionalCheckFailed" in reasons:
                return False
            if "TransactionConflict" not in reasons:
                raise
            _backoff(attempt)
    raise ApiError(TOO_MANY_CONCURRENT)


def note(message: Message, entry: dict[str, Any]) -> bool:
    """Keep a provider event in the history without a status change (capped, so a message
    opened a thousand times does not grow without bound)."""
    if len(message.history or []) >= HISTORY_LIMIT:
        return True
    try:
        Message(message.message_id).update(
            actions=[Message.history.set((Message.history | []).append([entry]))],
            condition=Message.status == message.status)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
