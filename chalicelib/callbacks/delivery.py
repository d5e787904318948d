"""The callback worker's two jobs: make one attempt of a delivery, and sweep for due ones.

An attempt claims the delivery first, and the claim counts it: a conditional update (still
pending, still at the attempt count the job was queued with, attempts left, no live lease) that
raises the count, takes a lease, appends a "no answer recorded" entry and pushes the due time to
when the next attempt would come anyway. So a duplicate job or a second worker does nothing, and a
worker that dies or times out mid-attempt has still used that attempt: the sweeper queues the
next one when it is due, and the 8th ends in the DLQ like any other failure. Then it signs the
stored body with the application's active secrets, POSTs it (callbacks.http, which ends every
attempt at its deadline) and records the answer in place of the entry, on condition the claim
still holds: a success ends the delivery, a failure schedules the next attempt
(callbacks.schedule), and the last failure marks it failed, puts it on the DLQ and in the
failed index (for replay). A job for a delivery whose attempts are used up (its last worker
died) marks it failed the same way. DynamoDB calls per attempt: the claim, the application (URL
and secrets), the record (a stale or duplicate job: the claim and the give-up, both refused);
none of them on a send's path.

Retries are a scheduled sweep of due deliveries, not SQS delays: SQS delays stop at 15 minutes
and a retry schedule of a day needs hours between attempts. The sweeper runs every minute,
Queries the sparse `by_due` index for what is due, pushes each one's due time on by a grace
period (so the next sweep does not queue it again while it waits in SQS) and queues it.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from chalicelib.applications import callback_secrets
from chalicelib.applications import service as applications
from chalicelib.callbacks import http, queue, signing
from chalicelib.callbacks.models import CANCELED, DELIVERED, FAILED, PENDING, Delivery, due_partitions
from chalicelib.callbacks.schedule import MAX_ATTEMPTS, retry_delay
from chalicelib.callbacks.service import SWEEP_GRACE_SECONDS
from chalicelib.core import clock
from chalicelib.core.db import update_if
from chalicelib.core.errors import ApiError

log = logging.getLogger(__name__)

LEASE_SECONDS = 60        # an attempt takes at most http.DEADLINE_SECONDS plus three DynamoDB calls
MAX_KEPT_ATTEMPTS = 50    # the newest attempts kept (replays could grow the list without end)
SWEEP_LIMIT = 500         # per partition and sweep; the next sweep takes the rest
# What an attempt's entry says until its answer is recorded, and forever if its worker died.
INTERRUPTED = "no answer recorded: the attempt is in flight, or its worker stopped"


def _lease_free(now: int) -> Any:
    return Delivery.lease_until.does_not_exist() | (Delivery.lease_until < now)


def _claim(message_id: str, sequence: int, expected: int) -> Delivery | None:
    """Take attempt `expected + 1`, counted from here on; None when this job is stale, a
    duplicate, held by another worker, or out of attempts."""
    now = clock.now()
    made = expected + 1
    entry = {"at": clock.iso(now), "http_status": None, "latency_ms": None, "error": INTERRUPTED}
    # If this worker dies, the next attempt comes when a failed one's would (after the sweep's
    # grace); after the last, the sweep's grace and then the DLQ.
    wait = SWEEP_GRACE_SECONDS if made >= MAX_ATTEMPTS else max(SWEEP_GRACE_SECONDS, retry_delay(made))
    next_due = now + timedelta(seconds=wait)
    delivery = Delivery(message_id, sequence)
    claimed = update_if(delivery, [Delivery.attempt_count.set(made),
                                   Delivery.lease_until.set(int(now.timestamp()) + LEASE_SECONDS),
                                   Delivery.due_at.set(clock.iso(next_due)),
                                   Delivery.attempts.set((Delivery.attempts | []).append([entry]))],
                        (Delivery.state == PENDING) & (Delivery.attempt_count == expected)
                        & (Delivery.attempt_count < Delivery.max_attempts) & _lease_free(int(now.timestamp())),
                        "this delivery", mark=Delivery.write_id)
    return delivery if claimed else None


def _give_up(message_id: str, sequence: int, expected: int) -> Delivery | None:
    """Mark failed a pending delivery whose attempts are all used (its last worker died)."""
    now = clock.now()
    delivery = Delivery(message_id, sequence)
    given_up = update_if(delivery, [Delivery.state.set(FAILED), Delivery.due_part.remove(), Delivery.due_at.remove(),
                                    Delivery.lease_until.remove(), Delivery.failed_app.set(Delivery.application_id),
                                    Delivery.failed_at.set(clock.iso(now))],
                         (Delivery.state == PENDING) & (Delivery.attempt_count == expected)
                         & (Delivery.attempt_count >= Delivery.max_attempts) & _lease_free(int(now.timestamp())),
                         "this delivery", mark=Delivery.write_id)
    return delivery if given_up else None


def _finish(delivery: Delivery, made: int, entry: dict[str, Any] | None, state: str,
            next_due: str | None = None) -> bool:
    """Record the claimed attempt's answer (`entry`; None undoes the claim: no attempt was
    made); False when the claim was lost meanwhile (nothing recorded)."""
    actions = [Delivery.lease_until.remove()]
    kept = delivery.attempt_entries()[:-1]   # the claim's own entry is the last
    if entry is None:
        actions.append(Delivery.attempt_count.set(made - 1))
    else:
        kept.append(entry)
    actions.append(Delivery.attempts.set(kept[-MAX_KEPT_ATTEMPTS:]))
    if state == PENDING:
        actions.append(Delivery.due_at.set(next_due))
    else:
        actions += [Delivery.state.set(state), Delivery.due_part.remove(), Delivery.due_at.remove()]
    if state == FAILED:
        actions += [Delivery.failed_app.set(delivery.application_id), Delivery.failed_at.set(clock.now_iso())]
    return update_if(delivery, actions, (Delivery.state == PENDING) & (Delivery.attempt_count == made),
                     "this delivery", mark=Delivery.write_id)


def attempt(message_id: str, sequence: int, expected: int) -> str:
    """One attempt of a delivery; returns what happened (delivered, retry, failed, canceled,
    skipped for a stale or duplicate job)."""
    delivery = _claim(message_id, sequence, expected)
    if delivery is None:
        exhausted = _give_up(message_id, sequence, expected)
        if exhausted is None:
            return "skipped"
        queue.dead_letter(exhausted)
        log.info("callback attempts used up", extra={"delivery_id": exhausted.id, "attempt": expected})
        return "failed"
    made = expected + 1
    try:
        app = applications.get(delivery.application_id)
    except ApiError:
        app = None
    secrets = callback_secrets.active(app) if app is not None else []
    if app is None or not app.callback_url or not secrets:
        _finish(delivery, made, None, CANCELED)  # the owner removed the URL since
        return "canceled"
    at = clock.now()
    headers = signing.headers(delivery.id, at, delivery.payload, secrets)
    outcome = http.post(app.callback_url, delivery.payload.encode(), headers)
    entry = {"at": clock.iso(at), "http_status": outcome.http_status, "latency_ms": outcome.latency_ms,
             "error": outcome.error}
    if outcome.ok:
        state, word = DELIVERED, "delivered"
    elif made >= int(delivery.max_attempts):
        state, word = FAILED, "failed"
    else:
        state, word = PENDING, "retry"
    next_due = clock.iso(clock.now() + timedelta(seconds=retry_delay(made))) if state == PENDING else None
    if not _finish(delivery, made, entry, state, next_due):
        return "skipped"
    if state == FAILED:
        queue.dead_letter(delivery)
    log.info("callback attempt", extra={"delivery_id": delivery.id, "outcome": word, "attempt": made,
                                        "http_status": outcome.http_status, "latency_ms": outcome.latency_ms})
    return word


def sweep() -> list[tuple[str, int]]:
    """Queue every pending delivery that is due; returns the (message id, sequence) of each."""
    now = clock.now()
    jobs = []
    for partition in due_partitions():
        for key in Delivery.by_due.query(partition, Delivery.due_at <= clock.iso(now), limit=SWEEP_LIMIT):
            delivery = Delivery(key.message_id, int(key.sequence))
            if not update_if(delivery, [Delivery.due_at.set(clock.iso(now + timedelta(seconds=SWEEP_GRACE_SECONDS)))],
                             (Delivery.due_at == key.due_at) & (Delivery.state == PENDING), "this delivery",
                             mark=Delivery.write_id):
                continue  # claimed or finished meanwhile
            jobs.append(delivery)
    queue.enqueue(jobs)
    return [(delivery.message_id, int(delivery.sequence)) for delivery in jobs]
