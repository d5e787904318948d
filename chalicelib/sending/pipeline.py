"""The send pipeline shared by every channel:

  prepared request -> one transaction (quota debit, message, counter) -> provider
  -> rejected: Failed + refund | unavailable: deferred to the dispatch queue, still pending.

DynamoDB calls on the way: the caller's auth and rate limit, then one TransactWriteItems.
Nothing is written after a successful provider call: the provider's events find the message
by Kirim's id in their echo field, so the provider's own id needs no extra write.
"""
from __future__ import annotations

import logging
from typing import Any

from ulid import ULID

from chalicelib.core import clock, metrics
from chalicelib.messages import status_updates
from chalicelib.messages.models import Message, app_channel_key, status_key
from chalicelib.messages.status_rules import RULES
from chalicelib.messages.transitions import local_day
from chalicelib.providers.base import Outbound, ProviderRejected, ProviderUnavailable
from chalicelib.providers.registry import provider_for
from chalicelib.sending import ledger, outbox
from chalicelib.sending.prepared import Prepared, Sender

log = logging.getLogger(__name__)


def send(sender: Sender, prepared: Prepared) -> Message:
    provider = provider_for(sender.channel)
    now = clock.now()
    at = clock.iso(now)
    initial = RULES[sender.channel].initial
    message = Message(str(ULID.from_datetime(now)), application_id=sender.application_id, channel=sender.channel,
                      app_channel=app_channel_key(sender.application_id, sender.channel),
                      app_channel_status=status_key(sender.application_id, sender.channel, initial),
                      target=prepared.target, status=initial, created_at=at, updated_at=at,
                      day=local_day(now, sender.timezone), cost=prepared.cost,
                      provider=provider.name, details=prepared.details,
                      history=[{"status": initial, "at": at, "provider_status": "ACCEPTED"}])
    ledger.record_send(message, prepared.cost)
    metrics.sent(sender.channel)
    deliver(message, prepared.outbound(message.message_id), provider)
    return message


def deliver(message: Message, outbound: Outbound, provider: Any) -> None:
    """The first provider attempt, made while the client waits."""
    try:
        provider.send(outbound)
    except ProviderRejected as rejected:
        status_updates.reject(message, rejected.provider_status, rejected.reason)
    except ProviderUnavailable as unavailable:
        log.warning("provider unavailable; deferring", extra={"message_id": message.message_id,
                                                               "reason": str(unavailable)[:200]})
        outbox.defer(outbound)
