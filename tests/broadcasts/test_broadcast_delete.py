"""Deleting a broadcast cleans up what it left behind: its uploaded file, its chunks and errors file on
S3, and its chunk cursors (a Query on its own keys); its sent messages, the suppression list and other
broadcasts' files and cursors stay."""
from __future__ import annotations

import pytest

from chalicelib.broadcasts import plan
from chalicelib.broadcasts.models import CHUNK_PREFIX, Chunk
from chalicelib.core import aws
from chalicelib.core.config import get_settings
from chalicelib.sending import pipeline
from tests.broadcasts.helpers import file_side  # noqa: F401 - autouse: the file side faked here
from tests.broadcasts.helpers import CountingProvider, ready_sms, run_jobs, table
from tests.conftest import Shop, settle_changes


@pytest.fixture(autouse=True)
def provider(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: CountingProvider())


def _keys(shop: Shop, broadcast_id: str) -> list[str]:
    answer = aws.client("s3").list_objects_v2(Bucket=get_settings().report_bucket,
                                              Prefix=plan.broadcast_prefix(shop.app_id, broadcast_id))
    return sorted(item["Key"] for item in answer.get("Contents", []))


def _cursors(shop: Shop, broadcast_id: str) -> list[str]:
    return [c.broadcast_id for c in Chunk.query(shop.app_id, Chunk.broadcast_id.startswith(
        f"{CHUNK_PREFIX}{broadcast_id}#"))]


def _sent(shop: Shop, rows: list[list[str]], name: str) -> str:
    bc = ready_sms(shop, rows, name=name)
    one = f"/applications/{shop.app_id}/broadcasts/{bc['broadcast_id']}"
    assert shop.api.call("POST", one + "/start", None, shop.session).status_code == 200
    run_jobs()
    assert shop.api.call("GET", one, headers=shop.session).json_body["status"] == "completed"
    return bc["broadcast_id"]


def test_a_deleted_broadcast_leaves_no_file_nor_cursor_but_its_messages_stay(shop):
    rows = table(25, 900) + [["not a number", "X"]]   # 3 chunks of 10 here, and one bad row: an errors file
    gone = _sent(shop, rows, "To delete")
    kept = _sent(shop, table(4, 950), "To keep")
    api, s = shop.api, shop.session
    assert api.call("POST", f"/applications/{shop.app_id}/suppressions", {"targets": ["081290000900"]},
                    s).status_code == 200
    settle_changes()
    assert _keys(shop, gone) == sorted([plan.upload_key(shop.app_id, gone), plan.errors_key(shop.app_id, gone),
                                        plan.errors_key(shop.app_id, gone, "id"),
                                        *(plan.chunk_key(shop.app_id, gone, n) for n in range(3))])
    assert len(_cursors(shop, gone)) == 3
    kept_keys, kept_cursors = _keys(shop, kept), _cursors(shop, kept)
    assert kept_keys and kept_cursors

    assert api.call("DELETE", f"/applications/{shop.app_id}/broadcasts/{gone}", headers=s).status_code == 204
    assert _keys(shop, gone) == [] and _cursors(shop, gone) == []
    # The other broadcast's files and cursors, the suppression list and the sent messages stay.
    assert _keys(shop, kept) == kept_keys and _cursors(shop, kept) == kept_cursors
    listed = api.call("GET", f"/applications/{shop.app_id}/suppressions", headers=s).json_body["items"]
    assert "+6281290000900" in {i["target"] for i in listed}
    messages = api.call("GET", f"/applications/{shop.app_id}/messages?broadcast_id={gone}&limit=50", headers=s)
    assert messages.status_code == 200 and len(messages.json_body["items"]) == 25
    assert api.call("DELETE", f"/applications/{shop.app_id}/broadcasts/{gone}", headers=s).status_code == 404


def test_a_draft_with_only_its_upload_is_deleted_whole(shop):
    from tests.broadcasts.helpers import csv_of, put_upload

    api, s = shop.api, shop.session
    created = api.call("POST", f"/applications/{shop.app_id}/broadcasts",
                       {"name": "Draft", "channel": "sms", "content": {"sender_id": "KIRIM", "text": "Halo"}}, s)
    assert created.status_code == 201, created.json_body
    bc = created.json_body["broadcast_id"]
    put_upload(shop.app_id, bc, csv_of(table(2)))
    assert _keys(shop, bc) == [plan.upload_key(shop.app_id, bc)]
    assert api.call("DELETE", f"/applications/{shop.app_id}/broadcasts/{bc}", headers=s).status_code == 204
    assert _keys(shop, bc) == [] and _cursors(shop, bc) == []
