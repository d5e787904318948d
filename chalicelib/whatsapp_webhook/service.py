"""Meta's WhatsApp webhook, applied. providers.meta_whatsapp checks Meta's subscription token and
signature and reads the payload; each status event goes to messages.status_updates and each
template review to templates, the slices that own what they change."""
from __future__ import annotations

import json

from chalicelib.core import secrets
from chalicelib.core.errors import INVALID_CREDENTIALS, ApiError, bad_parameter
from chalicelib.messages import status_updates
from chalicelib.providers.meta_whatsapp import parse_webhook, subscription_challenge, verify_signature
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
    return {"received": len(events) + len(reviews), "applied": applied + reviewed}
