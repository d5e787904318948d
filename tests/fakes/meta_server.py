"""A local fake of Meta's Graph API (WhatsApp Cloud API), plus webhook builders.

Usage:

    with FakeMeta(access_token="t") as meta:
        provider = MetaWhatsAppProvider("1065", "t", base_url=meta.base_url)
        provider.send(outbound)
        path, headers, body = meta.requests[-1]

What it answers (Meta's real shapes, provider-formats.md):
- POST /<version>/<phone_number_id>/messages ->
  {"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
   "messages": [{"id": "wamid.<random>", "message_status": "accepted"}]}
- POST /<version>/<waba_id>/message_templates -> {"id": "<digits>", "status": "PENDING",
  "category": <the request's category>}; the payload is kept in `templates[id]`.
- A wrong or missing `Authorization: Bearer <token>` -> 401 with Meta's OAuthException, code 190.
- A body that is not JSON, or a messages body without messaging_product/to -> 400, code 100.
- Anything else -> 400, code 100 "Unsupported post request".

Knobs, consumed one per request in order (the request is still recorded in `requests`):
- fail_next(http_status, code, ...): answer the next request with Meta's error body.
- delay_next(seconds): wait before answering the next request normally (to provoke a client
  read timeout; stop() cuts the wait short).
- respond_next(http_status, body): any scripted answer (a dict is sent as JSON, bytes as is).

Webhook helpers: sign(), signed_webhook(), status_update(), meta_error(), status_webhook(),
template_review_webhook(), merge_webhooks().
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self

DEFAULT_TOKEN = "test-meta-token"
DEFAULT_WABA_ID = "102290129340398"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "6281100000000"

_MESSAGES = re.compile(r"/v\d+\.\d+/([^/]+)/messages")
_TEMPLATES = re.compile(r"/v\d+\.\d+/([^/]+)/message_templates")


class Recorded(NamedTuple):
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body, or None when it was not JSON


@dataclass
class _Scripted:
    delay: float = 0.0
    status: int | None = None  # None: answer normally after the delay
    body: Any = None


def _fbtrace() -> str:
    return "A" + secrets.token_urlsafe(16)


def error_body(code: int, message: str, error_type: str = "OAuthException", subcode: int | None = None,
               details: str | None = None) -> dict[str, Any]:
    """Meta's error answer: {"error": {message, type, code, error_subcode?, error_data?, fbtrace_id}}."""
    error: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error["fbtrace_id"] = _fbtrace()
    return {"error": error}


class FakeMeta:
    """A Graph API stand-in on 127.0.0.1 (a free port), served from a background thread."""

    def __init__(self, access_token: str = DEFAULT_TOKEN, version: str = "v23.0") -> None:
        self.access_token = access_token
        self.version = version
        self.requests: list[Recorded] = []
        self.templates: dict[str, dict[str, Any]] = {}
        self.wamids: list[str] = []
        self._script: list[_Scripted] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> FakeMeta:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval keeps stop() (and so every test's teardown) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-meta", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What MetaWhatsAppProvider takes as base_url, e.g. http://127.0.0.1:PORT/v23.0."""
        return f"http://127.0.0.1:{self.port}/{self.version}"

    # --- knobs ---

    def fail_next(self, http_status: int, code: int | None = None, message: str = "Error",
                  error_type: str = "OAuthException", subcode: int | None = None, details: str | None = None,
                  times: int = 1) -> None:
        """The next `times` requests get Meta's error body (or an empty body when code is None)."""
        body = error_body(code, message, error_type, subcode, details) if code is not None else b""
        for _ in range(times):
            self._push(_Scripted(status=http_status, body=body))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        for _ in range(times):
            self._push(_Scripted(delay=seconds))

    def respond_next(self, http_status: int, body: Any) -> None:
        self._push(_Scripted(status=http_status, body=body))

    def _push(self, item: _Scripted) -> None:
        with self._lock:
            self._script.append(item)

    def _pop(self) -> _Scripted | None:
        with self._lock:
            return self._script.pop(0) if self._script else None

    # --- convenience for assertions ---

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The JSON bodies POSTed to /messages, in order."""
        return [r.body for r in self.requests if _MESSAGES.fullmatch(r.path)]

    # --- the API ---

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {self.access_token}":
            return 401, error_body(190, "Invalid OAuth access token - Cannot parse access token")
        if method != "POST":
            return 400, error_body(100, "Unsupported get request.", "GraphMethodException")
        if body is None or not isinstance(body, dict):
            return 400, error_body(100, "Invalid parameter", details="The request body is not a JSON object")
        if _MESSAGES.fullmatch(path):
            if body.get("messaging_product") != "whatsapp" or not body.get("to"):
                return 400, error_body(100, "(#100) Invalid parameter",
                                       details="messaging_product and to are required")
            wamid = "wamid." + secrets.token_urlsafe(24)
            with self._lock:
                self.wamids.append(wamid)
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid, "message_status": "accepted"}],
            }
        if _TEMPLATES.fullmatch(path):
            template_id = str(10**15 + secrets.randbelow(9 * 10**15))
            with self._lock:
                self.templates[template_id] = body
            return 200, {"id": template_id, "status": "PENDING", "category": body.get("category")}
        return 400, error_body(100, "Unsupported post request.", "GraphMethodException")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeMeta
    protocol_version = "HTTP/1.1"  # keep-alive, like graph.facebook.com

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {key.lower(): value for key, value in self.headers.items()}
        fake = self.fake
        with fake._lock:
            fake.requests.append(Recorded(self.path, headers, body))
        scripted = fake._pop()
        if scripted is not None and scripted.delay:
            fake._stopping.wait(scripted.delay)
        if scripted is not None and scripted.status is not None:
            status, answer = scripted.status, scripted.body
        else:
            status, answer = fake.answer(method, self.path, headers, body)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def log_message(self, *_: Any) -> None:  # keep test output quiet
        pass


# --- webhooks in Meta's shape ---

def sign(app_secret: bytes, raw_body: bytes) -> str:
    """The X-Hub-Signature-256 header value Meta sends for this body."""
    return "sha256=" + hmac.new(app_secret, raw_body, hashlib.sha256).hexdigest()


def signed_webhook(app_secret: bytes, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """(raw body, headers) of a webhook POST as Meta sends it."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": sign(app_secret, raw)}


def meta_error(code: int, title: str = "Message undeliverable", message: str | None = None,
               details: str = "Message Undeliverable.") -> dict[str, Any]:
    """One element of a failed status's `errors`."""
    return {"code": code, "title": title, "message": message or title, "error_data": {"details": details},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}


def status_update(kirim_id: str | None, status: str = "delivered", *, wamid: str | None = None,
                  timestamp: int | str | None = None, recipient_id: str = "6281234567890",
                  errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One element of `statuses`; kirim_id None leaves biz_opaque_callback_data out."""
    item: dict[str, Any] = {
        "id": wamid or "wamid." + secrets.token_urlsafe(24),
        "status": status,
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "recipient_id": recipient_id,
    }
    if kirim_id is not None:
        item["biz_opaque_callback_data"] = kirim_id
    if status in ("sent", "delivered", "read"):
        item["conversation"] = {"id": secrets.token_hex(16), "origin": {"type": "utility"}}
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
    if errors:
        item["errors"] = errors
    return item


def status_webhook(statuses: list[dict[str, Any]], *, waba_id: str = DEFAULT_WABA_ID,
                   phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
                   display_phone_number: str = DEFAULT_DISPLAY_NUMBER) -> dict[str, Any]:
    """A `messages` change carrying these statuses, in one entry."""
    return {"object": "whatsapp_business_account", "entry": [{"id": waba_id, "changes": [{
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id},
            "statuses": statuses,
        },
    }]}]}


def template_review_webhook(template_id: int | str, event: str = "APPROVED", *, name: str = "order_confirmation",
                            language: str = "id", reason: str = "NONE", category: str = "UTILITY",
                            waba_id: str = DEFAULT_WABA_ID) -> dict[str, Any]:
    """A message_template_status_update change; Meta sends the template id as an integer here."""
    return {"object": "whatsapp_business_account", "entry": [{"id": waba_id, "time": int(time.time()), "changes": [{
        "field": "message_template_status_update",
        "value": {
            "event": event,
            "message_template_id": int(template_id),
            "message_template_name": name,
            "message_template_language": language,
            "reason": reason,
            "message_template_category": category,
        },
    }]}]}


def merge_webhooks(*payloads: dict[str, Any]) -> dict[str, Any]:
    """One webhook holding every entry of the given ones (Meta batches entries)."""
    return {"object": "whatsapp_business_account", "entry": [e for p in payloads for e in p["entry"]]}
