"""The send pipeline shared by every channel:

  prepared request -> debit the quota -> write the message (+ its Idempotency-Key record)
  -> provider: taken (its events settle it) | refused: Failed + refund | no answer: queued.

DynamoDB calls on the way: the caller's auth and rate limit, then one UpdateItem (the debit)
and one PutItem, or one TransactWriteItems with an Idempotency-Key. Nothing is written after
a successful provider call: the provider's events find the message by Kirim's id in their echo
field, and the first of them settles the dispatch (sending.dispatch).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

from ulid import ULID

from chalicelib.core import clock, metrics
from chalicelib.messages.models import Message, index_keys
from chalicelib.messages.status_rules import RULES
from chalicelib.messages.transitions import local_day
from chalicelib.providers.registry import provider_for
from chalicelib.sending import dispatch, ledger
from chalicelib.sending.idempotency import Claim
from chalicelib.sending.prepared import Prepared, Sender


class Sent(NamedTuple):
    message_id: str
    body: dict[str, Any]
    replayed: bool = False   # the answer of an earlier send with the same Idempotency-Key


def send(sender: Sender, prepared: Prepared, respond: Callable[[str], dict[str, Any]] | None = None,
         claim: Claim | None = None) -> Sent:
    provider = provider_for(sender.channel)
    now = clock.now()
    at = clock.iso(now)
    initial = RULES[sender.channel].initial
    message_id = str(ULID.from_datetime(now))
    message = Message(message_id, application_id=sender.application_id, channel=sender.channel,
                      **index_keys(sender.application_id, sender.channel, initial, message_id, prepared.target,
                                   (prepared.details or {}).get("broadcast_id")),
                      target=prepared.target, status=initial, created_at=at, updated_at=at,
                      day=local_day(now, sender.timezone), cost=prepared.cost,
                      provider=provider.name, details=prepared.details,
                      history=[{"status": initial, "at": at, "provider_status": "ACCEPTED"}])
    dispatch.begin(message, now)
    body = respond(message.message_id) if respond else {"message_id": message.message_id}
    replay = ledger.record_send(message, prepared.cost, claim, body)
    if replay is not None:
        return Sent(replay.message_id, replay.body, replayed=True)
    metrics.sent(sender.channel)
    dispatch.first_attempt(message, prepared.outbound(message.message_id), provider)
    return Sent(message.message_id, body)
