"""A test message sent from the console (POST /applications/{id}/test-messages): Kirim's own short
text to a recipient the owner picks (their own number or email, or a simulator magic target), through
the normal send pipeline, so it counts against the channel's quota and the rate limit like any send.

SMS, SMS OTP and Email only: WhatsApp needs an approved template and IVR a script, which the
console's own pages send from. SMS OTP goes from the application's first sender id; Email from the
operator's Verify sender, like Verify's own messages, since only Kirim's text goes out from it."""
from __future__ import annotations

from typing import Any

from chalicelib.applications import sending_settings
from chalicelib.core import validation
from chalicelib.core.channels import EMAIL, SMS, SMS_OTP
from chalicelib.core.config import get_settings
from chalicelib.core.errors import QUOTA_LOW, ApiError, bad_parameter
from chalicelib.sending import rate_limit
from chalicelib.sending.prepared import Prepared, Sender

TEST_CHANNELS = (SMS, SMS_OTP, EMAIL)
TEXT = {"en": "Test message from Kirim: your channel works.",
        "id": "Pesan uji coba dari Kirim: kanal Anda berfungsi."}


def _prepared(sender: Sender, to: Any, lang: str) -> Prepared:
    text = TEXT[lang]
    if sender.channel == SMS:
        from chalicelib.sending.request_rules import sms

        return sms.prepare(sender, {"phone": to, "message": text})
    if sender.channel == SMS_OTP:
        from chalicelib.sending.request_rules import sms_otp

        sender_id = min(sender.sender_ids, default=None)
        if sender_id is None:
            raise bad_parameter("channel", "SMS OTP needs a sender id first: add one in Settings")
        return sms_otp.prepare(sender, {"sender_id": sender_id, "recipient_number": to, "message_body": text})
    from chalicelib.providers.base import Outbound
    from chalicelib.sending import email_rules

    address = validation.email_address(to, "to")
    sender_email = get_settings().verify_sender_email
    html = f"<p>{text}</p>"
    return Prepared(target=address,
                    details={"subject": "Kirim", "sender_email": sender_email, "source": "console-test",
                             "message_body": email_rules.stored_body(html)},
                    outbound=lambda message_id: Outbound(message_id, EMAIL, address, sender_email=sender_email,
                                                         sender_name="Kirim", subject="Kirim", html=html))


def send(app: Any, body: dict[str, Any]) -> dict[str, Any]:
    """`app`: the owner's application (checked by the route). Answers the new message's id."""
    channel = validation.string(body, "channel", max_len=20)
    if channel not in TEST_CHANNELS:
        raise bad_parameter("channel", "A test message goes by SMS, SMS OTP or Email")
    from chalicelib.applications import service as applications

    applications.channel_state(app, channel)
    lang = body.get("lang") if body.get("lang") in TEXT else "en"
    sender = Sender.from_settings(app.application_id, channel, sending_settings.snapshot(app))
    rate_limit.hit(sender.application_id, sender.rate_limit)
    prepared = _prepared(sender, body.get("to"), lang)
    from chalicelib.sending import pipeline

    try:
        sent = pipeline.send(sender, prepared)
    except ApiError as error:
        if error.code != QUOTA_LOW:
            raise
        # 401 is OCA's status for it; on the dashboard a 401 means the session ended.
        raise ApiError(QUOTA_LOW, "This channel has no quota left for a test message", field="channel",
                       status=409) from None
    return {"message_id": sent.message_id, "channel": channel, "target": prepared.target}
