"""moto's server with DynamoDB's per-item concurrency in front of it, for tests that race.

moto alone is not a fair stage for a race: without a lock it loses updates (two conditional
writes both pass their condition), and behind local/moto_server.py's lock every request runs
alone, so no transaction ever meets another and DynamoDB's TransactionConflict never happens.
Here requests run at the same time and meet as they would on DynamoDB:

- every write holds the items it writes while it runs; a write to one item is atomic, and two
  plain writes to one item take turns;
- a transaction (TransactWriteItems) holds all its items for HOLD (a few milliseconds, as
  DynamoDB's two phases take), so other requests can arrive meanwhile;
- mode "cancel" (DynamoDB's behaviour): a transaction that meets another transaction's item is
  cancelled, TransactionCanceledException with reason TransactionConflict at that item's place;
  a PutItem/UpdateItem/DeleteItem on an item inside a running transaction is refused with
  TransactionConflictException; a transaction meeting a plain write waits for it;
- mode "wait": whoever meets a held item waits for it, nothing is refused (a store with item
  locks and no contention failures).

moto's own code still runs one call at a time under a short latch (its dictionaries are not
thread-safe); that is the storage engine's business, the way the requests meet is decided by
the item holds above, outside it. TransactGetItems and reads are passed through.

The same holds can stand in front of AWS's DynamoDB Local instead of moto (`upstream`): DynamoDB
Local decides every read and write, and the holds add the conflicts it never raises.

`python -m local.dynamodb_contention --port P --mode cancel [--upstream URL]` runs it;
`start(host, port, mode, upstream)` runs it in a thread and returns a stop function (its `stats`
counts the refusals).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import threading
import time
from typing import Any, Callable, Iterable

_TARGET = "DynamoDB_20120810."
_PLAIN_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
_JSON = "application/x-amz-json-1.0"
CANCEL, WAIT = "cancel", "wait"


def hold_seconds() -> float:
    """How long a transaction holds its items: DYNAMODB_CONTENTION_HOLD_MS, "low-high" (0-4)."""
    low, _, high = os.environ.get("DYNAMODB_CONTENTION_HOLD_MS", "0-4").partition("-")
    return random.uniform(float(low), float(high or low)) / 1000


class Holds:
    """Which items are being written, and by what kind of write."""

    def __init__(self) -> None:
        self._by: dict[Any, str] = {}
        self._changed = threading.Condition()

    def take_plain(self, key: Any, refuse_transactions: bool) -> bool:
        """Wait for the item; False (taking nothing) if a transaction holds it and that refuses."""
        with self._changed:
            while key in self._by:
                if refuse_transactions and self._by[key] == "transaction":
                    return False
                self._changed.wait()
            self._by[key] = "plain"
            return True

    def take_all(self, keys: list[Any], cancel_on_transactions: bool) -> list[bool]:
        """Take every key at once (waiting for plain writes), or, in cancel mode, none when
        another transaction holds any: returns which keys a transaction held."""
        with self._changed:
            while True:
                held = [self._by.get(key) for key in keys]
                conflicts = [kind == "transaction" for kind in held]
                if cancel_on_transactions and any(conflicts):
                    return conflicts
                if not any(held):
                    for key in keys:
                        self._by[key] = "transaction"
                    return [False] * len(keys)
                self._changed.wait()

    def release(self, keys: Iterable[Any]) -> None:
        with self._changed:
            for key in keys:
                self._by.pop(key, None)
            self._changed.notify_all()


def _error(start_response: Callable[..., Any], kind: str, message: str, **extra: Any) -> list[bytes]:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message, **extra}).encode()
    start_response("400 Bad Request", [("Content-Type", _JSON), ("Content-Length", str(len(body))),
                                       ("x-amzn-RequestId", os.urandom(8).hex())])
    return [body]


class Upstream:
    """A WSGI app that passes each request on to another DynamoDB endpoint (DynamoDB Local)."""

    _HOP = {"connection", "keep-alive", "transfer-encoding", "date", "server"}  # the proxy sends its own

    def __init__(self, url: str) -> None:
        import urllib3

        self.url = url.rstrip("/")
        self.pool = urllib3.PoolManager(maxsize=64)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {name[5:].replace("_", "-"): value for name, value in environ.items() if name.startswith("HTTP_")}
        headers["CONTENT-TYPE"] = environ.get("CONTENT_TYPE") or _JSON
        answer = self.pool.request(environ["REQUEST_METHOD"], self.url + (environ.get("PATH_INFO") or "/"),
                                   body=body, headers=headers, retries=False)
        start_response(f"{answer.status} {answer.reason}",
                       [(k, v) for k, v in answer.headers.items() if k.lower() not in self._HOP])
        return [answer.data]


class ContendedDynamoDB:
    """The WSGI layer: moto (or DynamoDB Local, through Upstream) behind it, DynamoDB's item holds in it."""

    def __init__(self, app: Callable[..., Iterable[bytes]], mode: str = CANCEL, serial: bool = True) -> None:
        if mode not in (CANCEL, WAIT):
            raise ValueError(f"mode must be {CANCEL} or {WAIT}")
        self.app, self.mode = app, mode
        # moto's dictionaries need one call at a time; DynamoDB Local does not.
        self.latch = threading.Lock() if serial else None
        self.holds = Holds()
        self.key_names: dict[str, tuple[str, ...]] = {}
        self.stats = {"transactions_cancelled": 0, "writes_refused": 0, "transactions": 0, "writes": 0}
        self._stats_lock = threading.Lock()

    def _count(self, name: str) -> None:
        with self._stats_lock:
            self.stats[name] += 1

    def _moto(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if self.latch is None:
            return list(self.app(environ, start_response))
        with self.latch:
            return list(self.app(environ, start_response))

    def _key_names(self, environ: dict[str, Any], table: str) -> tuple[str, ...]:
        if table not in self.key_names:
            body = json.dumps({"TableName": table}).encode()
            env = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
                                   "HTTP_X_AMZ_TARGET": _TARGET + "DescribeTable"})
            status: list[str] = []
            answer = b"".join(self._moto(env, lambda s, h, exc=None: status.append(s)))
            if not status or not status[0].startswith("200"):
                return ()  # the real call will report the missing table
            self.key_names[table] = tuple(k["AttributeName"] for k in json.loads(answer)["Table"]["KeySchema"])
        return self.key_names[table]

    def _item(self, environ: dict[str, Any], table: str, operation: dict[str, Any]) -> tuple[str, ...]:
        attributes = operation.get("Key") or operation.get("Item") or {}
        return (table,) + tuple(json.dumps(attributes.get(name), sort_keys=True)
                                for name in self._key_names(environ, table))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target[len(_TARGET):] if target.startswith(_TARGET) else ""
        if operation in ("DeleteTable", "CreateTable"):
            self.key_names.clear()
        if operation not in _PLAIN_WRITES and operation != "TransactWriteItems":
            return self._moto(environ, start_response)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        request = json.loads(raw or b"{}")
        if operation in _PLAIN_WRITES:
            return self._plain_write(environ, start_response, request)
        return self._transaction(environ, start_response, request)

    def _plain_write(self, environ, start_response, request) -> list[bytes]:
        key = self._item(environ, request["TableName"], request)
        self._count("writes")
        if not self.holds.take_plain(key, refuse_transactions=self.mode == CANCEL):
            self._count("writes_refused")
            return _error(start_response, "TransactionConflictException",
                          "Transaction is ongoing for the item")
        try:
            return self._moto(environ, start_response)
        finally:
            self.holds.release([key])

    def _transaction(self, environ, start_response, request) -> list[bytes]:
        keys = []
        for entry in request.get("TransactItems", []):
            (_, operation), = entry.items()
            keys.append(self._item(environ, operation["TableName"], operation))
        self._count("transactions")
        conflicts = self.holds.take_all(keys, cancel_on_transactions=self.mode == CANCEL)
        if any(conflicts):
            self._count("transactions_cancelled")
            reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                       if conflict else {"Code": "None"} for conflict in conflicts]
            return _error(start_response, "TransactionCanceledException",
                          "Transaction cancelled, please refer cancellation reasons for specific reasons ["
                          + ", ".join(r["Code"] for r in reasons) + "]", CancellationReasons=reasons)
        try:
            hold = hold_seconds()
            time.sleep(hold / 2)  # prepare: the items are held, others may arrive
            answer = self._moto(environ, start_response)
            time.sleep(hold / 2)  # commit
            return answer
        finally:
            self.holds.release(keys)


def _wrap(mode: str, upstream: str | None) -> Callable[[Any], ContendedDynamoDB]:
    if upstream is None:
        return lambda app: ContendedDynamoDB(app, mode)
    return lambda app: ContendedDynamoDB(Upstream(upstream), mode, serial=False)


def start(host: str, port: int, mode: str = CANCEL, upstream: str | None = None) -> Callable[[], None]:
    """Serve in a thread; returns a stop function whose `stats` counts the refusals."""
    from local import moto_server

    stop = moto_server.start(host, port, _wrap(mode, upstream))
    stop.stats = stop.server.wrapped.stats  # type: ignore[attr-defined]
    return stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--mode", choices=(CANCEL, WAIT), default=CANCEL)
    parser.add_argument("--upstream", help="a DynamoDB endpoint to serve from (DynamoDB Local) instead of moto")
    args = parser.parse_args()
    from local import moto_server

    server = moto_server.make(args.host, args.port, _wrap(args.mode, args.upstream))
    behind = f"{args.upstream} behind" if args.upstream else "moto behind"
    # Printed once the socket is bound: a caller can wait for this line instead of polling.
    print(f"moto    | {behind} DynamoDB contention '{args.mode}' on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
