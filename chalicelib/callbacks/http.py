"""One callback POST, safe against SSRF at connect time (urllib3, which Kirim already ships).

The URL was checked when it was set (core.safe_urls), but a name may resolve elsewhere by now
(DNS rebinding). So the connection classes below resolve the host themselves, connect only to
an allowed address, and check the peer's address once more after connecting; TLS still verifies
the certificate against the host name. No redirect is followed (a 3xx is a failed attempt),
nothing is retried here (the delivery schedule retries), at most MAX_BODY bytes of the answer
are read, and the whole attempt has DEADLINE_SECONDS.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.util.connection import create_connection

from chalicelib.core import safe_urls

DEADLINE_SECONDS = 5.0
MAX_BODY = 64 * 1024


class RefusedAddress(OSError):
    """The host resolved, or connected, to an address Kirim will not call."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    http_status: int | None
    latency_ms: int
    error: str | None = None
    body_bytes: int = 0


def _connect(connection: Any) -> socket.socket:
    target: safe_urls.Target = connection.kirim_target
    try:
        addresses = safe_urls.resolve(target.host, target.port)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise NewConnectionError(connection, f"cannot resolve {target.host}: {error}") from None
    allowed = [a for a in addresses if safe_urls.allowed_address(a, target)]
    if not allowed:
        raise RefusedAddress(f"{target.host} resolves to {', '.join(map(str, addresses))}: refused")
    last: Exception | None = None
    for address in allowed:
        try:
            sock = create_connection((str(address), target.port), timeout=connection.timeout,
                                     source_address=connection.source_address,
                                     socket_options=connection.socket_options)
        except OSError as error:
            last = error
            continue
        peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
        if not safe_urls.allowed_address(peer, target):  # what we reached, not what we asked for
            sock.close()
            raise RefusedAddress(f"connected to {peer}: refused")
        return sock
    raise NewConnectionError(connection, f"cannot connect to {target.host}: {last}")


class _CheckedHTTPConnection(HTTPConnection):
    kirim_target: safe_urls.Target

    def _new_conn(self) -> socket.socket:
        return _connect(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    kirim_target: safe_urls.Target

    def _new_conn(self) -> socket.socket:
        return _connect(self)


def _pool(target: safe_urls.Target, timeout: Timeout) -> Any:
    secure = target.scheme == "https"
    base = _CheckedHTTPSConnection if secure else _CheckedHTTPConnection
    connection_class = type(base.__name__, (base,), {"kirim_target": target})
    pool_class = HTTPSConnectionPool if secure else HTTPConnectionPool
    pool = pool_class(target.host, target.port, timeout=timeout, maxsize=1, retries=False, block=False)
    pool.ConnectionCls = connection_class
    return pool


def post(url: str, body: bytes, headers: dict[str, str], deadline: float = DEADLINE_SECONDS) -> Outcome:
    """POST once. Success is a 2xx answer within the deadline."""
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = safe_urls.parse(url)
    except Exception:  # noqa: BLE001 - a URL that no longer passes the rules is never called
        return Outcome(False, None, 0, "callback_url is not allowed")
    pool = _pool(target, Timeout(total=deadline))
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=headers, redirect=False, retries=False,
                                preload_content=False, assert_same_host=False)
        try:
            read = 0  # the answer is not needed; it is read (at most MAX_BODY) so the exchange completes
            while read < MAX_BODY and time.monotonic() - started < deadline:
                chunk = response.read(min(16 * 1024, MAX_BODY - read))
                if not chunk:
                    break
                read += len(chunk)
        finally:
            response.release_conn()
            response.close()
        latency = elapsed_ms()
        if latency > deadline * 1000:
            return Outcome(False, response.status, latency, f"no complete answer within {deadline:g} s", read)
        ok = 200 <= response.status < 300
        error = None if ok else (f"redirect not followed (HTTP {response.status})" if 300 <= response.status < 400
                                 else f"HTTP {response.status}")
        return Outcome(ok, response.status, latency, error, read)
    except RefusedAddress as error:
        return Outcome(False, None, elapsed_ms(), str(error)[:300])
    except (HTTPError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        if isinstance(reason, RefusedAddress):
            return Outcome(False, None, elapsed_ms(), str(reason)[:300])
        return Outcome(False, None, elapsed_ms(), f"{type(error).__name__}: {str(reason)[:250]}")
    finally:
        pool.close()
