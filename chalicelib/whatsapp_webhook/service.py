"""Meta's WhatsApp webhook, applied. providers.meta_whatsapp checks Meta's subscription token and
signature and reads the payload; each status event goes to messages.status_updates, each template
review to templates, and each customer reply that asks to stop to the broadcasts slice's suppression
list, in the application of the message it answers (found by the wamid Meta names in `context.id`).

A STOP typed without answering a message (no `context`) is ignored: Kirim sends every application's
WhatsApp messages from one business number, and no index finds a number's newest message across
applications (`by_recipient` is per application), so such a STOP names no application. Every other
inbound message is ignored too; Meta gets its 200 all the same."""
from __future__ import annotations

import json

from chalicelib.broadcasts import suppression_events
from chalicelib.core import secrets
from chalicelib.core.channels import WHATSAPP
from chalicelib.core.errors import INVALID_CREDENTIALS, ApiError, bad_parameter
from chalicelib.messages import queries, status_updates
from chalicelib.providers.meta_whatsapp import (
    Reply, parse_replies, parse_webhook, subscription_challenge, verify_signature,
)
from chalicelib.templates import service as templates


def challenge(query: dict[str, str]) -> str | None:
    """The challenge to echo to Meta's subscription check, or None when its verify token is wrong."""
    return subscription_challenge(query, secrets.provider_setting("META_VERIFY_TOKEN") or "")


def receive(raw: bytes, signature: str | None) -> dict[str, int]:
    """Applies a webhook whose X-Hub-Signature-256 is a valid HMAC of the raw body with the app
    secret (else 401, and nothing changes): {received, applied}."""
    secret = (secrets.provider_setting("META_APP_SECRET") or "").encode()
    if not secret or not verify_signature(secret, raw, signature):
        raise ApiError(INVALID_CREDENTIALS, "Invalid X-Hub-Signature-256")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise bad_parameter("body", "The body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise bad_parameter("body", "The body must be a JSON object")
    events, reviews = parse_webhook(payload)
    applied = sum(status_updates.apply(event) is not None for event in events)
    reviewed = sum(templates.apply_provider_review(review.get("message_template_id"), review.get("event"),
                                                   review.get("reason"), review.get("time")) is not None
                   for review in reviews)
    replies = parse_replies(payload)
    stopped = sum(_stop(reply) for reply in replies)
    return {"received": len(events) + len(reviews) + len(replies), "applied": applied + reviewed + stopped}


def _stop(reply: Reply) -> bool:
    """A STOP answering a WhatsApp message Kirim sent suppresses that message's number in that
    message's application (once: the same webhook again finds it listed). True when it was one."""
    if reply.context_id is None or not suppression_events.is_stop(reply.words):
        return False
    message = queries.by_wamid(reply.context_id)
    if message is None or message.channel != WHATSAPP:
        return False
    suppression_events.opt_out(message.application_id, message.target)
    return True
