"""Issue 12, item 2 and the counters of item 9: every status change goes through the forward-only
rules, a refund happens at most once per message, and the counters (kept off the request path
from the messages stream) equal a recount after a mixed workload with faults: redelivered and
half-applied stream batches, duplicate and late provider events, a time-zone change midway."""
from __future__ import annotations

import pytest

from chalicelib.messages import changes, status_updates
from chalicelib.messages.models import Message
from chalicelib.providers.base import StatusEvent
from chalicelib.sending import dispatch, pipeline
from local import faults
from tests.conftest import Api, Shop, drain, hour_recount, recount, settle_changes
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import email_body, otp_body, sms_body


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())


@pytest.fixture
def shop(client):
    return Shop(Api(client))


def _sms(shop, phone="081234567890") -> str:
    response = shop.api.call("POST", "/sms/v2/sms", sms_body(phone), shop.v2("sms"))
    assert response.status_code == 200, response.json_body
    return response.json_body["msg_uid"]


def test_a_refusal_that_comes_after_delivery_changes_nothing_and_refunds_nothing(shop, quiet):
    before = shop.quota("sms")
    message_id = _sms(shop)
    as_read = Message.get(message_id)                       # Submitted, as the refusing code read it
    status_updates.apply(StatusEvent(message_id, "TEXT_DELIVERED", "2026-11-27T01:00:00.000Z"))
    assert status_updates.reject(as_read, "LATE_REFUSAL", "refused after all") == "Delivered"
    message = Message.get(message_id)
    assert message.status == "Delivered" and message.refunded_at is None
    assert [h["provider_status"] for h in message.history] == ["ACCEPTED", "TEXT_DELIVERED", "LATE_REFUSAL"]
    assert message.history[-1]["status"] == "Delivered"     # kept as a fact, moved nothing
    assert shop.quota("sms") == before - 1                   # billed, not refunded
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual


def test_a_refund_happens_once_however_many_refusals_and_events_race(shop, quiet):
    before = shop.quota("email")
    response = shop.api.call("POST", "/email/v2/send-single", shop.fill(email_body()), shop.v2("email"))
    message_id = response.json_body["msg_id"]
    stale = [Message.get(message_id) for _ in range(3)]      # three writers read it Accepted
    assert status_updates.reject(stale[0], "REJECT_A", "a") == "Failed"
    assert status_updates.reject(stale[1], "REJECT_B", "b") == "Failed"
    status_updates.apply(StatusEvent(message_id, "Reject", "2026-11-27T01:00:01.000Z"))  # SES's own, late
    assert status_updates.reject(stale[2], "REJECT_C", "c") == "Failed"
    settle_changes()
    settle_changes()
    assert shop.quota("email") == before                     # debited once, refunded once
    counted, actual = recount(shop.app_id, "email")
    assert counted == actual


def _redelivered_after_commit(monkeypatch):
    """The stream consumer commits a chunk and then dies before answering (a timeout): Lambda
    hands it the same batch again."""
    real = changes._commit
    state = {"armed": True}

    def commit_then_die(chunk, effects):
        real(chunk, effects)
        if state["armed"]:
            state["armed"] = False
            raise RuntimeError("Task timed out after 60.00 seconds")

    monkeypatch.setattr(changes, "_commit", commit_then_die)
    return state


def test_stream_batches_count_once_when_redelivered_after_commit(shop, quiet, monkeypatch):
    settle_changes()
    ids = [_sms(shop) for _ in range(3)]
    state = _redelivered_after_commit(monkeypatch)
    settle_changes()
    assert state["armed"] is False                           # it did die once
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual and sum(actual.values()) == 3
    for message_id in ids:
        status_updates.apply(StatusEvent(message_id, "TEXT_DELIVERED", "2026-11-27T01:00:00.000Z"))
    _redelivered_after_commit(monkeypatch)
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual and set(actual.values()) == {3}


def test_stream_chunks_that_keep_conflicting_are_delivered_again_from_there(shop, quiet, monkeypatch):
    settle_changes()
    monkeypatch.setattr(changes, "_MAX_ITEMS", 1)            # every change its own chunk
    ids = [_sms(shop, phone) for phone in ("081234567890", "081234567891", "081234567892")]
    for message_id in ids:
        status_updates.apply(StatusEvent(message_id, "TEXT_SENT", "2026-11-27T01:00:00.000Z"))
    # The counters' transactions conflict past their retries a few times (other shards'
    # consumers on the same counter item): each time the batch comes back from that chunk.
    with faults.injected("dynamodb", "TransactWriteItems", code="TransactionCanceledException",
                         reasons=["None", "TransactionConflict"], times=13) as fault:
        settle_changes()
    assert fault.hits == 13
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual and set(actual.values()) == {3}


def test_status_change_hooks_see_every_change_in_order(shop, worker, monkeypatch):
    seen: list[tuple[str, str | None, str]] = []
    hook = changes.on_status_change(lambda batch: seen.extend((c.message_id, c.old_status, c.new_status)
                                                              for c in batch))
    try:
        message_id = _sms(shop)          # the simulator: Sent, then Delivered
        drain(worker)
    finally:
        changes._hooks.remove(hook)
    mine = [(old, new) for m, old, new in seen if m == message_id]
    assert mine == [(None, "Submitted"), ("Submitted", "Sent"), ("Sent", "Delivered")]


def test_counters_equal_a_recount_after_a_mixed_workload_with_faults(client, worker, monkeypatch):
    shop = Shop(Api(client))
    monkeypatch.setattr(dispatch, "RETRY_DELAYS", (0,) * 6)
    start = {channel: shop.quota(channel) for channel in ("sms", "sms_otp", "email")}
    sent = {"sms": [], "sms_otp": [], "email": []}
    # Simulator outcomes: delivered, refused at send (refunded), failed later, a provider
    # timeout retried from the queue, a late out-of-order event; email bounces and rejects.
    for phone in ("081234567890", "081200000000", "081200000001", "081200000005", "081200000006"):
        sent["sms"].append(shop.api.call("POST", "/sms/v2/sms", sms_body(phone), shop.v2("sms")).json_body["msg_uid"])
        sent["sms_otp"].append(shop.api.call("POST", "/sms/v2/send-otp", otp_body(phone.replace("0", "62", 1)),
                                             shop.v2("sms_otp")).json_body["msg_id"])
    for to in ("budi@example.com", "bounce@example.com", "reject@example.com", "renderfail@example.com"):
        sent["email"].append(shop.api.call("POST", "/email/v2/send-single", shop.fill(email_body(to)),
                                           shop.v2("email")).json_body["msg_id"])
    redelivered = _redelivered_after_commit(monkeypatch)
    drain(worker)
    # Providers repeat themselves: every event of the first SMS again.
    for entry in Message.get(sent["sms"][0]).history[1:]:
        status_updates.apply(StatusEvent(sent["sms"][0], entry["provider_status"], entry["at"]))
    # The zone changes while events still arrive: the days regroup, through the stream.
    assert shop.api.call("PUT", f"/applications/{shop.app_id}/settings", {"timezone": "Asia/Jayapura"},
                         shop.session).status_code == 200
    status_updates.apply(StatusEvent(sent["sms"][3], "TEXT_SENT", "2026-11-27T02:00:00.000Z"))
    drain(worker)
    assert redelivered["armed"] is False
    for channel, ids in sent.items():
        counted, actual = recount(shop.app_id, channel)
        assert counted == actual and sum(actual.values()) == len(ids), channel
        hours, by_hour = hour_recount(shop.app_id, channel)
        assert hours == by_hour and sum(by_hour.values()) == len(ids), channel
    # Quota: one unit per message, back for every refused or unbilled one, exactly once.
    refunded = {channel: sum(1 for m in ids if Message.get(m).refunded_at) for channel, ids in sent.items()}
    assert refunded == {"sms": 1, "sms_otp": 1, "email": 2}   # 0000 each; email reject + rendering failure
    for channel, ids in sent.items():
        assert shop.quota(channel) == start[channel] - len(ids) + refunded[channel], channel
