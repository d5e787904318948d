"""The writes that change a message after it was sent, each in one transaction:

- move: change a message's status (on condition nobody moved it meanwhile), move one count
  from the old status to the new (one update of the day's counter item), and refund the
  quota when the failure is not billed.
- note: append a provider event that changes no status word to the history.

Counters count messages by the local day they were created on and their current status, so
at any moment they equal a recount of the messages.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.applications.models import Application
from chalicelib.core.db import CONFLICT_ATTEMPTS, backoff, cancellation_reasons, connection
from chalicelib.core.errors import TOO_MANY_CONCURRENT, ApiError
from chalicelib.messages.models import Counter, Message, app_channel_key, status_key

HISTORY_LIMIT = 50


def local_day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def counter_key(message: Message) -> Counter:
    return Counter(app_channel_key(message.application_id, message.channel), message.day)


def move(message: Message, new_status: str, entry: dict[str, Any], *, refund: bool = False,
         provider_message_id: str | None = None) -> bool:
    """Returns False when the message's status changed since it was read (read again, retry)."""
    actions = [Message.status.set(new_status),
               Message.app_channel_status.set(status_key(message.application_id, message.channel, new_status)),
               Message.updated_at.set(entry["at"]),
               Message.history.set((Message.history | []).append([entry]))]
    if provider_message_id:
        actions.append(Message.provider_message_id.set(provider_message_id))
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(Message(message.message_id), actions=actions,
                                   condition=Message.status == message.status)
                transaction.update(counter_key(message), actions=[Counter.of(message.status).add(-1),
                                                                  Counter.of(new_status).add(1)])
                if refund:
                    transaction.update(Application(message.application_id),
                                       actions=[Application.quota(message.channel).add(message.cost)])
            return True
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            if "ConditionalCheckFailed" in reasons:
                return False
            if "TransactionConflict" not in reasons:
                raise
            backoff(attempt)
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
