"""Email through Amazon SES v2 (`sesv2.send_email`, Simple content).

Kirim's message id rides in the `kirim_id` message tag, so every SES event published to
SNS carries it back (`mail.tags.kirim_id[0]`, parsed in events.py).

Error classification (see base.py for what each exception means):
- ProviderRejected, provider_status = the SES error code: the cause is in this message or is
  final: MessageRejected (bad content, unverified sender), MailFromDomainNotVerifiedException,
  BadRequestException, AccountSuspendedException (SES calls it permanent), an invalid request
  caught by botocore's validation, and any other 4xx.
- ProviderUnavailable: throttling (TooManyRequestsException, LimitExceededException, ...),
  5xx, timeouts and connection errors, and problems of Kirim's own setup that an operator
  fixes without the message changing: SendingPausedException, NotFoundException (the only
  resource Kirim names is the configuration set), AccessDenied, missing credentials.
"""
from __future__ import annotations

import logging
import re
from email.utils import formataddr
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from .base import Outbound, ProviderRejected, ProviderUnavailable

logger = logging.getLogger(__name__)

TAG_NAME = "kirim_id"
CHARSET = "UTF-8"

# SES tag values: ASCII letters, digits, '_' and '-', at most 256 characters.
_TAG_VALUE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A CR or LF in a display name would let a caller inject headers; other controls are noise.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

# Transient: retrying the same request later can succeed.
TRANSIENT_CODES = frozenset({
    "TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException",
    "ThrottledException", "RequestThrottled", "RequestLimitExceeded", "RequestTimeout",
    "RequestTimeoutException", "ServiceUnavailable", "ServiceUnavailableException",
    "InternalFailure", "InternalServerError", "InternalServerException",
    # Kirim's own setup: an operator fixes it, the message itself is fine.
    "SendingPausedException", "NotFoundException", "AccessDenied", "AccessDeniedException",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
})

# One retry at most: a read timeout may hide an email SES already accepted.
DEFAULT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})


class SesEmailProvider:
    name = "ses"

    def __init__(self, client: Any | None = None, configuration_set: str | None = None) -> None:
        self._client = client
        self.configuration_set = configuration_set

    @property
    def client(self) -> Any:
        # Created on first use, so importing or constructing costs nothing on a cold start.
        if self._client is None:
            import boto3

            self._client = boto3.client("sesv2", config=DEFAULT_CONFIG)
        return self._client

    def send(self, message: Outbound) -> str:
        request = self.build_request(message)
        try:
            answer = self.client.send_email(**request)
        except ClientError as error:
            raise classify_client_error(error) from error
        except ParamValidationError as error:
            raise ProviderRejected(f"invalid request: {error}", "ParamValidation") from error
        except BotoCoreError as error:  # timeouts, connection errors, credentials
            logger.warning("ses send failed before an answer", extra={"error": type(error).__name__})
            raise ProviderUnavailable(type(error).__name__) from error
        return answer["MessageId"]

    def build_request(self, message: Outbound) -> dict[str, Any]:
        """The exact send_email arguments for a message (public so tests and tools can inspect it)."""
        if not message.sender_email:
            raise ProviderRejected("sender_email is required", "MissingSender")
        if not _TAG_VALUE.fullmatch(message.message_id or ""):
            # The id must survive the round trip unchanged, so it is refused, not rewritten.
            raise ProviderRejected("message id is not a valid SES tag value", "InvalidTag")
        simple: dict[str, Any] = {
            "Subject": {"Data": message.subject or "", "Charset": CHARSET},
            "Body": {"Html": {"Data": message.html or "", "Charset": CHARSET}},
        }
        if message.attachment is not None:
            simple["Attachments"] = [{
                "RawContent": message.attachment.data,
                "FileName": message.attachment.filename,
                "ContentType": message.attachment.content_type or "application/octet-stream",
                "ContentDisposition": "ATTACHMENT",
                "ContentTransferEncoding": "BASE64",
            }]
        request: dict[str, Any] = {
            "FromEmailAddress": from_address(message.sender_name, message.sender_email),
            "Destination": {"ToAddresses": [message.target]},
            "Content": {"Simple": simple},
            "EmailTags": [{"Name": TAG_NAME, "Value": message.message_id}],
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        return request


def from_address(name: str | None, address: str) -> str:
    """'"Name" <addr>' with a non-ASCII name RFC 2047-encoded; address alone without a name."""
    clean_name = _CONTROL.sub(" ", name or "").strip()
    try:
        return formataddr((clean_name, address.strip()), charset="utf-8")
    except UnicodeEncodeError as error:  # the address part must be ASCII (punycode domains)
        raise ProviderRejected("sender address is not ASCII", "InvalidSender") from error


def classify_client_error(error: ClientError) -> Exception:
    """A ClientError from SES as ProviderRejected (final) or ProviderUnavailable (retry later)."""
    info = error.response.get("Error", {})
    code = str(info.get("Code") or "Unknown")
    text = str(info.get("Message") or code)
    http_status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in TRANSIENT_CODES or http_status >= 500 or http_status == 429:
        logger.warning("ses unavailable", extra={"code": code, "http_status": http_status})
        return ProviderUnavailable(f"{code}: {text}")
    return ProviderRejected(text, code)
