"""Email one-click unsubscribe (RFC 8058): a broadcast email carries List-Unsubscribe and
List-Unsubscribe-Post; a POST of `List-Unsubscribe=One-Click` to its link suppresses the address in
that application only, once; a GET changes nothing; a forged or altered token is a 404 page."""
from __future__ import annotations

import json

import pytest

from chalicelib.broadcasts import plan, run, unsubscribe
from chalicelib.broadcasts.models import Broadcast
from chalicelib.core import stack_keys
from chalicelib.providers.base import Outbound
from chalicelib.providers.ses_email import SesEmailProvider
from chalicelib.providers.simulator import inbox_entry
from chalicelib.sending.prepared import Sender
from chalicelib.sending.request_rules import email as email_rules
from tests.conftest import Shop

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def shops(client) -> tuple[Shop, Shop]:
    from tests.conftest import Api

    return Shop(Api(client)), Shop(Api(client))


def _listed(shop: Shop) -> dict[str, dict]:
    page = shop.api.call("GET", f"/applications/{shop.app_id}/suppressions?limit=100", headers=shop.session)
    assert page.status_code == 200, page.json_body
    return {item["target"]: item for item in page.json_body["items"]}


def _post(shop: Shop, token: str, body: bytes = b"List-Unsubscribe=One-Click", headers=None):
    return shop.api.call("POST", f"/unsubscribe/{token}", raw=body, headers=headers or FORM)


def _text(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def test_a_one_click_post_suppresses_the_address_once_and_a_get_changes_nothing(shops):
    shop, _ = shops
    token = unsubscribe.make_token(shop.app_id, "email", "siti.promo@example.com")
    page = shop.api.call("GET", f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'method="post"' in _text(page) and "Berhenti berlangganan" in _text(page) and "Unsubscribe" in _text(page)
    assert "s***@example.com" in _text(page) and "siti.promo" not in _text(page)
    assert "siti.promo@example.com" not in _listed(shop)   # a mail scanner following the link unsubscribes nobody

    first = _post(shop, token)
    assert first.status_code == 200, _text(first)
    assert "You are unsubscribed" in _text(first) and "Anda sudah berhenti berlangganan" in _text(first)
    entry = _listed(shop)["siti.promo@example.com"]
    assert entry["reason"] == "unsubscribed"
    again = _post(shop, token)   # a second click, or the mail client's retry: the same answer, nothing new
    assert again.status_code == 200 and _text(again) == _text(first)
    assert _listed(shop)["siti.promo@example.com"] == entry


def test_multipart_one_click_is_accepted_and_a_post_without_it_is_refused(shops):
    shop, _ = shops
    token = unsubscribe.make_token(shop.app_id, "email", "multi@example.com")
    refused = _post(shop, token, b"hello=1")
    assert refused.status_code == 400 and "Incomplete request" in _text(refused)
    assert "multi@example.com" not in _listed(shop)
    body = (b'--b1\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b1--\r\n')
    taken = _post(shop, token, body, {"Content-Type": "multipart/form-data; boundary=b1"})
    assert taken.status_code == 200, _text(taken)
    assert _listed(shop)["multi@example.com"]["reason"] == "unsubscribed"


def test_an_entry_the_owner_made_keeps_its_reason(shops):
    shop, _ = shops
    assert shop.api.call("POST", f"/applications/{shop.app_id}/suppressions", {"targets": ["owner@example.com"]},
                         shop.session).status_code == 200
    assert _post(shop, unsubscribe.make_token(shop.app_id, "email", "owner@example.com")).status_code == 200
    assert _listed(shop)["owner@example.com"]["reason"] == "added"


def _resign(kid: str, payload: object) -> str:
    return f"{kid}~{unsubscribe._serializer(kid).dumps(payload)}"


def test_forged_and_altered_tokens_are_a_404_page_and_change_nothing(shops):
    shop, other = shops
    token = unsubscribe.make_token(shop.app_id, "email", "forged@example.com")
    kid, _, signed = token.partition("~")
    body, _, signature = signed.rpartition(".")
    from itsdangerous import URLSafeSerializer

    # App A's address, re-signed with a key that is not Kirim's, pointing at app B.
    foreign = URLSafeSerializer("not-the-master-key", salt="kirim-unsubscribe").dumps(
        [other.app_id, "email", "forged@example.com"])
    # A cursor is signed with the master key too, but under another purpose's key: not a token.
    from chalicelib.core import cursors

    cursor = cursors.encode({"pk": "x"}, "s")
    for bad in (f"{kid}~{foreign}", f"{kid}~{body}.{signature[:-2]}xx", "nonsense", f"99~{signed}", cursor,
                "x" * 3000):
        for answer in (shop.api.call("GET", f"/unsubscribe/{bad}"), _post(shop, bad)):
            assert answer.status_code == 404, (bad, _text(answer))
            assert "This link is not valid" in _text(answer) and "Tautan ini tidak berlaku" in _text(answer)
    # Well signed but not a token's shape (another channel, a missing part).
    for payload in ([shop.app_id, "sms", "+6281234567890"], [shop.app_id, "email"], {"a": shop.app_id}):
        assert _post(shop, _resign(kid, payload)).status_code == 404
    assert "forged@example.com" not in _listed(shop) and "forged@example.com" not in _listed(other)


def test_a_token_reaches_only_its_own_application(shops):
    shop, other = shops
    assert _post(shop, unsubscribe.make_token(other.app_id, "email", "only-b@example.com")).status_code == 200
    assert _listed(other)["only-b@example.com"]["reason"] == "unsubscribed"
    assert "only-b@example.com" not in _listed(shop)


def test_a_token_of_a_retired_master_key_is_a_404_not_a_500(shops, monkeypatch):
    shop, _ = shops
    token = unsubscribe.make_token(shop.app_id, "email", "old@example.com")
    monkeypatch.setenv("KIRIM_MASTER_KEY", json.dumps({"current": "new", "keys": {"new": "k" * 40}}))
    stack_keys.clear_cache()
    try:
        assert _post(shop, token).status_code == 404
        assert _post(shop, unsubscribe.make_token(shop.app_id, "email", "old@example.com")).status_code == 200
    finally:
        monkeypatch.undo()
        stack_keys.clear_cache()


def _email_broadcast(shop: Shop, links_base: str | None) -> Broadcast:
    return Broadcast(shop.app_id, "bc_01TEST", channel="email", links_base=links_base)


def test_a_broadcast_email_carries_the_one_click_headers_and_an_api_email_does_not(shops, monkeypatch):
    shop, _ = shops
    monkeypatch.delenv("PUBLIC_API_URL", raising=False)
    sender = Sender(shop.app_id, "email")
    content = {"sender_email": shop.sender_email, "subject": "Promo {{name}}", "html": "<p>Halo {{name}}</p>"}
    recipient = plan.Recipient(2, "Budi@Example.com", {"name": "Budi"})
    prepared = run.prepare(sender, _email_broadcast(shop, "https://api.kirim.example/api/"), content, recipient)
    outbound = prepared.outbound("01JTESTMESSAGE0000000000000")
    link = outbound.headers["List-Unsubscribe"]
    assert link.startswith("<https://api.kirim.example/api/unsubscribe/") and link.endswith(">")
    assert outbound.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = link[1:-1].rsplit("/", 1)[1]
    assert unsubscribe.read_token(token) == (shop.app_id, "email", prepared.target)
    # SES gets them as Simple content's Headers; the local test inbox shows them.
    request = SesEmailProvider(client=object()).build_request(outbound)
    assert request["Content"]["Simple"]["Headers"] == [
        {"Name": "List-Unsubscribe", "Value": link},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}]
    assert inbox_entry(outbound)["body"]["headers"] == outbound.headers
    # The operator's public address wins over the one the broadcast was created at.
    monkeypatch.setenv("PUBLIC_API_URL", "https://kirim.shop.example")
    again = run.prepare(sender, _email_broadcast(shop, "http://localhost"), content, recipient)
    assert again.outbound("01JTESTMESSAGE0000000000000").headers["List-Unsubscribe"].startswith(
        "<https://kirim.shop.example/unsubscribe/")
    # An email sent through the API (transactional) carries none.
    api_email = email_rules.prepare(sender, {"email": "budi@example.com", "sender_email": shop.sender_email,
                                             "subject": "Pesanan", "message": "<p>Halo</p>"})
    plain = api_email.outbound("01JTESTMESSAGE0000000000000")
    assert plain.headers is None
    assert "Headers" not in SesEmailProvider(client=object()).build_request(plain)["Content"]["Simple"]
    assert "headers" not in inbox_entry(plain)["body"]


def test_without_any_address_to_link_to_the_email_goes_without_the_headers(shops, monkeypatch):
    shop, _ = shops
    monkeypatch.delenv("PUBLIC_API_URL", raising=False)
    content = {"sender_email": shop.sender_email, "subject": "Promo", "html": "<p>Halo</p>"}
    prepared = run.prepare(Sender(shop.app_id, "email"), _email_broadcast(shop, None), content,
                           plan.Recipient(2, "budi@example.com", {}))
    assert prepared.outbound("01JTESTMESSAGE0000000000000").headers is None


def test_a_broadcast_remembers_the_address_it_was_created_at(shops):
    shop, _ = shops
    created = shop.api.call("POST", f"/applications/{shop.app_id}/broadcasts", {
        "name": "Promo", "channel": "email",
        "content": {"sender_email": shop.sender_email, "subject": "Promo", "html": "<p>Halo</p>"}},
        {**shop.session, "Host": "kirim.test:8000"})
    assert created.status_code == 201, created.json_body
    bc = Broadcast.get(shop.app_id, created.json_body["broadcast_id"])
    assert bc.links_base == "http://kirim.test:8000"


def test_an_outbound_with_headers_survives_the_outbox():
    from chalicelib.sending import outbox

    outbound = Outbound("01JTESTMESSAGE0000000000000", "email", "a@example.com", subject="s", html="h",
                        headers={"List-Unsubscribe": "<https://x/unsubscribe/t>"})
    assert outbox.decode(outbox.encode(outbound)) == outbound


def test_a_token_of_an_application_that_no_longer_exists_is_a_404(shops):
    shop, _ = shops
    token = unsubscribe.make_token("00000000-0000-4000-8000-000000000000", "email", "gone@example.com")
    assert unsubscribe.read_token(token) is not None   # well signed, but its application is gone
    assert shop.api.call("GET", f"/unsubscribe/{token}").status_code == 404
    assert _post(shop, token).status_code == 404
