"""Provider callbacks over HTTPS: Meta's WhatsApp webhook (message statuses, template reviews).

GET answers Meta's subscription check; POST is applied only when X-Hub-Signature-256 is a
valid HMAC of the raw body with the app secret; anything else is 401 and changes nothing.
"""
from __future__ import annotations

import hmac
import json

from chalice import Blueprint, Response

from chalicelib.core.errors import INVALID_CREDENTIALS, ApiError, bad_parameter

meta_webhook_routes = Blueprint(__name__)
PATH = "/webhooks/whatsapp"


@meta_webhook_routes.route(PATH, methods=["GET"])
def verify_subscription() -> Response:
    from chalicelib.core import secrets

    query = meta_webhook_routes.current_request.query_params or {}
    expected = secrets.provider_setting("META_VERIFY_TOKEN") or ""
    given = query.get("hub.verify_token", "")
    if query.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(given.encode(), expected.encode()):
        return Response(body=query.get("hub.challenge", ""), status_code=200, headers={"Content-Type": "text/plain"})
    return Response(body={"errors": [{"message": "Verification failed", "code": INVALID_CREDENTIALS}]},
                    status_code=403)


@meta_webhook_routes.route(PATH, methods=["POST"])
def receive() -> dict:
    from chalicelib.core import secrets
    from chalicelib.messages import status_updates
    from chalicelib.providers.meta_whatsapp import parse_webhook, verify_signature
    from chalicelib.templates import service as templates

    request = meta_webhook_routes.current_request
    raw = request.raw_body or b""
    secret = (secrets.provider_setting("META_APP_SECRET") or "").encode()
    if not secret or not verify_signature(secret, raw, request.headers.get("x-hub-signature-256")):
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
