"""WhatsApp templates through Meta's Cloud API (Graph API over HTTPS, urllib3), plus the
webhook helpers: the subscription check, the X-Hub-Signature-256 check and the status /
template-review / customer-reply parsers (the whatsapp_webhook slice applies what they read).

Kirim's message id rides in `biz_opaque_callback_data`, which every status webhook echoes.

Error classification for send and create_template (see base.py):
- ProviderUnavailable (not taken): HTTP 429, no connection made, Meta's rate limits (4,
  80007, 130429, 131048, 131056, 133016), its "unavailable" codes (2 service overloaded, 131016
  service unavailable, 131057 account in maintenance, 133004 server unavailable), and problems
  of Kirim's own setup that an operator fixes without the message changing: the token (0, 190,
  HTTP 401), permissions (3, 10, 200-299), payment (131042), a locked or restricted account
  (368, 131031).
- ProviderUnsure (maybe taken): HTTP 5xx, 131000 (something went wrong), a read timeout or a
  dropped connection (urllib3 never retries here: a POST that timed out may have been sent),
  an answer that cannot be understood. The Cloud API takes no idempotency key and cannot be
  asked about a message by Kirim's id.
- ProviderRejected(reason=error.message, provider_status="meta:<code>"): any other 4xx,
  e.g. 100 / 131008 / 131009 invalid parameters, 132000 variable count, 132001 no such
  template. Without a Meta error body the status is "meta:http<status>".
The access token is never logged, and repr() leaves it out.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

import urllib3

from chalicelib.core.clock import iso, now_iso

from .base import Outbound, ProviderRejected, ProviderUnavailable, ProviderUnsure, StatusEvent

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com/v23.0"
DEFAULT_TIMEOUT = urllib3.Timeout(connect=2.0, read=10.0)

RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056, 133016})
TEMPORARY_CODES = frozenset({2, 131016, 131057, 133004})
UNSURE_CODES = frozenset({131000})
SETUP_CODES = frozenset({0, 3, 10, 190, 368, 131031, 131042}) | frozenset(range(200, 300))
TRANSIENT_CODES = RATE_LIMIT_CODES | TEMPORARY_CODES | SETUP_CODES

TEMPLATE_REVIEW_FIELD = "message_template_status_update"


class MetaWhatsAppProvider:
    name = "meta"

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: urllib3.Timeout = DEFAULT_TIMEOUT,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        self.phone_number_id = phone_number_id
        self._access_token = access_token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # One pool per Lambda container: connections to graph.facebook.com are reused.
        self._http = http or urllib3.PoolManager(maxsize=10)

    def __repr__(self) -> str:
        return f"MetaWhatsAppProvider(base_url={self.base_url!r}, phone_number_id={self.phone_number_id!r})"

    def send(self, message: Outbound) -> str:
        if not message.template:
            raise ProviderRejected("a WhatsApp message needs a template", "meta:no-template")
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.target.lstrip("+"),  # Meta wants digits only
            "type": "template",
            "template": message.template,
            "biz_opaque_callback_data": message.message_id,
        }
        answer = self._post(f"{self.phone_number_id}/messages", body)
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            # Sent or not is unknown: never refunded, never sent again blindly.
            raise ProviderUnsure("Meta answered without a message id") from error

    def create_template(self, waba_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Submit a template for review; returns Meta's answer {id, status, category}, id as str."""
        answer = self._post(f"{waba_id}/message_templates", payload)
        if not isinstance(answer, dict) or "id" not in answer:
            raise ProviderUnavailable("Meta answered without a template id")
        return {**answer, "id": str(answer["id"])}

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            response = self._http.request(
                "POST",
                f"{self.base_url}/{path}",
                body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Authorization": f"Bearer {self._access_token}", "Content-Type": "application/json"},
                timeout=self.timeout,
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as error:  # timeouts, refused connections, TLS, protocol
            logger.warning("meta request failed", extra={"error": type(error).__name__, "path": path})
            never_sent = isinstance(error, (urllib3.exceptions.ConnectTimeoutError,
                                            urllib3.exceptions.NewConnectionError))
            raise (ProviderUnavailable if never_sent else ProviderUnsure)(
                f"Meta unreachable: {type(error).__name__}") from error
        try:
            answer = json.loads(response.data or b"null")
        except ValueError:
            answer = None
        if 200 <= response.status < 300:
            if answer is None:
                raise ProviderUnsure(f"Meta answered {response.status} without JSON")
            return answer
        raise classify_http_error(response.status, answer)


def classify_http_error(status: int, answer: Any) -> Exception:
    """Meta's error answer as ProviderRejected (final) or ProviderUnavailable (retry later)."""
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    code = code if isinstance(code, int) else None
    message = str(error.get("message") or f"HTTP {status}")
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, dict) else None
    logger.warning("meta error", extra={
        "http_status": status, "meta_code": code, "meta_subcode": error.get("error_subcode"),
        "fbtrace_id": error.get("fbtrace_id"),
    })
    if code not in UNSURE_CODES and (status in (401, 429) or status < 400 or code in TRANSIENT_CODES):
        return ProviderUnavailable(f"Meta {status} code {code}: {message}")
    if status >= 500 or code in UNSURE_CODES:
        return ProviderUnsure(f"Meta {status} code {code}: {message}")
    reason = f"{message}: {details}" if details else message
    return ProviderRejected(reason, f"meta:{code}" if code is not None else f"meta:http{status}")


# --- webhooks ---

_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")


def subscription_challenge(query: dict[str, str], verify_token: str) -> str | None:
    """Meta's subscription check (GET with hub.mode, hub.verify_token, hub.challenge): the challenge
    to echo, or None when the verify token is not ours (or none is set)."""
    given = query.get("hub.verify_token", "")
    matches = bool(verify_token) and hmac.compare_digest(given.encode(), verify_token.encode())
    return query.get("hub.challenge", "") if query.get("hub.mode") == "subscribe" and matches else None


def verify_signature(app_secret: bytes, raw_body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 ('sha256=<hex HMAC-SHA256 of the raw body>'), compared in constant time."""
    if not app_secret or not isinstance(header, str):
        return False
    match = _SIGNATURE.fullmatch(header.strip())
    if match is None:
        return False
    expected = hmac.new(app_secret, raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())


def parse_webhook(payload: dict[str, Any]) -> tuple[list[StatusEvent], list[dict[str, Any]]]:
    """Status events (for messages Kirim sent) and template review updates from one webhook.

    Every entry, change and status is read. A status without biz_opaque_callback_data was not
    sent by Kirim (or predates it) and is skipped. provider_status is Meta's word, or
    "failed:<first error code>" for failures.
    """
    events: list[StatusEvent] = []
    reviews: list[dict[str, Any]] = []
    for entry in _dicts(payload.get("entry") if isinstance(payload, dict) else None):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            if change.get("field") == TEMPLATE_REVIEW_FIELD:
                review = dict(value)
                if review.get("message_template_id") is not None:
                    review["message_template_id"] = str(review["message_template_id"])
                # When Meta made the review (the entry's time): reviews are applied in that order.
                review["time"] = entry.get("time") if isinstance(entry.get("time"), int) else None
                reviews.append(review)
                continue
            for status in _dicts(value.get("statuses")):
                event = _status_event(status)
                if event is not None:
                    events.append(event)
    return events, reviews


class Reply(NamedTuple):
    """A customer's message to the business (Meta's `value.messages`), as far as Kirim reads it."""
    sender: str                     # Meta's `from`: the customer's number, digits without '+'
    words: tuple[str, ...]          # what it says: a text's body, or a quick-reply button's payload and text
    context_id: str | None          # the wamid of the business message it answers, if it answers one


def parse_replies(payload: dict[str, Any]) -> list[Reply]:
    """Every inbound text or quick-reply button message of a webhook (any other type is skipped:
    media, reactions, locations say nothing Kirim acts on)."""
    replies: list[Reply] = []
    for entry in _dicts(payload.get("entry") if isinstance(payload, dict) else None):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") == TEMPLATE_REVIEW_FIELD or not isinstance(value, dict):
                continue
            for message in _dicts(value.get("messages")):
                sender, kind = message.get("from"), message.get("type")
                body = message.get(kind) if isinstance(kind, str) else None
                if not isinstance(sender, str) or not sender or not isinstance(body, dict):
                    continue
                if kind == "text":
                    words = (body.get("body"),)
                elif kind == "button":
                    words = (body.get("payload"), body.get("text"))
                else:
                    continue
                context = message.get("context")
                context_id = context.get("id") if isinstance(context, dict) else None
                replies.append(Reply(sender, tuple(w for w in words if isinstance(w, str)),
                                     context_id if isinstance(context_id, str) and context_id else None))
    return replies


def _status_event(status: dict[str, Any]) -> StatusEvent | None:
    kirim_id = status.get("biz_opaque_callback_data")
    word = status.get("status")
    if not isinstance(kirim_id, str) or not kirim_id or not isinstance(word, str):
        return None
    errors = [_error_summary(error) for error in _dicts(status.get("errors"))]
    provider_status = word
    if word == "failed":
        provider_status = f"failed:{errors[0]['code']}" if errors and "code" in errors[0] else "failed"
    details: dict[str, Any] = {}
    if errors:
        details["errors"] = errors
    for key in ("recipient_id", "pricing", "conversation"):
        if key in status:
            details[key] = status[key]
    return StatusEvent(kirim_id, provider_status, _unix_seconds(status.get("timestamp")), status.get("id"), details)


def _error_summary(error: dict[str, Any]) -> dict[str, Any]:
    summary = {key: error[key] for key in ("code", "title", "message") if key in error}
    error_data = error.get("error_data")
    if isinstance(error_data, dict) and "details" in error_data:
        summary["details"] = error_data["details"]
    return summary


def _unix_seconds(value: Any) -> str:
    try:
        return iso(datetime.fromtimestamp(int(value), tz=UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return now_iso()  # a status without a usable time still counts; it happened about now


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
