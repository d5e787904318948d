"""Applying provider status events to messages: idempotent, forward only, counters kept.

Events arrive at least once and out of order (SNS, the Meta webhook, the simulator). Each is
matched to its message by Kirim's id from the provider's echo field, mapped to the channel's
word, and applied only if status_rules allows the move. An event that moves nothing is kept
in the history; an exact duplicate (same provider status and time) is dropped.
"""
from __future__ import annotations

import logging

from chalicelib.core import clock, metrics
from chalicelib.messages import transitions
from chalicelib.messages.models import Message
from chalicelib.messages.status_rules import RULES
from chalicelib.providers.base import StatusEvent
from chalicelib.providers.events import word_for

log = logging.getLogger(__name__)
_ATTEMPTS = 5


def apply(event: StatusEvent) -> str | None:
    """Returns the message's status afterwards, or None when the message is unknown."""
    for _ in range(_ATTEMPTS):
        try:
            message = Message.get(event.message_id, consistent_read=True)
        except Message.DoesNotExist:
            log.warning("status event for an unknown message", extra={"message_id": event.message_id})
            return None
        history = message.history_entries()
        if any(h.get("provider_status") == event.provider_status and h.get("at") == event.at for h in history):
            return message.status
        rules = RULES[message.channel]
        word = word_for(message.channel, event.provider_status, [h.get("provider_status") for h in history])
        entry = {"at": event.at, "provider_status": event.provider_status}
        if event.details:
            entry["details"] = {k: str(v)[:500] for k, v in event.details.items() if v is not None}
        if word is not None and rules.allows(message.status, word):
            entry["status"] = word
            if transitions.move(message, word, entry, refund=word in rules.refunded,
                                   provider_message_id=event.provider_message_id):
                metrics.status_event(message.channel, word)
                return word
        else:
            entry["status"] = message.status
            if transitions.note(message, entry, provider_message_id=event.provider_message_id):
                return message.status
        # The message moved between our read and write: read it again.
    raise RuntimeError(f"could not apply {event.provider_status} to {event.message_id}")


def reject(message: Message, provider_status: str, reason: str, *, holding: str | None = None) -> str:
    """The provider (or the dispatcher) gave the message up: Failed, and the quota comes back.
    Only through the status rules: a message that moved on meanwhile (say Delivered, its event
    having come first) keeps its status, the refusal is kept in its history, and nothing is
    refunded. With `holding`, only while the message's dispatch is still in that state with the
    attempt read (a dispatcher acting on its own claim); otherwise nothing changes. Returns the
    message's status afterwards."""
    held = (holding, message.attempts)
    for _ in range(_ATTEMPTS):
        entry = {"status": "Failed", "at": clock.now_iso(), "provider_status": provider_status,
                 "details": {"reason": reason[:500]}}
        if RULES[message.channel].allows(message.status, "Failed"):
            if transitions.move(message, "Failed", entry, refund=True, expect_dispatch=holding):
                message.status = "Failed"
                return "Failed"
        elif holding is None and transitions.note(message, {**entry, "status": message.status}):
            return message.status
        message = Message.get(message.message_id, consistent_read=True)
        if holding is not None and (message.dispatch, message.attempts) != held:
            return message.status
    raise RuntimeError(f"could not reject {message.message_id}")
