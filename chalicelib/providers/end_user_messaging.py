"""SMS, SMS OTP and IVR calls through AWS End User Messaging SMS and Voice v2
(`pinpoint-sms-voice-v2`).

Kirim's message id rides in `Context={"kirim_id": ...}`, which comes back as `context` in
every event (parsed in events.py).

Error classification (see base.py for what each exception means):
- ProviderRejected, provider_status = the error code: the cause is in this message:
  ValidationException (bad number, country not enabled, sender ID not registered...),
  ConflictException (recipient opted out, unverified destination in the sandbox); a recipient on
  the opt-out list (reason DESTINATION_PHONE_NUMBER_OPTED_OUT) is OPTED_OUT, so the suppression
  list can learn it (broadcasts.suppression_events),
  ResourceNotFoundException (usually the masking's origination identity does not exist),
  a request botocore's validation refuses (text too long...), and any other 4xx.
- ProviderUnavailable (not taken): ThrottlingException, ServiceQuotaExceededException (spend
  limit or daily per-destination limit: it clears later), no connection made, and
  AccessDeniedException (account reputation, disabled account or IAM: Kirim's setup, not the
  message's fault, so the message waits instead of being refunded).
- ProviderUnsure (maybe taken): InternalServerException and any 5xx, a read timeout, a dropped
  connection. The service has no lookup by Kirim's id and no idempotency key.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.providers.aws_adapter import COMMON_TRANSIENT_CODES, AwsAdapter
from chalicelib.providers.base import Outbound, ProviderRejected

CONTEXT_KEY = "kirim_id"
OPTED_OUT = "ConflictException:DESTINATION_PHONE_NUMBER_OPTED_OUT"

TRANSIENT_CODES = COMMON_TRANSIENT_CODES | frozenset({"ServiceQuotaExceededException"})

# Context values: 1-800 characters, no leading or trailing whitespace (service model).
_CONTEXT_VALUE = re.compile(r"\S(?:.{0,798}\S)?", re.DOTALL)


class EumSmsProvider(AwsAdapter):
    name = "eum"
    service = "pinpoint-sms-voice-v2"
    transient_codes = TRANSIENT_CODES

    def __init__(
        self,
        client: Any | None = None,
        *,
        configuration_set: str | None = None,
        sender_identities: Mapping[str, str] | None = None,
        default_origination_identity: str | None = None,
        default_voice_identity: str | None = None,
        sms_message_type: str = "TRANSACTIONAL",
        voice_id: str | None = None,
    ) -> None:
        super().__init__(client)
        self.configuration_set = configuration_set
        self.sender_identities = dict(sender_identities or {})
        self.default_origination_identity = default_origination_identity
        self.default_voice_identity = default_voice_identity
        self.sms_message_type = sms_message_type
        self.voice_id = voice_id

    def send(self, message: Outbound) -> str:
        if message.channel in ("sms", "sms_otp"):
            operation, request = "send_text_message", self.text_request(message)
        elif message.channel == "ivr":
            operation, request = "send_voice_message", self.voice_request(message)
        else:
            raise ProviderRejected(f"channel {message.channel!r} is not sent through End User Messaging", "Channel")
        return self.call(operation, request)["MessageId"]

    def classify(self, error: Any) -> Exception:
        """AwsAdapter's reading, with an opted-out recipient told apart from the other conflicts."""
        result = super().classify(error)
        reason = error.response.get("Reason") or error.response.get("Error", {}).get("Reason")
        if (isinstance(result, ProviderRejected) and result.provider_status == "ConflictException"
                and reason == "DESTINATION_PHONE_NUMBER_OPTED_OUT"):
            result.provider_status = OPTED_OUT
        return result

    def text_request(self, message: Outbound) -> dict[str, Any]:
        """send_text_message arguments. OTP is always TRANSACTIONAL and goes out under its masking."""
        request: dict[str, Any] = {
            "DestinationPhoneNumber": message.target,
            "MessageBody": message.text or "",
        }
        if message.channel == "sms_otp":
            request["MessageType"] = "TRANSACTIONAL"
            origination = (self.identity_for(message.sender_id) if message.sender_id
                           else self.default_origination_identity)
        else:
            request["MessageType"] = self.sms_message_type
            origination = self.default_origination_identity
        if origination:
            request["OriginationIdentity"] = origination
        return self._common(request, message)

    def voice_request(self, message: Outbound) -> dict[str, Any]:
        """send_voice_message arguments; the body is SSML (chalicelib.ivr.ssml)."""
        origination = message.from_number or self.default_voice_identity
        if not origination:
            raise ProviderRejected("no caller id for the call", "MissingOriginationIdentity")
        request: dict[str, Any] = {
            "DestinationPhoneNumber": message.target,
            "OriginationIdentity": origination,
            "MessageBody": message.ssml or "",
            "MessageBodyTextType": "SSML",
        }
        if self.voice_id:
            request["VoiceId"] = self.voice_id
        return self._common(request, message)

    def identity_for(self, sender_id: str) -> str:
        """A masking name's origination identity (sender ID ARN, pool...), else the name itself."""
        return self.sender_identities.get(sender_id, sender_id)

    def _common(self, request: dict[str, Any], message: Outbound) -> dict[str, Any]:
        if not _CONTEXT_VALUE.fullmatch(message.message_id or ""):
            raise ProviderRejected("message id is not a valid context value", "InvalidContext")
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        request["Context"] = {CONTEXT_KEY: message.message_id}
        return request
