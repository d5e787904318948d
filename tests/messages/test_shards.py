"""The message indexes are written in SHARDS partitions per key; every reader merges them by id."""
from __future__ import annotations

from collections import Counter as Tally

from chalicelib.messages import queries
from chalicelib.messages.models import Message, index_keys, shard_of, status_key
from tests.conftest import Shop
from tests.sends import sms_body


def test_a_message_s_shard_comes_from_its_id_and_every_key_carries_it():
    assert [shard_of("01J0000000000000000000000" + c) for c in "0189AZ"] == [0, 1, 0, 1, 2, 7]
    assert shard_of("01j000000000000000000000000z") == shard_of("01J000000000000000000000000Z")
    keys = index_keys("app", "sms", "Submitted", "01J000000000000000000000000Z")
    assert keys == {"app_shard": "app#7", "app_channel": "app#sms#7", "app_channel_status": "app#sms#Submitted#7"}


def test_sends_spread_over_shards_and_every_listing_merges_them_in_order_once(api):
    shop = Shop(api)
    sent = [shop.api.call("POST", "/sms/v2/sms", sms_body(message=f"m{i}"), shop.v2("sms")).json_body["msg_uid"]
            for i in range(24)]
    stored = [Message.get(m) for m in sent]
    assert len(Tally(shard_of(m.message_id) for m in stored)) >= 3  # 24 random ids: several shards
    for message in stored:
        shard = shard_of(message.message_id)
        assert message.app_shard == f"{shop.app_id}#{shard}"
        assert message.app_channel == f"{shop.app_id}#sms#{shard}"
        assert message.app_channel_status == status_key(shop.app_id, "sms", message.status, shard)
    assert [m.message_id for m in queries.channel_messages(shop.app_id, "sms")] == sorted(sent)

    # OCA's history: newest first, each message once, over pages of 5 that resume by cursor.
    seen, cursor = [], None
    while True:
        page = shop.api.call("GET", "/sms/v2/sms/history?limit=5" + (f"&cursor={cursor}" if cursor else ""),
                             headers=shop.v2("sms"))
        assert len(page.json_body) <= 5
        seen += [row["msgid"] for row in page.json_body]
        cursor = page.headers.get("X-Next-Cursor")
        if not cursor:
            break
    assert seen == sorted(sent, reverse=True)

    # The dashboard's list over every channel (by_app's shards), oldest first, pages of 7.
    listed, cursor = [], None
    while True:
        query = "order=asc&limit=7" + (f"&cursor={cursor}" if cursor else "")
        page = shop.api.call("GET", f"/applications/{shop.app_id}/messages?{query}", headers=shop.session).json_body
        listed += [item["message_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert listed == sorted(sent)
