"""Powertools Metrics (EMF): what each helper writes, that the send path, status updates,
providers, reports and throttles emit them, and that they stay quiet where disabled."""
from __future__ import annotations

import json

import pytest

from chalicelib.core import metrics
from chalicelib.providers.base import Outbound, ProviderRejected, ProviderUnavailable


def emitted(capsys) -> list[dict]:
    """The EMF records printed since the last call, as {name: value, dimensions...}."""
    records = []
    for line in capsys.readouterr().out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "_aws" in record:
            directive = record["_aws"]["CloudWatchMetrics"][0]
            assert directive["Namespace"] == "Kirim"
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                records.append({"name": metric["Name"], "unit": metric["Unit"],
                                "value": value[0] if isinstance(value, list) else value,
                                **{d: record[d] for d in directive["Dimensions"][0]}})
    return records


@pytest.fixture
def enabled(monkeypatch):
    # The local stage's config disables them (chalice's test client applies it per request).
    from aws_lambda_powertools.metrics import functions

    monkeypatch.setattr(functions, "is_metrics_disabled", lambda: False)


def test_each_helper_writes_one_emf_record(enabled, capsys):
    metrics.sent("sms")
    metrics.provider_call("ses")
    metrics.provider_error("ses")
    metrics.status_event("email", "Delivered")
    metrics.report_duration("csv", 1.23456)
    metrics.throttled("rate_limit")
    assert emitted(capsys) == [
        {"name": "MessagesSent", "unit": "Count", "value": 1.0, "stage": "local", "channel": "sms"},
        {"name": "ProviderCalls", "unit": "Count", "value": 1.0, "stage": "local", "provider": "ses"},
        {"name": "ProviderErrors", "unit": "Count", "value": 1.0, "stage": "local", "provider": "ses"},
        {"name": "StatusEvents", "unit": "Count", "value": 1.0, "stage": "local", "channel": "email",
         "status": "Delivered"},
        {"name": "ReportDuration", "unit": "Seconds", "value": 1.235, "stage": "local", "format": "csv"},
        {"name": "Throttles", "unit": "Count", "value": 1.0, "stage": "local", "kind": "rate_limit"},
    ]


def test_disabled_metrics_print_nothing(capsys):
    metrics.sent("sms")  # tests and `make run` set POWERTOOLS_METRICS_DISABLED=true
    assert emitted(capsys) == []


def alarm_dimensions(metric: str) -> set[str]:
    from tests.infra.template_yaml import load_template

    alarm = load_template()["Resources"]["ProviderErrorAlarm"]["Properties"]
    found = [{d["Name"] for d in m["MetricStat"]["Metric"]["Dimensions"]} for m in alarm["Metrics"]
             if "MetricStat" in m and m["MetricStat"]["Metric"]["MetricName"] == metric]
    assert found and all(f == found[0] for f in found)
    return found[0]


class Flaky:
    name = "ses"

    def __init__(self, error):
        self.error = error

    def send(self, message):
        if self.error:
            raise self.error
        return "id-1"


def test_a_provider_is_metered_by_outcome(enabled, capsys):
    from chalicelib.providers.registry import _Metered

    outbound = Outbound(message_id="m", channel="email", target="a@b.co")
    assert _Metered(Flaky(None)).send(outbound) == "id-1"
    with pytest.raises(ProviderUnavailable):
        _Metered(Flaky(ProviderUnavailable("timeout"))).send(outbound)
    with pytest.raises(ProviderRejected):
        _Metered(Flaky(ProviderRejected("bad", "MessageRejected"))).send(outbound)
    assert [(r["name"], r["provider"]) for r in emitted(capsys)] == [
        ("ProviderCalls", "ses"), ("ProviderCalls", "ses"), ("ProviderErrors", "ses"),
        ("ProviderCalls", "ses"), ("ProviderRejections", "ses")]


def test_a_send_and_its_status_events_are_counted(enabled, capsys, shop, worker):
    from tests.conftest import drain
    from tests.sends import sms_body

    capsys.readouterr()
    response = shop.api.call("POST", "/sms/v2/sms", sms_body(), shop.v2("sms"))
    assert response.status_code == 200, response.json_body
    drain(worker)
    records = emitted(capsys)
    # In a function, POWERTOOLS_SERVICE_NAME (config.json) adds the service dimension; the
    # alarms in infra/template.yaml name exactly these dimensions.
    assert {"name": "MessagesSent", "unit": "Count", "value": 1.0, "service": "kirim", "stage": "local",
            "channel": "sms"} in records
    calls = [r for r in records if r["name"] == "ProviderCalls"]
    assert calls and set(calls[0]) - {"name", "unit", "value"} == alarm_dimensions("ProviderCalls")
    assert ("ProviderCalls", "simulator") in [(r["name"], r.get("provider")) for r in records]
    statuses = [r["status"] for r in records if r["name"] == "StatusEvents"]
    assert statuses[-1] == "Delivered"
