"""Faults on the callback paths that write twice, injected: nothing is lost, and what may be sent
twice carries the same webhook-id."""
from __future__ import annotations

import json

import pytest

from chalicelib.callbacks import delivery, queue, stream
from chalicelib.callbacks import service as callbacks
from chalicelib.callbacks.models import Delivery, delivery_id
from tests.callbacks.test_callbacks import _image, hooked, receiver  # noqa: F401 - the fixtures
from tests.conftest import drain


def test_a_lost_enqueue_is_found_by_the_sweeper(hooked, receiver, worker, frozen_clock, monkeypatch):  # noqa: F811
    """The delivery is written, then SQS fails: the stream's retry finds it written (creates nothing),
    and the sweeper queues it once its grace period is over. Delivered exactly once."""
    message_id = "01TESTLOSTQUEUE" + "0" * 11
    image = _image(hooked["app_id"], message_id, ["Submitted"])
    real_enqueue = queue.enqueue
    monkeypatch.setattr(queue, "enqueue", lambda jobs: (_ for _ in ()).throw(RuntimeError("SQS is down")))
    with pytest.raises(RuntimeError):
        callbacks.on_status_change(None, image)
    monkeypatch.setattr(queue, "enqueue", real_enqueue)
    assert callbacks.on_status_change(None, image) == 0  # the stream's redelivery: already written
    drain(worker)
    assert receiver.received == []
    assert (message_id, 1) not in delivery.sweep()  # within its grace period a queued first attempt may still be coming
    frozen_clock.advance(callbacks.SWEEP_GRACE_SECONDS)
    assert (message_id, 1) in delivery.sweep()
    drain(worker)
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery_id(message_id, 1)]
    assert Delivery.get(message_id, 1).state == "delivered"


def test_a_worker_killed_after_posting_is_retried_with_the_same_webhook_id(hooked, receiver, worker, frozen_clock,
                                                                           monkeypatch):  # noqa: F811
    """The POST reached the receiver, then the worker died before recording it: the lease runs out,
    the sweeper queues it again, and the receiver sees the same webhook-id twice (it deduplicates)."""
    message_id = "01TESTKILLED" + "0" * 14
    real_finish = delivery._finish
    calls = {"n": 0}

    def dies_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemExit("killed between the POST and its record")
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(delivery, "_finish", dies_once)
    callbacks.on_status_change(None, _image(hooked["app_id"], message_id, ["Submitted"]))
    with pytest.raises(SystemExit):
        delivery.attempt(message_id, 1, 0)
    assert len(receiver.received) == 1
    assert delivery.attempt(message_id, 1, 0) == "skipped"  # a second worker: the lease holds
    frozen_clock.advance(delivery.LEASE_SECONDS)
    assert (message_id, 1) not in delivery.sweep()  # the lease ran out, but the claim pushed the due time on
    frozen_clock.advance(callbacks.SWEEP_GRACE_SECONDS - delivery.LEASE_SECONDS)
    assert (message_id, 1) in delivery.sweep()
    drain(worker)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids == [delivery_id(message_id, 1)] * 2
    item = Delivery.get(message_id, 1)
    assert item.state == "delivered" and item.attempt_count == 1 and item.lease_until is None


def test_two_workers_never_attempt_one_delivery_at_once(hooked, receiver):  # noqa: F811
    message_id = "01TESTTWOWORKERS" + "0" * 10
    callbacks.on_status_change(None, _image(hooked["app_id"], message_id, ["Submitted"]))
    assert delivery._claim(message_id, 1, 0) is not None
    assert delivery._claim(message_id, 1, 0) is None   # held
    assert delivery._claim(message_id, 1, 1) is None   # a job for an attempt not reached


def test_the_stream_reader_hands_over_inserts_and_modifications_only():
    def record(name, old=None, new=None):
        data = {"SequenceNumber": "1"}
        if old:
            data["OldImage"] = {k: {"S": v} for k, v in old.items()}
        if new:
            data["NewImage"] = {k: {"S": v} for k, v in new.items()}
        return {"eventName": name, "dynamodb": data}

    found = stream.changes([record("INSERT", new={"status": "Submitted"}),
                            record("MODIFY", {"status": "Submitted"}, {"status": "Sent"}),
                            record("REMOVE", old={"status": "Sent"})])
    assert found == [(None, {"status": "Submitted"}), ({"status": "Submitted"}, {"status": "Sent"})]
    assert json.dumps(found)  # plain values
