"""Email through Amazon SES v2 (`sesv2.send_email`, Simple content).

Kirim's message id rides in the `kirim_id` message tag, so every SES event published to
SNS carries it back (`mail.tags.kirim_id[0]`, parsed in events.py).

Error classification (see base.py for what each exception means):
- ProviderRejected, provider_status = the SES error code: the cause is in this message or is
  final: MessageRejected (bad content, unverified sender), MailFromDomainNotVerifiedException,
  BadRequestException, AccountSuspendedException (SES calls it permanent), an invalid request
  caught by botocore's validation, and any other 4xx.
- ProviderUnavailable (not taken): throttling (TooManyRequestsException, LimitExceededException,
  ...), no connection made, and problems of Kirim's own setup that an operator fixes without
  the message changing: SendingPausedException, NotFoundException (the only resource Kirim
  names is the configuration set), AccessDenied, missing credentials.
- ProviderUnsure (maybe taken): any 5xx, a read timeout, a dropped connection. SES has no
  lookup by Kirim's id and no idempotency key.
"""
from __future__ import annotations

import re
from email.utils import formataddr
from typing import Any

from chalicelib.providers.aws_adapter import COMMON_TRANSIENT_CODES, AwsAdapter
from chalicelib.providers.base import Outbound, ProviderRejected

TAG_NAME = "kirim_id"
CHARSET = "UTF-8"

# SES tag values: ASCII letters, digits, '_' and '-', at most 256 characters.
_TAG_VALUE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A CR or LF in a display name would let a caller inject headers; other controls are noise.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

# Transient beyond the common ones: SES's own throttling words, and problems of Kirim's own setup
# that an operator fixes without the message changing.
TRANSIENT_CODES = COMMON_TRANSIENT_CODES | frozenset({
    "LimitExceededException", "ThrottledException", "RequestThrottled", "RequestLimitExceeded",
    "InternalServerError", "SendingPausedException", "NotFoundException",
})


class SesEmailProvider(AwsAdapter):
    name = "ses"
    service = "sesv2"
    transient_codes = TRANSIENT_CODES

    def __init__(self, client: Any | None = None, configuration_set: str | None = None) -> None:
        super().__init__(client)
        self.configuration_set = configuration_set

    def send(self, message: Outbound) -> str:
        return self.call("send_email", self.build_request(message))["MessageId"]

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
        if message.headers:
            simple["Headers"] = [{"Name": name, "Value": value} for name, value in message.headers.items()]
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
