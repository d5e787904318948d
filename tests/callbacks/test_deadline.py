"""Issue 20, item 6: a receiver cannot hold Kirim's callback workers. Every attempt ends at its
deadline in wall-clock time, whatever the receiver does (trickles its answer a byte at a time,
never answers the TLS handshake) and however slow its name is to resolve; an attempt counts from
its claim, so a worker that dies or times out mid-attempt has used it and the schedule still ends
in the DLQ; and one application's slow receiver does not hold up another application's callbacks.

No test here measures a duration: each asserts what happened first (the attempt ended while the
receiver was still trickling, the other tenant's callback arrived while the slow batch was still
in flight) and what was recorded."""
from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time

import boto3
import pytest

from chalicelib.callbacks import delivery, http, schedule
from chalicelib.callbacks import service as callbacks
from chalicelib.callbacks.models import FAILED, Delivery, delivery_id
from chalicelib.core import clock, safe_urls
from tests.callbacks.conftest import hook, message_image
from tests.conftest import drain
from tests.fakes.webhook_receiver import Answer

HEAD = len(b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n")


def eventually(condition, seconds: float = 15.0) -> bool:
    """Whether `condition()` comes true within a generous bound (for another thread's outcome)."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("where", ["headers", "body"])
def test_an_answer_trickled_a_byte_every_half_second_is_cut_at_the_deadline(stage, receiver, where):
    """Each read gets a byte well within any read timeout, so only a deadline on the whole
    exchange ends it: 1 s here, for an answer that would take 49 s to trickle out."""
    stage("local")
    receiver.default = Answer(body_bytes=60, trickle=0.5, trickle_after=0 if where == "headers" else HEAD)
    outcome = http.post(receiver.url, b"{}", {"webhook-id": "w1"}, deadline=1)
    # The attempt ended while the receiver was still trickling the part it began with.
    assert receiver.trickled["w1"] < (HEAD if where == "headers" else HEAD + 60) and receiver.finished == []
    assert not outcome.ok and outcome.error == "deadline: no complete answer within 1 s"
    assert outcome.http_status == (None if where == "headers" else 200)
    assert eventually(lambda: receiver.cut == ["w1"])  # and it saw Kirim hang up


def test_a_receiver_that_never_answers_is_cut_at_the_deadline(stage):
    stage("local")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        outcome = http.post(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", b"{}", {}, deadline=0.2)
    assert not outcome.ok and outcome.http_status is None and outcome.error.startswith(http.DEADLINE)


def test_a_tls_handshake_that_never_comes_is_cut_at_the_deadline(stage, monkeypatch):
    """The peer accepts the connection and never answers Kirim's TLS hello."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        stage("dev", ports=str(port))
        monkeypatch.setattr(safe_urls, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
        monkeypatch.setattr(safe_urls, "allowed_address", lambda address, target: True)
        outcome = http.post(f"https://hooks.shop.example:{port}/kirim", b"{}", {}, deadline=0.5)
    assert not outcome.ok and outcome.http_status is None and outcome.error.startswith(http.DEADLINE)


def test_a_name_slow_to_resolve_is_cut_at_the_deadline(stage, monkeypatch):
    """The system resolver has no timeout of Kirim's; the attempt does not wait for it."""
    stage("dev")
    release, answered = threading.Event(), threading.Event()

    def resolve(host, port):
        release.wait(30)
        answered.set()
        return [ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(safe_urls, "resolve", resolve)
    try:
        outcome = http.post("https://hooks.shop.example/kirim", b"{}", {}, deadline=0.5)
        assert not answered.is_set()  # the resolver was still at it when the attempt ended
        assert not outcome.ok and outcome.error.startswith(http.DEADLINE)
    finally:
        release.set()


def test_a_trickling_receiver_costs_one_counted_attempt_and_the_batch_goes_on(
        hooked, receiver, other_receiver, worker, monkeypatch):
    """Two tenants' first attempts in one batch of the callbacks worker: the one whose receiver
    trickles is cut at the deadline, recorded as such and counted (its retry is scheduled); the
    other is delivered."""
    drain(worker)  # what earlier tests left in the session's queue
    monkeypatch.setattr(http, "DEADLINE_SECONDS", 1.0)
    receiver.default = Answer(body_bytes=60, trickle=0.5)
    other = hook(hooked["api"], other_receiver.url)
    slow, quick = "01TESTTRICKLE" + "0" * 13, "01TESTQUICK" + "0" * 15
    callbacks.on_status_change(None, message_image(hooked["app_id"], slow, ["Submitted"]))
    callbacks.on_status_change(None, message_image(other["app_id"], quick, ["Submitted"]))
    assert worker.poll_source("callbacks_worker") == 2  # one batch, both tenants
    assert receiver.trickled[delivery_id(slow, 1)] < HEAD  # cut while the headers trickled
    item = Delivery.get(slow, 1)
    assert (item.state, item.attempt_count, item.lease_until) == ("pending", 1, None)
    [entry] = item.attempt_entries()
    assert entry["error"] == "deadline: no complete answer within 1 s" and entry["http_status"] is None
    assert clock.parse_iso(item.due_at) > clock.now()  # the next attempt, by the schedule
    assert Delivery.get(quick, 1).state == "delivered"
    assert [r.headers["webhook-id"] for r in other_receiver.received] == [delivery_id(quick, 1)]


def test_a_worker_killed_mid_attempt_has_used_it_and_the_last_ends_in_the_dlq(hooked, receiver, worker, frozen_clock,
                                                                              monkeypatch):
    """The Lambda dies (or times out) during every POST: each attempt is counted when claimed,
    shows no answer recorded, the next comes when the schedule says, and the job after the 8th
    marks the delivery failed and puts it on the DLQ, as 8 failed answers would."""
    monkeypatch.setattr(schedule, "jitter", lambda: 0.0)

    def killed(*args, **kwargs):
        raise SystemExit("the Lambda died mid-attempt")

    real_post = http.post
    monkeypatch.setattr(http, "post", killed)
    message_id = "01TESTKILLEDMID" + "0" * 11
    callbacks.on_status_change(None, message_image(hooked["app_id"], message_id, ["Submitted"]))
    for made in range(1, schedule.MAX_ATTEMPTS + 1):
        with pytest.raises(SystemExit):
            delivery.attempt(message_id, 1, made - 1)
        item = Delivery.get(message_id, 1)
        assert item.attempt_count == made and item.state == "pending"
        assert [a["error"] for a in item.attempt_entries()] == [delivery.INTERRUPTED] * made
        assert delivery.attempt(message_id, 1, made - 1) == "skipped"  # a duplicate of the job
        assert delivery.attempt(message_id, 1, made) == "skipped"      # the next, while the lease holds
        due = clock.parse_iso(item.due_at)
        if made < schedule.MAX_ATTEMPTS:
            assert (due - clock.now()).total_seconds() == max(callbacks.SWEEP_GRACE_SECONDS,
                                                              schedule.retry_delay(made))
        frozen_clock.set(due)
        assert (message_id, 1) in delivery.sweep()
    assert delivery.attempt(message_id, 1, schedule.MAX_ATTEMPTS) == "failed"
    item = Delivery.get(message_id, 1)
    assert (item.state, item.attempt_count, item.due_at) == (FAILED, schedule.MAX_ATTEMPTS, None)
    assert item.failed_app == hooked["app_id"]
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName="kirim-local-callbacks-dlq.fifo")["QueueUrl"]
    dead = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]]
    assert {"message_id": message_id, "sequence": 1, "dead": True} in dead
    monkeypatch.setattr(http, "post", real_post)
    drain(worker)  # the jobs queued meanwhile find it failed
    assert receiver.received == [] and Delivery.get(message_id, 1).state == FAILED


def test_two_workers_never_attempt_one_delivery_at_once(hooked, receiver):
    """A second worker given the same job, or the next attempt's job, while the first worker's
    POST is in flight: it does nothing. One POST reaches the receiver."""
    hold = threading.Event()
    receiver.default = Answer(hold=hold)
    message_id = "01TESTTWOWORKERSHELD" + "0" * 6
    callbacks.on_status_change(None, message_image(hooked["app_id"], message_id, ["Submitted"]))
    first: list[str] = []
    in_flight = threading.Thread(target=lambda: first.append(delivery.attempt(message_id, 1, 0)))
    in_flight.start()
    try:
        assert eventually(lambda: len(receiver.received) == 1)
        assert delivery.attempt(message_id, 1, 0) == "skipped"   # the same job, again
        assert delivery.attempt(message_id, 1, 1) == "skipped"   # a job for the next attempt
        assert in_flight.is_alive()
    finally:
        hold.set()
        in_flight.join()
    assert first == ["delivered"] and len(receiver.received) == 1
    assert Delivery.get(message_id, 1).attempt_count == 1


def test_fifty_slow_callbacks_of_one_tenant_do_not_hold_up_another_tenants(hooked, receiver, other_receiver,
                                                                           worker, monkeypatch):
    """Tenant A has 50 callbacks queued whose receiver answers nothing (until released); tenant
    B's one callback is queued after them. Two callbacks workers run, as two Lambdas would: the
    first takes a batch of A's and hangs on it; the second gets B's callback (A's message group
    is in flight, so SQS gives the rest of A's to no one) and delivers it while A's first batch
    is still hanging, well within one attempt's deadline."""
    drain(worker)  # what earlier tests left in the session's queue
    monkeypatch.setattr(http, "DEADLINE_SECONDS", 30.0)  # never reached: A is released first
    hold = threading.Event()
    receiver.default = Answer(hold=hold)
    other = hook(hooked["api"], other_receiver.url)
    slow = [f"01TESTSLOWA{n:015d}" for n in range(50)]
    for message_id in slow:
        callbacks.on_status_change(None, message_image(hooked["app_id"], message_id, ["Submitted"]))
    quick = "01TESTQUICKB" + "0" * 14
    callbacks.on_status_change(None, message_image(other["app_id"], quick, ["Submitted"]))
    first = threading.Thread(target=worker.poll_source, args=("callbacks_worker",))
    first.start()
    try:
        assert eventually(lambda: len(receiver.received) >= 1)  # the first worker hangs on A's batch
        assert worker.poll_source("callbacks_worker") == 1      # the second gets B's callback alone
        assert Delivery.get(quick, 1).state == "delivered"
        assert [r.headers["webhook-id"] for r in other_receiver.received] == [delivery_id(quick, 1)]
        assert first.is_alive() and receiver.finished == []     # while A's first batch still hangs
    finally:
        hold.set()
        first.join()
    drain(worker)
    assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(delivery_id(m, 1) for m in slow)
    assert {Delivery.get(m, 1).state for m in slow} == {"delivered"}
