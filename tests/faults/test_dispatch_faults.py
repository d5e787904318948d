"""Issue 12, item 6: a dispatch job handed to two workers at once reaches the provider once;
a settled message is never sent again; every queue stays invisible at least six times its
worker's Lambda timeout."""
from __future__ import annotations

import json
import threading

import pytest

from chalicelib.messages.models import Message
from chalicelib.providers.base import ProviderUnavailable
from chalicelib.sending import dispatch, outbox, pipeline
from tests.conftest import ROOT, Api, Shop
from tests.fakes.failing_provider import FailingProvider
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
def queued(client, monkeypatch):
    """A message whose first attempt found the provider unavailable: queued, payload stored."""
    shop = Shop(Api(client))
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


def test_a_claim_whose_worker_died_is_taken_over_after_its_lease(queued, monkeypatch, frozen_clock):
    gate = Gate()
    gate.open.set()
    monkeypatch.setattr(dispatch, "provider_for", lambda channel: gate)
    message = Message.get(queued)
    assert dispatch._claim(message) == 2     # a worker claimed it, then its Lambda died
    assert dispatch.run_job(queued) == "held" and gate.calls == []
    frozen_clock.advance(dispatch.WORKER_LEASE.total_seconds() + 1)
    assert dispatch.run_job(queued) == "sent" and gate.calls == [queued]
    assert Message.get(queued).attempts == 3


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
    assert {s.name for s in sources} == {"dispatch_worker", "simulator_clock", "report_worker", "callbacks_worker"}
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
