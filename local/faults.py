"""Faults injected into AWS calls for tests, inside botocore's retry loop (its `before-send`
event, where an HTTP request would leave), so that each fault meets one attempt the way AWS
would: botocore retries a throttle or a 5xx as it would on AWS, and a caller sees the error
only when every attempt failed.

A caught attempt can be:
- answered with the error the service would give (a ClientError with that code, cancellation
  reasons included);
- made for real with its answer lost (`lose_answer`): the write happened, the attempt gets a
  read timeout, and botocore sends the same call again (as it does on AWS: a plain UpdateItem
  is then applied twice, a TransactWriteItems is not, thanks to its ClientRequestToken);
- slowed (`latency` seconds on Kirim's clock): past `timeout` (the caller's read timeout) it is
  a lost answer after that wait;
- replaced by an action (such as killing the process between two steps), then made or not.

    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException",
                         times=2) as fault:
        ...   # both attempts of one call refused: the caller sees the error
    assert fault.hits == 2

`hits` counts attempts, as AWS would see them. A botocore Stubber answers before this point,
so stubbed calls never meet a fault. Install it (like local.call_counter) before the first
botocore client is made; unarmed, it lets every attempt through. In process, moto answers in
the same event: its handler is called from here, so a refused attempt never reaches it.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import botocore.endpoint
import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

_armed: list["Fault"] = []
_moto: Callable[..., Any] | None = None   # moto's own before-send handler, when moto runs in process
READ_TIMEOUT = 3.0                         # chalicelib.core.db's default DynamoDB read timeout
RETRY_PAUSE_CAP = 0.05                     # botocore's backoff between attempts, shortened in tests


@dataclass
class Fault:
    service: str                     # botocore's service name: dynamodb, s3, sqs... ("*": any)
    operation: str                   # PutItem, TransactWriteItems, PutObject... ("*": any)
    code: str | None = None          # answer with this error code
    status: int = 400
    reasons: list[str] | None = None  # a cancelled transaction's reasons, item by item
    times: int = 1                   # how many matching attempts to catch
    when: Callable[[dict], bool] | None = None   # only attempts whose parameters match
    lose_answer: bool = False        # make the call, then give this attempt a read timeout
    latency: float = 0.0             # seconds before the answer (on Kirim's clock)
    timeout: float = READ_TIMEOUT    # the caller's read timeout: a longer latency loses the answer
    action: Callable[[dict], Any] | None = None  # run before the attempt (e.g. os._exit)
    then_call: bool = False          # after the action, make the call as usual (a race, not an error)
    hits: int = 0
    calls: list[dict] = field(default_factory=list)

    def catches(self, service: str, operation: str, params: dict) -> bool:
        if self.service not in ("*", service) or self.operation not in ("*", operation) or self.hits >= self.times:
            return False
        try:
            return self.when is None or bool(self.when(params))
        except (KeyError, TypeError, AttributeError):
            return False  # a call of another shape than the predicate expects


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _params(request: Any) -> dict:
    body = request.body
    if isinstance(body, (bytes, str)) and body:
        try:
            parsed = json.loads(body)
            return parsed if isinstance(parsed, dict) else {}
        except ValueError:
            return {}
    return {}


def _error(request: Any, service: str, fault: Fault) -> AWSResponse:
    """The error as the service's protocol would carry it, for botocore to parse."""
    code, message = fault.code or "InternalServerError", f"injected {fault.code}"
    content_type = request.headers.get("Content-Type", b"")
    content_type = content_type.decode() if isinstance(content_type, bytes) else str(content_type or "")
    if "json" in content_type:
        payload: dict[str, Any] = {"__type": code, "message": message}
        if fault.reasons is not None:
            payload["CancellationReasons"] = [{"Code": reason} for reason in fault.reasons]
        headers = {"Content-Type": content_type, "x-amzn-ErrorType": code, "x-amzn-query-error": f"{code};Sender"}
        body = json.dumps(payload).encode()
    else:  # rest-xml (S3) and query (SNS): the same Code and Message, S3's without the wrapper
        headers = {"Content-Type": "text/xml"}
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        if service != "s3":
            body = b"<ErrorResponse>" + body + b"<RequestId>fault</RequestId></ErrorResponse>"
    return AWSResponse(request.url, fault.status, headers, _Raw(body))


def _deliver(request: Any, event_name: str, **kwargs: Any) -> Any:
    """The attempt as made without faults: moto's answer in process, else None (botocore sends it)."""
    return _moto(event_name=event_name, request=request, **kwargs) if _moto is not None else None


def _make_and_lose(request: Any, event_name: str, **kwargs: Any) -> None:
    if _deliver(request, event_name, **kwargs) is None:
        from botocore.httpsession import URLLib3Session

        URLLib3Session(timeout=30).send(request)   # a real endpoint (moto server, DynamoDB Local)
    raise ReadTimeoutError(endpoint_url="injected: the call was made, its answer lost")


def _before_send(request: Any, event_name: str = "", **kwargs: Any) -> Any:
    _, service, operation = (event_name.split(".") + ["", ""])[:3]
    call = _params(request) if _armed else {}
    for fault in list(_armed):
        if not fault.catches(service, operation, call):
            continue
        fault.hits += 1
        fault.calls.append(call)
        if fault.action is not None:
            fault.action(call)
        if fault.then_call:
            break
        if fault.latency:
            from chalicelib.core import clock

            clock.sleep(min(fault.latency, fault.timeout))
            if fault.latency < fault.timeout:
                break
            _make_and_lose(request, event_name, **kwargs)
        if fault.lose_answer:
            _make_and_lose(request, event_name, **kwargs)
        return _error(request, service, fault)
    return _deliver(request, event_name, **kwargs)


class _Time:
    """botocore's `time` as its retry loop sees it: the backoff between attempts is shortened, so
    a test that makes botocore retry does not wait a real second."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, RETRY_PAUSE_CAP))


def install() -> None:
    global _moto
    handlers = botocore.handlers.BUILTIN_HANDLERS
    if ("before-send", _before_send) in handlers:
        return
    try:
        from moto.core.models import botocore_stubber
    except ImportError:  # pragma: no cover - moto is a dev dependency
        botocore_stubber = None
    entry = ("before-send", botocore_stubber)
    if botocore_stubber is not None and entry in handlers:
        # Take moto's place, and call it from there: a refused attempt must not reach it.
        handlers[handlers.index(entry)] = ("before-send", _before_send)
        _moto = botocore_stubber
    else:
        handlers.append(("before-send", _before_send))
    botocore.endpoint.time = _Time()  # type: ignore[assignment]


@contextmanager
def injected(service: str, operation: str, **options: Any) -> Iterator[Fault]:
    """Arm a fault for the block; yields it (`hits` counts the attempts it caught)."""
    install()
    fault = Fault(service, operation, **options)
    _armed.append(fault)
    try:
        yield fault
    finally:
        _armed.remove(fault)
