"""Getting each message to its provider: never by two attempts at once, never again once the
provider may have it, and never left pending for ever.

A message is written with `dispatch = "request"`: the send request holds its first attempt (a
lease of REQUEST_LEASE, longer than any request lives). Then:

- the provider takes it: nothing more is written; its first event (Sent, Delivered, a note)
  settles the dispatch (messages.transitions), which takes the message out of the sweep index;
- the provider refuses it: Failed, refunded (messages.status_updates.reject);
- the provider did not take it (ProviderUnavailable: throttling, no connection...): its payload
  goes to S3, the message becomes "queued", and a job goes on the dispatch queue. A dispatch
  worker claims the message with a conditional write ("queued", "unsure", or "sending" whose
  lease has passed -> "sending" with a new lease), calls the provider, and settles it ("done"),
  refuses it, or queues it again with a longer delay; after MAX_ATTEMPTS it is Failed and
  refunded. A second worker holding the same job finds the claim taken and does nothing;
- the outcome is unknown: see below.

One rule for an unknown outcome, in the request and in the worker alike: a message whose last
attempt may have reached the provider is never sent again unless the provider, asked by
Kirim's id, says it does not have it. An outcome is unknown after ProviderUnsure (a read
timeout, a dropped connection, a 5xx, an answer that cannot be read), when a request dies
during or after its provider call (the message stays "request"), and when a worker's lease
runs out while it holds the message ("sending": it may have called the provider, then died or
failed to write "done"; the next claim is a takeover). Then:

- a provider that can be asked (`lookup`; the simulator): the message becomes "unsure" and a
  job asks it UNSURE_WAIT later (a takeover asks at once, the lease having run out): it has
  the message -> "done", its events move it; it does not -> sent, as an ordinary attempt; it
  cannot say -> asked again later, up to MAX_ATTEMPTS;
- a provider that cannot be asked (End User Messaging, SES and Meta's Cloud API offer no
  lookup by Kirim's id and take no idempotency key): nothing is sent again. The message waits
  for the provider's first event, which settles it; with none by its deadline (FIRST_EVENT_
  DEADLINE after the request, or after the worker's unknown attempt) the sweeper fails it,
  not billed (NO_PROVIDER_ANSWER).

Neither botocore nor urllib3 resends a provider call (providers.aws_adapter, meta_whatsapp).

What is left, exactly:
- a provider that can be asked gets a message twice only if the first attempt's request
  reaches it after the lookup says no: more than UNSURE_WAIT (60 s) after Kirim stopped
  waiting for its answer, or more than WORKER_LEASE (2 min) after the claim of a worker that
  vanished (its Lambda lives at most 60 s);
- a provider that cannot be asked never gets a message twice from Kirim. In exchange, a
  message whose outcome was unknown and that the provider did not take is Failed (not
  billed) at its deadline instead of being sent, and one the provider took but whose first
  event comes after that deadline is Failed (not billed) too, though it may arrive; its late
  events are kept in its history, and its status does not move back;
- what the provider itself repeats (a carrier's own retries) Kirim never sees.

The sweeper (every minute) reads the sweep index for messages due:
- still "request" FIRST_EVENT_DEADLINE after the send with no provider event, or "unsure"
  past its deadline when the provider cannot be asked: Failed and refunded, never sent again;
- "queued", "unsure" or "sending" past its time (a lost job, a worker that died): its job is
  sent again (the job asks the provider first when the outcome is unknown);
- anything that has settled meanwhile: taken out of the index.
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
from chalicelib.providers.base import Outbound, ProviderRejected, ProviderUnavailable, ProviderUnsure, can_look_up
from chalicelib.providers.registry import provider_for
from chalicelib.sending import outbox

log = logging.getLogger(__name__)

REQUEST, QUEUED, SENDING, UNSURE = "request", "queued", "sending", "unsure"
REQUEST_LEASE = timedelta(minutes=2)
FIRST_EVENT_DEADLINE = timedelta(minutes=30)
WORKER_LEASE = timedelta(minutes=2)       # the dispatch worker's Lambda times out after 60 s
MAX_ATTEMPTS = 6
RETRY_DELAYS = (5, 30, 60, 120, 300, 600)  # seconds before attempt 2, 3, ... (SQS allows 900)
JOB_SLACK = timedelta(minutes=10)          # how late a job may be before the sweeper sends it again
UNSURE_WAIT = 60                           # seconds after an unknown outcome before the provider is asked
NO_ANSWER = "NO_PROVIDER_ANSWER"


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
    except ProviderUnsure as unsure:
        log.warning("no clear answer from the provider", extra={"message_id": message.message_id,
                                                               "reason": str(unsure)[:200]})
        if can_look_up(provider):
            _defer(message, outbound, UNSURE, UNSURE_WAIT)
        # Otherwise it stays "request", exactly as if the request had died here: its events
        # settle it, or the sweeper fails it at its deadline. It is never sent again.
    except ProviderUnavailable as unavailable:
        log.warning("provider unavailable; deferring", extra={"message_id": message.message_id,
                                                               "reason": str(unavailable)[:200]})
        _defer(message, outbound, QUEUED, RETRY_DELAYS[0])


def _defer(message: Message, outbound: Outbound, state: str, delay: int) -> None:
    """Payload to S3, then `state`, then the job. A failure part way leaves the message for the
    sweeper: still "request" (Failed and refunded at its deadline), or queued/unsure (job sent again)."""
    try:
        outbox.store(outbound)
        if _settle_attempt(message, REQUEST, 1, state, delay):
            outbox.enqueue(message.message_id, delay)
    except Exception:  # noqa: BLE001 - the send is recorded; the sweeper finishes what failed here
        log.exception("could not queue a retry; the sweeper will", extra={"message_id": message.message_id})


def _settle_attempt(message: Message, holder: str, attempt: int, next_state: str, delay: float = 0) -> bool:
    """End an attempt, on condition it still holds the message: "done", or queued/unsure with
    its next job due in `delay` seconds."""
    now = clock.now()
    if next_state == DONE:
        actions = settle_actions()
    else:
        actions = [Message.dispatch.set(next_state), Message.lease_until.remove(),
                   Message.sweep_at.set(sweep_time(now + timedelta(seconds=delay) + JOB_SLACK))]
    # False: an event settled it meanwhile, or the sweeper took over.
    return update_if(Message(message.message_id), actions, (Message.dispatch == holder) & (Message.attempts == attempt),
                     "this message", mark=Message.write_id)


def _claim(message: Message) -> int | None:
    """Take the next attempt: "queued", "unsure", or "sending" whose lease passed -> "sending".
    Returns the attempt number, or None when another attempt holds it or it has settled."""
    now = clock.now()
    lease_until = now + WORKER_LEASE
    attempt = int(message.attempts or 1) + 1
    condition = (Message.dispatch.is_in(QUEUED, UNSURE) | ((Message.dispatch == SENDING) & (Message.lease_until < int(
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
    # "sending" that can be claimed is a takeover: its worker may have reached the provider.
    unknown = message.dispatch in (UNSURE, SENDING)
    attempt = _claim(message)
    if attempt is None:
        return "held"
    message.dispatch, message.attempts = SENDING, attempt
    provider = provider_for(message.channel)
    if unknown:
        answer = _ask(message, attempt, provider)
        if answer is not None:
            return answer
    outbound = outbox.load(message_id)
    if outbound is None:
        status_updates.reject(message, "DISPATCH_PAYLOAD_MISSING", "The message's payload was lost before sending",
                              holding=SENDING)
        return "lost"
    try:
        provider.send(outbound)
    except ProviderRejected as rejected:
        status_updates.reject(message, rejected.provider_status, rejected.reason, holding=SENDING)
        outbox.done(message_id)
        return "rejected"
    except ProviderUnsure:
        return _unsure(message, attempt, provider)
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


def _ask(message: Message, attempt: int, provider: Any) -> str | None:
    """Before sending again after an unknown outcome: None when the provider says it does not
    have the message (send it), else what happened instead."""
    if not can_look_up(provider):
        return _unsure(message, attempt, provider)
    try:
        has_it = provider.lookup(message.message_id)
    except ProviderUnavailable:
        return _unsure(message, attempt, provider)   # cannot say now: asked again later
    if not has_it:
        return None
    _settle_attempt(message, SENDING, attempt, DONE)   # its events move it on
    outbox.done(message.message_id)
    return "found"


def _unsure(message: Message, attempt: int, provider: Any) -> str:
    """The provider may have the message: asked later, or (when it cannot be asked) left to its
    events until the deadline. Never sent as it is."""
    if not can_look_up(provider):
        # No job and no payload kept: the sweeper fails it at this deadline unless an event settles it.
        _settle_attempt(message, SENDING, attempt, UNSURE, (FIRST_EVENT_DEADLINE - JOB_SLACK).total_seconds())
        outbox.done(message.message_id)
        return "unsure"
    if attempt >= MAX_ATTEMPTS:
        status_updates.reject(message, NO_ANSWER, f"No clear answer from the provider after {attempt} attempts; "
                              "not sent again, not billed", holding=SENDING)
        outbox.done(message.message_id)
        return "exhausted"
    if _settle_attempt(message, SENDING, attempt, UNSURE, UNSURE_WAIT):
        outbox.enqueue(message.message_id, UNSURE_WAIT)
    return "unsure"


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
        outbox.done(message_id)
        return "settled"
    unknown = message.dispatch == REQUEST or (message.dispatch == UNSURE
                                              and not can_look_up(provider_for(message.channel)))
    if unknown:
        status_updates.reject(message, NO_ANSWER, "No answer from the provider after the send; not sent again, "
                              "not billed", holding=message.dispatch)
        outbox.done(message_id)  # a payload may hold an OTP's text: never kept past the message's end
        return "failed"
    if int(message.attempts or 1) >= MAX_ATTEMPTS:
        status_updates.reject(message, NO_ANSWER if message.dispatch in (UNSURE, SENDING) else "DISPATCH_EXHAUSTED",
                              "Provider unavailable after every attempt", holding=message.dispatch)
        outbox.done(message_id)
        return "failed"
    # A late job, or a worker that died: send the job again (it asks first when the outcome is unknown).
    if not update_if(Message(message_id), [Message.sweep_at.set(sweep_time(now + JOB_SLACK))],
                     Message.sweep_at == message.sweep_at, "this message", mark=Message.write_id):
        return "moved"
    outbox.enqueue(message_id, 0)
    return "requeued"


def _take_out(message: Message) -> None:
    actions = settled_dispatch(message) or [Message.sweep.remove(), Message.sweep_at.remove()]
    update_if(Message(message.message_id), actions, None, "this message")


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
