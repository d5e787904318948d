"""Issue 12, item 6: a dispatch job handed to two workers at once reaches the provider once;
a settled message is never sent again; every queue stays invisible at least six times its
worker's Lambda timeout.

Issue 20, item 3: an attempt whose outcome is unknown (no clear answer, a request or a worker
that died during or after its provider call, a "done" write that failed) is never sent again
unless the provider, asked, says it does not have the message; one that cannot be asked waits
for its events. The provider gets each message at most once."""
from __future__ import annotations

import json
import threading

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import ApiError
from chalicelib.messages import status_updates
from chalicelib.messages.models import Message
from chalicelib.providers.base import ProviderUnavailable, ProviderUnsure, StatusEvent
from chalicelib.sending import dispatch, outbox, pipeline
from local import faults
from tests.conftest import ROOT, Api, Shop
from tests.fakes.failing_provider import FailingProvider
from tests.fakes.recording_provider import AskableProvider, RecordingProvider
from tests.sends import sms_body


class Gate:
    """A provider whose calls wait until the test opens the gate."""
    name = "gated"

    def __init__(self) -> None:
        self.entered, self.open, self.calls = threading.Event(), threading.Event(), []

    def send(self, outbound):
        self.calls.append(outbound.message_id)
        self.entered.set()
        assert self.open.wait(10)
        return "ok"


@pytest.fixture
def shop(client):
    return Shop(Api(client))


@pytest.fixture
def jobs(monkeypatch) -> list[str]:
    """Dispatch jobs as queued (kept here: the tests run them, no later test's worker meets them)."""
    queued: list[str] = []
    monkeypatch.setattr(outbox, "enqueue", lambda message_id, delay: queued.append(message_id))
    return queued


@pytest.fixture
def queued(shop, jobs, monkeypatch):
    """A message whose first attempt found the provider unavailable: queued, payload stored."""
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: FailingProvider("down", ProviderUnavailable("503")))
    message_id = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).json_body["msg_uid"]
    assert Message.get(message_id).dispatch == "queued" and outbox.load(message_id) is not None
    return message_id


def test_the_same_job_in_two_workers_reaches_the_provider_once(queued, monkeypatch):
    gate = Gate()
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: gate)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", dispatch.run_job(queued)))
    first.start()
    assert gate.entered.wait(10)            # the first worker is inside the provider call
    results["second"] = dispatch.run_job(queued)   # SQS handed the job out again meanwhile
    gate.open.set()
    first.join(10)
    assert results == {"first": "sent", "second": "held"}
    assert gate.calls == [queued]
    message = Message.get(queued)
    assert (message.dispatch, message.attempts, message.sweep) == ("done", 2, None)
    # A late redelivery of the job finds it settled: nothing is sent.
    assert dispatch.run_job(queued) == "settled" and gate.calls == [queued]


def _provider(askable: bool, monkeypatch, **options) -> RecordingProvider:
    provider = AskableProvider(**options) if askable else RecordingProvider(**options)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    return provider


def _done_write(message_id: str):
    """The attempt's "done" write (after the provider call), not its claim."""
    return lambda call: (call.get("Key", {}).get("message_id", {}).get("S") == message_id
                         and '"done"' in json.dumps(call))


def _fails_unbilled_at_its_deadline(shop, message_id: str, frozen_clock) -> None:
    frozen_clock.advance(dispatch.FIRST_EVENT_DEADLINE.total_seconds() + 1)
    assert dispatch.sweep(only={message_id}) == {message_id: "failed"}
    message = Message.get(message_id)
    assert (message.status, message.history[-1]["provider_status"]) == ("Failed", "NO_PROVIDER_ANSWER")
    assert message.refunded_at


@pytest.mark.parametrize("askable", [True, False], ids=["askable", "not askable"])
def test_a_worker_killed_before_its_provider_call_is_taken_over_after_its_lease(queued, monkeypatch, frozen_clock,
                                                                                shop, askable):
    """The claim was written, then the Lambda died before calling the provider. The takeover
    cannot tell that from a death after the call: an askable provider says it lacks the message
    and it is sent; one that cannot be asked is not sent again (failed, not billed)."""
    provider = _provider(askable, monkeypatch)
    assert dispatch._claim(Message.get(queued)) == 2
    assert dispatch.run_job(queued) == "held" and provider.sent == []
    frozen_clock.advance(dispatch.WORKER_LEASE.total_seconds() + 1)
    if askable:
        assert dispatch.run_job(queued) == "sent" and provider.sent == [queued]
        assert (Message.get(queued).dispatch, Message.get(queued).attempts) == ("done", 3)
        return
    assert dispatch.run_job(queued) == "unsure" and provider.sent == []
    _fails_unbilled_at_its_deadline(shop, queued, frozen_clock)
    # Its payload (an OTP's text, perhaps) is not kept in S3 once the message is failed.
    assert outbox.load(queued) is None


def test_the_sweeper_giving_up_removes_the_payload_from_s3(queued, frozen_clock):
    """Every attempt's worker died after its claim: the sweeper fails the message at its last, and
    its payload (an OTP's text, perhaps) is not left in S3 for the bucket's lifecycle to remove."""
    attempt = 1
    while attempt < dispatch.MAX_ATTEMPTS:
        attempt = dispatch._claim(Message.get(queued))
        frozen_clock.advance(dispatch.WORKER_LEASE.total_seconds() + 1)
    frozen_clock.advance(dispatch.FIRST_EVENT_DEADLINE.total_seconds())
    assert dispatch.sweep(only={queued}) == {queued: "failed"}
    assert Message.get(queued).status == "Failed" and outbox.load(queued) is None


@pytest.mark.parametrize("askable", [True, False], ids=["askable", "not askable"])
@pytest.mark.parametrize("after_the_call", ["the Lambda died", "the done write was throttled"])
def test_a_worker_lost_after_the_provider_took_the_message_never_sends_it_again(
        queued, jobs, monkeypatch, frozen_clock, askable, after_the_call):
    """The provider took the message, then the worker's "done" write never happened. After the
    lease the sweeper sends the job again; before issue 20 it went out a second time."""
    provider = _provider(askable, monkeypatch)

    def die(call):
        raise SystemExit("Task timed out after 60.00 seconds")
    if after_the_call == "the Lambda died":
        fault, expected = {"action": die}, SystemExit
    else:
        fault, expected = {"code": "ProvisionedThroughputExceededException", "times": 100}, ApiError
    with faults.injected("dynamodb", "UpdateItem", when=_done_write(queued), **fault):
        with pytest.raises(expected):
            dispatch.run_job(queued)
    assert provider.sent == [queued]
    assert dispatch.run_job(queued) == "held"        # SQS hands the job out again: the lease holds
    frozen_clock.advance((dispatch.WORKER_LEASE + dispatch.JOB_SLACK).total_seconds() + 1)
    assert dispatch.sweep(only={queued}) == {queued: "requeued"} and jobs[-1] == queued
    if askable:
        assert dispatch.run_job(queued) == "found"   # asked: it has the message
        assert (Message.get(queued).dispatch, Message.get(queued).sweep) == ("done", None)
    else:
        assert dispatch.run_job(queued) == "unsure"  # cannot ask: waits for the provider's events
        status_updates.apply(StatusEvent(queued, "TEXT_SENT", clock.now_iso()))
        assert (Message.get(queued).status, Message.get(queued).dispatch) == ("Sent", "done")
        assert dispatch.run_job(queued) == "settled"
    assert provider.sent == [queued]


@pytest.mark.parametrize("took_it", [True, False], ids=["provider took it", "provider did not"])
def test_a_send_without_a_clear_answer_is_sent_again_only_when_the_provider_lacks_it(shop, jobs, monkeypatch,
                                                                                     took_it):
    """The request path, same rule: the provider's answer never came (ProviderUnsure). An
    askable provider is asked UNSURE_WAIT later, by the job."""
    provider = AskableProvider(lose_answers=1)
    if not took_it:
        provider.send = FailingProvider("timeout", ProviderUnsure("read timed out")).send
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: provider)
    message_id = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).json_body["msg_uid"]
    assert Message.get(message_id).dispatch == "unsure" and jobs == [message_id]
    provider = _provider(True, monkeypatch)
    provider.sent = [message_id] if took_it else []
    assert dispatch.run_job(message_id) == ("found" if took_it else "sent")
    assert provider.sent == [message_id]
    assert Message.get(message_id).dispatch == "done"


def test_a_send_without_a_clear_answer_from_a_provider_that_cannot_be_asked_waits(shop, jobs, monkeypatch,
                                                                                 frozen_clock):
    provider = RecordingProvider(lose_answers=1)
    monkeypatch.setattr(pipeline, "provider_for", lambda channel: provider)
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: provider)
    message_id = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms")).json_body["msg_uid"]
    message = Message.get(message_id)
    assert (message.dispatch, jobs, outbox.load(message_id)) == ("request", [], None)
    _fails_unbilled_at_its_deadline(shop, message_id, frozen_clock)
    assert provider.sent == [message_id]


def test_every_queue_stays_invisible_six_times_its_workers_timeout():
    """AWS's advice for a queue feeding a Lambda: a visibility timeout of at least six times the
    function's timeout, so a message is not handed to a second worker while the first may still
    be running it (dispatch jobs ran twice with visibility = timeout)."""
    from chalice.app import SQSEventConfig

    from app import app
    from local.moto_stack import load_template

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    template = load_template(ROOT / "infra" / "template.yaml")
    queues = {r["Properties"]["QueueName"]["Fn::Sub"].replace("kirim-${Stage}-", ""): r["Properties"]
              for r in template["Resources"].values() if r["Type"] == "AWS::SQS::Queue"}
    defaults = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
    sources = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    assert {s.name for s in sources} == {"dispatch_worker", "simulator_clock", "report_worker", "callbacks_worker", "broadcast_worker"}
    for stage in ("dev", "prod"):
        settings = config["stages"][stage]
        for source in sources:
            timeout = settings["lambda_functions"].get(source.name, {}).get("lambda_timeout",
                                                                            settings.get("lambda_timeout", 60))
            visibility = queues[source.queue.split("-", 2)[2]]["VisibilityTimeout"]
            visibility = int(defaults[visibility["Ref"]] if isinstance(visibility, dict) else visibility)
            assert visibility >= 6 * timeout, (stage, source.name, visibility, timeout)


def test_a_stream_consumer_falling_behind_the_reconcilers_grace_raises_an_alarm():
    """The reconciler gives back units of minutes older than its grace; the stream consumer must be
    well within it, and an operator is told when it is not."""
    from chalicelib.applications import quota
    from local.moto_stack import load_template

    alarm = load_template(ROOT / "infra" / "template.yaml")["Resources"]["MessageStreamLagAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "IteratorAge", "Maximum")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Fn::Sub": "kirim-${Stage}-message_stream"}}]
    assert alarm["Threshold"] / 1000 < quota.GRACE.total_seconds()
