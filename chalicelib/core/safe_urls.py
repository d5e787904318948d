"""URLs a customer gives Kirim to call (status callbacks), so that Kirim cannot be made to call
its own network (SSRF): checked when the URL is set, and the address is checked again when a
connection is made (callbacks.http), because a name can resolve elsewhere later (DNS rebinding).

Outside the local stage: https only, on port 443 or a port the operator lists (CALLBACK_PORTS),
and every address the host resolves to must be a public one (no loopback, private, link-local
such as 169.254.169.254, unique-local, shared, multicast or reserved address). The local stage
also allows http://127.0.0.1:<port>, so that tests and developers can receive callbacks.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.core.config import get_settings
from chalicelib.core.errors import bad_parameter

MAX_URL_LENGTH = 2048
LOCAL_HOST = "127.0.0.1"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str          # path and query, as sent in the request line
    loopback_ok: bool  # the local stage's http://127.0.0.1 exception


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")      # RFC 8215: where the IPv4 sits is the operator's
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")      # RFC 2765's IPv4-translated form
_COMPATIBLE = ipaddress.ip_network("::/96")                # deprecated IPv4-compatible form (and :: and ::1)


def _carried_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address carries, where a gateway or the host's own stack would
    deliver it (None for a plain IPv6 address)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the server and the client (de-obfuscated)
    if address in _NAT64 or address in _TRANSLATED or address in _COMPATIBLE:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]  # the low 32 bits
    return None


def is_public(address: IpAddress) -> bool:
    """An address anyone on the internet can reach: not loopback, private (10/8, 172.16/12,
    192.168/16), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), shared (100.64/10),
    multicast, reserved or unspecified. An IPv6 form that carries an IPv4 address (mapped,
    translated, compatible, NAT64, 6to4, Teredo) is public only if every IPv4 address it carries is;
    the local-use NAT64 prefix never is, since where it carries the address is the operator's choice."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        carried = _carried_ipv4(address)
        if carried is not None:
            # Mapped, translated and compatible forms reach the IPv4 host itself; the others go
            # through a gateway and must be global IPv6 addresses as well.
            direct = address.ipv4_mapped is not None or address in _TRANSLATED or address in _COMPATIBLE
            return all(is_public(v4) for v4 in carried) and (direct or address.is_global)
    return address.is_global and not address.is_multicast


def allowed_address(address: IpAddress, target: Target) -> bool:
    if target.loopback_ok:
        return address == ipaddress.ip_address(LOCAL_HOST)
    return is_public(address)


def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def parse(url: str, field: str = "callback_url") -> Target:
    """The URL's parts, or a 406 naming the field, by the stage's rules (no resolution here)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH or not url.isascii() or any(
            c.isspace() for c in url):
        raise bad_parameter(field, f"{field} must be an https URL of at most {MAX_URL_LENGTH} characters",
                            "https_required")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad_parameter(field, f"{field} is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise bad_parameter(field, f"{field} must name a host")
    if parts.username is not None or parts.password is not None:
        raise bad_parameter(field, f"{field} must not carry credentials; authenticate callbacks by their signature")
    if parts.fragment:
        raise bad_parameter(field, f"{field} must not have a #fragment")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    local = get_settings().stage == "local"
    if parts.scheme == "http" and local and host == LOCAL_HOST and port:
        return Target("http", host, port, path, loopback_ok=True)
    if parts.scheme != "https":
        hint = " (or http://127.0.0.1:<port> in the local stage)" if local else ""
        raise bad_parameter(field, f"{field} must be an https URL{hint}", "https_required")
    port = port or 443
    allowed = sorted(get_settings().callback_ports)
    if port not in allowed:
        raise bad_parameter(field, f"{field} must use port {', '.join(map(str, allowed))}")
    return Target("https", host, port, path, loopback_ok=False)


def check(url: str, field: str = "callback_url") -> Target:
    """parse(), then resolve the host: every address must be allowed (406 naming the field)."""
    target = parse(url, field)
    try:
        addresses = resolve(target.host, target.port)
    except (socket.gaierror, UnicodeError, ValueError):
        raise bad_parameter(field, f"{field}: the host {target.host!r} does not resolve") from None
    refused = [str(a) for a in addresses if not allowed_address(a, target)]
    if refused or not addresses:
        raise bad_parameter(field, f"{field}: {target.host} resolves to an address Kirim will not call "
                                   f"({', '.join(refused) or 'none'}): loopback, private, link-local and "
                                   "unique-local addresses are refused")
    return target
