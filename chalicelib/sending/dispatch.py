"""Getting each message to its provider: never by two attempts at once, never again once the
provider has it, and never left pending for ever.

A message is written with `dispatch = "request"`: the send request holds its first attempt (a
lease of REQUEST_LEASE, longer than any request lives). Then:

- the provider takes it: nothing more is written; its first event (Sent, Delivered, a note)
  settles the dispatch (messages.transitions), which takes the message out of the sweep index;
- the provider refuses it: Failed, refunded (messages.status_updates.reject);
- the provider cannot answer (timeout, throttling, 5xx): its payload goes to S3, the message
  becomes "queued", and a job goes on the dispatch queue. A dispatch worker claims the message
  with a conditional write ("queued", or "sending" whose lease has passed -> "sending" with a
  new lease), calls the provider, and settles it ("done"), refuses it, or queues it again with a
  longer delay; after MAX_ATTEMPTS it is Failed and refunded. A second worker holding the same
  job finds the claim taken and does nothing.

The sweeper (every minute) reads the sweep index for messages due:
- still "request" FIRST_EVENT_DEADLINE after the send, with no provider event: the request died
  before the provider answered, or the provider never said a word. Sending again could reach
  the end user twice, so the message is Failed and refunded instead;
- "queued" or "sending" past its time (a lost job, a worker that died): its job is sent again;
- anything that has settled meanwhile: taken out of the index.

A provider timeout is retried even though the provider might have taken the message (it gave no
answer); that is the one case where a provider can get a message twice, as with any sender that
retries timeouts. Events for the first copy still settle the message, and a settled message is
never sent again.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core.db import update_if
from chalicelib.messages import status_updates
from chalicelib.messages.models import Message, sweep_partition, sweep_partitions, sweep_time
from chalicelib.messages.status_rules import RULES
from chalicelib.messages.transitions import DONE, settle_actions, settled_dispatch
from chalicelib.providers.base import Outbound, ProviderRejected, ProviderUnavailable
from chalicelib.providers.registry import provider_for
from chalicelib.sending import outbox

log = logging.getLogger(__name__)

REQUEST, QUEUED, SENDING = "request", "queued", "sending"
REQUEST_LEASE = timedelta(minutes=2)
FIRST_EVENT_DEADLINE = timedelta(minutes=30)
WORKER_LEASE = timedelta(minutes=2)       # the dispatch worker's Lambda times out after 60 s
MAX_ATTEMPTS = 6
RETRY_DELAYS = (5, 30, 60, 120, 300, 600)  # seconds before attempt 2, 3, ... (SQS allows 900)
JOB_SLACK = timedelta(minutes=10)          # how late a job may be before the sweeper sends it again


def begin(message: Message, now: datetime) -> None:
    """The dispatch fields of a message about to be written: the request holds the first attempt."""
    message.dispatch, message.attempts = REQUEST, 1
    message.lease_until = int((now + REQUEST_LEASE).timestamp())
    message.sweep, message.sweep_at = sweep_partition(message.message_id), sweep_time(now + FIRST_EVENT_DEADLINE)


def first_attempt(message: Message, outbound: Outbound, provider: Any) -> None:
    """The provider call made while the client waits."""
    try:
        provider.send(outbound)
    except ProviderRejected as rejected:
        try:
            status_updates.reject(message, rejected.provider_status, rejected.reason, holding=REQUEST)
        except Exception:  # noqa: BLE001 - the send is recorded; the sweeper fails it at its deadline
            log.exception("could not mark a refused send Failed", extra={"message_id": message.message_id})
    except ProviderUnavailable as unavailable:
        log.warning("provider unavailable; deferring", extra={"message_id": message.message_id,
                                                               "reason": str(unavailable)[:200]})
        _defer(message, outbound)


def _defer(message: Message, outbound: Outbound) -> None:
    """Payload to S3, then "queued", then the job. A failure part way leaves the message for the
    sweeper: still "request" (Failed and refunded at its deadline) or "queued" (job sent again)."""
    try:
        outbox.store(outbound)
        if _settle_attempt(message, REQUEST, 1, QUEUED, RETRY_DELAYS[0]):
            outbox.enqueue(message.message_id, RETRY_DELAYS[0])
    except Exception:  # noqa: BLE001 - the send is recorded; the sweeper finishes what failed here
        log.exception("could not queue a retry; the sweeper will", extra={"message_id": message.message_id})


def _settle_attempt(message: Message, holder: str, attempt: int, next_state: str, delay: int = 0) -> bool:
    """End an attempt, on condition it still holds the message: "done", or "queued" again."""
    now = clock.now()
    if next_state == DONE:
        actions = settle_actions()
    else:
        actions = [Message.dispatch.set(QUEUED), Message.lease_until.remove(),
                   Message.sweep_at.set(sweep_time(now + timedelta(seconds=delay) + JOB_SLACK))]
    # False: an event settled it meanwhile, or the sweeper took over.
    return update_if(Message(message.message_id), actions, (Message.dispatch == holder) & (Message.attempts == attempt),
                     "this message", mark=Message.write_id)


def _claim(message: Message) -> int | None:
    """Take the next attempt: "queued", or "sending" whose lease passed -> "sending". Returns the
    attempt number, or None when another attempt holds it or it has settled."""
    now = clock.now()
    lease_until = now + WORKER_LEASE
    attempt = int(message.attempts or 1) + 1
    condition = ((Message.dispatch == QUEUED) | ((Message.dispatch == SENDING) & (Message.lease_until < int(
        now.timestamp())))) & (Message.status == RULES[message.channel].initial) & (
        Message.attempts == int(message.attempts or 1))
    claimed = update_if(Message(message.message_id), [
        Message.dispatch.set(SENDING), Message.attempts.set(attempt), Message.lease_until.set(int(lease_until.timestamp())),
        Message.sweep_at.set(sweep_time(lease_until + JOB_SLACK))], condition, "this message", mark=Message.write_id)
    return attempt if claimed else None


def run_job(message_id: str) -> str:
    """One dispatch job. Returns what happened (for the log and the tests)."""
    try:
        message = Message.get(message_id, consistent_read=True)
    except Message.DoesNotExist:
        outbox.done(message_id)
        return "unknown"
    if message.dispatch in (None, DONE) or message.status != RULES[message.channel].initial:
        outbox.done(message_id)
        return "settled"
    attempt = _claim(message)
    if attempt is None:
        return "held"
    message.dispatch, message.attempts = SENDING, attempt
    outbound = outbox.load(message_id)
    if outbound is None:
        status_updates.reject(message, "DISPATCH_PAYLOAD_MISSING", "The message's payload was lost before sending",
                              holding=SENDING)
        return "lost"
    try:
        provider_for(message.channel).send(outbound)
    except ProviderRejected as rejected:
        status_updates.reject(message, rejected.provider_status, rejected.reason, holding=SENDING)
        outbox.done(message_id)
        return "rejected"
    except ProviderUnavailable:
        if attempt >= MAX_ATTEMPTS:
            status_updates.reject(message, "DISPATCH_EXHAUSTED", f"Provider unavailable after {attempt} attempts",
                                  holding=SENDING)
            outbox.done(message_id)
            return "exhausted"
        delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
        if _settle_attempt(message, SENDING, attempt, QUEUED, delay):
            outbox.enqueue(message_id, delay)
        return "retry"
    _settle_attempt(message, SENDING, attempt, DONE)
    outbox.done(message_id)
    return "sent"


# ---------------------------------------------------------------- the sweeper

def due(now: datetime) -> list[str]:
    """Ids of messages whose dispatch should have settled by now (one Query per index partition)."""
    cutoff = sweep_time(now)
    return [key.message_id for partition in sweep_partitions()
            for key in Message.by_sweep.query(partition, Message.sweep_at <= cutoff)]


def sweep_one(message_id: str, now: datetime) -> str:
    try:
        message = Message.get(message_id, consistent_read=True)
    except Message.DoesNotExist:
        return "unknown"
    if message.sweep_at is None or message.sweep_at > sweep_time(now):
        return "not due"
    initial = RULES[message.channel].initial
    if message.status != initial or message.dispatch in (None, DONE) or len(message.history or []) > 1:
        _take_out(message)  # settled by an event or a final status whose write kept the index entry
        return "settled"
    if message.dispatch == REQUEST:
        status_updates.reject(message, "NO_PROVIDER_ANSWER",
                              "No answer from the provider after the send; not sent again, not billed",
                              holding=REQUEST)
        return "failed"
    if int(message.attempts or 1) >= MAX_ATTEMPTS:
        status_updates.reject(message, "DISPATCH_EXHAUSTED", "Provider unavailable after every attempt",
                              holding=message.dispatch)
        return "failed"
    # "queued" whose job is late, or "sending" whose worker died: send the job again.
    if not update_if(Message(message_id), [Message.sweep_at.set(sweep_time(now + JOB_SLACK))],
                     Message.sweep_at == message.sweep_at, "this message", mark=Message.write_id):
        return "moved"
    outbox.enqueue(message_id, 0)
    return "requeued"


def _take_out(message: Message) -> None:
    actions = settled_dispatch(message) or [Message.sweep.remove(), Message.sweep_at.remove()]
    Message(message.message_id).update(actions=actions)


def sweep(now: datetime | None = None, only: set[str] | None = None) -> dict[str, str]:
    """The scheduled run (over `only` these messages, when given). Returns each message's outcome."""
    now = now or clock.now()
    outcomes: dict[str, str] = {}
    for message_id in due(now):
        if only is not None and message_id not in only:
            continue
        try:
            outcomes[message_id] = sweep_one(message_id, now)
        except Exception:  # noqa: BLE001 - one bad message must not stop the sweep
            log.exception("sweep failed for a message", extra={"message_id": message_id})
            outcomes[message_id] = "error"
    return outcomes
