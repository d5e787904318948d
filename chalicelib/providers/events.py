"""Provider events to StatusEvent, and provider statuses to Kirim's status words.

Pure functions: no AWS calls, no clock except as a fallback for an event without a usable time.

- parse_sns_record_message: the decoded SNS `Message` of an SES event (configuration-set event
  publishing) or an End User Messaging SMS/voice event.
- word_for: the decided mapping tables of shared/provider-formats.md. It returns the word one
  event stands for, or None when the event changes nothing. Ranking words (a late
  "Delivered" must not undo "Opened", a late "In Call" must not undo "Answered") is the
  caller's job.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.core.clock import iso, now_iso

from .base import StatusEvent

KIRIM_ID = "kirim_id"

# --- parsing ---

# eventType -> the SES sub-object that carries the details
_SES_SUB_OBJECT = {
    "Send": "send", "Delivery": "delivery", "Bounce": "bounce", "Complaint": "complaint",
    "Reject": "reject", "Open": "open", "Click": "click", "DeliveryDelay": "deliveryDelay",
    "Rendering Failure": "failure", "Subscription": "subscription",
}
_SES_DETAILS = {
    "delivery": ("smtpResponse", "reportingMTA", "processingTimeMillis"),
    "bounce": ("bounceType", "bounceSubType", "feedbackId"),
    "complaint": ("complaintFeedbackType", "complaintSubType", "feedbackId"),
    "reject": ("reason",),
    "open": ("userAgent",),
    "click": ("link", "linkTags", "userAgent"),
    "deliveryDelay": ("delayType", "expirationTime"),
    "failure": ("errorMessage", "templateName"),
}
# Per-recipient facts worth keeping from bouncedRecipients / delayedRecipients (one recipient per message).
_RECIPIENT_DETAILS = ("action", "status", "diagnosticCode")

_EUM_DETAILS = (
    "messageStatus", "messageStatusDescription", "isFinal", "totalMessageParts", "totalMessagePrice",
    "totalCarrierFee", "isoCountryCode", "carrierName", "mcc", "mnc", "messageEncoding", "messageType",
)
# Envelope fields not copied into a voice event's details (identifiers, phone numbers, the echo).
_EUM_ENVELOPE = frozenset({
    "eventType", "eventVersion", "eventTimestamp", "messageId", "context",
    "originationPhoneNumber", "destinationPhoneNumber", "messageRequestTimestamp",
})


def parse_sns_record_message(message: dict[str, Any]) -> StatusEvent | None:
    """A StatusEvent for an SES or End User Messaging event; None when it is neither, or
    when it carries no Kirim id (not sent by Kirim)."""
    if not isinstance(message, dict):
        return None
    event_type = message.get("eventType")
    if not isinstance(event_type, str):
        return None
    if isinstance(message.get("mail"), dict):
        return _ses_event(event_type, message)
    if event_type.startswith(("TEXT_", "VOICE_")) and isinstance(message.get("context"), dict):
        return _eum_event(event_type, message)
    return None


def _ses_event(event_type: str, message: dict[str, Any]) -> StatusEvent | None:
    mail = message["mail"]
    tags = mail.get("tags") if isinstance(mail.get("tags"), dict) else {}
    values = tags.get(KIRIM_ID)
    kirim_id = values[0] if isinstance(values, list) and values else None
    if not isinstance(kirim_id, str) or not kirim_id:
        return None
    sub_key = _SES_SUB_OBJECT.get(event_type, "")
    sub = message.get(sub_key) if isinstance(message.get(sub_key), dict) else {}
    details = {key: sub[key] for key in _SES_DETAILS.get(sub_key, ()) if key in sub}
    recipients = sub.get("bouncedRecipients") or sub.get("delayedRecipients")
    if isinstance(recipients, list) and recipients and isinstance(recipients[0], dict):
        details.update({key: recipients[0][key] for key in _RECIPIENT_DETAILS if key in recipients[0]})

    at = _parse_iso(sub.get("timestamp")) or _parse_iso(mail.get("timestamp"))
    provider_status = event_type
    if event_type == "Bounce" and sub.get("bounceType"):
        provider_status = f"Bounce:{sub['bounceType']}"
    elif event_type == "DeliveryDelay":
        expires = _parse_iso(sub.get("expirationTime"))
        if expires is not None and at is not None and expires <= at:
            provider_status = "DeliveryDelay:expired"
        elif sub.get("delayType"):
            provider_status = f"DeliveryDelay:{sub['delayType']}"
    at_text = iso(at) if at is not None else now_iso()
    return StatusEvent(kirim_id, provider_status, at_text, mail.get("messageId"), details)


def _eum_event(event_type: str, message: dict[str, Any]) -> StatusEvent | None:
    kirim_id = message["context"].get(KIRIM_ID)
    if not isinstance(kirim_id, str) or not kirim_id:
        return None
    if event_type.startswith("VOICE_"):
        # Voice fields are not documented in full: keep whatever comes (durations, prices...).
        details = {key: value for key, value in message.items() if key not in _EUM_ENVELOPE}
    else:
        details = {key: message[key] for key in _EUM_DETAILS if key in message}
    at_text = _unix_millis(message.get("eventTimestamp"))
    return StatusEvent(kirim_id, event_type, at_text, message.get("messageId"), details)


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _unix_millis(value: Any) -> str:
    try:
        return iso(datetime.fromtimestamp(int(value) / 1000, tz=UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return now_iso()


# --- Kirim's words ---

_SMS = {
    "QUEUED": "Submitted", "PENDING": "Submitted",
    "SENT": "Sent", "SUCCESSFUL": "Sent",
    "DELIVERED": "Delivered",
    "UNKNOWN": "Failed", "TTL_EXPIRED": "Failed",
}
# The number or the content is wrong: OCA shows "Undelivered" for OTP, "Failed" for plain SMS.
_SMS_UNDELIVERABLE = frozenset({
    "INVALID", "INVALID_MESSAGE", "UNREACHABLE", "CARRIER_UNREACHABLE", "BLOCKED", "CARRIER_BLOCKED",
    "SPAM", "PROTECT_BLOCKED",
})
_IVR = {
    "INITIATED": "In Call", "RINGING": "In Call",
    "NO_ANSWER": "RNA", "BUSY": "RNA",
    "FAILED": "Failed", "TTL_EXPIRED": "Failed",
}
_EMAIL = {
    "Send": "Accepted", "Delivery": "Delivered", "Open": "Opened", "Click": "Clicked",
    "Bounce": "Failed by mail server", "Complaint": "Failed by mail server",
    "Reject": "Failed", "Rendering Failure": "Failed",
}
_WHATSAPP = {"sent": "Submitted", "delivered": "Delivered", "read": "Read"}
# 131026: undeliverable (no WhatsApp account, or the recipient blocked the business);
# 131050: the recipient stopped marketing messages from this business (a block of its own).
WHATSAPP_REJECTED_CODES = frozenset({"131026", "131050"})


def word_for(channel: str, provider_status: str, history: list[str]) -> str | None:
    """Kirim's status word for one provider status on a channel; None for "no change"
    (unknown statuses, DeliveryDelay before expiry...). `history` holds the message's earlier
    provider statuses, oldest first."""
    if channel in ("sms", "sms_otp"):
        status = _strip(provider_status, "TEXT_")
        if status in _SMS_UNDELIVERABLE:
            return "Undelivered" if channel == "sms_otp" else "Failed"
        return _SMS.get(status)
    if channel == "ivr":
        status = _strip(provider_status, "VOICE_")
        if status == "COMPLETED":
            return "Answered" if "VOICE_ANSWERED" in history else "RNA"
        if status == "ANSWERED":
            # SNS does not keep order: ANSWERED arriving after COMPLETED means the call was answered.
            return "Answered" if "VOICE_COMPLETED" in history else "In Call"
        return _IVR.get(status)
    if channel == "email":
        base, _, qualifier = provider_status.partition(":")
        if base == "DeliveryDelay":
            return "Failed by mail server" if qualifier == "expired" else None
        return _EMAIL.get(base)
    if channel == "whatsapp":
        base, _, code = provider_status.partition(":")
        if base == "failed":
            return "Rejected" if code in WHATSAPP_REJECTED_CODES else "Failed"
        return _WHATSAPP.get(base)
    return None


def _strip(status: str, prefix: str) -> str | None:
    return status[len(prefix):] if status.startswith(prefix) else None
