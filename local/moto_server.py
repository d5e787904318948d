"""moto's server, with each request handled whole before the next.

moto's DynamoDB backend checks a transaction's conditions and applies its writes without a
lock, so under concurrent requests two transactions can interleave (seen here: 200 racing
sends against a quota of 100 stored 101 messages). Real DynamoDB makes transactions
atomic and serialisable; one lock around the WSGI app gives moto the same guarantee, while
connections are still accepted by many threads.

`python -m local.moto_server [--host H] [--port P]` runs it; `start(host, port)` runs it in a
thread and returns a stop function.
"""
from __future__ import annotations

import argparse
import threading
from typing import Any, Callable, Iterable


def _serialised(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    lock = threading.Lock()

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))  # the body too, inside the lock

    return handle


def make(host: str, port: int, wrap: Callable[[Any], Any] = _serialised):
    """A threaded server of moto's app wrapped by `wrap` (this module's lock by default)."""
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from local import moto_fast

    moto_fast.install()

    app = wrap(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    server.wrapped = app
    return server


def start(host: str, port: int, wrap: Callable[[Any], Any] = _serialised) -> Callable[[], None]:
    server = make(host, port, wrap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(5)

    stop.server = server  # type: ignore[attr-defined]
    return stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args()
    server = make(args.host, args.port)
    # Printed once the socket is bound: a caller can wait for this line instead of polling.
    print(f"moto    | serving on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
