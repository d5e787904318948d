"""The send's two writes: debit the quota (applications.quota: one conditional UpdateItem on
one half of the channel's quota, picked by the message's shard; more only when that half is
short; 402 code 55 when both together are), then write the message, with its
Idempotency-Key record in the same transaction when the client gave one.

No transaction here touches an item that other sends share: the quota is debited on its own,
and the transaction holds only this message and this key's record. If the message write fails,
the debit is given back at once (or, if even that fails or the process dies in between, by the
quota reconciler). Transaction conflicts (another copy of the same key in flight) are retried a
few times, then answered 429 code 57; nothing is debited twice either way.

A write whose answer is lost is sent again by botocore (the put's condition, or the
transaction's ClientRequestToken, keeps it from landing twice). When no attempt is answered,
the outcome is unknown: the message is read (one strongly consistent GetItem). Written -> the
send was recorded and carries on to its provider. Not written -> 503 and the debit given back.
What is left: a write DynamoDB applies after that read said it was not there (it would have to
outlive botocore's two read timeouts and the read); the sweeper then fails the message, not
billed, at its first-event deadline, and a retry with the same Idempotency-Key is told "sent".
"""
from __future__ import annotations

from pynamodb.exceptions import GetError, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.applications import quota
from chalicelib.core.db import (
    CONFLICT,
    CONFLICT_ATTEMPTS,
    Unanswered,
    backoff,
    busy,
    cancellation_reasons,
    connection,
    contended,
    error_code,
)
from chalicelib.messages.models import Message, shard_of
from chalicelib.sending import idempotency
from chalicelib.sending.idempotency import Claim, Replay


def record_send(message: Message, cost: int, claim: Claim | None = None, body: dict | None = None) -> Replay | None:
    """Debit and write. Returns None when this send was recorded, or the first send's Replay
    when its Idempotency-Key was recorded before (nothing is then kept of this one)."""
    taken = quota.debit(message.application_id, message.channel, cost, shard_of(message.message_id))
    message.debit_minute = taken.minute
    message.paid = {str(half): units for half, units in taken.paid.items()}
    try:
        replay = _write(message, claim, body or {})
    except BaseException:
        quota.undo_debit(message.application_id, message.channel, taken)
        raise
    if replay is not None:
        quota.undo_debit(message.application_id, message.channel, taken)
    return replay


def _write(message: Message, claim: Claim | None, body: dict) -> Replay | None:
    from botocore.exceptions import BotoCoreError

    try:
        try:
            return _write_once(message, claim, body)
        except BotoCoreError as error:
            raise busy(error) or error from None
    except Unanswered:
        # No answer even after botocore's second attempt: the write may have landed. The message
        # id is this request's own, so a strongly consistent read of it tells: written (with its
        # Idempotency-Key record, one transaction) -> the send carries on to its provider.
        if _written(message.message_id):
            return None
        raise


def _written(message_id: str) -> bool:
    try:
        Message.get(message_id, consistent_read=True, attributes_to_get=["message_id"])
    except Message.DoesNotExist:
        return False
    except GetError as error:
        raise busy(error) or Unanswered() from None
    return True


def _write_once(message: Message, claim: Claim | None, body: dict) -> Replay | None:
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            if claim is None:
                message.save(condition=Message.message_id.does_not_exist())
            else:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.save(message, condition=Message.message_id.does_not_exist())
                    transaction.save(idempotency.record(claim, message.message_id, body),
                                     condition=idempotency.live_record_condition(), return_values="ALL_OLD")
            return None
        except PutError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None  # an earlier try of this very put committed and its answer was lost
            if error_code(error) != CONFLICT:
                raise busy(error) or error from None
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            put_message, put_record = (reasons + [None, None])[:2]
            if put_message == "ConditionalCheckFailed":
                return None  # the message id is ours alone: an earlier try committed
            if put_record == "ConditionalCheckFailed":
                return idempotency.replay_of(claim, idempotency.from_raw(error.cancellation_reasons[1].raw_item))
            if "TransactionConflict" not in reasons:
                raise busy(error) or error from None
        backoff(attempt)
    raise contended()
