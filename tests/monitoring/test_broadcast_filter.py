"""Monitoring filtered by broadcast: the sparse `by_broadcast` index lists one broadcast's messages,
newest first, paged by a signed cursor, without reading the application's other messages; each
message carries its broadcast; another account gets 404."""
from __future__ import annotations

import pytest

from chalicelib.messages.models import Message
from chalicelib.sending import pipeline
from tests.broadcasts.helpers import file_side  # noqa: F401 - autouse: the file side faked here
from tests.broadcasts.helpers import CountingProvider, ready_sms, run_jobs, table
from tests.conftest import Shop, assert_dashboard_error, settle_changes
from tests.sends import sms_body


@pytest.fixture(scope="module")
def seeded(client):
    """One shop with two sent broadcasts (12 and 3 recipients) and one message sent by the API."""
    from tests.conftest import Api

    shop = Shop(Api(client))
    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "provider_for", lambda channel: CountingProvider())
    try:
        ids = []
        for name, rows in (("Promo besar", table(12, 700)), ("Promo kecil", table(3, 800))):
            bc = ready_sms(shop, rows, name=name)
            assert shop.api.call("POST", f"/applications/{shop.app_id}/broadcasts/{bc['broadcast_id']}/start",
                                 None, shop.session).status_code == 200
            run_jobs()
            ids.append(bc["broadcast_id"])
        plain = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms"))
        assert plain.status_code == 200
    finally:
        patch.undo()
    settle_changes()
    return shop, ids[0], ids[1], plain.json_body["msg_uid"]


def _get(shop: Shop, query: str, session=None):
    return shop.api.call("GET", f"/applications/{shop.app_id}/messages?{query}", headers=session or shop.session)


def test_a_broadcasts_messages_page_by_page_newest_first_and_nothing_else(seeded, monkeypatch):
    shop, big, small, plain = seeded

    def no(*args, **kwargs):
        raise AssertionError("the broadcast filter reads its own index only")

    # Neither the application's nor the channel's partitions are read: only the broadcast's own.
    monkeypatch.setattr(Message.by_app, "query", no)
    monkeypatch.setattr(Message.by_app_channel, "query", no)
    monkeypatch.setattr(Message.by_status, "query", no)
    seen, cursor = [], None
    for _ in range(4):
        page = _get(shop, f"broadcast_id={big}&limit=5" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.json_body
        body = page.json_body
        assert body["total"] is None
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 12 and len({m["message_id"] for m in seen}) == 12
    assert [m["message_id"] for m in seen] == sorted((m["message_id"] for m in seen), reverse=True)
    assert {m["broadcast_id"] for m in seen} == {big}
    assert plain not in {m["message_id"] for m in seen}
    # Oldest first, and a status filter, on the same index.
    oldest = _get(shop, f"broadcast_id={small}&order=asc&status=Submitted,Sent,Delivered,Failed").json_body
    assert [m["broadcast_id"] for m in oldest["items"]] == [small] * 3
    assert [m["message_id"] for m in oldest["items"]] == sorted(m["message_id"] for m in oldest["items"])


def test_each_message_carries_its_broadcast_in_the_list_and_the_detail(seeded):
    shop, big, small, plain = seeded
    items = _get(shop, "limit=200").json_body["items"]
    by_id = {m["message_id"]: m["broadcast_id"] for m in items}
    assert by_id[plain] is None
    assert sorted(b for b in by_id.values() if b) == sorted([big] * 12 + [small] * 3)
    one = next(i for i, b in by_id.items() if b == small)
    detail = shop.api.call("GET", f"/applications/{shop.app_id}/messages/{one}", headers=shop.session).json_body
    assert detail["broadcast_id"] == small
    plain_detail = shop.api.call("GET", f"/applications/{shop.app_id}/messages/{plain}", headers=shop.session)
    assert plain_detail.json_body["broadcast_id"] is None


def test_a_recipient_within_a_broadcast(seeded):
    shop, big, small, plain = seeded
    page = _get(shop, f"broadcast_id={big}&recipient=081290000701").json_body
    assert [m["target"] for m in page["items"]] == ["+6281290000701"]
    assert _get(shop, f"broadcast_id={small}&recipient=081290000701").json_body["items"] == []


def test_another_account_gets_404_and_a_bad_id_or_cursor_a_clear_error(seeded, client):
    from tests.conftest import Api

    shop, big, small, plain = seeded
    api = Api(client)
    _, stranger = api.user()
    assert_dashboard_error(_get(shop, f"broadcast_id={big}", stranger), 404, 33)
    # The same broadcast id under another application lists nothing of this one's.
    own = api.application(stranger)["application_id"]
    other = api.call("GET", f"/applications/{own}/messages?broadcast_id={big}", headers=stranger)
    assert other.status_code == 200 and other.json_body["items"] == []
    for bad in ("nope", "bc_", "bc_" + "x" * 26, "bc_01J" + "Z" * 40):
        assert_dashboard_error(_get(shop, f"broadcast_id={bad}"), 406, 39, "broadcast_id")
    cursor = _get(shop, f"broadcast_id={big}&limit=2").json_body["next_cursor"]
    assert cursor
    # A cursor is bound to its broadcast.
    assert_dashboard_error(_get(shop, f"broadcast_id={small}&limit=2&cursor={cursor}"), 406, 39, "cursor")
    assert_dashboard_error(_get(shop, f"limit=2&cursor={cursor}"), 406, 39, "cursor")
