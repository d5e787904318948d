"""Deliveries: created from status changes (off the request path), shown with a message, and
replayed by their owner.

`on_status_changes` is the one entry point for "a message's status changed": the messages
stream's consumer (messages.changes) calls it through the status-change hook that workers.py
registers, with (old image or None, new image) pairs as plain Python values (of the old image
only its status is used). It may be given the same change more than once (the hook runs at least
once per change, in order per message) and creates each delivery at most once (its key is the
message id and the status sequence number) before queueing it. Queueing never fails it: a
delivery is saved pending and due at the end of the sweep's grace, so what SQS refuses the
sweeper queues then, and the stream's accounting never waits for SQS.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any, Iterable

from pynamodb.exceptions import PutError

from chalicelib.applications import service as applications
from chalicelib.callbacks import events, queue
from chalicelib.callbacks.models import (
    CANCELED,
    DELIVERED,
    FAILED,
    PENDING,
    Delivery,
    due_partition,
    key_of,
)
from chalicelib.callbacks.schedule import MAX_ATTEMPTS
from chalicelib.core import clock
from chalicelib.core.db import update_if
from chalicelib.core.errors import CONFLICT, ApiError, not_found

log = logging.getLogger(__name__)

# A queued attempt that never ran (a lost SQS message, a worker killed mid-attempt) is found by
# the sweeper once it is this late.
SWEEP_GRACE_SECONDS = 300
KEEP_DAYS = 30
REPLAY_LIMIT = 500
DELIVERY_NOT_FOUND = "Delivery not found"
_REQUIRED = ("message_id", "application_id", "channel", "status")


def _later(seconds: float) -> str:
    return clock.iso(clock.now() + timedelta(seconds=seconds))


def on_status_change(old_image: dict[str, Any] | None, new_image: dict[str, Any] | None) -> int:
    return on_status_changes([(old_image, new_image)])


def on_status_changes(changes: Iterable[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> int:
    """Create and queue a delivery for each status change of an application with a callback
    URL. Returns how many were created (repeats of a change create nothing)."""
    found = [events.status_event(new) for old, new in changes
             if events.changed(old, new) and all(new.get(k) for k in _REQUIRED)]
    if not found:
        return 0
    apps = applications.get_many({event["data"]["application_id"] for event in found})
    created = [delivery for delivery in (_create(event) for event in found
                                         if getattr(apps.get(event["data"]["application_id"]), "callback_url", None))
               if delivery is not None]
    queue.enqueue(created)
    return len(created)


def on_quota_low(application_id: str, channel: str, crossing: int, quota_remaining: int, alert_at: int) -> bool:
    """A channel's quota fell to its alert threshold: one `quota.low` delivery per crossing (keyed by
    the crossing's number, so a repeat creates nothing). False when none was made (no callback URL,
    or made before)."""
    try:
        app = applications.get(application_id)
    except ApiError:
        return False
    if not app.callback_url:
        return False
    event = events.quota_low_event(application_id, channel, clock.now_iso(), quota_remaining, alert_at)
    delivery = _create(event, events.quota_low_key(application_id, channel), crossing)
    if delivery is None:
        return False
    queue.enqueue([delivery])
    return True


def _create(event: dict[str, Any], key: str | None = None, sequence: int | None = None) -> Delivery | None:
    data = event["data"]
    now = clock.now()
    key = key or data["message_id"]
    delivery = Delivery(key, sequence or data["sequence"], application_id=data["application_id"],
                        created_at=clock.iso(now), payload=json.dumps(event, separators=(",", ":")),
                        state=PENDING, attempt_count=0, max_attempts=MAX_ATTEMPTS,
                        due_part=due_partition(key), due_at=_later(SWEEP_GRACE_SECONDS),
                        expires_ttl=int(now.timestamp()) + KEEP_DAYS * 86400)
    try:
        delivery.save(condition=Delivery.message_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None  # this change was seen before: its delivery exists
        raise
    return delivery


def render(delivery: Delivery) -> dict[str, Any]:
    event = json.loads(delivery.payload)
    return {"delivery_id": delivery.id, "sequence": int(delivery.sequence), "status": event["data"]["status"],
            "state": delivery.state, "attempt_count": int(delivery.attempt_count),
            "next_attempt_at": delivery.due_at if delivery.state == PENDING else None,
            "created_at": delivery.created_at,
            "attempts": [{"at": a.get("at"), "http_status": a.get("http_status"),
                          "latency_ms": a.get("latency_ms"), "error": a.get("error")}
                         for a in delivery.attempt_entries()]}


def deliveries_of(application_id: str, message_id: str) -> list[dict[str, Any]]:
    """A message's deliveries in sequence order (one Query)."""
    return [render(d) for d in Delivery.query(message_id) if d.application_id == application_id]


def _replay(application_id: str, message_id: str, sequence: int) -> Delivery:
    """Give a finished delivery one more attempt, now."""
    delivery = Delivery(message_id, sequence)
    if not update_if(delivery, [Delivery.state.set(PENDING), Delivery.max_attempts.set(Delivery.attempt_count + 1),
                                Delivery.failed_app.remove(), Delivery.failed_at.remove(),
                                Delivery.due_part.set(due_partition(message_id)),
                                Delivery.due_at.set(_later(SWEEP_GRACE_SECONDS))],
                     (Delivery.application_id == application_id) & Delivery.state.is_in(FAILED, DELIVERED, CANCELED),
                     "this delivery", mark=Delivery.write_id):
        try:
            current = Delivery.get(message_id, sequence, consistent_read=True)
        except Delivery.DoesNotExist:
            raise not_found(DELIVERY_NOT_FOUND) from None
        if current.application_id != application_id:
            raise not_found(DELIVERY_NOT_FOUND) from None
        raise ApiError(CONFLICT, "This delivery is already waiting for its next attempt")
    return delivery


def replay(application_id: str, delivery_id: str) -> dict[str, Any]:
    key = key_of(delivery_id)
    if key is None:
        raise not_found(DELIVERY_NOT_FOUND)
    delivery = _replay(application_id, *key)
    queue.enqueue([delivery])
    return render(delivery)


def replay_dead(message_id: str, sequence: int) -> bool:
    """A job redriven from the DLQ by the operator: one more attempt, if it is still failed."""
    try:
        current = Delivery.get(message_id, sequence, consistent_read=True)
    except Delivery.DoesNotExist:
        return False
    if current.state != FAILED:
        return False
    try:
        delivery = _replay(current.application_id, message_id, sequence)
    except ApiError:
        return False
    queue.enqueue([delivery])
    return True


def replay_failed(application_id: str, start: datetime, end: datetime) -> dict[str, Any]:
    """Every delivery of the application that failed in [start, end), up to REPLAY_LIMIT a call
    (`more` says to call again)."""
    keys = list(Delivery.by_failed.query(application_id, Delivery.failed_at.between(clock.iso(start), clock.iso(end)),
                                         limit=REPLAY_LIMIT + 1))
    jobs = []
    for key in keys[:REPLAY_LIMIT]:
        try:
            delivery = _replay(application_id, key.message_id, int(key.sequence))
        except ApiError:
            continue  # replayed meanwhile
        jobs.append(delivery)
    queue.enqueue(jobs)
    return {"replayed": len(jobs), "more": len(keys) > REPLAY_LIMIT}


def failed(application_id: str, start: datetime, end: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Failed deliveries in [start, end), newest first."""
    keys = Delivery.by_failed.query(application_id, Delivery.failed_at.between(clock.iso(start), clock.iso(end)),
                                    scan_index_forward=False, limit=limit)
    found = Delivery.batch_get([(k.message_id, int(k.sequence)) for k in keys])
    # A quota.low event has no message status to show: replayed with the rest, not listed.
    return [render(d) for d in sorted(found, key=lambda d: d.failed_at or "", reverse=True)
            if json.loads(d.payload).get("type") == events.EVENT_TYPE]
