"""SMS, SMS OTP and IVR calls through AWS End User Messaging SMS and Voice v2
(`pinpoint-sms-voice-v2`).

Kirim's message id rides in `Context={"kirim_id": ...}`, which comes back as `context` in
every event (parsed in events.py).

Error classification (see base.py for what each exception means):
- ProviderRejected, provider_status = the error code: the cause is in this message:
  ValidationException (bad number, country not enabled, sender ID not registered...),
  ConflictException (recipient opted out, unverified destination in the sandbox),
  ResourceNotFoundException (usually the masking's origination identity does not exist),
  a request botocore's validation refuses (text too long...), and any other 4xx.
- ProviderUnavailable: ThrottlingException, ServiceQuotaExceededException (spend limit or
  daily per-destination limit: it clears later), InternalServerException, 5xx, timeouts,
  connection errors, and AccessDeniedException (account reputation, disabled account or IAM:
  Kirim's setup, not the message's fault, so the message waits instead of being refunded).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from .base import Outbound, ProviderRejected, ProviderUnavailable

logger = logging.getLogger(__name__)

CONTEXT_KEY = "kirim_id"
SSML_MAX = 6000  # VoiceMessageBody's limit for SSML in the service model

TRANSIENT_CODES = frozenset({
    "ThrottlingException", "ServiceQuotaExceededException", "InternalServerException",
    "AccessDeniedException", "Throttling", "TooManyRequestsException", "RequestTimeout",
    "RequestTimeoutException", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
})

# One retry at most: a read timeout may hide a message the service already accepted.
DEFAULT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})

# Context values: 1-800 characters, no leading or trailing whitespace (service model).
_CONTEXT_VALUE = re.compile(r"\S(?:.{0,798}\S)?", re.DOTALL)


class EumSmsProvider:
    name = "eum"

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
        self._client = client
        self.configuration_set = configuration_set
        self.sender_identities = dict(sender_identities or {})
        self.default_origination_identity = default_origination_identity
        self.default_voice_identity = default_voice_identity
        self.sms_message_type = sms_message_type
        self.voice_id = voice_id

    @property
    def client(self) -> Any:
        # Created on first use, so importing or constructing costs nothing on a cold start.
        if self._client is None:
            import boto3

            self._client = boto3.client("pinpoint-sms-voice-v2", config=DEFAULT_CONFIG)
        return self._client

    def send(self, message: Outbound) -> str:
        if message.channel in ("sms", "sms_otp"):
            operation, request = "send_text_message", self.text_request(message)
        elif message.channel == "ivr":
            operation, request = "send_voice_message", self.voice_request(message)
        else:
            raise ProviderRejected(f"channel {message.channel!r} is not sent through End User Messaging", "Channel")
        try:
            answer = getattr(self.client, operation)(**request)
        except ClientError as error:
            raise classify_client_error(error) from error
        except ParamValidationError as error:
            raise ProviderRejected(f"invalid request: {error}", "ParamValidation") from error
        except BotoCoreError as error:  # timeouts, connection errors, credentials
            logger.warning("eum send failed before an answer", extra={"error": type(error).__name__})
            raise ProviderUnavailable(type(error).__name__) from error
        return answer["MessageId"]

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
        """send_voice_message arguments; the body is SSML (see build_ssml)."""
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


def classify_client_error(error: ClientError) -> Exception:
    """A ClientError as ProviderRejected (final) or ProviderUnavailable (retry later)."""
    info = error.response.get("Error", {})
    code = str(info.get("Code") or "Unknown")
    text = str(info.get("Message") or code)
    reason = error.response.get("Reason") or info.get("Reason")
    if reason:
        text = f"{text} ({reason})"
    http_status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in TRANSIENT_CODES or http_status >= 500 or http_status == 429:
        logger.warning("eum unavailable", extra={"code": code, "http_status": http_status})
        return ProviderUnavailable(f"{code}: {text}")
    return ProviderRejected(text, code)


# --- SSML for IVR calls ---

class MissingVariables(ValueError):
    """The script names variables that were not given; `names` lists all of them, sorted."""

    def __init__(self, names: list[str]) -> None:
        super().__init__("missing variables: " + ", ".join(names))
        self.names = names


_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
# Characters XML 1.0 forbids even when escaped: they are dropped, not escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#13;"}
_SPECIAL = re.compile("[&<>\"'\r]")


def xml_text(value: str) -> str:
    """Text safe inside an XML element: escaped, with XML-forbidden characters removed.
    A CR is written as &#13; so a parser keeps it rather than turning it into LF."""
    return _SPECIAL.sub(lambda match: _ENTITIES[match.group()], _NOT_XML.sub("", value))


def build_ssml(script: str, variables: Mapping[str, str]) -> str:
    """`<speak>script</speak>` with each `{{name}}` replaced by its value.

    The script and the values are plain text: both are escaped, so the result is valid XML
    and no value can inject SSML tags. Substitution is one pass: a value that itself looks
    like `{{x}}` is spoken as written. Raises MissingVariables (a ValueError) naming every
    placeholder without a value, and ValueError when the SSML exceeds 6000 characters.
    """
    missing = sorted({name for name in _PLACEHOLDER.findall(script) if name not in variables})
    if missing:
        raise MissingVariables(missing)
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(script):
        parts.append(xml_text(script[last:match.start()]))
        parts.append(xml_text(str(variables[match.group(1)])))
        last = match.end()
    parts.append(xml_text(script[last:]))
    ssml = "<speak>" + "".join(parts) + "</speak>"
    if len(ssml) > SSML_MAX:
        raise ValueError(f"SSML is {len(ssml)} characters; the limit is {SSML_MAX}")
    return ssml
