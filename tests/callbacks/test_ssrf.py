"""SSRF: callback URLs are refused for every non-public address class, when set and again at
connect time (DNS rebinding); no redirect is followed; at most 64 KB of an answer is read."""
from __future__ import annotations

import ipaddress

import pytest

from chalicelib.callbacks import http
from chalicelib.core import safe_urls
from chalicelib.core.errors import ApiError
from tests.fakes import webhook_receiver
from tests.fakes.webhook_receiver import Answer

REFUSED = ["127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
           "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1", "fd12:3456::1",
           "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::"]


def resolving(monkeypatch, *answers: str) -> list[str]:
    """Make every host resolve to `answers` in turn (the last one repeats); returns the hosts asked."""
    asked: list[str] = []
    queue = list(answers)

    def resolve(host, port):
        asked.append(host)
        value = queue.pop(0) if len(queue) > 1 else queue[0]
        return [ipaddress.ip_address(value)]

    monkeypatch.setattr(safe_urls, "resolve", resolve)
    return asked


@pytest.mark.parametrize("address", REFUSED)
def test_every_non_public_address_class_is_refused(address):
    assert not safe_urls.is_public(ipaddress.ip_address(address))


# IPv6 forms that carry an IPv4 address, each around a private one: NAT64 (64:ff9b::/96, and the
# local-use 64:ff9b:1::/48), 6to4 (2002::/16), IPv4-compatible (::/96), IPv4-translated
# (::ffff:0:0:0/96) and Teredo (2001::/32, its server and client addresses).
EMBEDDED_PRIVATE = ["64:ff9b::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::169.254.169.254", "64:ff9b:1::a00:1",
                    "2002:a00:1::1", "2002:7f00:1::", "2002:a9fe:a9fe::1", "::10.0.0.1", "::127.0.0.1",
                    "::169.254.169.254", "::ffff:0:10.0.0.1", "2001:0:a00:1::1", "2001:0:4136:e378:8000:63bf:f5ff:fffe"]


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_an_ipv6_form_of_a_private_ipv4_address_is_refused(stage, monkeypatch, address):
    assert not safe_urls.is_public(ipaddress.ip_address(address))
    stage("dev")
    with pytest.raises(ApiError):
        safe_urls.check(f"https://[{address}]/kirim")


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111",
                                     "64:ff9b::8.8.8.8", "2002:808:808::1", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert safe_urls.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", REFUSED)
def test_a_host_resolving_to_a_refused_address_cannot_be_set(stage, monkeypatch, address):
    stage("dev")
    resolving(monkeypatch, address)
    with pytest.raises(ApiError) as refused:
        safe_urls.check("https://hooks.shop.example/kirim")
    assert (refused.value.status, refused.value.code, refused.value.field) == (406, 39, "callback_url")
    # An IP literal is judged the same way.
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(ApiError):
        safe_urls.check(f"https://{literal}/kirim")


def test_localhost_outside_the_local_stage_is_refused_by_its_real_resolution(stage):
    stage("dev")
    with pytest.raises(ApiError) as refused:
        safe_urls.check("https://localhost/kirim")   # the system resolver answers 127.0.0.1
    assert "127.0.0.1" in refused.value.message or "::1" in refused.value.message


@pytest.mark.parametrize("url,why", [
    ("http://hooks.shop.example/kirim", "https"),
    ("http://127.0.0.1:8080/kirim", "https"),        # the local exception is the local stage's only
    ("https://hooks.shop.example:8443/kirim", "port"),
    ("https://hooks.shop.example:22/kirim", "port"),
    ("https://user:pass@hooks.shop.example/kirim", "credentials"),
    ("https://hooks.shop.example/kirim#x", "fragment"),
    ("ftp://hooks.shop.example/kirim", "https"),
    ("https:///kirim", "host"),
    ("https://hooks.shop.example/" + "a" * 2100, "2048"),
])
def test_outside_local_only_https_on_allowed_ports(stage, monkeypatch, url, why):
    stage("dev")
    resolving(monkeypatch, "93.184.216.34")
    with pytest.raises(ApiError) as refused:
        safe_urls.check(url)
    assert why in refused.value.message


def test_a_listed_port_and_a_public_host_are_accepted(stage, monkeypatch):
    stage("dev", ports="8443")
    resolving(monkeypatch, "93.184.216.34")
    assert safe_urls.check("https://hooks.shop.example:8443/kirim?shop=1").path == "/kirim?shop=1"
    assert safe_urls.check("https://hooks.shop.example/kirim").port == 443


def test_the_local_stage_allows_http_on_127_0_0_1_only(stage, monkeypatch):
    stage("local")
    assert safe_urls.check("http://127.0.0.1:9000/hook").loopback_ok
    for url in ("http://localhost:9000/hook", "http://10.0.0.5:9000/hook", "http://127.0.0.1/hook"):
        with pytest.raises(ApiError):
            safe_urls.check(url)
    resolving(monkeypatch, "10.0.0.5")
    with pytest.raises(ApiError):
        safe_urls.check("https://internal.shop.example/hook")  # https in local still needs a public host


def test_dns_rebinding_is_caught_at_connect_time(stage, monkeypatch):
    """The host was public when the URL was set; when the attempt connects it resolves to the
    receiver on 127.0.0.1. The attempt is refused and nothing reaches the receiver."""
    receiver, server = webhook_receiver.start()
    try:
        stage("dev")
        port = int(receiver.url.split(":")[2].split("/")[0])
        url = f"https://rebind.shop.example:{port}/kirim/callbacks"
        asked = resolving(monkeypatch, "93.184.216.34", "127.0.0.1")
        stage("dev", ports=str(port))
        safe_urls.check(url)                      # set: public
        outcome = http.post(url, b"{}", {})       # connect: now loopback
        assert not outcome.ok and outcome.http_status is None and "refused" in outcome.error
        assert asked == ["rebind.shop.example", "rebind.shop.example"]
        assert receiver.received == []
    finally:
        server.shutdown()


def test_the_peer_address_is_checked_after_connecting(stage, monkeypatch):
    """Even if the resolver's answer passed, the address actually connected to is checked."""
    receiver, server = webhook_receiver.start()
    try:
        stage("local")
        monkeypatch.setattr(safe_urls, "allowed_address",
                            lambda address, target: not http._connected)
        original = http.create_connection

        def connect(*args, **kwargs):
            sock = original(*args, **kwargs)
            http._connected = True
            return sock

        monkeypatch.setattr(http, "create_connection", connect)
        monkeypatch.setattr(http, "_connected", False, raising=False)
        outcome = http.post(receiver.url, b"{}", {})
        assert not outcome.ok and "connected to 127.0.0.1: refused" in outcome.error
        assert receiver.received == []
    finally:
        server.shutdown()


def test_no_redirect_is_followed_and_at_most_64_kb_is_read(stage):
    receiver, server = webhook_receiver.start()
    try:
        stage("local")
        receiver.script = [Answer(status=302, location="http://169.254.169.254/latest/meta-data/"),
                           Answer(status=200, body_bytes=1024 * 1024)]
        redirected = http.post(receiver.url, b"{}", {"content-type": "application/json"})
        assert not redirected.ok and redirected.http_status == 302 and "redirect" in redirected.error
        assert len(receiver.received) == 1
        big = http.post(receiver.url, b"{}", {"content-type": "application/json"})
        assert big.ok and big.http_status == 200 and big.body_bytes == http.MAX_BODY
    finally:
        server.shutdown()


def test_the_settings_route_refuses_a_private_callback_url(api):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    for url in ("https://10.0.0.1/hook", "https://[::1]/hook", "https://169.254.169.254/latest"):
        answer = api.call("PUT", f"/applications/{app_id}/settings", {"callback_url": url}, session)
        assert answer.status_code == 406 and answer.json_body["errors"][0]["field"] == "callback_url"
