"""The send's one write: debit the quota (on condition it covers the cost), put the message,
and count it under its day and first status, in one transaction. Quota cannot go below zero,
whatever the concurrency. Later status changes are messages.transitions."""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications.models import Application
from chalicelib.core.db import CONFLICT_ATTEMPTS, backoff, cancellation_reasons, connection
from chalicelib.core.errors import QUOTA_LOW, TOO_MANY_CONCURRENT, ApiError
from chalicelib.messages.models import Counter, Message
from chalicelib.messages.transitions import counter_key


def record_send(message: Message, cost: int) -> None:
    quota = Application.quota(message.channel)
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(message, condition=Message.message_id.does_not_exist())
                transaction.update(Application(message.application_id), actions=[quota.add(-cost)],
                                   condition=quota >= cost)
                transaction.update(counter_key(message), actions=[Counter.of(message.status).add(1)])
            return
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            put_message, debit_quota = (reasons + [None, None])[:2]
            if put_message == "ConditionalCheckFailed":
                # The message exists: an earlier attempt of this very transaction committed and
                # its answer was lost (a timeout, then a retry). The send is done.
                return
            if debit_quota == "ConditionalCheckFailed":
                raise ApiError(QUOTA_LOW, f"Quota not enough: this message needs {cost}") from None
            if "TransactionConflict" not in reasons:
                raise
            backoff(attempt)
    raise ApiError(TOO_MANY_CONCURRENT, "Too many concurrent sends for this application; retry shortly")
