"""A real HTTP receiver of status callbacks on 127.0.0.1, as a customer would run one: it keeps
every request (headers and raw body) and answers what the test scripts (a status, a body of some
size, a redirect). Signatures are checked by the tests with the `standardwebhooks` library."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body_bytes: int = 2
    location: str | None = None
    delay: float = 0.0            # seconds before answering (a slow receiver)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)   # answers in order; then `default`
    default: Answer = field(default_factory=Answer)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> Answer:
        with self.lock:
            return self.script.pop(0) if self.script else self.default


def start() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = receiver.answer()
            time.sleep(answer.delay)
            self.send_response(answer.status)
            if answer.location:
                self.send_header("Location", answer.location)
            self.send_header("Content-Length", str(answer.body_bytes))
            self.end_headers()
            self.wfile.write(b"x" * answer.body_bytes)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/kirim/callbacks")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
