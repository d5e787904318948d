"""Non-HTTP handlers: provider status events (SNS), deferred sends (SQS dispatch queue), the
simulator's clock (SQS simulator queue), report jobs (SQS report queue), every change of a
message (the messages table's stream: counters, the quota ledger, status callbacks' deliveries),
status callbacks' attempts (SQS callback queue), broadcast jobs (SQS broadcast queue), and five
schedules: the dispatch sweeper, the quota reconciler, the callback sweeper, the report sweeper and
the broadcast pacer. Each SQS batch and stream batch
reports partial failures, so only the failed records are retried."""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any, Callable

from chalice import Blueprint, Rate

from chalicelib.core.config import get_settings

# The handlers' own imports are made on their first event: an API cold start never needs them.
workers = Blueprint(__name__)
log = logging.getLogger(__name__)
_settings = get_settings()


@lru_cache(maxsize=1)
def _processor() -> Any:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    # Report failures even when every record failed (no exception): with ReportBatchItemFailures
    # the answer alone tells SQS which messages to keep.
    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _partial_batch(event: Any, record_handler: Any) -> dict:
    """Powertools' BatchProcessor: failed records are reported, the rest are done."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(event=event.to_dict(), record_handler=record_handler,
                                    processor=_processor(), context=event.context)


@workers.on_sns_message(topic=f"kirim-{_settings.stage}-provider-events", name="provider_events")
def provider_events(event: Any) -> None:
    from chalicelib.messages import status_updates
    from chalicelib.providers.events import parse_sns_record_message

    try:
        message = json.loads(event.message)
    except ValueError:
        log.error("provider event is not JSON; dropped")
        return
    status_event = parse_sns_record_message(message) if isinstance(message, dict) else None
    if status_event is not None:
        status_updates.apply(status_event)


def _dispatch_record(record: Any) -> None:
    from chalicelib.core import jobs

    body = json.loads(record.body)
    if body.get("job") == jobs.RECOUNT:
        from chalicelib.messages import recount
        recount.run_job(body)
        return
    from chalicelib.sending import dispatch

    outcome = dispatch.run_job(body["message_id"])
    log.info("dispatch job", extra={"message_id": body["message_id"], "outcome": outcome})


def _sqs_worker(queue: str, name: str, batch_size: int, *, instances: int) -> Any:
    """An SQS event source run by at most `instances` Lambdas at once (SQS maximum concurrency),
    so a burst from one tenant cannot take the account's whole concurrency."""
    return workers.on_sqs_message(queue=queue, batch_size=batch_size, name=name, maximum_concurrency=instances)


@_sqs_worker(_settings.dispatch_queue_name, "dispatch_worker", 10, instances=10)
def dispatch_worker(event: Any) -> dict:
    return _partial_batch(event, _dispatch_record)


@lru_cache(maxsize=1)
def _status_hooks() -> None:
    """What hangs on "a message's status changed" (messages.changes), registered once per
    process on the first stream batch: status callbacks, and Verify canceling a verification
    whose code's message failed, and the suppression list taking a hard bounce or a WhatsApp opt-out
(broadcasts.suppression_events). Each hook runs at least once per change, in order per message;
    callbacks make each delivery once (message id + sequence), Verify cancels only a pending one."""
    from chalicelib.callbacks import service as callbacks
    from chalicelib.messages import changes
    from chalicelib.verify import service as verifications

    def status_callbacks(statuses: list[changes.StatusChange]) -> None:
        # Callbacks compare only the old status with the new image's.
        callbacks.on_status_changes([(None if s.old_status is None else {"status": s.old_status}, s.message)
                                     for s in statuses])

    changes.on_status_change(status_callbacks)
    changes.on_status_change(verifications.cancel_failed_sends)
    from chalicelib.broadcasts import progress, suppression_events

    changes.add_to_commit(progress.updates)
    changes.on_status_change(suppression_events.on_status_changes)


@workers.on_dynamodb_record(stream_arn=_settings.messages_stream_arn, batch_size=100,
                            starting_position="TRIM_HORIZON", name="message_stream")
def message_stream(event: Any) -> dict:
    """Counters, the quota ledger and status-change hooks (status callbacks), from every change
    of a message."""
    from chalicelib.messages import changes

    _status_hooks()
    return changes.apply(event.to_dict()["Records"])


@workers.schedule(Rate(1, unit=Rate.MINUTES), name="dispatch_sweeper")
def dispatch_sweeper(event: Any) -> dict:
    """Messages whose dispatch did not settle in time: sent again, or failed and refunded."""
    from collections import Counter

    from chalicelib.sending import dispatch

    outcomes = dict(Counter(dispatch.sweep().values()))
    log.info("dispatch sweep", extra={"outcomes": outcomes})
    return outcomes


@workers.schedule(Rate(1, unit=Rate.MINUTES), name="quota_reconciler")
def quota_reconciler(event: Any) -> dict:
    """Units debited by sends that never wrote their message, and refunds, back into balances."""
    from chalicelib.applications import quota

    seen: set[tuple[str, str]] = set()
    summary = quota.reconcile_due(seen=seen)
    log.info("quota reconciled", extra=summary)
    if seen:
        from chalicelib.applications import quota_alerts
        from chalicelib.callbacks import service as callbacks

        for crossing in quota_alerts.crossings(seen):
            # The event first (made once per crossing, by its number), then the count.
            callbacks.on_quota_low(crossing.application_id, crossing.channel, crossing.number,
                                   crossing.quota_remaining, crossing.alert_at)
            quota_alerts.mark(crossing.application_id, crossing.channel, crossing.number)
    return summary


def _simulator_record(record: Any) -> None:
    from chalicelib.core import clock
    from chalicelib.messages import status_updates
    from chalicelib.providers.base import StatusEvent
    from chalicelib.templates import service as templates

    body = json.loads(record.body)
    if "inbox" in body:
        from chalicelib.simulator_inbox import service as inbox
        inbox.record(body["inbox"])
        return
    if "template_review" in body:
        review = body["template_review"]
        templates.apply_review(review["application_id"], review["template_id"], review["event"], review["reason"],
                               review.get("at"))
        return
    status_updates.apply(StatusEvent(message_id=body["message_id"], provider_status=body["provider_status"],
                                     at=clock.now_iso()))


@_sqs_worker(_settings.simulator_queue_name, "simulator_clock", 10, instances=5)
def simulator_clock(event: Any) -> dict:
    return _partial_batch(event, _simulator_record)


def _report_record(record: Any, lambda_context: Any = None) -> None:
    from chalicelib.reports import worker as report_jobs

    body = json.loads(record.body)
    attempt = int(record.attributes.approximate_receive_count or 1)
    remaining = lambda_context.get_remaining_time_in_millis() if lambda_context is not None else None
    outcome = report_jobs.run(body["application_id"], body["report_id"], attempt, remaining)
    log.info("report job", extra={"report_id": body["report_id"], "outcome": outcome, "attempt": attempt})


# One report slice per invocation: each has the whole Lambda timeout and its own visibility timeout.
@_sqs_worker(_settings.report_queue_name, "report_worker", 1, instances=2)
def report_worker(event: Any) -> dict:
    return _partial_batch(event, _report_record)


def _callback_record(record: dict) -> None:
    from chalicelib.callbacks import delivery
    from chalicelib.callbacks import service as callbacks

    body = json.loads(record["body"])
    if body.get("dead"):
        callbacks.replay_dead(body["message_id"], int(body["sequence"]))
        return
    delivery.attempt(body["message_id"], int(body["sequence"]), int(body["attempt"]))


def _handled(record_handler: Callable[[dict], None], record: dict) -> bool:
    try:
        record_handler(record)
    except Exception:  # noqa: BLE001 - reported as this record's failure
        log.exception("record failed; SQS will hand it over again", extra={"message_id": record.get("messageId")})
        return False
    return True


def _concurrent_batch(event: Any, record_handler: Callable[[dict], None]) -> dict:
    """Every record of the batch at once, each in its own thread (with a copy of the
    invocation's context), so no record waits behind a slow one: a batch takes as long as its
    slowest record. On a FIFO queue a failed record fails the rest of its message group in the
    batch too, so that none of them is deleted before it (Lambda's rule for FIFO batches)."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    records = event.to_dict()["Records"]
    if not records:
        return {"batchItemFailures": []}
    with ThreadPoolExecutor(max_workers=len(records)) as pool:
        done = [pool.submit(contextvars.copy_context().run, _handled, record_handler, record) for record in records]
    failures, failed_groups = [], set()
    for record, future in zip(records, done):
        group = (record.get("attributes") or {}).get("MessageGroupId")
        if not future.result() or (group is not None and group in failed_groups):
            failures.append({"itemIdentifier": record["messageId"]})
            if group is not None:
                failed_groups.add(group)
    return {"batchItemFailures": failures}


# One message group per application (callbacks.queue), so one application's slow receiver holds
# at most one of these workers; the attempts of a batch run at once, each within its deadline
# (http.DEADLINE_SECONDS), so a batch fits the 60 s Lambda timeout many times over.
@_sqs_worker(_settings.callback_queue_name, "callbacks_worker", 10, instances=5)
def callbacks_worker(event: Any) -> dict:
    return _concurrent_batch(event, _callback_record)


@workers.schedule(Rate(1, unit=Rate.MINUTES), name="callback_sweeper")
def callback_sweeper(event: Any) -> dict:
    """Deliveries whose next attempt is due (retries, and any queued attempt that was lost)."""
    from chalicelib.callbacks import delivery

    queued = len(delivery.sweep())
    log.info("callback sweep", extra={"queued": queued})
    return {"queued": queued}


def _broadcast_record(record: Any) -> None:
    from chalicelib.broadcasts import run

    body = json.loads(record.body)
    outcome = run.handle(body)
    log.info("broadcast job", extra={"job": body.get("job"), "broadcast_id": body.get("broadcast_id"),
                                     "chunk": body.get("chunk"), "outcome": outcome})


# One chunk (<= 500 sends, 20 at once) or one validation per invocation; at most 16 at once per account
# (~1,400 sends a second with Meta's ~200 ms), so a broadcast never takes the concurrency the API's own
# sends need.
@_sqs_worker(_settings.broadcast_queue_name, "broadcast_worker", 1, instances=16)
def broadcast_worker(event: Any) -> dict:
    return _partial_batch(event, _broadcast_record)


@workers.schedule(Rate(1, unit=Rate.MINUTES), name="broadcast_pacer")
def broadcast_pacer(event: Any) -> dict:
    """Starts due scheduled broadcasts and queues each running one's next minute of chunks."""
    from chalicelib.broadcasts import pacer

    return pacer.tick()


@workers.schedule(Rate(5, unit=Rate.MINUTES), name="report_sweeper")
def report_sweeper(event: Any) -> dict:
    """Reports whose job was not heard from in time (never queued, a lost next slice, a dead
    slice) are queued again."""
    from chalicelib.reports import sweeper

    return sweeper.sweep()
