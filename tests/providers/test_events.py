"""SES and End User Messaging events (as decoded from an SNS record's Message) to StatusEvent,
and every row of the decided status-word tables."""
from __future__ import annotations

import json

import pytest

from chalicelib.providers.events import parse_sns_record_message, word_for

KIRIM_ID = "01J9Z3K6W8QF2M4T7V0XYZABCD"
SES_ID = "010001890a1b2c3d-4e5f6a7b-8c9d-0e1f-2a3b-4c5d6e7f8a9b-000000"


def via_sns(event: dict) -> dict:
    """What the Lambda handler sees: the record's Message is a JSON string, decoded a second time."""
    record = {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "MessageId": "sns-1",
                                                "TopicArn": "arn:aws:sns:us-east-1:1:kirim-events",
                                                "Message": json.dumps(event), "Timestamp": "2025-06-15T23:27:53.000Z"}}
    return json.loads(record["Sns"]["Message"])


# --- SES ---

def ses_mail(tags: dict | None = None) -> dict:
    return {
        "timestamp": "2025-06-15T10:00:00.000Z", "source": "Kirim <halo@kirim.dev>",
        "sendingAccountId": "111122223333", "messageId": SES_ID, "destination": ["budi@example.com"],
        "tags": {"ses:configuration-set": ["kirim-events"], "kirim_id": [KIRIM_ID]} if tags is None else tags,
    }


def ses_event(event_type: str, sub_key: str | None, sub: dict | None, **mail) -> dict:
    event = {"eventType": event_type, "mail": ses_mail(**mail)}
    if sub_key:
        event[sub_key] = sub
    return via_sns(event)


SES_CASES = [
    # (event, expected provider_status, expected at, expected word, detail checks)
    (ses_event("Send", "send", {}), "Send", "2025-06-15T10:00:00.000Z", "Accepted", {}),
    (ses_event("Delivery", "delivery", {
        "timestamp": "2025-06-15T10:00:02.345Z", "processingTimeMillis": 2345, "recipients": ["budi@example.com"],
        "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "a8-70.smtp-out.amazonses.com"}),
     "Delivery", "2025-06-15T10:00:02.345Z", "Delivered", {"smtpResponse": "250 2.6.0 Message received"}),
    (ses_event("Bounce", "bounce", {
        "bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2025-06-15T10:00:03.000Z",
        "feedbackId": "fb-1",
        "bouncedRecipients": [{"emailAddress": "budi@example.com", "action": "failed", "status": "5.1.1",
                               "diagnosticCode": "smtp; 550 5.1.1 no such user"}]}),
     "Bounce:Permanent", "2025-06-15T10:00:03.000Z", "Failed by mail server",
     {"bounceType": "Permanent", "bounceSubType": "General", "diagnosticCode": "smtp; 550 5.1.1 no such user",
      "status": "5.1.1"}),
    (ses_event("Bounce", "bounce", {"bounceType": "Transient", "bounceSubType": "MailboxFull",
                                    "timestamp": "2025-06-15T10:00:03.000Z", "bouncedRecipients": []}),
     "Bounce:Transient", "2025-06-15T10:00:03.000Z", "Failed by mail server", {"bounceSubType": "MailboxFull"}),
    (ses_event("Complaint", "complaint", {
        "complainedRecipients": [{"emailAddress": "budi@example.com"}], "timestamp": "2025-06-15T11:00:00.000Z",
        "feedbackId": "fb-2", "complaintFeedbackType": "abuse"}),
     "Complaint", "2025-06-15T11:00:00.000Z", "Failed by mail server", {"complaintFeedbackType": "abuse"}),
    (ses_event("Open", "open", {"ipAddress": "192.0.2.1", "timestamp": "2025-06-15T12:00:00.000Z",
                                "userAgent": "Mozilla/5.0"}),
     "Open", "2025-06-15T12:00:00.000Z", "Opened", {"userAgent": "Mozilla/5.0"}),
    (ses_event("Click", "click", {"ipAddress": "192.0.2.1", "link": "https://kirim.dev/x", "linkTags": {"a": ["b"]},
                                  "timestamp": "2025-06-15T12:01:00.000Z", "userAgent": "Mozilla/5.0"}),
     "Click", "2025-06-15T12:01:00.000Z", "Clicked", {"link": "https://kirim.dev/x"}),
    (ses_event("Reject", "reject", {"reason": "Bad content"}),
     "Reject", "2025-06-15T10:00:00.000Z", "Failed", {"reason": "Bad content"}),
    (ses_event("Rendering Failure", "failure", {"errorMessage": "Attribute 'name' is not present",
                                                "templateName": "t"}),
     "Rendering Failure", "2025-06-15T10:00:00.000Z", "Failed", {"errorMessage": "Attribute 'name' is not present"}),
    (ses_event("DeliveryDelay", "deliveryDelay", {
        "timestamp": "2025-06-15T10:30:00.000Z", "delayType": "MailboxFull",
        "expirationTime": "2025-06-15T22:00:00.000Z",
        "delayedRecipients": [{"emailAddress": "budi@example.com", "status": "4.2.2",
                               "diagnosticCode": "smtp; 452 4.2.2 mailbox full"}]}),
     "DeliveryDelay:MailboxFull", "2025-06-15T10:30:00.000Z", None,
     {"delayType": "MailboxFull", "diagnosticCode": "smtp; 452 4.2.2 mailbox full"}),
    (ses_event("DeliveryDelay", "deliveryDelay", {
        "timestamp": "2025-06-15T22:00:01.000Z", "delayType": "TransientCommunicationFailure",
        "expirationTime": "2025-06-15T22:00:00.000Z", "delayedRecipients": []}),
     "DeliveryDelay:expired", "2025-06-15T22:00:01.000Z", "Failed by mail server", {}),
    (ses_event("Subscription", "subscription", {"contactList": "x"}),
     "Subscription", "2025-06-15T10:00:00.000Z", None, {}),
]


@pytest.mark.parametrize("event, provider_status, at, word, details", SES_CASES,
                         ids=[case[1] for case in SES_CASES])
def test_ses_events(event, provider_status, at, word, details):
    parsed = parse_sns_record_message(event)
    assert parsed is not None
    assert parsed.message_id == KIRIM_ID
    assert parsed.provider_message_id == SES_ID
    assert parsed.provider_status == provider_status
    assert parsed.at == at
    assert parsed.details.items() >= details.items()
    assert "emailAddress" not in parsed.details and "ipAddress" not in parsed.details
    assert word_for("email", parsed.provider_status, ["Send"]) == word


def test_ses_event_without_kirim_tag_is_ignored():
    assert parse_sns_record_message(ses_event("Delivery", "delivery", {}, tags={"other": ["x"]})) is None
    assert parse_sns_record_message(ses_event("Delivery", "delivery", {}, tags={"kirim_id": []})) is None
    event = ses_event("Send", "send", {})
    del event["mail"]["tags"]
    assert parse_sns_record_message(event) is None


# --- End User Messaging ---

def eum_event(event_type: str, *, context: dict | None = None, **extra) -> dict:
    status = event_type.split("_", 1)[1]
    event = {
        "eventType": event_type, "eventVersion": "1.0", "eventTimestamp": 1686975103470, "isFinal": True,
        "originationPhoneNumber": "KIRIM", "destinationPhoneNumber": "+6281234567890",
        "messageId": "862a8790-60c0-4430-9b2b-658bdexample", "messageRequestTimestamp": 1686975103170,
        "messageEncoding": "GSM", "messageType": "TRANSACTIONAL", "messageStatus": status,
        "messageStatusDescription": f"status {status}",
        "context": {"kirim_id": KIRIM_ID} if context is None else context,
        "totalMessageParts": 1, "totalMessagePrice": 0.09582, "totalCarrierFee": 0.0, "isoCountryCode": "ID",
    }
    event.update(extra)
    return via_sns(event)


SMS_TABLE = {
    "TEXT_QUEUED": ("Submitted", "Submitted"),
    "TEXT_PENDING": ("Submitted", "Submitted"),
    "TEXT_SENT": ("Sent", "Sent"),
    "TEXT_SUCCESSFUL": ("Sent", "Sent"),
    "TEXT_DELIVERED": ("Delivered", "Delivered"),
    "TEXT_INVALID": ("Failed", "Undelivered"),
    "TEXT_INVALID_MESSAGE": ("Failed", "Undelivered"),
    "TEXT_UNREACHABLE": ("Failed", "Undelivered"),
    "TEXT_CARRIER_UNREACHABLE": ("Failed", "Undelivered"),
    "TEXT_BLOCKED": ("Failed", "Undelivered"),
    "TEXT_CARRIER_BLOCKED": ("Failed", "Undelivered"),
    "TEXT_SPAM": ("Failed", "Undelivered"),
    "TEXT_PROTECT_BLOCKED": ("Failed", "Undelivered"),
    "TEXT_UNKNOWN": ("Failed", "Failed"),
    "TEXT_TTL_EXPIRED": ("Failed", "Failed"),
}


@pytest.mark.parametrize("event_type", sorted(SMS_TABLE))
def test_sms_events_and_words(event_type):
    parsed = parse_sns_record_message(eum_event(event_type))
    assert parsed is not None
    assert (parsed.message_id, parsed.provider_status) == (KIRIM_ID, event_type)
    assert parsed.provider_message_id == "862a8790-60c0-4430-9b2b-658bdexample"
    assert parsed.at == "2023-06-17T04:11:43.470Z"
    assert parsed.details["messageStatusDescription"] == f"status {event_type[5:]}"
    assert parsed.details["totalMessageParts"] == 1 and parsed.details["isoCountryCode"] == "ID"
    assert "destinationPhoneNumber" not in parsed.details
    sms_word, otp_word = SMS_TABLE[event_type]
    assert word_for("sms", event_type, []) == sms_word
    assert word_for("sms_otp", event_type, []) == otp_word


IVR_TABLE = {
    "VOICE_INITIATED": "In Call",
    "VOICE_RINGING": "In Call",
    "VOICE_ANSWERED": "In Call",
    "VOICE_NO_ANSWER": "RNA",
    "VOICE_BUSY": "RNA",
    "VOICE_FAILED": "Failed",
    "VOICE_TTL_EXPIRED": "Failed",
}


@pytest.mark.parametrize("event_type", sorted(IVR_TABLE))
def test_voice_events_and_words(event_type):
    parsed = parse_sns_record_message(eum_event(event_type, totalDurationRounded=60, voiceId="JOANNA"))
    assert parsed is not None and parsed.provider_status == event_type
    # Voice fields are unconfirmed: whatever extra comes is kept.
    assert parsed.details["totalDurationRounded"] == 60 and parsed.details["voiceId"] == "JOANNA"
    assert "context" not in parsed.details and "destinationPhoneNumber" not in parsed.details
    assert word_for("ivr", event_type, ["VOICE_INITIATED"]) == IVR_TABLE[event_type]


def test_voice_completed_is_answered_only_after_answered():
    assert word_for("ivr", "VOICE_COMPLETED", ["VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED"]) == "Answered"
    assert word_for("ivr", "VOICE_COMPLETED", ["VOICE_INITIATED", "VOICE_RINGING"]) == "RNA"
    assert word_for("ivr", "VOICE_COMPLETED", []) == "RNA"
    # SNS may deliver ANSWERED after COMPLETED: the call was still answered.
    assert word_for("ivr", "VOICE_ANSWERED", ["VOICE_INITIATED", "VOICE_COMPLETED"]) == "Answered"


def test_eum_event_without_kirim_id_is_ignored():
    assert parse_sns_record_message(eum_event("TEXT_DELIVERED", context={})) is None
    assert parse_sns_record_message(eum_event("TEXT_DELIVERED", context={"kirim_id": ""})) is None
    event = eum_event("TEXT_DELIVERED")
    del event["context"]
    assert parse_sns_record_message(event) is None


@pytest.mark.parametrize("message", [
    {}, {"eventType": "TEXT_DELIVERED"}, {"eventType": 5, "mail": {}}, {"notificationType": "Bounce"},
    {"eventType": "MEDIA_DELIVERED", "context": {"kirim_id": KIRIM_ID}}, [], "x",
])
def test_unrecognised_messages_are_none(message):
    assert parse_sns_record_message(message) is None


def test_bad_timestamps_fall_back_to_now(frozen_clock):
    from chalicelib.core import clock

    for bad in ("soon", None, 10**20, [1]):
        parsed = parse_sns_record_message(eum_event("TEXT_SENT", eventTimestamp=bad))
        assert parsed is not None and parsed.at == clock.iso(frozen_clock())
    good = parse_sns_record_message(eum_event("TEXT_SENT", eventTimestamp=1_796_000_000_123))
    assert good.at == "2026-11-30T00:53:20.123Z"


# --- words: WhatsApp and unknowns ---

@pytest.mark.parametrize("provider_status, word", [
    ("sent", "Submitted"),
    ("delivered", "Delivered"),
    ("read", "Read"),
    ("failed:131026", "Rejected"),
    ("failed:131050", "Rejected"),
    ("failed:131049", "Failed"),
    ("failed:132000", "Failed"),
    ("failed", "Failed"),
    ("deleted", None),
])
def test_whatsapp_words(provider_status, word):
    assert word_for("whatsapp", provider_status, []) == word


@pytest.mark.parametrize("channel, provider_status", [
    ("sms", "TEXT_SOMETHING_NEW"), ("sms", "VOICE_COMPLETED"), ("sms_otp", "Delivery"),
    ("ivr", "VOICE_SOMETHING_NEW"), ("ivr", "TEXT_DELIVERED"),
    ("email", "Subscription"), ("email", "Whatever"), ("email", "DeliveryDelay"),
    ("whatsapp", "warning"), ("fax", "TEXT_DELIVERED"),
])
def test_unknown_statuses_have_no_word(channel, provider_status):
    assert word_for(channel, provider_status, []) is None
