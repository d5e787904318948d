"""A real HTTP receiver of status callbacks on 127.0.0.1, as a customer would run one: it keeps
every request (headers and raw body) and answers what the test scripts (a status, a body of some
size, a redirect, an answer held back or trickled a byte at a time). Signatures are checked by
the tests with the `standardwebhooks` library."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


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
    hold: threading.Event | None = None   # answer only once this is set
    trickle: float = 0.0                  # seconds between the bytes of the answer, headers included...
    trickle_after: int = 0                # ...after this many written at once
    delay: float = 0.0                    # seconds before answering (a slow receiver)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)   # answers in order; then `pick`'s or `default`
    default: Answer = field(default_factory=Answer)
    pick: Callable[[], Answer] | None = None              # chooses each answer (a receiver that sometimes fails)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # webhook-ids whose answer was written to its end, and those whose caller hung up first
    finished: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)
    trickled: dict[str, int] = field(default_factory=dict)   # webhook-id: bytes of a trickled answer sent

    def answer(self) -> Answer:
        with self.lock:
            if self.script:
                return self.script.pop(0)
            return self.pick() if self.pick is not None else self.default


def start() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = receiver.answer()
            webhook_id = self.headers.get("webhook-id", "")
            time.sleep(answer.delay)
            if answer.hold is not None:
                answer.hold.wait()
            try:
                if answer.trickle:
                    self._trickle(answer, webhook_id)
                else:
                    self.send_response(answer.status)
                    if answer.location:
                        self.send_header("Location", answer.location)
                    self.send_header("Content-Length", str(answer.body_bytes))
                    self.end_headers()
                    self.wfile.write(b"x" * answer.body_bytes)
            except OSError:
                with receiver.lock:
                    receiver.cut.append(webhook_id)
                self.close_connection = True
                return
            with receiver.lock:
                receiver.finished.append(webhook_id)

        def _trickle(self, answer: Answer, webhook_id: str) -> None:
            raw = (f"HTTP/1.1 {answer.status} OK\r\nContent-Length: {answer.body_bytes}\r\n\r\n".encode()
                   + b"x" * answer.body_bytes)
            receiver.trickled[webhook_id] = answer.trickle_after   # counted before it is written
            self.wfile.write(raw[:answer.trickle_after])
            for byte in range(answer.trickle_after, len(raw)):
                time.sleep(answer.trickle)
                receiver.trickled[webhook_id] = byte + 1
                self.wfile.write(raw[byte:byte + 1])
            self.close_connection = True

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/kirim/callbacks")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
