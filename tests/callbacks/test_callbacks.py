"""Status callbacks end to end: a real local receiver verifies every request with the
`standardwebhooks` library; retries follow the schedule on a fake clock; the DLQ fills after the
last attempt and replay delivers again; a rotated secret overlaps for 24 hours."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from chalicelib.callbacks import delivery, schedule
from chalicelib.callbacks import service as callbacks
from chalicelib.callbacks.models import FAILED, Delivery, delivery_id
from chalicelib.core import clock
from local.call_counter import ITEMS, counting
from tests.callbacks.conftest import message_image
from tests.conftest import assert_oca_error, drain
from tests.fakes.webhook_receiver import Answer
from tests.sends import sms_body


def test_every_status_change_reaches_the_receiver_signed(hooked, receiver, worker):
    api, app_id = hooked["api"], hooked["app_id"]
    sent = api.call("POST", "/sms/v2/sms", sms_body(), {"Authorization": hooked["token"]})
    message_id = sent.json_body["msg_uid"]
    drain(worker)  # the simulator's steps, the stream, the callback attempts
    mine = [r for r in receiver.received if json.loads(r.body)["data"]["message_id"] == message_id]
    events = [Webhook(hooked["secret"]).verify(r.body, r.headers) for r in mine]
    by_sequence = {e["data"]["sequence"]: e for e in events}
    assert [by_sequence[n]["data"]["status"] for n in sorted(by_sequence)] == ["Submitted", "Sent", "Delivered"]
    delivered = by_sequence[3]
    assert delivered["type"] == "message.status"
    assert delivered["data"] == {"message_id": message_id, "application_id": app_id, "channel": "sms",
                                 "status": "Delivered", "provider_status": "TEXT_DELIVERED",
                                 "at": delivered["data"]["at"], "sequence": 3}
    assert {r.headers["webhook-id"] for r in mine} == {delivery_id(message_id, n) for n in (1, 2, 3)}
    assert all(r.path == "/kirim/callbacks" and r.headers["content-type"] == "application/json" for r in mine)
    # A tampered body (or a wrong secret) is refused by the receiver's library.
    tampered = mine[0].body.replace(b'"sms"', b'"ivr"')
    with pytest.raises(WebhookVerificationError):
        Webhook(hooked["secret"]).verify(tampered, mine[0].headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43).verify(mine[0].body, mine[0].headers)
    # The message detail shows each delivery with its attempts: time, HTTP status, latency.
    detail = api.call("GET", f"/applications/{app_id}/messages/{message_id}", headers=hooked["session"]).json_body
    assert [(c["sequence"], c["status"], c["state"]) for c in detail["callbacks"]] == [
        (1, "Submitted", "delivered"), (2, "Sent", "delivered"), (3, "Delivered", "delivered")]
    attempt = detail["callbacks"][2]["attempts"][0]
    assert attempt["http_status"] == 200 and attempt["latency_ms"] >= 0 and attempt["error"] is None
    assert clock.parse_iso(attempt["at"]) <= clock.now()


def test_a_repeated_change_creates_one_delivery_and_a_duplicate_job_sends_once(hooked, receiver, worker):
    app_id = hooked["app_id"]
    image = message_image(app_id, "01TESTREPEAT" + "0" * 14, ["Submitted", "Sent"])
    old = {**image, "status": "Submitted"}
    assert callbacks.on_status_change(old, image) == 1
    assert callbacks.on_status_change(old, image) == 0  # the stream gave it again
    assert callbacks.on_status_change(image, image) == 0  # a write that moved nothing
    drain(worker)
    assert delivery.attempt(image["message_id"], 2, 0) == "skipped"  # a late duplicate job
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery_id(image["message_id"], 2)]


def test_retries_follow_the_schedule_then_the_dlq_then_replay(hooked, receiver, worker, frozen_clock, monkeypatch):
    api, app_id = hooked["api"], hooked["app_id"]
    monkeypatch.setattr(schedule, "jitter", lambda: 0.0)  # the shortest jitter, so the span is the minimum
    receiver.default = Answer(status=500)
    message_id = "01TESTRETRY" + "0" * 15
    callbacks.on_status_change(None, message_image(app_id, message_id, ["Submitted"]))
    drain(worker)
    times = [clock.now()]
    for _ in range(schedule.MAX_ATTEMPTS - 1):
        item = Delivery.get(message_id, 1)
        due = clock.parse_iso(item.due_at)
        frozen_clock.set(due - timedelta(seconds=1))
        assert (message_id, 1) not in delivery.sweep()  # not due yet
        frozen_clock.set(due)
        assert (message_id, 1) in delivery.sweep()
        drain(worker)
        times.append(clock.now())
    waits = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert waits == [schedule.retry_delay(n, lambda: 0.0) for n in range(1, schedule.MAX_ATTEMPTS)]
    assert waits[:3] == [54.0, 216.0, 864.0]  # 60 x 4^n less 10% jitter
    assert times[-1] - times[0] >= timedelta(hours=24)
    item = Delivery.get(message_id, 1)
    assert item.state == FAILED and item.attempt_count == schedule.MAX_ATTEMPTS and item.due_at is None
    assert [a["http_status"] for a in item.attempt_entries()] == [500] * schedule.MAX_ATTEMPTS
    assert len([r for r in receiver.received if r.headers["webhook-id"] == delivery_id(message_id, 1)]) == 8
    # The DLQ got it.
    sqs = boto3.client("sqs")
    dlq = sqs.get_queue_url(QueueName="kirim-local-callbacks-dlq.fifo")["QueueUrl"]
    dead = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]]
    assert {"message_id": message_id, "sequence": 1, "dead": True} in dead
    frozen_clock.advance(3600)
    assert (message_id, 1) not in delivery.sweep()  # a failed delivery is never tried again by itself
    # The receiver is back; the owner (signed in again: a day has passed) replays the failed ones.
    receiver.default = Answer(status=204)
    hooked["session"] = api.login(hooked["email"])
    stranger = api.user()[1]
    assert_oca_error(api.call("POST", f"/applications/{app_id}/callbacks/replay", {}, stranger), 404, 33)
    listed = api.call("GET", f"/applications/{app_id}/callbacks/failed?from=" + clock.iso(clock.now() - timedelta(days=2)),
                      headers=hooked["session"]).json_body["items"]
    assert [d["delivery_id"] for d in listed] == [delivery_id(message_id, 1)]
    replayed = api.call("POST", f"/applications/{app_id}/callbacks/replay",
                        {"from": clock.iso(clock.now() - timedelta(days=2))}, hooked["session"])
    assert replayed.json_body == {"replayed": 1, "more": False}
    drain(worker)
    item = Delivery.get(message_id, 1)
    assert item.state == "delivered" and item.attempt_entries()[-1]["http_status"] == 204
    # One delivery by id, again (a receiver that lost it): 409 while it waits, then delivered.
    one = api.call("POST", f"/applications/{app_id}/callbacks/{delivery_id(message_id, 1)}/replay", {},
                   hooked["session"])
    assert one.status_code == 200 and one.json_body["state"] == "pending"
    assert_oca_error(api.call("POST", f"/applications/{app_id}/callbacks/{delivery_id(message_id, 1)}/replay", {},
                              hooked["session"]), 409, 409)
    drain(worker)
    assert Delivery.get(message_id, 1).attempt_count == schedule.MAX_ATTEMPTS + 2
    assert_oca_error(api.call("POST", f"/applications/{app_id}/callbacks/msg_nope/replay", {}, hooked["session"]),
                     404, 33)
    assert_oca_error(api.call("POST", f"/applications/{app_id}/callbacks/{delivery_id(message_id, 1)}/replay", {},
                              stranger), 404, 33)


def test_a_dead_job_redriven_from_the_dlq_is_replayed(hooked, receiver, worker):
    message_id = "01TESTREDRIVE" + "0" * 13
    callbacks.on_status_change(None, message_image(hooked["app_id"], message_id, ["Submitted"]))
    Delivery(message_id, 1).update(actions=[Delivery.state.set(FAILED), Delivery.due_part.remove(),
                                            Delivery.due_at.remove()])
    drain(worker)  # the queued first attempt finds it failed: skipped
    assert receiver.received == []
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="kirim-local-callbacks.fifo")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"message_id": message_id, "sequence": 1, "dead": True}),
                     MessageGroupId=hooked["app_id"], MessageDeduplicationId="redriven")
    drain(worker)
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery_id(message_id, 1)]
    assert Delivery.get(message_id, 1).state == "delivered"


def test_a_rotated_secret_signs_beside_the_new_one_for_24_hours(hooked, receiver, worker, frozen_clock):
    api, app_id, old = hooked["api"], hooked["app_id"], hooked["secret"]
    rotated = api.call("POST", f"/applications/{app_id}/settings/callback-secret", {}, hooked["session"])
    assert rotated.status_code == 201 and rotated.headers["Cache-Control"] == "no-store"
    new = rotated.json_body["callback_secret"]
    assert new.startswith("whsec_") and new != old
    assert clock.parse_iso(rotated.json_body["previous_secret_expires_at"]) == clock.now() + timedelta(hours=24)
    settings = api.call("GET", f"/applications/{app_id}/settings", headers=hooked["session"]).json_body
    assert settings["callback_secret_set"] and "callback_secret" not in settings
    callbacks.on_status_change(None, message_image(app_id, "01TESTROTATE" + "0" * 14, ["Submitted"]))
    drain(worker)
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)   # a receiver not yet switched
    Webhook(new).verify(during.body, during.headers)   # and one that has
    frozen_clock.advance(24 * 3600 + 1)
    callbacks.on_status_change(None, message_image(app_id, "01TESTROTATF" + "0" * 14, ["Submitted"]))
    drain(worker)
    after = receiver.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)
    # Another owner cannot rotate it.
    assert_oca_error(api.call("POST", f"/applications/{app_id}/settings/callback-secret", {}, api.user()[1]), 404, 33)


def test_the_secret_is_not_in_the_table_and_is_derived_from_the_stack_secret(hooked):
    from chalicelib.applications.models import Application

    raw = boto3.client("dynamodb").get_item(TableName="kirim-local-applications",
                                            Key={"application_id": {"S": hooked["app_id"]}})["Item"]
    secret_body = hooked["secret"].removeprefix("whsec_")
    assert secret_body not in json.dumps(raw) and hooked["secret"] not in json.dumps(raw)
    from chalicelib.applications import callback_secrets
    assert callback_secrets.active(Application.get(hooked["app_id"])) == [hooked["secret"]]


def test_an_application_without_a_callback_url_gets_no_delivery(api, worker):
    _, session = api.user()
    app_id = api.application(session, ["sms"])["application_id"]
    message_id = "01TESTNOURL" + "0" * 15
    assert callbacks.on_status_change(None, message_image(app_id, message_id, ["Submitted"])) == 0
    assert list(Delivery.query(message_id)) == []


def test_removing_the_url_cancels_what_was_queued(hooked, receiver, worker):
    api, app_id = hooked["api"], hooked["app_id"]
    message_id = "01TESTREMOVED" + "0" * 13
    callbacks.on_status_change(None, message_image(app_id, message_id, ["Submitted"]))
    api.call("PUT", f"/applications/{app_id}/settings", {"callback_url": None}, hooked["session"])
    drain(worker)
    assert receiver.received == [] and Delivery.get(message_id, 1).state == "canceled"


def test_a_callback_adds_no_dynamodb_call_to_the_send(hooked, api, receiver, worker):
    """Deliveries are made from the stream, off the request: the send's calls are the same with
    and without a callback URL."""
    _, session = api.user()
    plain_app = api.application(session, ["sms"])["application_id"]
    plain_token = api.token(session, plain_app, "sms")
    counts = {}
    for name, token in (("without", plain_token), ("with", hooked["token"])):
        api.call("POST", "/sms/v2/sms", sms_body(), {"Authorization": token})  # warm
        with counting() as calls:
            assert api.call("POST", "/sms/v2/sms", sms_body(), {"Authorization": token}).status_code == 200
        calls.pop(ITEMS, None)
        counts[name] = {k: v for k, v in calls.items() if k[0] == "dynamodb"}
    assert counts["with"] == counts["without"] and sum(counts["with"].values()) == 4
    drain(worker)
    assert receiver.received  # and the callbacks did go out


def test_delivery_ids_round_trip():
    from chalicelib.callbacks.models import key_of
    assert key_of(delivery_id("01ABC", 12)) == ("01ABC", 12)
    assert key_of("msg_") is None and key_of("evt_01ABC_1") is None and key_of("msg_01ABC_x") is None


def test_the_schedule_spans_more_than_a_day_at_its_shortest():
    assert schedule.MAX_ATTEMPTS == 8
    assert schedule.shortest_span() >= 24 * 3600
    delays = [schedule.retry_delay(n, lambda: 0.5) for n in range(1, 8)]
    assert delays == [60, 240, 960, 3840, 15360, 43200, 43200]
    assert all(schedule.retry_delay(n, lambda: 1.0) == pytest.approx(d * 1.1) for n, d in zip(range(1, 8), delays))
    assert datetime.now(timezone.utc)  # (real time untouched here)


@pytest.mark.parametrize("query,field", [("from=yesterday", "from"), ("to=0001-01-01T00:00:00Z", "to"),
                                         ("from=9999-12-31", "from"), ("from=2026-11-01&to=2026-12-31", "to"),
                                         ("from=2026-11-02&to=2026-11-01", "from")])
def test_failed_deliveries_refuse_bad_ranges(hooked, query, field):
    answer = hooked["api"].call("GET", f"/applications/{hooked['app_id']}/callbacks/failed?{query}",
                                headers=hooked["session"])
    assert_oca_error(answer, 406, 39, field)
