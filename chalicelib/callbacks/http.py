"""One callback POST, safe against SSRF at connect time (urllib3, which Kirim already ships).

The URL was checked when it was set (core.safe_urls), but a name may resolve elsewhere by now
(DNS rebinding). So the connection classes below resolve the host themselves, connect only to
an allowed address, and check the peer's address once more after connecting; TLS still verifies
the certificate against the host name. No redirect is followed (a 3xx is a failed attempt),
nothing is retried here (the delivery schedule retries), and at most MAX_BODY bytes of the
answer are read.

The whole attempt (resolving, connecting, TLS, sending, the headers and the body) ends at
DEADLINE_SECONDS of wall-clock time. A socket timeout alone cannot do that: it bounds each read,
and a receiver that sends a byte every half second never trips it. So a timer shuts the
attempt's socket down when the deadline passes, which ends whatever step is blocked on it.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as StepTimeout
from urllib3.util.connection import create_connection

from chalicelib.core import safe_urls

DEADLINE_SECONDS = 5.0
MAX_BODY = 64 * 1024
DEADLINE = "deadline"   # how an attempt cut by its deadline begins its error

T = TypeVar("T")


class RefusedAddress(OSError):
    """The host resolved, or connected, to an address Kirim will not call."""


class DeadlinePassed(OSError):
    """The attempt's deadline passed before this step could finish."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    http_status: int | None
    latency_ms: int
    error: str | None = None
    body_bytes: int = 0


class _Deadline:
    """One attempt's end, in wall-clock time: each socket of the attempt is watched, and shut
    down (not closed: urllib3 still owns it) when the deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.passed = False
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._pass)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise DeadlinePassed(f"nothing left of the {self.seconds:g} s deadline")
        return left

    def run(self, work: Callable[[], T]) -> T:
        """`work()` in a thread, waited for at most the time left (for what no socket timeout
        bounds, such as the system resolver); a late answer is dropped."""
        answer: dict[str, Any] = {}

        def target() -> None:
            try:
                answer["value"] = work()
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                answer["error"] = error

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(self.left())
        if thread.is_alive():
            raise DeadlinePassed("no answer within the deadline")
        if "error" in answer:
            raise answer["error"]
        return answer["value"]

    def watch(self, sock: socket.socket) -> None:
        # A second descriptor of the same socket: wrapping it in TLS detaches the original object.
        copy = sock.dup()
        with self._lock:
            self._watched.append(copy)
            if self.passed:
                self._shut(copy)

    def _pass(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self._watched:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)   # wakes a read or write blocked on it, TLS or not
        except OSError:
            pass  # already closed by the peer

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()


def _connect(connection: Any) -> socket.socket:
    target: safe_urls.Target = connection.kirim_target
    deadline: _Deadline = connection.kirim_deadline
    try:
        addresses = deadline.run(lambda: safe_urls.resolve(target.host, target.port))
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise NewConnectionError(connection, f"cannot resolve {target.host}: {error}") from None
    allowed = [a for a in addresses if safe_urls.allowed_address(a, target)]
    if not allowed:
        raise RefusedAddress(f"{target.host} resolves to {', '.join(map(str, addresses))}: refused")
    last: Exception | None = None
    for address in allowed:
        try:
            sock = create_connection((str(address), target.port), timeout=deadline.left(),
                                     source_address=connection.source_address,
                                     socket_options=connection.socket_options)
        except DeadlinePassed:
            raise
        except OSError as error:
            last = error
            continue
        deadline.watch(sock)
        peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
        if not safe_urls.allowed_address(peer, target):  # what we reached, not what we asked for
            sock.close()
            raise RefusedAddress(f"connected to {peer}: refused")
        return sock
    raise NewConnectionError(connection, f"cannot connect to {target.host}: {last}")


class _CheckedHTTPConnection(HTTPConnection):
    kirim_target: safe_urls.Target
    kirim_deadline: _Deadline

    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    kirim_target: safe_urls.Target
    kirim_deadline: _Deadline

    def _new_conn(self) -> socket.socket:
        return _connect(self)


def _pool(target: safe_urls.Target, deadline: _Deadline) -> Any:
    secure = target.scheme == "https"
    base = _CheckedHTTPSConnection if secure else _CheckedHTTPConnection
    connection_class = type(base.__name__, (base,), {"kirim_target": target, "kirim_deadline": deadline})
    pool_class = HTTPSConnectionPool if secure else HTTPConnectionPool
    # Each step's own timeout too, so none outlives the deadline even before the timer fires.
    pool = pool_class(target.host, target.port, timeout=Timeout(total=deadline.seconds), maxsize=1,
                      retries=False, block=False)
    pool.ConnectionCls = connection_class
    return pool


def post(url: str, body: bytes, headers: dict[str, str], deadline: float | None = None) -> Outcome:
    """POST once. Success is a 2xx answer, read to its end (or MAX_BODY), within the deadline
    (DEADLINE_SECONDS unless given)."""
    started = time.monotonic()
    deadline = deadline or DEADLINE_SECONDS

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = safe_urls.parse(url)
    except Exception:  # noqa: BLE001 - a URL that no longer passes the rules is never called
        return Outcome(False, None, 0, "callback_url is not allowed")
    timer = _Deadline(deadline)
    late = f"{DEADLINE}: no complete answer within {deadline:g} s"
    pool = _pool(target, timer)
    status: int | None = None
    read = 0
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=headers, redirect=False, retries=False,
                                preload_content=False, assert_same_host=False)
        status = response.status
        try:
            while read < MAX_BODY:  # the answer is not needed; it is read so the exchange completes
                chunk = response.read(min(16 * 1024, MAX_BODY - read))
                if not chunk:
                    break
                read += len(chunk)
        finally:
            response.release_conn()
            response.close()
        if timer.passed:
            return Outcome(False, status, elapsed_ms(), late, read)
        ok = 200 <= status < 300
        error = None if ok else (f"redirect not followed (HTTP {status})" if 300 <= status < 400
                                 else f"HTTP {status}")
        return Outcome(ok, status, elapsed_ms(), error, read)
    except (HTTPError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        if isinstance(reason, RefusedAddress):
            return Outcome(False, None, elapsed_ms(), str(reason)[:300])
        if timer.passed or isinstance(error, StepTimeout) or isinstance(reason, (DeadlinePassed, TimeoutError)) \
                or time.monotonic() >= timer.end:
            return Outcome(False, status, elapsed_ms(), late, read)
        return Outcome(False, status, elapsed_ms(), f"{type(error).__name__}: {str(reason)[:250]}", read)
    finally:
        timer.close()
        pool.close()
