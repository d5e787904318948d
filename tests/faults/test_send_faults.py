"""Issue 12, items 1 and 9: a send under faults is recorded at most once and debited at most
once; nothing pending is left for ever; no request-path transaction holds a shared item; and
contention or throttling gets a bounded retry and a clear answer, never a double debit.

Faults are injected inside botocore's retry loop (local.faults): each fault meets one attempt,
botocore retries what it would retry on AWS, and the caller sees what AWS would give it. Time
moves on Kirim's clock (the frozen_clock fixture), never by sleeping."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ReadTimeoutError

from chalicelib.applications import quota
from chalicelib.messages.models import Message
from chalicelib.messages import queries
from chalicelib.providers.base import ProviderUnavailable
from chalicelib.sending import dispatch, ledger, pipeline
from local import faults
from tests.conftest import Shop, assert_oca_error, drain, recount, set_quota, settle_changes
from tests.fakes.failing_provider import FailingProvider
from tests.fakes.quiet_provider import QuietProvider
from tests.sends import sms_body

SMS = sms_body()


@pytest.fixture
def shop(client, monkeypatch):
    """A fresh shop per test (quota compared absolutely), sending to a provider that stays quiet."""
    from tests.conftest import Api

    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    return Shop(Api(client))


def on_quota_item(call: dict) -> bool:
    return call.get("Key", {}).get("application_id", {}).get("S", "").startswith("quota#")


def _send(shop, key=None, body=None):
    headers = {**shop.v2("sms"), **({"Idempotency-Key": key} if key else {})}
    return shop.api.call("POST", "/sms/v2/sms", body or SMS, headers)


def _messages(shop) -> list[str]:
    return sorted(m.message_id for m in queries.channel_messages(shop.app_id, "sms"))


def unavailable() -> FailingProvider:
    return FailingProvider("flaky", ProviderUnavailable("read timed out"))


def crashing() -> FailingProvider:
    """A provider call that never returns normally: the Lambda dies in it (its timeout)."""
    return FailingProvider("crashing", RuntimeError("Task timed out after 30.00 seconds"))


@pytest.mark.parametrize("failure", ["outbox payload (S3)", "retry job (SQS)", "the request itself"])
def test_a_retry_after_any_failure_past_the_write_sends_and_debits_once(shop, monkeypatch, failure):
    before = shop.quota("sms")
    if failure == "the request itself":
        monkeypatch.setattr(pipeline, "provider_for", lambda channel: crashing())
        fault = faults.injected("sqs", "GetQueueUrl", times=0)
    else:
        monkeypatch.setattr(pipeline, "provider_for", lambda channel: unavailable())
        operation = ("s3", "PutObject") if "S3" in failure else ("sqs", "SendMessage")
        fault = faults.injected(*operation, code="ServiceUnavailable", status=503, times=10)
    with fault:
        first = _send(shop, "order-1")
    # Whatever the first answer was (500 when the Lambda died), the retry gets the recorded send.
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: QuietProvider())
    again = _send(shop, "order-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    if first.status_code == 200:
        assert first.json_body == again.json_body
    assert _messages(shop) == [again.json_body["msg_uid"]]
    assert shop.quota("sms") == before - 1


def test_a_message_left_pending_is_failed_and_refunded_once_by_the_sweeper(shop, monkeypatch, frozen_clock):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: crashing())
    before = shop.quota("sms")
    assert _send(shop).status_code == 500        # died in the provider call: outcome unknown
    [message_id] = _messages(shop)
    assert shop.quota("sms") == before - 1
    mine = {message_id}
    frozen_clock.advance(dispatch.FIRST_EVENT_DEADLINE.total_seconds() - 60)
    assert dispatch.sweep(only=mine) == {}        # not due yet: the provider may still report
    frozen_clock.advance(120)
    assert dispatch.sweep(only=mine) == {message_id: "failed"}
    assert dispatch.sweep(only=mine) == {}
    message = Message.get(message_id)
    assert (message.status, message.history[-1]["provider_status"], message.sweep) == (
        "Failed", "NO_PROVIDER_ANSWER", None)
    assert shop.quota("sms") == before            # refunded, once
    counted, actual = recount(shop.app_id, "sms")
    assert counted == actual


def test_a_queued_retry_whose_job_was_lost_is_sent_again_by_the_sweeper(shop, worker, monkeypatch, frozen_clock):
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: unavailable())
    with faults.injected("sqs", "SendMessage", code="ServiceUnavailable", status=503, times=10):
        assert _send(shop).status_code == 200   # recorded; its retry job never reached the queue
    [message_id] = _messages(shop)
    assert Message.get(message_id).dispatch == "queued"
    provider = QuietProvider()
    sent = []
    monkeypatch.setattr(provider, "send", lambda outbound: sent.append(outbound.message_id) or "ok")
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    drain(worker)
    assert sent == []                             # no job: nothing happens until the sweeper
    frozen_clock.advance(dispatch.RETRY_DELAYS[0] + dispatch.JOB_SLACK.total_seconds() + 1)
    assert dispatch.sweep(only={message_id}) == {message_id: "requeued"}
    drain(worker)
    assert sent == [message_id]
    message = Message.get(message_id)
    assert (message.dispatch, message.attempts, message.sweep) == ("done", 2, None)


def test_contention_on_the_quota_item_is_retried_then_answered_429(shop):
    before = shop.quota("sms")
    with faults.injected("dynamodb", "UpdateItem", code="TransactionConflictException", times=2,
                         when=on_quota_item) as fault:
        assert _send(shop).status_code == 200
    assert fault.hits == 2 and shop.quota("sms") == before - 1
    with faults.injected("dynamodb", "UpdateItem", code="TransactionConflictException", times=100,
                         when=on_quota_item) as fault:
        refused = _send(shop)
    assert_oca_error(refused, 429, 57)
    assert refused.headers["Retry-After"] == "1"
    assert fault.hits == 6                        # bounded: CONFLICT_ATTEMPTS tries, then the answer
    assert shop.quota("sms") == before - 1 and len(_messages(shop)) == 1


def test_a_throttle_that_botocore_retries_never_reaches_the_client(shop):
    """One throttled attempt of the debit or of the message write: botocore's second attempt goes
    through, as on AWS, and the send is answered 200 (the old harness failed the call outright)."""
    before = shop.quota("sms")
    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException",
                         when=on_quota_item) as debit, \
            faults.injected("dynamodb", "PutItem", code="ProvisionedThroughputExceededException",
                            when=lambda call: call.get("TableName", "").endswith("-messages")) as write:
        sent = _send(shop)
    assert sent.status_code == 200, sent.json_body
    assert (debit.hits, write.hits) == (1, 1)
    assert shop.quota("sms") == before - 1 and _messages(shop) == [sent.json_body["msg_uid"]]


def test_throttling_is_answered_503_and_never_debits_twice(shop):
    """Throttled on every attempt: the debit (sent once by botocore, see the next tests) is tried
    CONFLICT_ATTEMPTS times by Kirim, then the client hears 503."""
    before = shop.quota("sms")
    with faults.injected("dynamodb", "UpdateItem", code="ProvisionedThroughputExceededException", times=100,
                         when=on_quota_item) as fault:
        assert_oca_error(_send(shop), 503, 57)
    assert fault.hits == 6
    with faults.injected("dynamodb", "PutItem", code="ProvisionedThroughputExceededException", times=100,
                         when=lambda call: call.get("TableName", "").endswith("-messages")):
        assert_oca_error(_send(shop), 503, 57)    # debited, then the write refused: given back
    with faults.injected("dynamodb", "TransactWriteItems", code="TransactionCanceledException",
                         reasons=["None", "TransactionConflict"], times=100):
        assert_oca_error(_send(shop, "busy-key"), 429, 57)
    assert shop.quota("sms") == before and _messages(shop) == []
    # With the faults gone, the same key sends once.
    assert _send(shop, "busy-key").status_code == 200
    assert shop.quota("sms") == before - 1 and len(_messages(shop)) == 1


def _debits(call: dict) -> bool:
    return on_quota_item(call) and "ConditionExpression" in call


def _give_backs(call: dict) -> bool:
    return on_quota_item(call) and "ConditionExpression" not in call


@pytest.mark.parametrize("balance", [1000, 1])
def test_a_debit_whose_answer_was_lost_is_taken_once_and_the_send_goes_on(shop, frozen_clock, monkeypatch, balance):
    """The debit happened, its answer was lost. botocore used to send it again: the units were
    taken twice (1000 -> 998), or at a balance of 1 the second try failed its condition and the
    paid-for send was refused "Quota not enough". Then it was sent once and the client heard 503.
    Now it counts as taken: the send goes on, and the reconciler finds nothing to square."""
    set_quota(shop.app_id, "sms", balance)       # half 0 holds the odd unit, and is tried first
    monkeypatch.setattr(ledger, "shard_of", lambda message_id: 0)
    with faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=_debits) as fault:
        answer = _send(shop)
    assert fault.hits == 1 and answer.status_code == 200, answer.json_body
    assert _messages(shop) == [answer.json_body["msg_uid"]] and shop.quota("sms") == balance - 1
    settle_changes()
    frozen_clock.advance(quota.GRACE.total_seconds() + 60)
    assert quota.reconcile(shop.app_id, "sms") == 0
    assert shop.quota("sms") == balance - 1


def _unanswered_unmade(call: dict) -> None:
    raise ReadTimeoutError(endpoint_url="injected: no answer, and the call never reached DynamoDB")


@pytest.mark.parametrize("balance", [1000, 1])
def test_a_debit_that_went_unanswered_and_never_landed_is_taken_by_the_reconciler(shop, frozen_clock, monkeypatch,
                                                                                  balance):
    """No answer, and the debit never landed: the send counts it as taken and goes on (200, sent
    once). Its message says it paid, the journal does not: after GRACE the reconciler takes the
    unit. At a balance of 1 another send takes the last unit first; the reconciler then waits
    (never below zero) and takes it at the next top-up."""
    set_quota(shop.app_id, "sms", balance)
    monkeypatch.setattr(ledger, "shard_of", lambda message_id: 0)
    with faults.injected("dynamodb", "UpdateItem", action=_unanswered_unmade, times=1, when=_debits) as fault:
        answer = _send(shop)
    assert fault.hits == 1 and answer.status_code == 200, answer.json_body
    assert _messages(shop) == [answer.json_body["msg_uid"]] and shop.quota("sms") == balance
    if balance == 1:
        assert _send(shop).status_code == 200 and shop.quota("sms") == 0
    settle_changes()
    frozen_clock.advance(quota.GRACE.total_seconds() + 60)
    if balance == 1:
        assert quota.reconcile(shop.app_id, "sms") == 0 and shop.quota("sms") == 0
        assert quota.owed(shop.app_id, "sms") == 1 and quota.owed_halves(shop.app_id, "sms") == {0: 1}
        quota.top_up(shop.app_id, "sms", 10)
        frozen_clock.advance(60)
    assert quota.reconcile(shop.app_id, "sms") == -1
    assert shop.quota("sms") == (balance - 1 if balance > 1 else 9)


def test_a_never_landed_debit_on_an_empty_half_is_taken_from_the_other(shop, frozen_clock, monkeypatch):
    """The half that should have paid is empty by the time the reconciler squares it: the other
    half pays, rather than the unit staying owed while the channel still has units."""
    set_quota(shop.app_id, "sms", 3)            # halves 2 and 1
    monkeypatch.setattr(ledger, "shard_of", lambda message_id: 0)
    with faults.injected("dynamodb", "UpdateItem", action=_unanswered_unmade, times=1, when=_debits):
        assert _send(shop).status_code == 200
    assert _send(shop).status_code == 200 and _send(shop).status_code == 200    # half 0 now empty
    assert shop.quota("sms") == 1
    settle_changes()
    frozen_clock.advance(quota.GRACE.total_seconds() + 60)
    assert quota.owed(shop.app_id, "sms") == 0
    assert quota.reconcile(shop.app_id, "sms") == -1
    assert shop.quota("sms") == 0 and quota.owed(shop.app_id, "sms") == 0
    assert quota.reconcile(shop.app_id, "sms") == 0


def test_a_give_back_whose_answer_was_lost_gives_back_once(shop, frozen_clock):
    """A send debited, its message write refused, the give-back's answer lost. botocore used to
    send the give-back again (1000 -> 1001, for good once the balance could not pay it back)."""
    before = shop.quota("sms")
    with faults.injected("dynamodb", "PutItem", code="ProvisionedThroughputExceededException", times=2,
                         when=lambda call: call.get("TableName", "").endswith("-messages")), \
            faults.injected("dynamodb", "UpdateItem", lose_answer=True, when=_give_backs) as fault:
        assert_oca_error(_send(shop), 503, 57)
    assert fault.hits == 1 and shop.quota("sms") == before
    settle_changes()
    frozen_clock.advance(quota.GRACE.total_seconds() + 60)
    assert quota.reconcile(shop.app_id, "sms") == 0
    assert shop.quota("sms") == before


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """The message ids the (quiet) provider was handed, in order."""
    provider, handed = QuietProvider(), []
    monkeypatch.setattr(provider, "send", lambda outbound: handed.append(outbound.message_id) or "ok")
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: provider)
    return handed


@pytest.mark.parametrize("key", [None, "lost-1"])
def test_a_message_write_whose_answer_was_lost_once_is_sent_and_debited_once(shop, sent, key):
    """The write happened and its answer was lost: botocore sends it again, which finds it written
    (the put's condition, or the transaction's ClientRequestToken). The send carries on: answered
    200 (not a replay), sent once, debited once."""
    before = shop.quota("sms")
    operation = "TransactWriteItems" if key else "PutItem"
    with faults.injected("dynamodb", operation, lose_answer=True,
                         when=lambda call: "-messages" in json.dumps(call)) as fault:
        answer = _send(shop, key)
    assert fault.hits == 1
    assert answer.status_code == 200 and "Idempotent-Replayed" not in answer.headers, answer.json_body
    assert _messages(shop) == [answer.json_body["msg_uid"]] == sent
    assert shop.quota("sms") == before - 1


@pytest.mark.parametrize("key", [None, "lost-2"])
def test_a_message_write_whose_every_answer_was_lost_is_read_and_sent(shop, sent, key):
    """Issue 20, item 2: both attempts' answers lost (the write happened). It used to be answered
    503, and with an Idempotency-Key the retry lookup then answered 200 "Idempotent-Replayed" to
    the first request itself, while the provider was never called (the sweeper failed it 30
    minutes later). Now the message is read: it is there, so the send carries on."""
    before = shop.quota("sms")
    operation = "TransactWriteItems" if key else "PutItem"
    with faults.injected("dynamodb", operation, lose_answer=True, times=2,
                         when=lambda call: "-messages" in json.dumps(call)) as fault:
        answer = _send(shop, key)
    assert fault.hits == 2
    assert answer.status_code == 200 and "Idempotent-Replayed" not in answer.headers, answer.json_body
    assert _messages(shop) == [answer.json_body["msg_uid"]] == sent
    assert shop.quota("sms") == before - 1
    if key:
        again = _send(shop, key)
        assert again.headers["Idempotent-Replayed"] == "true" and again.json_body == answer.json_body
        assert sent == _messages(shop) and shop.quota("sms") == before - 1


def test_a_message_write_that_never_landed_and_was_never_answered_is_503(shop):
    """A 500 on both attempts (nothing written): the read finds no message, the client hears 503,
    the debit is given back, and the same key then sends once."""
    before = shop.quota("sms")
    with faults.injected("dynamodb", "TransactWriteItems", code="InternalServerError", status=500, times=2,
                         when=lambda call: "-messages" in json.dumps(call)) as fault:
        assert_oca_error(_send(shop, "never-1"), 503, 57)
    assert fault.hits == 2 and _messages(shop) == [] and shop.quota("sms") == before
    sent = _send(shop, "never-1")
    assert sent.status_code == 200 and "Idempotent-Replayed" not in sent.headers
    assert _messages(shop) == [sent.json_body["msg_uid"]] and shop.quota("sms") == before - 1


def test_no_request_path_transaction_writes_an_item_other_sends_share(shop):
    seen = []
    watch = {"times": 1000, "when": lambda call: seen.append(call) or False}   # records, catches nothing
    with faults.injected("dynamodb", "TransactWriteItems", **watch), faults.injected("dynamodb", "UpdateItem", **watch):
        for n in range(3):
            assert _send(shop, f"k{n}").status_code == 200
            assert _send(shop).status_code == 200
    transactions = [call for call in seen if "TransactItems" in call]
    assert len(transactions) == 3
    for call in transactions:
        written = [(kind, item["TableName"]) for entry in call["TransactItems"] for kind, item in entry.items()]
        assert written == [("Put", "kirim-local-messages"), ("Put", "kirim-local-idempotency")]
    # The quota is debited by plain conditional UpdateItems, one per send.
    debits = [call for call in seen if "TransactItems" not in call and on_quota_item(call)]
    assert len(debits) == 6 and all("ConditionExpression" in call for call in debits)


def test_a_send_never_debits_twice_when_its_write_is_retried(shop):
    """A transaction whose first try conflicts is tried again; the debit is not."""
    before = shop.quota("sms")
    with faults.injected("dynamodb", "TransactWriteItems", code="TransactionCanceledException",
                         reasons=["None", "TransactionConflict"], times=3) as conflicts:
        sent = _send(shop, "retry-me")
    assert sent.status_code == 200 and conflicts.hits == 3
    assert shop.quota("sms") == before - 1 and _messages(shop) == [sent.json_body["msg_uid"]]
    assert json.loads(json.dumps(sent.json_body))["status"] == "sent"
