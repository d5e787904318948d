"""Meta's WhatsApp webhook over HTTPS (message statuses, template reviews): GET answers Meta's
subscription check; POST is applied only when X-Hub-Signature-256 is a valid HMAC of the raw body
with the app secret; anything else is 401 and changes nothing."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.core.errors import INVALID_CREDENTIALS

whatsapp_webhook_routes = Blueprint(__name__)
PATH = "/webhooks/whatsapp"


@whatsapp_webhook_routes.route(PATH, methods=["GET"])
def verify_subscription() -> Response:
    from chalicelib.whatsapp_webhook import service as webhook

    challenge = webhook.challenge(dict(whatsapp_webhook_routes.current_request.query_params or {}))
    if challenge is not None:
        return Response(body=challenge, status_code=200, headers={"Content-Type": "text/plain"})
    return Response(body={"errors": [{"message": "Verification failed", "code": INVALID_CREDENTIALS,
                                      "reason": "invalid_credentials"}]}, status_code=403)


@whatsapp_webhook_routes.route(PATH, methods=["POST"])
def receive() -> dict:
    from chalicelib.whatsapp_webhook import service as webhook

    request = whatsapp_webhook_routes.current_request
    return webhook.receive(request.raw_body or b"", request.headers.get("x-hub-signature-256"))
