"""The callback worker's two jobs: make one attempt of a delivery, and sweep for due ones.

An attempt claims the delivery first (a conditional update: still pending, still at the attempt
count the job was queued with, and no live lease), so a duplicate job or a second worker does
nothing. It signs the stored body with the application's active secrets, POSTs it (callbacks.http),
and records the attempt, on condition the claim still holds: a success ends the delivery, a
failure schedules the next attempt (callbacks.schedule), and the last failure marks it failed,
puts it on the DLQ and in the failed index (for replay). DynamoDB calls per attempt: the claim,
the application (URL and secrets), the record; none of them on a send's path.

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
from chalicelib.callbacks.schedule import retry_delay
from chalicelib.callbacks.service import SWEEP_GRACE_SECONDS
from chalicelib.core import clock
from chalicelib.core.db import update_if
from chalicelib.core.errors import ApiError

log = logging.getLogger(__name__)

LEASE_SECONDS = 60        # an attempt takes at most http.DEADLINE_SECONDS plus three DynamoDB calls
MAX_KEPT_ATTEMPTS = 50    # the attempts list stops growing there (replays could grow it)
SWEEP_LIMIT = 500         # per partition and sweep; the next sweep takes the rest


def _claim(message_id: str, sequence: int, expected: int) -> Delivery | None:
    now = clock.now()
    delivery = Delivery(message_id, sequence)
    claimed = update_if(delivery, [Delivery.lease_until.set(int(now.timestamp()) + LEASE_SECONDS),
                                   Delivery.due_at.set(clock.iso(now + timedelta(seconds=SWEEP_GRACE_SECONDS)))],
                        (Delivery.state == PENDING) & (Delivery.attempt_count == expected)
                        & (Delivery.lease_until.does_not_exist() | (Delivery.lease_until < int(now.timestamp()))),
                        "this delivery", mark=Delivery.write_id)
    return delivery if claimed else None


def _finish(delivery: Delivery, expected: int, entry: dict[str, Any] | None, state: str,
            next_due: str | None = None) -> bool:
    """Record the attempt; False when the claim was lost meanwhile (nothing recorded)."""
    actions = [Delivery.lease_until.remove()]
    if entry is not None:
        actions.append(Delivery.attempt_count.set(expected + 1))
        if len(delivery.attempts or []) < MAX_KEPT_ATTEMPTS:
            actions.append(Delivery.attempts.set((Delivery.attempts | []).append([entry])))
    if state == PENDING:
        actions.append(Delivery.due_at.set(next_due))
    else:
        actions += [Delivery.state.set(state), Delivery.due_part.remove(), Delivery.due_at.remove()]
    if state == FAILED:
        actions += [Delivery.failed_app.set(delivery.application_id), Delivery.failed_at.set(clock.now_iso())]
    return update_if(delivery, actions, (Delivery.state == PENDING) & (Delivery.attempt_count == expected),
                     "this delivery", mark=Delivery.write_id)


def attempt(message_id: str, sequence: int, expected: int) -> str:
    """One attempt of a delivery; returns what happened (delivered, retry, failed, canceled,
    skipped for a stale or duplicate job)."""
    delivery = _claim(message_id, sequence, expected)
    if delivery is None:
        return "skipped"
    try:
        app = applications.get(delivery.application_id)
    except ApiError:
        app = None
    secrets = callback_secrets.active(app) if app is not None else []
    if app is None or not app.callback_url or not secrets:
        _finish(delivery, expected, None, CANCELED)  # the owner removed the URL since
        return "canceled"
    at = clock.now()
    headers = signing.headers(delivery.id, at, delivery.payload, secrets)
    outcome = http.post(app.callback_url, delivery.payload.encode(), headers)
    entry = {"at": clock.iso(at), "http_status": outcome.http_status, "latency_ms": outcome.latency_ms,
             "error": outcome.error}
    made = expected + 1
    if outcome.ok:
        state, word = DELIVERED, "delivered"
    elif made >= int(delivery.max_attempts):
        state, word = FAILED, "failed"
    else:
        state, word = PENDING, "retry"
    next_due = clock.iso(clock.now() + timedelta(seconds=retry_delay(made))) if state == PENDING else None
    if not _finish(delivery, expected, entry, state, next_due):
        return "skipped"
    if state == FAILED:
        queue.dead_letter(message_id, sequence)
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
            jobs.append(queue.job(delivery.message_id, delivery.sequence, delivery.attempt_count))
    queue.enqueue(jobs)
    return [(job["message_id"], job["sequence"]) for job in jobs]
