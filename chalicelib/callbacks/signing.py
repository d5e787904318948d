"""Standard Webhooks headers for one attempt, signed by the `standardwebhooks` library.

`webhook-id` is the delivery's id (the same on every retry, so receivers can drop repeats);
`webhook-timestamp` is the attempt's time (receivers refuse old ones, so a captured request
cannot be replayed later); `webhook-signature` holds one `v1,<base64>` per active secret,
separated by spaces, so during a rotation's overlap either secret verifies.
"""
from __future__ import annotations

from datetime import datetime

from standardwebhooks import Webhook

USER_AGENT = "Kirim-Webhooks/1.0"


def headers(delivery_id: str, timestamp: datetime, body: str, secrets: list[str]) -> dict[str, str]:
    if not secrets:
        raise ValueError("no signing secret")
    signatures = " ".join(Webhook(secret).sign(delivery_id, timestamp, body) for secret in secrets)
    return {"webhook-id": delivery_id, "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signatures, "content-type": "application/json", "user-agent": USER_AGENT}
