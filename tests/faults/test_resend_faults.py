"""Issue 20, item 1: every write that moves state is safe for botocore to send again after its
answer was lost. Faults meet botocore's attempts (local.faults): a single lost answer is one
attempt whose write happened, followed by botocore's second attempt of the same call.

Marked writes (a claim, a settlement, an approval) know their own earlier attempt when its
condition then fails (core.db.update_if's mark); an ADD on an item many writers share (a rate
window) is sent once and read when its answer is lost."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.callbacks import delivery as deliveries
from chalicelib.callbacks.models import PENDING, Delivery
from chalicelib.core import clock
from chalicelib.core.limits import Limit
from chalicelib.messages.models import Message
from chalicelib.providers.base import ProviderUnavailable
from chalicelib.reports import job_state
from chalicelib.reports import service as reports
from chalicelib.reports.models import Report
from chalicelib.sending import dispatch, outbox, pipeline, rate_limit
from chalicelib.verify import service as verifications
from chalicelib.verify.models import new_verification_id
from local import faults
from tests.conftest import Api, Shop
from tests.fakes.failing_provider import FailingProvider
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import sms_body


def table(suffix: str):
    return lambda call: call.get("TableName", "").endswith(suffix)


@pytest.fixture
def shop(client) -> Shop:
    return Shop(Api(client))


def test_a_rate_window_count_whose_answer_was_lost_counts_the_request_once(shop, monkeypatch, frozen_clock):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=table("-limits")) as fault:
        answer = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms"))
    assert fault.hits == 1 and answer.status_code == 200, answer.json_body
    shards = rate_limit.shards_for(1000)     # the shop's limit: its window is split over items
    counted = 0
    for shard in range(shards):
        try:
            counted += int(Limit.get(Limit.key("rl", shop.app_id, int(clock.epoch()), shard), consistent_read=True).hits)
        except Limit.DoesNotExist:
            pass
    assert counted == 1
    assert answer.headers["X-RateLimit-Remaining"] == str(1000 - shards)


def test_a_right_code_whose_approval_answer_was_lost_is_approved(shop):
    verification_id = new_verification_id()
    verifications.start(verification_id, shop.app_id, "sms", "+6281234560101", "424242", "id")
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=table("-verifications")) as fault:
        outcome = verifications.check(verifications.find(verification_id), "424242")
    assert fault.hits == 1 and outcome == "approved"
    assert verifications.find(verification_id).status == "approved"


def test_a_wrong_code_whose_answer_was_lost_counts_once(shop):
    verification_id = new_verification_id()
    verifications.start(verification_id, shop.app_id, "sms", "+6281234560102", "424242", "id")
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=table("-verifications")):
        assert verifications.check(verifications.find(verification_id), "111111") == "pending"
    assert int(verifications.find(verification_id).attempts) == 1


def _report(app_id: str) -> Report:
    now = clock.now_iso()
    report = Report(app_id, f"RP{uuid.uuid4().hex}", name="Lost", channel="sms", format="csv",
                    status=reports.PROCESSING, created_at=now, statuses=["Delivered"], start=now, end=now,
                    from_text="2026-01-01", to_text="2026-01-02", timezone="Asia/Jakarta")
    report.save()
    return report


def test_a_report_claim_whose_answer_was_lost_is_held_by_its_slice(shop):
    report = _report(shop.app_id)
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=table("-reports")) as fault:
        token = job_state.claim(report)
    assert fault.hits == 1 and token is not None
    stored = Report.get(report.application_id, report.report_id, consistent_read=True)
    assert (stored.lease_token, int(stored.slices), int(stored.strikes)) == (token, 1, 1)
    # Its slice goes on: the fenced writes are its own.
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=table("-reports")):
        job_state.finish(report, token, 0, 0, "reports/lost.csv")
    assert Report.get(report.application_id, report.report_id, consistent_read=True).status == reports.DONE


def test_a_callback_claim_whose_answer_was_lost_is_attempted(shop):
    message_id = "01TESTLOSTCLAIM" + "0" * 11
    Delivery(message_id, 1, application_id=shop.app_id, created_at=clock.now_iso(), payload="{}", state=PENDING,
             attempt_count=0, max_attempts=3).save()
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=table("-callbacks")) as fault:
        claimed = deliveries._claim(message_id, 1, 0)
    assert fault.hits == 1 and claimed is not None and claimed.application_id == shop.app_id


@pytest.fixture
def queued(shop, monkeypatch) -> str:
    """A message whose first attempt found the provider unavailable: queued, payload stored (its
    job is not queued: the tests run it, and no later test's worker should meet it)."""
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: FailingProvider("down", ProviderUnavailable("503")))
    monkeypatch.setattr(outbox, "enqueue", lambda message_id, delay: None)
    message_id = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).json_body["msg_uid"]
    assert Message.get(message_id).dispatch == "queued"
    return message_id


def on_message(message_id: str):
    return lambda call: call.get("Key", {}).get("message_id", {}).get("S") == message_id


def test_a_dispatch_claim_whose_answer_was_lost_sends(queued, monkeypatch):
    provider = QuietProvider()
    sent = []
    monkeypatch.setattr(provider, "send", lambda outbound: sent.append(outbound.message_id) or "ok")
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=on_message(queued)) as fault:
        assert dispatch.run_job(queued) == "sent"
    assert fault.hits == 1 and sent == [queued]
    assert (Message.get(queued).dispatch, Message.get(queued).attempts) == ("done", 2)


def test_a_retry_whose_queued_answer_was_lost_queues_its_job(queued, monkeypatch):
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: FailingProvider("down", ProviderUnavailable("503")))
    jobs = []
    monkeypatch.setattr(outbox, "enqueue", lambda message_id, delay: jobs.append(message_id))
    settles = {"n": 0}

    def second_write(call):   # the claim first, then the attempt's end ("queued" again)
        if on_message(queued)(call):
            settles["n"] += 1
        return settles["n"] == 2
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=second_write) as fault:
        assert dispatch.run_job(queued) == "retry"
    assert fault.hits == 1 and jobs == [queued]
    assert (Message.get(queued).dispatch, Message.get(queued).attempts) == ("queued", 2)
