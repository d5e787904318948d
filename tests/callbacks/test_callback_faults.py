"""Faults on the callback paths that write twice, injected: nothing is lost, and what may be sent
twice carries the same webhook-id."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from chalicelib.callbacks import delivery
from chalicelib.callbacks import service as callbacks
from chalicelib.callbacks.models import Delivery, delivery_id
from chalicelib.core import clock
from chalicelib.core.config import get_settings
from local import faults
from tests.callbacks.conftest import message_image
from tests.conftest import drain, recount
from tests.sends import sms_body


def _to_callback_queue(params: dict) -> bool:
    return params["QueueUrl"].endswith("/" + get_settings().callback_queue_name)


def _sqs_refuses_callback_jobs():
    """SQS refusing every callback job for as long as it lasts (an outage, not one throttle that
    botocore's own retry would hide)."""
    return faults.injected("sqs", "SendMessageBatch", code="InternalError", status=500, times=10_000,
                           when=_to_callback_queue)


def test_a_lost_enqueue_is_found_by_the_sweeper(hooked, receiver, worker, frozen_clock):
    """The delivery is written, then SQS refuses its job: the hook still succeeds (the stream's
    accounting goes on), a repeat of the change creates nothing, and the sweeper queues the
    delivery once its grace period is over. Delivered exactly once."""
    message_id = "01TESTLOSTQUEUE" + "0" * 11
    image = message_image(hooked["app_id"], message_id, ["Submitted"])
    with _sqs_refuses_callback_jobs():
        assert callbacks.on_status_change(None, image) == 1
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
                                                                           monkeypatch):
    """The POST reached the receiver, then the worker died before recording it: that attempt
    counts (the claim counted it), the lease runs out, the sweeper queues the next one, and the
    receiver sees the same webhook-id twice (it deduplicates)."""
    message_id = "01TESTKILLED" + "0" * 14
    real_finish = delivery._finish
    calls = {"n": 0}

    def dies_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemExit("killed between the POST and its record")
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(delivery, "_finish", dies_once)
    callbacks.on_status_change(None, message_image(hooked["app_id"], message_id, ["Submitted"]))
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
    assert item.state == "delivered" and item.attempt_count == 2 and item.lease_until is None
    assert [(a["http_status"], a["error"]) for a in item.attempt_entries()] == [(None, delivery.INTERRUPTED), (200, None)]


def _sent_and_settled(hooked, worker) -> str:
    """An SMS through the API and the simulator: Submitted, Sent, Delivered, each change read
    from the messages stream by its one consumer (issue 12's message_stream)."""
    sent = hooked["api"].call("POST", "/sms/v2/sms", sms_body(), {"Authorization": hooked["token"]})
    assert sent.status_code == 200, sent.json_body
    drain(worker)
    return sent.json_body["msg_uid"]


def _webhook_ids(receiver, message_id: str) -> list[str]:
    return sorted(r.headers["webhook-id"] for r in receiver.received
                  if json.loads(r.body)["data"]["message_id"] == message_id)


def _is_stream_commit(params: dict) -> bool:
    """The consumer's own transaction: its first item is the batch's mark in the limits table."""
    return params["TransactItems"][0]["Put"]["TableName"].endswith("-limits")


@pytest.mark.parametrize("failed_attempts", [1, 2])
def test_a_stream_batch_applied_again_after_its_hooks_ran_sends_each_callback_once(hooked, receiver, worker,
                                                                                  failed_attempts):
    """The hooks ran (deliveries written and queued), then the batch's commit failed: once, and
    botocore's second attempt commits it; or on both attempts, and Lambda gives the batch again,
    the hooks run again and create nothing. One webhook per status change either way, and the
    counters count each change once."""
    with faults.injected("dynamodb", "TransactWriteItems", code="InternalServerError", status=500,
                         times=failed_attempts, when=_is_stream_commit) as fault:
        message_id = _sent_and_settled(hooked, worker)
    assert fault.hits == failed_attempts
    assert _webhook_ids(receiver, message_id) == [delivery_id(message_id, n) for n in (1, 2, 3)]
    assert [int(d.sequence) for d in Delivery.query(message_id)] == [1, 2, 3]
    counted, actual = recount(hooked["app_id"], "sms")
    assert counted == actual


def test_sqs_refusing_callback_jobs_never_holds_up_the_streams_accounting(hooked, receiver, worker, frozen_clock,
                                                                         monkeypatch):
    """Issue 20, item 7. SQS refuses every callback job while a message moves through its
    statuses: every stream batch commits the first time it is handed over (the counters equal a
    recount while SQS is still down), each status's delivery is saved, and once SQS is back the
    sweeper queues them after their grace period. Each status is delivered once."""
    from chalicelib.messages import changes

    drain(worker)
    answers: list[dict] = []
    applied = changes.apply
    monkeypatch.setattr(changes, "apply", lambda records: answers.append(applied(records)) or answers[-1])
    with _sqs_refuses_callback_jobs():
        message_id = _sent_and_settled(hooked, worker)
        assert answers and all(answer == {"batchItemFailures": []} for answer in answers)  # none came again
        counted, actual = recount(hooked["app_id"], "sms")
        assert counted == actual
        assert [(int(d.sequence), d.state, d.attempt_count) for d in Delivery.query(message_id)] == [
            (1, "pending", 0), (2, "pending", 0), (3, "pending", 0)]
    drain(worker)
    assert _webhook_ids(receiver, message_id) == []
    frozen_clock.advance(callbacks.SWEEP_GRACE_SECONDS)
    delivery.sweep()
    drain(worker)
    assert _webhook_ids(receiver, message_id) == [delivery_id(message_id, n) for n in (1, 2, 3)]
    assert {d.state for d in Delivery.query(message_id)} == {"delivered"}


def test_the_stream_consumer_hands_callbacks_status_changes_only(aws):
    """What the consumer's hook gives callbacks: inserts and status moves, as (old, new) pairs;
    not a write that kept the status, nor a removal."""
    from boto3.dynamodb.types import TypeSerializer

    from chalicelib import workers
    from chalicelib.messages import changes

    serializer = TypeSerializer()
    batch = uuid.uuid4().hex
    image = {"message_id": "01TESTHOOK" + "0" * 16, "application_id": f"app-{batch}", "channel": "sms"}

    def record(sequence, old=None, new=None):
        data = {"SequenceNumber": str(sequence)}
        for key, value in (("OldImage", old), ("NewImage", new)):
            if value:
                data[key] = {k: serializer.serialize(v) for k, v in {**image, **value}.items()}
        return {"eventID": f"{batch}-{sequence}", "dynamodb": data}

    seen = []
    workers._status_hooks()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(callbacks, "on_status_changes", lambda pairs: seen.extend(pairs) or 0)
        answer = changes.apply([record(1, new={"status": "Submitted"}),
                                record(2, {"status": "Submitted"}, {"status": "Sent"}),
                                record(3, {"status": "Sent"}, {"status": "Sent", "dispatch": "done"}),
                                record(4, old={"status": "Sent"})])
    assert answer == {"batchItemFailures": []}
    assert [(old, new["status"]) for old, new in seen] == [(None, "Submitted"), ({"status": "Submitted"}, "Sent")]
    assert all(new["message_id"] == image["message_id"] for _, new in seen)
    assert json.dumps(seen)  # plain values


def test_the_sequence_grows_by_one_with_every_status_write(hooked, receiver, worker, frozen_clock, monkeypatch):
    """Issue 12's status writes each append the new status to the history (transitions.move), so the
    callbacks' sequence grows by one per status: a provider event, a refusal through the status
    rules, the dispatch sweeper failing a message that never heard from its provider. A refusal or
    an event that moves nothing is kept in the history and makes no callback."""
    from chalicelib.messages import status_updates
    from chalicelib.messages.models import Message
    from chalicelib.providers.base import StatusEvent
    from chalicelib.sending import dispatch, pipeline
    from tests.fakes.quiet_provider import QuietProvider

    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    send = lambda: hooked["api"].call("POST", "/sms/v2/sms", sms_body(), {"Authorization": hooked["token"]})  # noqa: E731
    swept, refused = send().json_body["msg_uid"], send().json_body["msg_uid"]
    status_updates.apply(StatusEvent(refused, "TEXT_SENT", clock.now_iso()))                     # Sent (2)
    stale = Message.get(refused)
    assert status_updates.reject(stale, "CARRIER_REFUSED", "refused") == "Failed"                # Failed (3)
    assert status_updates.reject(stale, "CARRIER_REFUSED_AGAIN", "again") == "Failed"            # kept, no move
    status_updates.apply(StatusEvent(refused, "TEXT_DELIVERED", clock.now_iso()))                # after Failed: kept
    drain(worker)
    frozen_clock.advance(dispatch.FIRST_EVENT_DEADLINE.total_seconds() + 60)
    assert dispatch.sweep(only={swept}) == {swept: "failed"}                                     # Failed (2)
    status_updates.apply(StatusEvent(swept, "TEXT_DELIVERED", clock.now_iso()))                  # too late: kept
    drain(worker)
    events = {}
    for request in receiver.received:
        event = json.loads(request.body)["data"]
        events.setdefault(event["message_id"], []).append((event["sequence"], event["status"], event["provider_status"]))
    assert sorted(events[swept]) == [(1, "Submitted", "ACCEPTED"), (2, "Failed", "NO_PROVIDER_ANSWER")]
    assert sorted(events[refused]) == [(1, "Submitted", "ACCEPTED"), (2, "Sent", "TEXT_SENT"),
                                       (3, "Failed", "CARRIER_REFUSED")]
    assert len(Message.get(refused).history) == 5 and len(Message.get(swept).history) == 3
