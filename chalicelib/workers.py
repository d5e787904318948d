"""Non-HTTP handlers: provider status events (SNS), deferred sends (SQS dispatch queue) and
the simulator's clock (SQS simulator queue). Each SQS batch reports partial failures, so
only the failed records are retried."""
from __future__ import annotations

import json
import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Blueprint

from chalicelib import clock, outbox, status_updates
from chalicelib.providers.base import StatusEvent
from chalicelib.providers.events import parse_sns_record_message
from chalicelib.settings import get_settings

workers = Blueprint(__name__)
log = logging.getLogger(__name__)
_settings = get_settings()
_processor = BatchProcessor(event_type=EventType.SQS)


@workers.on_sns_message(topic=f"kirim-{_settings.stage}-provider-events", name="provider_events")
def provider_events(event: Any) -> None:
    try:
        message = json.loads(event.message)
    except ValueError:
        log.error("provider event is not JSON; dropped")
        return
    status_event = parse_sns_record_message(message) if isinstance(message, dict) else None
    if status_event is not None:
        status_updates.apply(status_event)


def _dispatch_record(record: SQSRecord) -> None:
    body = json.loads(record.body)
    attempt = int(record.attributes.approximate_receive_count or 1)
    outbox.retry(body["message_id"], attempt)


@workers.on_sqs_message(queue=_settings.dispatch_queue_name, batch_size=10, name="dispatch_worker")
def dispatch_worker(event: Any) -> dict:
    return process_partial_response(event=event.to_dict(), record_handler=_dispatch_record,
                                    processor=_processor, context=event.context)


def _simulator_record(record: SQSRecord) -> None:
    body = json.loads(record.body)
    status_updates.apply(StatusEvent(message_id=body["message_id"], provider_status=body["provider_status"],
                                     at=clock.now_iso()))


@workers.on_sqs_message(queue=_settings.simulator_queue_name, batch_size=10, name="simulator_clock")
def simulator_clock(event: Any) -> dict:
    return process_partial_response(event=event.to_dict(), record_handler=_simulator_record,
                                    processor=_processor, context=event.context)
