"""What the SES and End User Messaging adapters share: a boto3 client made on first use with
tight timeouts and no retry, and one reading of AWS errors as final (ProviderRejected), not
taken (ProviderUnavailable) or unknown (ProviderUnsure); see base.py for what each means."""
from __future__ import annotations

import logging
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, ParamValidationError

from chalicelib.providers.base import ProviderRejected, ProviderUnavailable, ProviderUnsure

logger = logging.getLogger(__name__)

# botocore never sends a message twice: a read timeout or a 5xx may hide a message the service
# already accepted, and neither service takes an idempotency key. Kirim decides what to send
# again (sending.dispatch). Worst case 2 s + 4 s, inside the API's budget.
DEFAULT_CONFIG = Config(connect_timeout=2, read_timeout=4, retries={"mode": "standard", "total_max_attempts": 1})
# Every AWS service answers these for throttling, its own outages and credential trouble.
COMMON_TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestTimeout", "RequestTimeoutException",
    "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure", "InternalServerException",
    "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
    "ExpiredTokenException",
})


class AwsAdapter:
    """Subclasses set `name`, `service` (boto3's name) and `transient_codes`."""
    name: str
    service: str
    transient_codes: frozenset[str] = COMMON_TRANSIENT_CODES

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        # Created on first use, so importing or constructing costs nothing on a cold start.
        if self._client is None:
            import boto3

            self._client = boto3.client(self.service, config=DEFAULT_CONFIG)
        return self._client

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(**request)
        except ClientError as error:
            raise self.classify(error) from error
        except ParamValidationError as error:
            raise ProviderRejected(f"invalid request: {error}", "ParamValidation") from error
        except BotoCoreError as error:  # timeouts, connection errors, credentials
            logger.warning("%s call failed before an answer", self.name, extra={"error": type(error).__name__})
            # Sent but unanswered (a read timeout, a dropped connection) vs never sent.
            unsure = isinstance(error, HTTPClientError)
            raise (ProviderUnsure if unsure else ProviderUnavailable)(type(error).__name__) from error

    def classify(self, error: ClientError) -> Exception:
        """A ClientError as ProviderRejected (final) or ProviderUnavailable (retry later)."""
        info = error.response.get("Error", {})
        code = str(info.get("Code") or "Unknown")
        text = str(info.get("Message") or code)
        reason = error.response.get("Reason") or info.get("Reason")
        if reason:
            text = f"{text} ({reason})"
        http_status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if http_status >= 500:  # a server error after the request arrived: it may have been sent
            logger.warning("%s answered a server error", self.name, extra={"code": code, "http_status": http_status})
            return ProviderUnsure(f"{code}: {text}")
        if code in self.transient_codes or http_status == 429:
            logger.warning("%s unavailable", self.name, extra={"code": code, "http_status": http_status})
            return ProviderUnavailable(f"{code}: {text}")
        return ProviderRejected(text, code)
