"""Faults injected into AWS calls for tests, through botocore's event hooks: a call can be
answered with the error the service would give (a ClientError with that code, cancellation
reasons included, as the caller would see it from AWS), made for real with its answer lost (the
write happened, the caller hears a read timeout), or replaced by an action (such as killing
the process between two steps).

    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException",
                         times=3) as fault:
        ...
    assert fault.hits == 3

Install it (like local.call_counter) before the first botocore client is made; unarmed, it
lets every call through.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import botocore.handlers
from botocore.exceptions import ReadTimeoutError

_armed: list["Fault"] = []


@dataclass
class Fault:
    service: str                     # botocore's service name: dynamodb, s3, sqs...
    operation: str                   # PutItem, TransactWriteItems, PutObject...
    code: str | None = None          # answer with this error code
    status: int = 400
    reasons: list[str] | None = None  # a cancelled transaction's reasons, item by item
    times: int = 1                   # how many matching calls to catch
    when: Callable[[dict], bool] | None = None   # only calls whose parameters match
    lose_answer: bool = False        # make the call, then raise a read timeout to the caller
    action: Callable[[dict], Any] | None = None  # run before the call (e.g. os._exit)
    then_call: bool = False          # after the action, make the call as usual (a race, not an error)
    hits: int = 0
    calls: list[dict] = field(default_factory=list)

    def catches(self, service: str, operation: str, params: dict) -> bool:
        if (self.service, self.operation) != (service, operation) or self.hits >= self.times:
            return False
        try:
            return self.when is None or bool(self.when(params))
        except (KeyError, TypeError, AttributeError):
            return False  # a call of another shape than the predicate expects


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code, self.headers, self.content = status, {}, b""


def _params(request_dict: dict) -> dict:
    body = request_dict.get("body")
    if isinstance(body, (bytes, str)) and body:
        try:
            return json.loads(body)
        except ValueError:
            return {}
    return dict(request_dict.get("query_string") or {}) if isinstance(request_dict.get("query_string"), dict) else {}


def _before_call(model: Any, params: dict, **_: Any) -> tuple[Any, dict] | None:
    service, operation = model.service_model.service_name, model.name
    call = _params(params)
    for fault in _armed:
        if not fault.catches(service, operation, call):
            continue
        fault.hits += 1
        fault.calls.append(call)
        if fault.action is not None:
            fault.action(call)
        if fault.then_call:
            return None
        if fault.lose_answer:
            params.setdefault("context", {})["kirim_lose_answer"] = True
            return None
        parsed: dict[str, Any] = {"Error": {"Code": fault.code or "InternalServerError",
                                            "Message": f"injected {fault.code}"},
                                  "ResponseMetadata": {"HTTPStatusCode": fault.status, "RequestId": "fault"}}
        if fault.reasons is not None:
            parsed["CancellationReasons"] = [{"Code": reason} for reason in fault.reasons]
        return _Http(fault.status), parsed
    return None


def _after_call(context: dict | None = None, **_: Any) -> None:
    if context and context.pop("kirim_lose_answer", False):
        raise ReadTimeoutError(endpoint_url="injected: the call was made, its answer lost")


def install() -> None:
    for entry in (("before-call", _before_call), ("after-call", _after_call)):
        if entry not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(entry)


@contextmanager
def injected(service: str, operation: str, **options: Any) -> Iterator[Fault]:
    """Arm a fault for the block; yields it (`hits` counts the calls it caught)."""
    install()
    fault = Fault(service, operation, **options)
    _armed.append(fault)
    try:
        yield fault
    finally:
        _armed.remove(fault)
