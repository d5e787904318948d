"""A broadcast's results report reads the broadcast's own `by_broadcast` shards, never the channel's other
messages (issue 22): the DynamoDB calls and items of one are counted with thousands of other messages of the
same channel and time around it, and every broadcast message is a row exactly once, while statuses move
during the read, and when the worker stops at a checkpoint (or dies) and is run again."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from ulid import ULID

from chalicelib.core import aws, clock
from chalicelib.core.config import get_settings
from chalicelib.messages import queries
from chalicelib.messages.models import SHARDS, index_keys
from chalicelib.reports import job_state
from chalicelib.reports import service as reports
from chalicelib.reports import worker as report_jobs
from chalicelib.reports.models import Report
from local import faults
from local.call_counter import ITEMS, counting
from tests.moving_statuses import before_queries, move_all_at

START = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
OTHERS = 2_000     # messages of the same channel and time, of no broadcast (or another one)
OWN = 240          # the broadcast's
PART = 4 << 10


class Killed(BaseException):
    """The worker's process dies here (nothing in Kirim catches a BaseException)."""


def _write(app_id: str, broadcast_id: str | None, count: int, start: datetime, seconds: float,
           status: str = "Sent") -> list[str]:
    """`count` SMS messages from `start`, `seconds` apart, as the send path leaves them; message i is in
    shard i mod 8 (its id's last character). Returns their ids in id order."""
    ids = []
    with boto3.resource("dynamodb").Table(get_settings().messages_table).batch_writer() as batch:
        for i in range(count):
            moment = start + timedelta(seconds=i * seconds)
            message_id = str(ULID.from_timestamp(moment.timestamp()))[:-1] + _ALPHABET[i % 8]
            at = clock.iso(moment)
            details = {"message_body": f"Halo {broadcast_id} {i}", "total_sms": 1}
            if broadcast_id:
                details.update(broadcast_id=broadcast_id, source="broadcast")
            batch.put_item(Item={"message_id": message_id, "application_id": app_id, "channel": "sms",
                                 "target": f"+62813{i:07d}", "status": status, "created_at": at, "updated_at": at,
                                 "day": at[:10], "cost": 1, "details": details, "history": [],
                                 **index_keys(app_id, "sms", status, message_id, broadcast_id=broadcast_id)})
            ids.append(message_id)
    return sorted(ids)


@pytest.fixture(scope="module")
def seeded(shop):
    """One broadcast's 240 messages over four minutes, amid 2,000 others of the channel over the same
    four minutes (and before and after them) and another broadcast's 200."""
    own = _write(shop.app_id, "bc_own", OWN, START, 1.0)
    _write(shop.app_id, None, OTHERS, START - timedelta(minutes=2), 0.2)
    _write(shop.app_id, "bc_other", 200, START, 1.2)
    return shop, own


@pytest.fixture(autouse=True)
def no_queue(monkeypatch):
    """Each test runs its report's slices itself: none is left on the report queue for other tests."""
    monkeypatch.setattr(reports, "queue_job", lambda application_id, report_id: None)


def _results(shop, statuses: list[str] | None = None) -> str:
    broadcast = {"broadcast_id": "bc_own", "name": "Lebaran", "channel": "sms", "total": OWN,
                 "started_at": clock.iso(START), "completed_at": clock.iso(START + timedelta(seconds=OWN))}
    report = reports.create_for_broadcast(shop.app_id, "Asia/Jakarta", broadcast, "csv")
    if statuses is not None:
        report.update(actions=[Report.statuses.set(statuses)])
    return report.report_id


def _rows(shop, report_id: str) -> list[list[str]]:
    report = Report.get(shop.app_id, report_id, consistent_read=True)
    assert report.status == "Done", report.error
    body = aws.client("s3").get_object(Bucket=get_settings().report_bucket, Key=report.s3_key)["Body"].read()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert int(report.rows) == len(rows)
    return rows


def _finish(shop, report_id: str) -> int:
    """Runs the report's slices until it is done; returns how many ran."""
    for slices in range(1, 50):
        if report_jobs.run(shop.app_id, report_id, attempt=1) == "done":
            return slices
    raise AssertionError("the report did not finish")


def test_the_results_read_only_the_broadcast_s_messages(seeded):
    shop, own = seeded
    report_id = _results(shop)
    indexes = []
    with faults.injected("dynamodb", "Query", action=lambda call: indexes.append(call.get("IndexName")),
                         then_call=True, times=10**9, when=lambda call: call.get("TableName") ==
                         get_settings().messages_table), counting() as calls:
        assert report_jobs.run(shop.app_id, report_id, attempt=1) == "done"
    # One Query per shard (each holds 30 of its messages, under a page) and one BatchGetItem per 100 rows, for
    # the body and segments the index does not project; the progress bar's total is the broadcast's own.
    assert indexes == ["by_broadcast"] * SHARDS
    assert calls[("dynamodb", "Query")] == SHARDS and calls[("dynamodb", "BatchGetItem")] == 3
    assert calls[("dynamodb", "Scan")] == 0
    assert Report.get(shop.app_id, report_id).expected_rows == OWN
    rows = _rows(shop, report_id)
    assert [r["message_id"] for r in rows] == own
    assert rows[0]["message_body"] == "Halo bc_own 0" and rows[-1]["message_body"] == f"Halo bc_own {OWN - 1}"
    assert {r["total_sms"] for r in rows} == {"1"} and {r["status"] for r in rows} == {"Sent"}
    assert rows[0]["created_at"] == "2026-03-02T08:00:00+07:00"


def test_items_read_are_the_broadcast_s_only(seeded):
    """The same read as the worker makes, counted item by item: what the Queries scanned, what the
    BatchGetItems returned."""
    shop, own = seeded
    batch_items = []
    with faults.injected("dynamodb", "BatchGetItem", then_call=True, times=10**9,
                         action=lambda call: batch_items.append(len(call["RequestItems"][
                             get_settings().messages_table]["Keys"]))), counting() as calls:
        read = list(queries.iter_messages(shop.app_id, "sms", ["Sent", "Delivered"], START - timedelta(minutes=5),
                                          START + timedelta(minutes=10), report_jobs.READ_PAGE,
                                          attributes=report_jobs.read_attributes("sms"), broadcast_id="bc_own"))
    assert [m["message_id"] for m in read] == own
    # 240 index entries scanned and 240 items fetched, of the 2,440 messages of the channel in those minutes.
    assert calls[ITEMS] == 2 * OWN and batch_items == [100, 100, 40]
    assert all(m["details"]["broadcast_id"] == "bc_own" for m in read)


@pytest.mark.parametrize("when", range(1, 2 * SHARDS + 2, 3))
def test_statuses_moving_during_the_read_leave_each_message_one_row(seeded, when, monkeypatch):
    """A third of a broadcast's 30 messages move from Sent to Delivered before the when-th Query of the read
    (pages of 2 items a shard: 2 or 3 Queries a shard, 16 or more in all): each message is still one row, in
    id order."""
    monkeypatch.setattr(report_jobs, "READ_PAGE", 2 * SHARDS)
    shop, _ = seeded
    start = START + timedelta(hours=when)
    ids = _write(shop.app_id, f"bc_moving{when}", 30, start, 1.0)
    _write(shop.app_id, None, 60, start, 0.5)
    broadcast = {"broadcast_id": f"bc_moving{when}", "name": "Moving", "channel": "sms", "total": 30,
                 "started_at": clock.iso(start), "completed_at": clock.iso(start + timedelta(seconds=30))}
    report_id = reports.create_for_broadcast(shop.app_id, "Asia/Jakarta", broadcast, "csv").report_id
    moving = ids[::3]
    with before_queries(move_all_at(when, moving, "Delivered")) as queries_made:
        assert report_jobs.run(shop.app_id, report_id, attempt=1) == "done"
    assert queries_made[0] >= when   # the moves came during the read
    rows = _rows(shop, report_id)
    assert [r["message_id"] for r in rows] == ids
    # A message's row has the status it had when its shard's page was read: Sent or Delivered.
    assert {r["status"] for r in rows if r["message_id"] not in moving} == {"Sent"}


@pytest.fixture
def small_parts(monkeypatch):
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", PART)   # S3's 5 MiB rule, at this scale
    monkeypatch.setattr(report_jobs, "BATCH", 20)   # a part boundary may come every 20 rows
    monkeypatch.setattr(report_jobs, "READ_PAGE", 4 * SHARDS)
    settings = get_settings()._replace(report_part_bytes=PART, report_slice_seconds=0)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)


def test_slices_resumed_from_their_checkpoints_write_each_row_once(seeded, small_parts):
    """Each slice stops at its first part boundary and the next resumes after the checkpoint's last id."""
    shop, own = seeded
    report_id = _results(shop)
    assert _finish(shop, report_id) >= 3
    report = Report.get(shop.app_id, report_id, consistent_read=True)
    assert report.slices >= 3 and report.checkpoint is None
    assert [r["message_id"] for r in _rows(shop, report_id)] == own


def test_a_worker_killed_while_fetching_resumes_from_its_checkpoint(seeded, small_parts, frozen_clock,
                                                                     monkeypatch):
    """Killed at its 12th BatchGetItem (of 10 keys here: checkpoints behind it, rows since the last one),
    the worker is run again once its lease has run out: it goes on from the checkpoint, and every row is
    in the file once."""
    shop, own = seeded
    report_id = _results(shop)
    monkeypatch.setattr(queries, "FETCH_KEYS", 10)
    settings = get_settings()._replace(report_part_bytes=PART, report_slice_seconds=3600)
    monkeypatch.setattr(report_jobs, "get_settings", lambda: settings)   # one slice, until it dies
    fetches = [0]

    def die(call: dict) -> None:
        fetches[0] += 1
        if fetches[0] == 12:
            raise Killed()

    with faults.injected("dynamodb", "BatchGetItem", action=die, then_call=True, times=10**9):
        with pytest.raises(Killed):
            report_jobs.run(shop.app_id, report_id, attempt=1)
    dead = Report.get(shop.app_id, report_id, consistent_read=True)
    checkpoint = job_state.load_checkpoint(dead)
    assert checkpoint["last_id"] in own and 0 < checkpoint["rows"] < 110
    frozen_clock.advance(job_state.LEASE_SECONDS + 1)   # the dead slice's lease runs out
    assert _finish(shop, report_id) == 1
    assert [r["message_id"] for r in _rows(shop, report_id)] == own


def test_a_report_of_some_statuses_filters_the_broadcast_s_messages(seeded):
    shop, own = seeded
    report_id = _results(shop, ["Delivered"])
    assert report_jobs.run(shop.app_id, report_id, attempt=1) == "done"
    assert _rows(shop, report_id) == []


def test_unprocessed_keys_are_asked_again(seeded, monkeypatch):
    """DynamoDB may leave keys of a BatchGetItem unprocessed (throttled): they are asked again."""
    shop, own = seeded
    from chalicelib.messages.models import Message

    connection = Message._get_connection()
    real = connection.batch_get_item
    asked = []

    def half(keys, **kwargs):
        asked.append(list(keys))
        answer = real(keys[: (len(keys) + 1) // 2], **kwargs)
        left = keys[(len(keys) + 1) // 2:]
        if left:
            answer["UnprocessedKeys"] = {Message.Meta.table_name: {"Keys": left}}
        return answer

    monkeypatch.setattr(connection, "batch_get_item", half)
    monkeypatch.setattr(clock, "sleep", lambda seconds: None)
    found = queries._fetch(own[:10], ["message_id", "details"])
    assert sorted(found) == own[:10]
    assert [len(keys) for keys in asked] == [10, 5, 2, 1]
    assert found[own[9]]["details"]["message_body"] == "Halo bc_own 9"
