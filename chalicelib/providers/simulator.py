"""The simulator: a provider that moves each message through its channel's real lifecycle,
on a clock, in the real providers' own status vocabulary (End User Messaging, SES, Meta),
so its events take the same mapping path as real ones.

Each step is a delayed message on the simulator queue; the worker applies it when SQS makes
it visible. Magic targets choose the outcome, like Twilio's test numbers (docs/channel-api.md lists them):
phone channels by the number's last four digits, email by the address's local part.

Like a provider that can be asked about a message, it keeps a record of each message it took
(an empty object under simulator/accepted/ in the bucket, written before anything else), and
`lookup` answers from it: what sending.dispatch asks before it sends again after an unknown
outcome. A "timeout" target's first attempt is such an outcome: it raises ProviderUnsure
having taken nothing, so a lookup says no and the message is sent again.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from typing import Any

from chalicelib.core import aws, clock
from chalicelib.core.channels import EMAIL, IVR, SMS, SMS_OTP, WHATSAPP
from chalicelib.core.config import get_settings
from chalicelib.providers.base import (
    ABSENT,
    FAILED,
    PENDING,
    VERIFIED,
    IdentityState,
    Outbound,
    ProviderRejected,
    ProviderUnavailable,
    ProviderUnsure,
)

REJECT, TIMEOUT = "reject", "timeout"

# (delay seconds after the send, provider status) steps per outcome.
_TEXT = {
    "0000": REJECT,
    "0001": [(1, "TEXT_SENT"), (3, "TEXT_UNKNOWN")],
    "0002": [(1, "TEXT_PENDING")],
    "0003": [(1, "TEXT_SENT")],
    "0004": [(1, "TEXT_BLOCKED")],
    "0005": TIMEOUT,
    "0006": [(1, "TEXT_DELIVERED"), (2, "TEXT_SENT")],  # out of order: Delivered stays
    None: [(1, "TEXT_SENT"), (3, "TEXT_DELIVERED")],
}
_VOICE = {
    "0000": REJECT,
    "0001": [(1, "VOICE_INITIATED"), (2, "VOICE_RINGING"), (8, "VOICE_NO_ANSWER")],
    "0002": [(1, "VOICE_INITIATED"), (2, "VOICE_BUSY")],
    "0003": [(1, "VOICE_INITIATED"), (2, "VOICE_FAILED")],
    "0004": [(1, "VOICE_INITIATED"), (2, "VOICE_RINGING")],
    "0005": TIMEOUT,
    None: [(1, "VOICE_INITIATED"), (2, "VOICE_RINGING"), (4, "VOICE_ANSWERED"), (12, "VOICE_COMPLETED")],
}
_WHATSAPP = {
    "0000": REJECT,
    "0001": [(1, "failed:131026")],
    "0002": [(1, "sent"), (2, "failed:131000")],
    "0003": [(1, "sent")],
    "0004": [(1, "sent"), (2, "delivered")],
    "0005": TIMEOUT,
    "0006": [(1, "sent"), (2, "read"), (3, "delivered")],  # out of order: Read stays
    None: [(1, "sent"), (2, "delivered"), (5, "read")],
}
_EMAIL = {
    "reject": REJECT,
    "timeout": TIMEOUT,
    "bounce": [(1, "Send"), (2, "Bounce:Permanent")],
    "complaint": [(1, "Send"), (2, "Complaint")],
    "renderfail": [(1, "Rendering Failure")],
    "delay": [(1, "Send"), (3, "DeliveryDelay:MailboxFull")],
    "open": [(1, "Send"), (2, "Delivery"), (4, "Open")],
    "click": [(1, "Send"), (2, "Delivery"), (4, "Open"), (6, "Click")],
    None: [(1, "Send"), (2, "Delivery")],
}
PLANS = {SMS: _TEXT, SMS_OTP: _TEXT, IVR: _VOICE, WHATSAPP: _WHATSAPP, EMAIL: _EMAIL}


def plan_for(channel: str, target: str) -> Any:
    plans = PLANS[channel]
    key = target.split("@", 1)[0].lower() if channel == EMAIL else target[-4:]
    return plans.get(key, plans[None])


def _scaled(seconds: float) -> int:
    """SIMULATOR_TIME_SCALE=0 makes every step visible at once (tests); 1 is real time."""
    return min(int(seconds * float(os.environ.get("SIMULATOR_TIME_SCALE", "1"))), 900)


INBOX_TEXT_LIMIT = 100_000  # an SQS message holds 256 KB


def inbox_entry(message: Outbound) -> dict[str, Any]:
    """What the recipient got, as the test inbox shows it."""
    body = {"text": message.text, "sender_id": message.sender_id, "subject": message.subject,
            "sender_email": message.sender_email, "sender_name": message.sender_name,
            "html": (message.html or "")[:INBOX_TEXT_LIMIT] or None, "ssml": message.ssml,
            "from_number": message.from_number, "template": message.template,
            "attachment": message.attachment.filename if message.attachment else None,
            "headers": message.headers or None}
    return {"message_id": message.message_id, "channel": message.channel, "to": message.target,
            "body": {k: v for k, v in body.items() if v is not None}}


class SimulatorProvider:
    name = "simulator"

    def __init__(self) -> None:
        # A "timeout" target fails its first attempt in each process, then succeeds, so the
        # dispatch retry path is exercised end to end.
        self._timed_out: set[str] = set()
        self._lock = threading.Lock()

    def send(self, message: Outbound) -> str:
        plan = plan_for(message.channel, message.target)
        if plan == REJECT:
            raise ProviderRejected("Simulated rejection (magic target)", provider_status="SIMULATED_REJECT")
        if plan == TIMEOUT:
            with self._lock:
                first = message.message_id not in self._timed_out
                self._timed_out.add(message.message_id)
            if first:
                raise ProviderUnsure("Simulated provider timeout (magic target)")
            plan = PLANS[message.channel][None]
        aws.client("s3").put_object(Bucket=get_settings().report_bucket, Key=_accepted(message.message_id), Body=b"")
        entries = [{"Id": str(i), "DelaySeconds": _scaled(delay),
                    "MessageBody": json.dumps({"message_id": message.message_id, "provider_status": status})}
                   for i, (delay, status) in enumerate(plan)]
        if get_settings().stage == "local":
            # The test inbox (simulator_inbox): what was "delivered", in full, in the local stage only.
            entries.append({"Id": "inbox", "MessageBody": json.dumps({"inbox": inbox_entry(message)})})
        aws.client("sqs").send_message_batch(QueueUrl=aws.queue_url(get_settings().simulator_queue_name),
                                             Entries=entries)
        return f"sim-{message.message_id}"

    def lookup(self, message_id: str) -> bool:
        """Whether the simulator took this message (its record, read with S3's strong consistency)."""
        s3 = aws.client("s3")
        try:
            s3.get_object(Bucket=get_settings().report_bucket, Key=_accepted(message_id))
        except s3.exceptions.NoSuchKey:
            return False
        except Exception as error:  # noqa: BLE001 - cannot say now: ask again later
            raise ProviderUnavailable(f"simulator lookup failed: {type(error).__name__}") from error
        return True


def _accepted(message_id: str) -> str:
    return f"simulator/accepted/{message_id}"


class SimulatorTemplateReviewer:
    """Reviews templates like Meta, after a short delay: a name starting `reject_` is rejected
    (reason INVALID_FORMAT), `pending_` is never reviewed, anything else is approved."""

    def submit(self, application_id: str, template_id: str, meta_template: dict[str, Any]) -> str | None:
        name = meta_template.get("name", "")
        if name.startswith("pending_"):
            return None
        event, reason = ("REJECTED", "INVALID_FORMAT") if name.startswith("reject_") else ("APPROVED", "NONE")
        review = {"application_id": application_id, "template_id": template_id, "event": event, "reason": reason,
                  "at": int(clock.epoch()) + _scaled(3)}
        aws.send_to_queue(get_settings().simulator_queue_name, {"template_review": review},
                          delay_seconds=_scaled(3))
        return None


IDENTITY_DELAY = 10  # seconds (scaled) before a `slow...` identity is verified


def _magic_word(identity: str) -> str:
    """An address's local part, or a domain's first label."""
    return identity.split("@", 1)[0] if "@" in identity else identity.split(".", 1)[0]


class SimulatorIdentityVerifier:
    """Verifies sender identities like SES, without SES: at once, unless the address's local part
    or the domain's first label starts with `pending` (never verified), `slow` (verified IDENTITY_DELAY
    seconds after the request, scaled like every simulated step) or `fail` (verification fails).
    A domain gets three made-up DKIM tokens, so its records can be shown as SES's would be."""

    name = "simulator"

    def request(self, identity: str, owner: str) -> IdentityState:
        return self.state(identity, clock.epoch())._replace(owner=owner)

    def state(self, identity: str, requested_at: float | None) -> IdentityState:
        if requested_at is None:
            return IdentityState(ABSENT)
        word = _magic_word(identity).lower()
        if word.startswith("pending"):
            status = PENDING
        elif word.startswith("fail"):
            status = FAILED
        elif word.startswith("slow") and clock.epoch() < requested_at + _scaled(IDENTITY_DELAY):
            status = PENDING
        else:
            status = VERIFIED
        tokens = () if "@" in identity else tuple(
            hashlib.sha256(f"{identity}#{n}".encode()).hexdigest()[:32] for n in range(3))
        return IdentityState(status, None, tokens)

    def remove(self, identity: str, owner: str) -> None:
        return None
