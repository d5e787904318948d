"""Issue 20, item 6: a receiver cannot hold Kirim's callback workers. Every attempt ends at its
deadline in wall-clock time, whatever the receiver does (trickles its answer a byte at a time,
never answers the TLS handshake) and however slow its name is to resolve.

No test here measures a duration: each asserts what happened first (the attempt ended while the
receiver was still trickling) and what was recorded."""
from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest

from chalicelib.callbacks import http
from chalicelib.core import safe_urls
from tests.fakes.webhook_receiver import Answer

HEAD = len(b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n")


def eventually(condition, seconds: float = 15.0) -> bool:
    """Whether `condition()` comes true within a generous bound (for another thread's outcome)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("where", ["headers", "body"])
def test_an_answer_trickled_a_byte_every_half_second_is_cut_at_the_deadline(stage, receiver, where):
    """Each read gets a byte well within any read timeout, so only a deadline on the whole
    exchange ends it: 1 s here, for an answer that would take 49 s to trickle out."""
    stage("local")
    receiver.default = Answer(body_bytes=60, trickle=0.5, trickle_after=0 if where == "headers" else HEAD)
    outcome = http.post(receiver.url, b"{}", {"webhook-id": "w1"}, deadline=1)
    # The attempt ended while the receiver was still trickling the part it began with.
    assert receiver.trickled["w1"] < (HEAD if where == "headers" else HEAD + 60) and receiver.finished == []
    assert not outcome.ok and outcome.error == "deadline: no complete answer within 1 s"
    assert outcome.http_status == (None if where == "headers" else 200)
    assert eventually(lambda: receiver.cut == ["w1"])  # and it saw Kirim hang up


def test_a_receiver_that_never_answers_is_cut_at_the_deadline(stage):
    stage("local")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        outcome = http.post(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", b"{}", {}, deadline=0.2)
    assert not outcome.ok and outcome.http_status is None and outcome.error.startswith(http.DEADLINE)


def test_a_tls_handshake_that_never_comes_is_cut_at_the_deadline(stage, monkeypatch):
    """The peer accepts the connection and never answers Kirim's TLS hello."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        stage("dev", ports=str(port))
        monkeypatch.setattr(safe_urls, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
        monkeypatch.setattr(safe_urls, "allowed_address", lambda address, target: True)
        outcome = http.post(f"https://hooks.shop.example:{port}/kirim", b"{}", {}, deadline=0.5)
    assert not outcome.ok and outcome.http_status is None and outcome.error.startswith(http.DEADLINE)


def test_a_name_slow_to_resolve_is_cut_at_the_deadline(stage, monkeypatch):
    """The system resolver has no timeout of Kirim's; the attempt does not wait for it."""
    stage("dev")
    release, answered = threading.Event(), threading.Event()

    def resolve(host, port):
        release.wait(30)
        answered.set()
        return [ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(safe_urls, "resolve", resolve)
    try:
        outcome = http.post("https://hooks.shop.example/kirim", b"{}", {}, deadline=0.5)
        assert not answered.is_set()  # the resolver was still at it when the attempt ended
        assert not outcome.ok and outcome.error.startswith(http.DEADLINE)
    finally:
        release.set()
