"""The message list filtered by status while statuses move: a message in the requested statuses for
the whole walk is listed exactly once, and no message twice, wherever the moves fall between the
list's Queries (issue 20, item 5)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.messages.models import SHARDS
from tests.moving_statuses import before_queries, move_all_at, put_messages

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
# 12 messages, all Sent or Delivered the whole time: 5 move from Sent to Delivered during the read.
STATUSES = ["Delivered", "Sent"] * 5 + ["Delivered", "Delivered"]


@pytest.mark.parametrize("status, limit", [
    ("Sent,Delivered", 5),
    pytest.param("Delivered,Sent", 5, marks=pytest.mark.slow),
    pytest.param("Sent,Delivered", 50, marks=pytest.mark.slow),
    pytest.param("Delivered,Sent", 50, marks=pytest.mark.slow),
])
def test_twelve_messages_moving_between_requested_statuses_are_each_listed_once(shop, limit, status):
    """`make test` runs [Sent,Delivered-5] alone; the slow cases (`make test-long`) prove nothing more.
    The list sorts the requested statuses and reads them in the channel's word order, so both orders
    make the same Queries; and at limit 5 the first round already has a Query per status and shard
    (moves before each of them, as at limit 50), then the later rounds and pages that limit 50 lacks."""
    # One run per Query the moves can come before: every point of the read, the first pages and later ones.
    for when in range(1, 2 * SHARDS + 2):
        start = START + timedelta(hours=when + (100 if limit == 5 else 0) + (200 if status[0] == "D" else 0))
        ids = put_messages(shop.app_id, STATUSES, start)
        sent = [i for i, s in zip(ids, STATUSES) if s == "Sent"]
        query = (f"channel=sms&status={status}&order=asc&limit={limit}&from={start.isoformat()[:19]}Z"
                 f"&to={(start + timedelta(minutes=1)).isoformat()[:19]}Z")
        with before_queries(move_all_at(when, sent, "Delivered")):
            listed = [item["message_id"] for item in shop.listed(query)]
        assert listed == ids, f"moves before Query {when}: {len(listed)} listed, {len(set(listed))} distinct"


def test_a_cursor_of_before_resumes_and_a_signed_cursor_of_another_shape_is_a_406_not_a_500(shop):
    from chalicelib.core import cursors
    from chalicelib.core.errors import BAD_PARAMETER
    from tests.conftest import assert_oca_error

    start = START + timedelta(days=30)
    ids = put_messages(shop.app_id, ["Sent", "Delivered", "Sent"], start)
    base = (f"/applications/{shop.app_id}/messages?channel=sms&status=Sent,Delivered&order=asc&limit=1"
            f"&from={start.isoformat()[:19]}Z&to={(start + timedelta(minutes=1)).isoformat()[:19]}Z")
    first = shop.api.call("GET", base, headers=shop.session).json_body
    kid, _, signed_text = first["next_cursor"].rpartition("~")
    signer = cursors._serializer(kid)
    signed = signer.loads(signed_text)
    # The cursor's fields and meaning are unchanged (the last id listed, page 1's range): one signed
    # before the change is the same bytes, and goes on where it stopped.
    assert set(signed["k"]) == {"after", "start", "end"} and signed["k"]["after"] == ids[0]
    rest = shop.api.call("GET", f"{base}&cursor={kid}~{signer.dumps(signed)}", headers=shop.session)
    assert [item["message_id"] for item in rest.json_body["items"]] == [ids[1]]
    for other in ({"message_id": ids[0], "app_channel_status": "x"}, {**signed["k"], "after": 5},
                  {"after": ids[0], "start": signed["k"]["start"]}, {**signed["k"], "end": "soon"},
                  {**signed["k"], "after": ids[0] + "Z"}):
        cursor = f"{kid}~" + signer.dumps({"k": other, "s": signed["s"]})
        assert_oca_error(shop.api.call("GET", f"{base}&cursor={cursor}", headers=shop.session), 406, BAD_PARAMETER,
                         "cursor")
